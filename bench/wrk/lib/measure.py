#!/usr/bin/env python3
"""wrk harness for ringlane: interleaved rounds, server CPU-us per request.

Started by bench/wrk/run.sh (which checks the tools first); see
bench/wrk/README.md for usage and for how to read the figures.

For every round and every server (interleaved: A B C, A B C, ...):
  1. pick a free port, start the server pinned with `taskset -c SERVER_CPU`
     in its own process group, wait until the port answers and check that
     GET / gets a response;
  2. warm up with a short wrk run;
  3. sample the CPU time (utime+stime, all threads, all processes of the
     group), /proc/stat, and wall time; optionally attach
     `perf stat -e raw_syscalls:sys_enter`; run the measured
     `taskset -c WRK_CPU wrk -t1 -cN -dS --latency ...`; sample again;
  4. read peak RSS (VmHWM) of the group, stop it (SIGTERM, SIGKILL after 5 s);
  5. if other processes used more than --disturb-threshold of the two CPUs
     during the run, mark it disturbed and measure it once more.
Medians over the rounds go into results.md / results.csv / results.json.

Only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent          # bench/wrk/lib
WRK_DIR = HERE.parent                           # bench/wrk
REPO = WRK_DIR.parent.parent                    # repository root
PIPELINE_LUA = WRK_DIR / "pipeline.lua"
NGINX_TEMPLATE = WRK_DIR / "peers" / "nginx.conf.in"
NGINX_BIN = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")   # override for tests

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_NOTE = ("On a 2-core machine one wrk thread saturates near the fast servers' "
             "rate; rank servers by server CPU-µs per request.")

STOP_REQUESTED = False


# --------------------------------------------------------------------------
# small helpers

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


# --------------------------------------------------------------------------
# /proc sampling

def read_proc_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    rparen = data.rfind(")")
    return data[rparen + 2:].split()


def group_pids(pgid: int) -> list[int]:
    """All live processes whose process group is pgid."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = read_proc_stat(int(name))
        # fields[0] = state (field 3), fields[2] = pgrp (field 5)
        if fields and len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(name))
    return sorted(pids)


def group_cpu_seconds(pgid: int) -> float:
    """utime+stime (+ reaped children) of every process in the group.

    /proc/PID/stat sums all threads of a process. cutime/cstime carry the
    time of children already reaped by a group member, so short-lived
    helpers are not lost.
    """
    total = 0
    for pid in group_pids(pgid):
        f = read_proc_stat(pid)
        if not f:
            continue
        # fields[11..14] = utime, stime, cutime, cstime (fields 14..17)
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total / CLK_TCK


def group_vm_hwm_kib(pgid: int) -> int:
    """Sum of VmHWM (peak RSS) over the processes of the group, in KiB."""
    total = 0
    for pid in group_pids(pgid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def read_cpu_ticks() -> dict[int, dict[str, int]]:
    """Per-CPU counters from /proc/stat, in USER_HZ ticks."""
    names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq",
             "steal", "guest", "guest_nice"]
    out: dict[int, dict[str, int]] = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            parts = line.split()
            cpu = int(parts[0][3:])
            vals = [int(x) for x in parts[1:]] + [0] * 10
            out[cpu] = dict(zip(names, vals))
    return out


def cpu_busy_seconds(before: dict, after: dict, cpus: list[int]) -> tuple[float, float]:
    """(busy, steal) seconds on the given CPUs between two /proc/stat samples.

    busy = user+nice+system+irq+softirq (guest time is already in user).
    """
    busy = steal = 0
    for c in cpus:
        if c not in before or c not in after:
            continue
        b, a = before[c], after[c]
        busy += sum(a[k] - b[k] for k in ("user", "nice", "system", "irq", "softirq"))
        steal += a["steal"] - b["steal"]
    return busy / CLK_TCK, steal / CLK_TCK


# --------------------------------------------------------------------------
# wrk output

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


# --------------------------------------------------------------------------
# servers

@dataclass
class Server:
    name: str
    command: str                    # with {PORT}
    builtin_nginx: bool = False
    notes: list[str] = field(default_factory=list)
    checked: bool = False           # first-response check done


@dataclass
class Running:
    proc: subprocess.Popen
    port: int
    argv: list[str]
    display: str
    log_path: Path
    tmpdir: str | None = None


SHELL_CHARS = re.compile(r"[|&;<>()$`\\*?\[\]{}~!#]|\n")
ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def server_argv(command: str, port: int) -> tuple[list[str], dict]:
    """Command string -> (argv, extra env), exec'd directly when it is a
    simple command so the server is the process we start (no shell in
    between); otherwise through /bin/sh -c."""
    cmd = command.replace("{PORT}", str(port))
    if SHELL_CHARS.search(cmd):
        return ["/bin/sh", "-c", cmd], {}
    words = shlex.split(cmd)
    env = {}
    while words and ASSIGN.match(words[0]):
        k, v = words.pop(0).split("=", 1)
        env[k] = v
    if not words:
        raise ValueError(f"empty command: {command!r}")
    return words, env


def render_nginx(port: int, connections: int) -> tuple[str, str]:
    """Render peers/nginx.conf.in into a fresh temp dir -> (dir, conf path)."""
    prefix = tempfile.mkdtemp(prefix="ringlane-wrk-nginx-")
    os.chmod(prefix, 0o755)   # workers may run as 'nobody' when started by root
    text = NGINX_TEMPLATE.read_text()
    wc = max(1024, connections + 64)
    text = (text.replace("@PORT@", str(port)).replace("@PREFIX@", prefix)
            .replace("@WORKER_CONNECTIONS@", str(wc)))
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(text)
    return prefix, conf


def wait_port(port: int, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def probe_http(port: int, path: str = "/") -> tuple[str, str]:
    """One GET path -> (status line, body excerpt)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET " + path.encode() +
                      b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ringlane-wrk-probe\r\n\r\n")
            s.settimeout(2)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            m = re.search(rb"content-length:\s*(\d+)", head, re.I)
            if m:
                want = int(m.group(1))
                while len(body) < want:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    body += chunk
            status = head.split(b"\r\n", 1)[0].decode("latin-1")
            return status, body[:64].decode("latin-1")
    except OSError as e:
        return f"(no response: {e})", ""


def stop_server(run: Running, grace: float = 5.0) -> str:
    """SIGTERM to the server's process group, SIGKILL after `grace` s."""
    pgid = run.proc.pid   # start_new_session=True: our child leads its group
    how = "exited"
    if run.proc.poll() is None or group_pids(pgid):
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            run.proc.poll()
            if run.proc.returncode is not None and not group_pids(pgid):
                break
            time.sleep(0.05)
        else:
            how = "SIGKILL"
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if how != "SIGKILL":
            how = "SIGTERM"
    try:
        run.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    if run.tmpdir:
        shutil.rmtree(run.tmpdir, ignore_errors=True)
    return how


def per_req(count: float | None, reqs: int | None) -> float | None:
    return count / reqs if (count is not None and reqs) else None


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


# --------------------------------------------------------------------------
# the harness

class Harness:
    def __init__(self, args: argparse.Namespace, servers: list[Server], out: Path):
        self.a = args
        self.servers = servers
        self.out = out
        self.logs = out / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.commands: list[str] = []
        self.runs: list[dict] = []
        self.discarded: list[dict] = []
        self.timeline: list[dict] = []      # every run, in the order measured
        self.server_cpus = parse_cpu_list(args.server_cpu)
        self.wrk_cpus = parse_cpu_list(args.wrk_cpu)
        self.watch_cpus = sorted(set(self.server_cpus) | set(self.wrk_cpus))
        self.perf_ok = False
        self.perf_note = ""
        self.measure_times: list[float] = []

    # ---- checks

    def check_perf(self) -> None:
        if self.a.syscalls == "off":
            self.perf_note = "off (--syscalls off)"
            return
        if not shutil.which("perf"):
            self.perf_note = "perf not installed (apt-get install linux-perf)"
            return
        try:
            p = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "true"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               timeout=20, check=False)
        except (OSError, subprocess.SubprocessError) as e:
            self.perf_note = f"perf failed: {e}"
            return
        m = re.search(r"^\s*(\d+),[^,]*,raw_syscalls:sys_enter", p.stderr, re.M)
        if p.returncode == 0 and m:
            self.perf_ok = True
            self.perf_note = ("perf stat -e raw_syscalls:sys_enter, "
                              + (f"in a separate {self.a.syscall_seconds:g} s wrk pass after "
                                 "each measured run" if self.a.syscalls == "auto" else
                                 "attached during the measured run (its ~50 ns per syscall "
                                 "is in the CPU figure)"))
        else:
            first = (p.stderr.strip().splitlines() or ["?"])[0]
            self.perf_note = f"perf cannot count raw_syscalls:sys_enter here ({first})"

    # ---- syscall counting

    def start_perf(self, srv: Server, tag: str, pgid: int) -> tuple | None:
        pids = group_pids(pgid)
        if not pids:
            return None
        path = self.logs / f"{srv.name}.{tag}.perf.txt"
        argv = ["taskset", "-c", self.a.wrk_cpu, "perf", "stat", "-x,",
                "-e", "raw_syscalls:sys_enter", "-p", ",".join(map(str, pids))]
        self.commands.append(f"[{srv.name} {tag}] syscalls: {shlex.join(argv)}")
        with open(path, "wb") as f:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=f)
        time.sleep(0.3)   # let perf attach before the load starts
        return p, path

    @staticmethod
    def stop_perf(handle: tuple, srv: Server, tag: str) -> tuple[int | None, float]:
        """SIGINT perf, parse its count -> (syscalls, perf's own CPU s)."""
        p, path = handle
        p.send_signal(signal.SIGINT)
        cpu = 0.0
        try:
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            cpu = ru.ru_utime + ru.ru_stime
        except ChildProcessError:
            pass
        txt = path.read_text(errors="replace")
        m = re.search(r"^\s*(\d+),[^,]*,raw_syscalls:sys_enter", txt, re.M)
        return (int(m.group(1)) if m else None), cpu

    # ---- one measurement

    def wrk_argv(self, port: int, duration: float, latency: bool) -> list[str]:
        argv = ["taskset", "-c", self.a.wrk_cpu, "wrk", f"-t{self.a.threads}",
                f"-c{self.a.connections}", f"-d{duration:g}s", f"--timeout={self.a.timeout}s"]
        if latency:
            argv.append("--latency")
        for h in self.a.header:
            argv += ["-H", h]
        if self.a.pipeline > 1:
            argv += ["-s", str(PIPELINE_LUA)]
        argv.append(f"http://127.0.0.1:{port}{self.a.path}")
        if self.a.pipeline > 1:
            argv += ["--", str(self.a.pipeline)]
        return argv

    def start(self, srv: Server, tag: str) -> Running:
        port = free_port()
        tmpdir = None
        if srv.builtin_nginx:
            tmpdir, conf = render_nginx(port, self.a.connections)
            argv = [NGINX_BIN, "-p", tmpdir + "/", "-c", conf, "-g", "daemon off;"]
            env_extra: dict = {}
            rendered = self.out / "nginx.conf"
            if not rendered.exists():
                shutil.copyfile(conf, rendered)
        else:
            argv, env_extra = server_argv(srv.command, port)
        full = ["taskset", "-c", self.a.server_cpu] + argv
        display = " ".join(f"{k}={shlex.quote(v)}" for k, v in env_extra.items())
        display = (display + " " if display else "") + shlex.join(full)
        log_path = self.logs / f"{srv.name}.{tag}.log"
        env = dict(os.environ)
        env.update(env_extra)
        lf = open(log_path, "wb")
        try:
            proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                                    env=env, start_new_session=True, preexec_fn=raise_nofile)
        finally:
            lf.close()
        self.commands.append(f"[{srv.name} {tag}] server: {display}")
        return Running(proc, port, full, display, log_path, tmpdir)

    def measure(self, srv: Server, tag: str) -> dict:
        a = self.a
        rec: dict = {"server": srv.name, "tag": tag, "ok": False}
        run = self.start(srv, tag)
        rec["port"] = run.port
        rec["command"] = run.display
        try:
            if not wait_port(run.port, run.proc, a.startup_timeout):
                rc = run.proc.poll()
                rec["error"] = (f"server exited with status {rc} before answering"
                                if rc is not None else
                                f"port {run.port} did not answer within {a.startup_timeout:g} s")
                tail = run.log_path.read_text(errors="replace").strip().splitlines()[-5:]
                if tail:
                    rec["error"] += " — log: " + " | ".join(tail)
                return rec
            if not srv.checked:
                status, body = probe_http(run.port, a.path)
                srv.checked = True
                srv.notes.append(f"GET {a.path} -> {status!r}, body {body!r}")
                if not status.startswith("HTTP/1.1 200"):
                    warn(f"{srv.name}: GET {a.path} answered {status!r}")
            pgid = run.proc.pid

            # warm-up (not measured)
            if a.warmup > 0:
                wu = self.wrk_argv(run.port, a.warmup, latency=False)
                self.commands.append(f"[{srv.name} {tag}] warm-up: {shlex.join(wu)}")
                run_wrk(wu)

            wargv = self.wrk_argv(run.port, a.duration, latency=True)
            self.commands.append(f"[{srv.name} {tag}] measured: {shlex.join(wargv)}")
            inline = self.perf_ok and a.syscalls == "inline"
            perf = self.start_perf(srv, tag, pgid) if inline else None

            ticks0 = read_cpu_ticks()
            cpu0 = group_cpu_seconds(pgid)
            t0 = time.monotonic()
            wrk_out_b, wrk_rc, wrk_ru = run_wrk(wargv)
            t1 = time.monotonic()
            cpu1 = group_cpu_seconds(pgid)
            ticks1 = read_cpu_ticks()
            hwm_kib = group_vm_hwm_kib(pgid)
            alive = run.proc.poll() is None

            perf_cpu = 0.0
            syscalls = None
            syscall_reqs = None
            if perf is not None:
                syscalls, perf_cpu = self.stop_perf(perf, srv, tag)
            elif self.perf_ok and alive and a.syscalls == "auto":
                # Separate pass after the measured run: perf's tracepoint
                # costs ~50 ns per syscall in the server, which would bias
                # the CPU figure against syscall-heavy servers.
                perf = self.start_perf(srv, tag, pgid)
                sargv = self.wrk_argv(run.port, a.syscall_seconds, latency=False)
                self.commands.append(f"[{srv.name} {tag}] syscall pass: {shlex.join(sargv)}")
                s_out, _, _ = run_wrk(sargv)
                if perf is not None:
                    syscalls, _ = self.stop_perf(perf, srv, tag)
                    syscall_reqs = parse_wrk(s_out.decode("utf-8", "replace"))["requests"]
                hwm_kib = max(hwm_kib, group_vm_hwm_kib(pgid))

            wrk_out = wrk_out_b.decode("utf-8", "replace")
            (self.logs / f"{srv.name}.{tag}.wrk.txt").write_text(wrk_out)
            w = parse_wrk(wrk_out)
            rec.update(w)
            wall = t1 - t0
            server_cpu = cpu1 - cpu0
            wrk_cpu = wrk_ru.ru_utime + wrk_ru.ru_stime
            busy, steal = cpu_busy_seconds(ticks0, ticks1, self.watch_cpus)
            other = busy - server_cpu - wrk_cpu - perf_cpu
            capacity = wall * len(self.watch_cpus)
            other_frac = max(0.0, other) / capacity if capacity > 0 else 0.0
            steal_frac = steal / capacity if capacity > 0 else 0.0
            srv_busy, _ = cpu_busy_seconds(ticks0, ticks1, self.server_cpus)
            reqs = w["requests"] or 0
            rec.update({
                "wall_s": wall,
                "server_cpu_s": server_cpu,
                "server_cpu_pct": 100.0 * server_cpu / wall if wall > 0 else None,
                "wrk_cpu_s": wrk_cpu,
                "wrk_cpu_pct": 100.0 * wrk_cpu / wall if wall > 0 else None,
                "cpu_us_per_req": 1e6 * server_cpu / reqs if reqs else None,
                # cross-check: all busy time of the server CPU(s) (includes
                # anything else that ran there) per request
                "server_cpu_busy_us_per_req": 1e6 * srv_busy / reqs if reqs else None,
                "syscalls": syscalls,
                "syscall_requests": syscall_reqs if syscall_reqs is not None else
                                    (reqs if syscalls is not None else None),
                "syscalls_per_req": per_req(syscalls, syscall_reqs if syscall_reqs is not None else reqs),
                "peak_rss_mib": hwm_kib / 1024.0,
                "other_load_pct": 100.0 * other_frac,
                "steal_pct": 100.0 * steal_frac,
                "disturbed": (other_frac + steal_frac) > a.disturb_threshold,
                "wrk_exit": wrk_rc,
                "server_alive_after": alive,
            })
            if wrk_rc != 0 or w["requests"] is None:
                rec["error"] = f"wrk failed (exit {wrk_rc}): " + \
                    " | ".join(wrk_out.strip().splitlines()[-3:])
            elif reqs == 0:
                # Every connection failed (refused, reset): nothing to divide by.
                errs = " ".join(ln.strip() for ln in wrk_out.splitlines() if "errors" in ln)
                rec["error"] = "no request completed" + (f" ({errs})" if errs else "")
            elif not alive:
                rec["error"] = "server died during the run"
            else:
                rec["ok"] = True
            return rec
        finally:
            rec["stopped_by"] = stop_server(run)
            if rec["stopped_by"] == "SIGKILL":
                note = "did not exit within 5 s of SIGTERM (killed)"
                if note not in srv.notes:
                    srv.notes.append(note)
                    warn(f"{srv.name}: {note}")

    # ---- the loop

    def eta(self, remaining: int) -> float:
        per = (statistics.mean(self.measure_times) if self.measure_times
               else self.a.duration + self.a.warmup + 1.5 +
               (self.a.syscall_seconds + 0.5 if self.perf_ok and self.a.syscalls == "auto" else 0))
        return remaining * per

    def run(self) -> None:
        a = self.a
        total = a.rounds * len(self.servers)
        done = 0
        for rnd in range(1, a.rounds + 1):
            for srv in self.servers:
                if STOP_REQUESTED:
                    return
                left = self.eta(total - done)
                log(f"round {rnd}/{a.rounds}: {srv.name} ({a.duration:g} s) ... ~{fmt_duration(left)} left")
                t0 = time.monotonic()
                rec = self.measure(srv, f"r{rnd}")
                rec["round"] = rnd
                self.timeline.append(rec)
                if rec.get("ok") and rec.get("disturbed") and not STOP_REQUESTED:
                    log(f"  disturbed: other load {rec['other_load_pct']:.0f}% + steal "
                        f"{rec['steal_pct']:.0f}% of CPUs {cpu_list_str(self.watch_cpus)}; "
                        f"measuring once more")
                    rec["superseded"] = True
                    self.discarded.append(rec)
                    rec = self.measure(srv, f"r{rnd}b")
                    rec["rerun"] = True
                    rec["round"] = rnd
                    self.timeline.append(rec)
                if rec.get("ok"):
                    self.measure_times.append((time.monotonic() - t0) / (2 if rec.get("rerun") else 1))
                self.runs.append(rec)
                done += 1
                log("  " + self.summary_line(rec))

    @staticmethod
    def summary_line(r: dict) -> str:
        if not r.get("ok"):
            return f"{r['server']}: FAILED: {r.get('error', '?')}"
        s = (f"{r['server']}: {r['req_per_s']:,.0f} req/s, p50 {fmt_lat(r['p50_us'])}, "
             f"p99 {fmt_lat(r['p99_us'])}, {r['cpu_us_per_req']:.2f} CPU-µs/req "
             f"(server CPU {r['server_cpu_pct']:.0f}%, wrk {r['wrk_cpu_pct']:.0f}%)")
        if r.get("syscalls_per_req") is not None:
            s += f", {r['syscalls_per_req']:.3f} syscalls/req"
        s += f", peak RSS {r['peak_rss_mib']:.1f} MiB"
        if r["errors"] or r["non_2xx_3xx"]:
            s += f", errors {r['errors']}, non-2xx {r['non_2xx_3xx']}"
        if r.get("disturbed"):
            s += f" [disturbed: other load {r['other_load_pct']:.0f}%]"
        return s


# --------------------------------------------------------------------------
# aggregation and output

def fmt_lat(us: float | None) -> str:
    if us is None:
        return "—"
    if us < 1000:
        return f"{us:.0f} µs"
    if us < 1e6:
        return f"{us / 1e3:.2f} ms"
    return f"{us / 1e6:.2f} s"


def med(values: list) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


MEDIAN_KEYS = ["req_per_s", "p50_us", "p99_us", "max_us", "cpu_us_per_req",
               "server_cpu_busy_us_per_req", "syscalls_per_req", "peak_rss_mib",
               "server_cpu_pct", "wrk_cpu_pct", "requests"]


def aggregate(servers: list[Server], runs: list[dict],
              refs: list[str]) -> tuple[list[dict], list[str]]:
    """Medians per server, and ratio columns against each reference server
    that has results. Ratios: x_<ref>_req_per_s, x_<ref>_cpu_us_per_req."""
    rows = []
    for srv in servers:
        mine = [r for r in runs if r["server"] == srv.name]
        ok = [r for r in mine if r.get("ok")]
        row: dict = {"server": srv.name, "rounds_ok": len(ok), "rounds": len(mine),
                     "disturbed_rounds": sum(1 for r in ok if r.get("disturbed")),
                     "errors_total": sum(r.get("errors", 0) for r in ok),
                     "non_2xx_total": sum(r.get("non_2xx_3xx", 0) for r in ok)}
        for k in MEDIAN_KEYS:
            row[k] = med([r.get(k) for r in ok])
        rows.append(row)
    byname = {r["server"]: r for r in rows}
    used = [ref for ref in refs if ref in byname and byname[ref]["rounds_ok"]]
    if refs and not used:                  # every reference failed: first that ran
        used = [r["server"] for r in rows if r["rounds_ok"]][:1]
    for ref in used:
        rr = byname[ref]
        for row in rows:
            for k in ("req_per_s", "cpu_us_per_req"):
                row[f"x_{ref}_{k}"] = (row[k] / rr[k]) if (row[k] and rr[k]) else None
    return rows, used


def f_num(v, spec: str, dash: str = "—") -> str:
    return dash if v is None else format(v, spec)


def markdown_table(rows: list[dict], refs: list[str]) -> str:
    head = ["server", "req/s", "p50", "p99", "max", "errors", "non-2xx",
            "CPU-µs/req", "syscalls/req", "peak RSS MiB", "server CPU"]
    for ref in refs:
        head += [f"req/s ×{ref}", f"CPU-µs/req ×{ref}"]
    head.append("rounds")
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for r in rows:
        rounds = f"{r['rounds_ok']}/{r['rounds']}"
        if r["disturbed_rounds"]:
            rounds += f" ({r['disturbed_rounds']} disturbed)"
        cells = [r["server"], f_num(r["req_per_s"], ",.0f"), fmt_lat(r["p50_us"]),
                 fmt_lat(r["p99_us"]), fmt_lat(r["max_us"]), str(r["errors_total"]),
                 str(r["non_2xx_total"]), f_num(r["cpu_us_per_req"], ".2f"),
                 f_num(r["syscalls_per_req"], ".3f"), f_num(r["peak_rss_mib"], ".1f"),
                 f_num(r["server_cpu_pct"], ".0f") + ("%" if r["server_cpu_pct"] is not None else "")]
        for ref in refs:
            cells += [f_num(r.get(f"x_{ref}_req_per_s"), ".2f"),
                      f_num(r.get(f"x_{ref}_cpu_us_per_req"), ".2f")]
        cells.append(rounds)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def runs_table(runs: list[dict]) -> str:
    head = ["round", "server", "req/s", "p50", "p99", "max", "errors", "non-2xx",
            "CPU-µs/req", "syscalls/req", "peak RSS MiB", "server CPU", "wrk CPU",
            "other load", "note"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---:", "---"] + ["---:"] * (len(head) - 3) + ["---"]) + "|"]
    for r in runs:
        if not r.get("ok"):
            lines.append(f"| {r.get('round', '?')} | {r['server']} | " + " | ".join(["—"] * 12)
                         + f" | failed: {r.get('error', '?')} |")
            continue
        note = []
        if r.get("rerun"):
            note.append("rerun")
        if r.get("disturbed"):
            note.append("disturbed")
        if r.get("superseded"):
            note.append("superseded by rerun")
        cells = [str(r.get("round", "?")) + (r["tag"][-1] if r["tag"].endswith("b") else ""),
                 r["server"], f"{r['req_per_s']:,.0f}", fmt_lat(r["p50_us"]),
                 fmt_lat(r["p99_us"]), fmt_lat(r["max_us"]), str(r["errors"]),
                 str(r["non_2xx_3xx"]), f_num(r["cpu_us_per_req"], ".2f"),
                 f_num(r["syscalls_per_req"], ".3f"), f"{r['peak_rss_mib']:.1f}",
                 f"{r['server_cpu_pct']:.0f}%", f"{r['wrk_cpu_pct']:.0f}%",
                 f"{r['other_load_pct']:.1f}%", ", ".join(note)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


CSV_FIELDS = ["kind", "round", "server", "req_per_s", "requests", "p50_us", "p75_us",
              "p90_us", "p99_us", "max_us", "avg_us", "errors", "err_connect", "err_read",
              "err_write", "err_timeout", "non_2xx_3xx", "cpu_us_per_req",
              "server_cpu_busy_us_per_req", "syscalls", "syscall_requests", "syscalls_per_req",
              "peak_rss_mib",
              "server_cpu_s", "server_cpu_pct", "wrk_cpu_s", "wrk_cpu_pct", "wall_s",
              "other_load_pct", "steal_pct", "disturbed", "rerun", "superseded", "ok",
              "rounds_ok", "rounds", "disturbed_rounds",
              "error", "command"]


def write_csv(path: Path, timeline: list[dict], rows: list[dict], refs: list[str]) -> None:
    fields = CSV_FIELDS + [f"x_{ref}_{k}" for ref in refs for k in ("req_per_s", "cpu_us_per_req")]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in timeline:
            w.writerow({"kind": "run", **r})
        for row in rows:
            out = {"kind": "median", "round": "median", **row,
                   "errors": row["errors_total"], "non_2xx_3xx": row["non_2xx_total"]}
            w.writerow(out)


# --------------------------------------------------------------------------
# environment

def env_report(args: argparse.Namespace, argv: list[str], perf_note: str) -> str:
    cpu_model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except OSError:
        soft = hard = -1

    def first_line(cmd: list[str]) -> str:
        if not shutil.which(cmd[0]):
            return "(not installed)"
        return (run_text(cmd).splitlines() or ["?"])[0]

    lines = [
        f"date: {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"host: {socket.gethostname()}",
        f"nproc: {os.cpu_count()}",
        f"cpu: {cpu_model}",
        f"memory: {mem}",
        f"kernel: {run_text(['uname', '-a'])}",
        f"os: {first_line(['sh', '-c', '. /etc/os-release && echo $PRETTY_NAME'])}",
        f"wrk: {first_line(['wrk', '-v'])}",
        f"nginx: {first_line([NGINX_BIN, '-v']) if os.path.exists(NGINX_BIN) else '(not installed)'}",
        f"gcc: {first_line(['gcc', '--version'])}",
        f"clang: {first_line(['clang', '--version'])}",
        f"perf: {first_line(['perf', '--version'])}",
        f"python: {sys.version.split()[0]}",
        f"git: {run_text(['git', '-C', str(REPO), 'describe', '--always', '--dirty'])}",
        f"somaxconn: {Path('/proc/sys/net/core/somaxconn').read_text().strip() if Path('/proc/sys/net/core/somaxconn').exists() else '?'}",
        f"RLIMIT_NOFILE: soft {soft}, hard {hard} (servers and wrk get soft = hard)",
        f"scaling_governor(cpu0): {Path('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor').read_text().strip() if Path('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor').exists() else 'n/a'}",
        f"syscall counting: {perf_note}",
        f"server CPUs: {args.server_cpu}; wrk CPUs: {args.wrk_cpu}",
        f"scenario: wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
        f"GET {args.path}{''.join(' -H ' + shlex.quote(h) for h in args.header)}, "
        f"pipeline {args.pipeline if args.pipeline > 1 else 'off'}, warm-up {args.warmup:g} s, "
        f"{args.rounds} interleaved rounds, medians",
        "",
        "harness command:",
        "  " + shlex.join(argv),
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# main

def default_wrk_cpus(server_cpus: list[int]) -> str:
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        allowed = list(range(os.cpu_count() or 1))
    rest = [c for c in allowed if c not in server_cpus]
    return cpu_list_str(rest or allowed)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/wrk/run.sh",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Interleaved wrk rounds against HTTP servers; ranks them by server "
                    "CPU-µs per request.",
        epilog="Each SERVER is NAME=COMMAND; COMMAND runs the server in the foreground and "
               "contains {PORT}.\nExample:\n  bench/wrk/run.sh --nginx "
               "'hello=build/apps/hello/hello --port {PORT} --workers 1'\n"
               "The seeds' methodology is --duration 60 --connections 360 (default duration "
               "is 10 s, a quick run).")
    p.add_argument("servers", nargs="*", metavar="NAME=COMMAND")
    p.add_argument("--duration", type=int, default=10, help="measured seconds per run (default 10; seeds: 60)")
    p.add_argument("--connections", "-c", type=int, default=360, help="wrk connections (default 360)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--pipeline", type=int, default=0,
                   help="requests per write via pipeline.lua (16), 0 = no pipelining (default)")
    p.add_argument("--header", "-H", action="append", default=[],
                   help="extra request header for wrk -H, repeatable (e.g. 'Connection: close')")
    p.add_argument("--path", default="/", help="request path (default /; /json for the json scenario)")
    p.add_argument("--warmup", type=int, default=2, help="warm-up seconds before each run (default 2)")
    p.add_argument("--timeout", type=int, default=2, help="wrk --timeout seconds (default 2)")
    p.add_argument("--server-cpu", default="0", help="CPU list for the server (default 0)")
    p.add_argument("--wrk-cpu", default=None, help="CPU list for wrk (default: all others)")
    p.add_argument("--out", default=None, help="output dir (default bench/wrk/results/<timestamp>)")
    p.add_argument("--ref", default=None,
                   help="reference server(s) for the ratio columns, comma-separated "
                        "(default nginx if present, else the first server)")
    p.add_argument("--nginx", action="store_true", help="add the built-in nginx peer (peers/nginx.conf.in)")
    p.add_argument("--install", action="store_true", help="(handled by run.sh) apt-get install missing tools")
    p.add_argument("--syscalls", choices=["auto", "inline", "off"], default="auto",
                   help="syscalls/request with perf stat when it works: auto = in a separate "
                        "wrk pass after the measured run, so perf's overhead stays out of the "
                        "CPU figure (default); inline = during the measured run; off")
    p.add_argument("--syscall-seconds", type=int, default=3,
                   help="length of the separate syscall-counting pass (default 3)")
    p.add_argument("--startup-timeout", type=float, default=5, help="seconds to wait for the port (default 5)")
    p.add_argument("--disturb-threshold", type=float, default=0.10,
                   help="fraction of the watched CPUs used by other processes that marks a run "
                        "disturbed (default 0.10)")
    a = p.parse_args(argv)
    if a.pipeline == 1:
        a.pipeline = 0
    if not a.path.startswith("/"):
        p.error("--path must start with /")
    if a.pipeline > 1 and a.path != "/":
        p.error("--pipeline sends GET / (pipeline.lua); it cannot be combined with --path")
    # wrk takes whole seconds only
    if (a.rounds < 1 or a.duration < 1 or a.warmup < 0 or a.timeout < 1
            or a.syscall_seconds < 1 or a.connections < a.threads):
        p.error("need --rounds >= 1, whole seconds (--duration, --timeout, --syscall-seconds "
                ">= 1, --warmup >= 0), --connections >= --threads")
    server_cpus = parse_cpu_list(a.server_cpu)
    if a.wrk_cpu is None:
        a.wrk_cpu = default_wrk_cpus(server_cpus)
    if set(parse_cpu_list(a.wrk_cpu)) & set(server_cpus):
        warn(f"wrk CPUs {a.wrk_cpu} overlap the server CPUs {a.server_cpu}: CPU figures mix")
    return a


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    servers: list[Server] = []
    if args.nginx:
        if os.path.exists(NGINX_BIN):
            servers.append(Server("nginx", "(built-in: peers/nginx.conf.in)", builtin_nginx=True))
        else:
            log("skipped nginx: not installed (apt-get install nginx-light)")
    seen = {s.name for s in servers}
    for spec in args.servers:
        if "=" not in spec:
            print(f"error: server must be NAME=COMMAND, got {spec!r}", file=sys.stderr)
            return 2
        name, cmd = spec.split("=", 1)
        name = name.strip()
        if not re.fullmatch(r"[A-Za-z0-9_.+-]+", name) or name in seen:
            print(f"error: bad or duplicate server name {name!r}", file=sys.stderr)
            return 2
        if "{PORT}" not in cmd:
            print(f"error: {name}: command has no {{PORT}} placeholder", file=sys.stderr)
            return 2
        seen.add(name)
        servers.append(Server(name, cmd))
    if not servers:
        print("error: no servers to measure (give NAME=COMMAND and/or --nginx)", file=sys.stderr)
        return 2
    refs = ([x.strip() for x in args.ref.split(",") if x.strip()] if args.ref else
            ["nginx" if "nginx" in seen else servers[0].name])
    for ref in refs:
        if ref not in seen:
            warn(f"--ref {ref} is not one of the servers; no ratios to it")
    refs = [r for r in refs if r in seen]

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else WRK_DIR / "results" / stamp
    out.mkdir(parents=True, exist_ok=True)

    h = Harness(args, servers, out)
    h.check_perf()
    if (os.cpu_count() or 1) < 2:
        warn("one CPU only: server and wrk share it; CPU-µs/req still ranks servers, req/s does not")
    scen = (f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s GET {args.path}"
            f"{''.join(' -H ' + repr(h) for h in args.header)}"
            f"{', ' + str(args.pipeline) + ' pipelined per write' if args.pipeline > 1 else ', no pipelining'}; "
            f"server on CPU {args.server_cpu}, wrk on CPU {args.wrk_cpu}; {args.rounds} rounds")
    log(f"ringlane wrk harness: {scen}")
    log(f"syscalls: {h.perf_note}")
    log(f"output: {out}")

    def on_signal(signum, _frame):
        global STOP_REQUESTED
        if STOP_REQUESTED:
            raise KeyboardInterrupt
        STOP_REQUESTED = True
        warn("interrupted: finishing the current measurement, then writing partial results "
             "(again to abort now)")
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    started = time.monotonic()
    h.run()
    elapsed = time.monotonic() - started

    rows, refs = aggregate(servers, h.runs, refs)
    table = markdown_table(rows, refs)
    note = PAGE_NOTE
    log("")
    log(f"## Medians ({scen}{'; interrupted' if STOP_REQUESTED else ''})")
    log("")
    log(table)
    log("")
    log(note)
    log("Errors and non-2xx are totals over all rounds; the other columns are medians.")

    env_txt = env_report(args, [str(WRK_DIR / "run.sh")] + argv, h.perf_note)
    server_notes = []
    for s in servers:
        cmd = s.command
        server_notes.append(f"- **{s.name}**: `{cmd}`" + ("; " + "; ".join(s.notes) if s.notes else ""))

    md = [f"# wrk results {stamp}", "",
          f"Scenario: {scen}; warm-up {args.warmup:g} s; total time {fmt_duration(elapsed)}.",
          f"Syscalls: {h.perf_note}.", "",
          "## Medians over rounds", "", table, "",
          f"> {note}", ">",
          "> CPU-µs/req = server utime+stime (all threads and processes) during the measured "
          "wrk run ÷ requests completed. Errors and non-2xx are totals over all rounds; "
          "everything else is the median. Server CPU = server CPU time ÷ wall time.",
          "", "## Servers", ""] + server_notes + [
          "", "## All runs", "", runs_table(h.timeline),
          "", "## Machine", "", "```", env_txt.rstrip(), "```", ""]
    (out / "results.md").write_text("\n".join(md))
    write_csv(out / "results.csv", h.timeline, rows, refs)
    with open(out / "results.json", "w") as f:
        json.dump({"date": stamp, "scenario": scen,
                   "config": {k: v for k, v in vars(args).items() if k != "servers"},
                   "servers": [{"name": s.name, "command": s.command, "notes": s.notes}
                               for s in servers],
                   "refs": refs,
                   "syscalls": h.perf_note,
                   "runs": h.runs, "discarded": h.discarded, "medians": rows,
                   "note": note}, f, indent=2, default=str)
    (out / "env.txt").write_text(env_txt + "\ncommands run:\n" +
                                 "\n".join("  " + c for c in h.commands) + "\n")
    log(f"\nwrote {out}/results.md, results.csv, results.json, env.txt")
    failed = [r for r in h.runs if not r.get("ok")]
    return 1 if failed or STOP_REQUESTED else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
