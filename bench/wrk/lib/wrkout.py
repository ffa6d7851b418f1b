"""Running wrk and reading its output: requests, req/s, latency
percentiles and socket errors."""

from __future__ import annotations

import os
import re
import resource
import subprocess

from util import raise_nofile

_UNIT_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def to_us(text: str) -> float | None:
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        return None
    return float(m.group(1)) * _UNIT_US[m.group(2)]


def parse_wrk(out: str) -> dict:
    r: dict = {"requests": None, "req_per_s": None, "p50_us": None, "p75_us": None,
               "p90_us": None, "p99_us": None, "max_us": None, "avg_us": None,
               "err_connect": 0, "err_read": 0, "err_write": 0, "err_timeout": 0,
               "non_2xx_3xx": 0, "wrk_seconds": None}
    m = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    if m:
        r["avg_us"] = to_us(m.group(1))
        r["max_us"] = to_us(m.group(3))
    for pct, key in (("50", "p50_us"), ("75", "p75_us"), ("90", "p90_us"), ("99", "p99_us")):
        m = re.search(rf"^\s*{pct}(?:\.0+)?%\s+(\S+)", out, re.M)
        if m:
            # wrk prints 0.00us for the upper percentiles of pipelined runs
            # (it times only one response per batch); a 0 is not a latency.
            r[key] = to_us(m.group(1)) or None
    m = re.search(r"^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m|h)", out, re.M)
    if m:
        r["requests"] = int(m.group(1))
        r["wrk_seconds"] = float(m.group(2)) * _UNIT_US[m.group(3)] / 1e6
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["err_connect"], r["err_read"], r["err_write"], r["err_timeout"] = map(int, m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non_2xx_3xx"] = int(m.group(1))
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M)
    if m:
        r["req_per_s"] = float(m.group(1))
    r["errors"] = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
    return r


def run_wrk(argv: list[str]) -> tuple[bytes, int, resource.struct_rusage]:
    """Run wrk to completion -> (output, exit code, its rusage)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
    assert p.stdout is not None
    out = p.stdout.read()
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return out, p.returncode, ru
