"""The wrk harness's measuring loop: interleaved rounds over the servers,
one measurement each (start, warm-up, measured run, syscall pass, stop),
and a second measurement of a run that other load disturbed."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import time
from pathlib import Path

from procstat import cpu_busy_seconds, group_cpu_seconds, group_pids, group_vm_hwm_kib, read_cpu_ticks
from report import fmt_lat
from servers import (NGINX_BIN, Running, Server, probe_http, render_nginx, server_argv,
                     stop_server, wait_port)
from util import WRK_DIR, cpu_list_str, free_port, fmt_duration, log, parse_cpu_list, raise_nofile, warn
from wrkout import parse_wrk, run_wrk

PIPELINE_LUA = WRK_DIR / "pipeline.lua"

# Set by measure.py's SIGINT/SIGTERM handler: finish the current
# measurement, then stop. Other modules use it as harness.STOP_REQUESTED
# (a `from harness import STOP_REQUESTED` copy would not see the change).
STOP_REQUESTED = False


def per_req(count: float | None, reqs: int | None) -> float | None:
    return count / reqs if (count is not None and reqs) else None


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

    def round_order(self, rnd: int) -> list:
        """Round r starts r-1 servers further down the list (A B C, B C A,
        C A B, ...), so over as many rounds as servers each one has run in
        every slot of a round once: none is always first (straight after a
        server start-up pause) or always last. The cyclic order itself, and
        so each server's usual predecessor, stays the same."""
        k = (rnd - 1) % len(self.servers)
        return self.servers[k:] + self.servers[:k]

    def run(self) -> None:
        a = self.a
        total = a.rounds * len(self.servers)
        done = 0
        for rnd in range(1, a.rounds + 1):
            for srv in self.round_order(rnd):
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
