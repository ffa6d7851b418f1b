"""Small helpers of the wrk harness: the repository's paths, logging,
durations, CPU lists (taskset syntax), free ports, RLIMIT_NOFILE and
short commands' output."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent          # bench/wrk/lib
WRK_DIR = HERE.parent                           # bench/wrk
REPO = WRK_DIR.parent.parent                    # repository root


def log(msg: str = "") -> None:
    print(msg, flush=True)


def warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr, flush=True)


def fmt_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{s:02d}s"
    return f"{s}s"


def parse_cpu_list(spec: str) -> list[int]:
    """'0', '1-3', '0,2-3' -> sorted list of CPU numbers."""
    cpus: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            cpus.update(range(int(lo), int(hi) + 1))
        else:
            cpus.add(int(part))
    if not cpus:
        raise ValueError(f"empty CPU list: {spec!r}")
    return sorted(cpus)


def cpu_list_str(cpus: list[int]) -> str:
    """[1,2,3,5] -> '1-3,5' (taskset syntax)."""
    out = []
    start = prev = None
    for c in cpus:
        if start is None:
            start = prev = c
        elif c == prev + 1:
            prev = c
        else:
            out.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = c
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ",".join(out)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile() -> None:
    """preexec: soft RLIMIT_NOFILE = hard limit (many connections)."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


def run_text(cmd: list[str], timeout: float = 10) -> str:
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout, check=False)
        return p.stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"(unavailable: {e})"


def default_wrk_cpus(server_cpus: list[int]) -> str:
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        allowed = list(range(os.cpu_count() or 1))
    rest = [c for c in allowed if c not in server_cpus]
    return cpu_list_str(rest or allowed)
