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

This file is the entry point: options, the machine report (env.txt) and
the output files. The rest is beside it: harness.py (the rounds and one
measurement), servers.py (starting, probing and stopping a server),
wrkout.py (running wrk, parsing its output), procstat.py (/proc
sampling), report.py (medians, ratios, tables, CSV) and util.py (paths,
logging, CPU lists, small helpers).

Only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import harness
from harness import Harness
from report import PAGE_NOTE, aggregate, markdown_table, runs_table, write_csv
from servers import NGINX_BIN, Server
from util import REPO, WRK_DIR, default_wrk_cpus, fmt_duration, log, parse_cpu_list, run_text, warn


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
        if harness.STOP_REQUESTED:
            raise KeyboardInterrupt
        harness.STOP_REQUESTED = True
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
    log(f"## Medians ({scen}{'; interrupted' if harness.STOP_REQUESTED else ''})")
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
    return 1 if failed or harness.STOP_REQUESTED else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
