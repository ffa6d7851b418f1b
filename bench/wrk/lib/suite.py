#!/usr/bin/env python3
"""scripts/bench: build ringlane and the peers, run one scenario, write results.

Started by scripts/bench (which installs tools with --install and raises
RLIMIT_NOFILE first). The wrk scenarios are measured by measure.py (the
harness: interleaved rounds, medians, disturbed-run detection, CPU-µs/req);
this file picks the servers, the scenario's options and the output
directory, and adds the peers' versions, the chart and the final table.
Python standard library only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chart    # noqa: E402
import peers as peerlib  # noqa: E402
from cli import parse_args  # noqa: E402
from report import PAGE_NOTE, markdown_table  # noqa: E402
from servers import Running, probe_http, server_argv, stop_server, wait_port  # noqa: E402
from util import HERE, REPO, fmt_duration, free_port, run_text  # noqa: E402

MEASURE_PY = HERE / "measure.py"    # the wrk harness, run as a child process
RELEASE = REPO / "build" / "release"
REFS = "nginx,limit"


def log(msg: str = "") -> None:
    print(msg, flush=True)


def ringlane_entries() -> list[tuple[str, str]]:
    hello = RELEASE / "apps" / "hello" / "hello"
    common = "--port {PORT} --host 127.0.0.1 --workers 1"
    return [("hello-uring", f"{hello} {common} --backend uring --log off"),
            ("hello-epoll", f"{hello} {common} --backend epoll --log off"),
            ("limit", f"{RELEASE / 'bench' / 'limit_server'} {common} --backend uring")]


def build_ringlane(a: argparse.Namespace, extra: list[str]) -> None:
    targets = ["apps/hello/hello", "bench/limit_server"] + extra
    argv = [str(REPO / "scripts" / "build"), "release"] + targets
    log("building: " + shlex.join(argv))
    if subprocess.run(argv, cwd=REPO, check=False).returncode != 0:
        sys.exit("error: the release build failed")


def machine_lines() -> list[str]:
    """Machine facts for env.txt of scenarios measure.py does not run."""
    def grab(path: str, key: str) -> str:
        try:
            for line in open(path):
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return [f"date: {_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}",
            f"nproc: {os.cpu_count()}", f"cpu: {grab('/proc/cpuinfo', 'model name')}",
            f"memory: {grab('/proc/meminfo', 'MemTotal')}",
            f"kernel: {run_text(['uname', '-a'])}",
            f"gcc: {(run_text(['gcc', '--version']).splitlines() or ['?'])[0]}",
            f"git: {run_text(['git', '-C', str(REPO), 'describe', '--always', '--dirty'])}",
            f"RLIMIT_NOFILE: soft {soft}, hard {hard}"]


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine


# ---- one measure.py run

def measure_argv(a: argparse.Namespace, out: Path, servers: list[tuple[str, str]],
                 connections: int, extra: list[str]) -> list[str]:
    argv = [sys.executable, str(MEASURE_PY), "--out", str(out),
            "--duration", str(a.duration), "--rounds", str(a.rounds), "--warmup", str(a.warmup),
            "--connections", str(connections), "--threads", str(a.threads),
            "--timeout", str(a.timeout), "--server-cpu", a.server_cpu,
            "--syscalls", a.syscalls, "--syscall-seconds", str(a.syscall_seconds)]
    refs = [r for r in REFS.split(",") if r in {n for n, _ in servers}]
    if refs:
        argv += ["--ref", ",".join(refs)]
    if a.wrk_cpu:
        argv += ["--wrk-cpu", a.wrk_cpu]
    return argv + extra + [f"{n}={c}" for n, c in servers]


def run_measure(a, out: Path, servers, connections: int, extra: list[str]) -> dict | None:
    argv = measure_argv(a, out, servers, connections, extra)
    log("running: " + shlex.join(argv[1:]))
    # nginx refuses connections beyond worker_connections ("not enough,
    # reusing connections"): size it for the run, as measure.py's --nginx does.
    env = {**os.environ}
    env.setdefault("RINGLANE_NGINX_WORKER_CONNECTIONS", str(max(4096, connections + 64)))
    rc = subprocess.run(argv, cwd=REPO, check=False, env=env).returncode
    res = out / "results.json"
    if not res.exists():
        log(f"measure.py exited {rc} without results")
        return None
    if rc:
        log(f"note: measure.py exited {rc} (a run failed or it was interrupted; see the table)")
    return json.loads(res.read_text())


def table(res: dict) -> str:
    return markdown_table(res["medians"], res["refs"])


def panels(parts: list[tuple[str, dict]]) -> list[chart.Panel]:
    """parts: (series label, results.json) -> req/s and CPU-µs/req panels."""
    servers: list[str] = []
    for _, res in parts:
        for row in res["medians"]:
            if row["server"] not in servers:
                servers.append(row["server"])

    def vals(key):
        out = {}
        for s in servers:
            out[s] = [next((r[key] for r in res["medians"] if r["server"] == s), None)
                      for _, res in parts]
        return out
    labels = [p[0] for p in parts] if len(parts) > 1 else []
    return [chart.Panel("requests/s, median (higher is better)", labels, vals("req_per_s")),
            chart.Panel("server CPU-µs per request, median (lower is better)", labels,
                        vals("cpu_us_per_req"))]


# ---- the scenarios

def scenario_wrk(a, out: Path, servers, notes: list[str]) -> list[tuple[str, dict]]:
    extra: list[str] = []
    if a.scenario == "close":
        extra = ["--header", "Connection: close"]
    elif a.scenario == "pipeline":
        extra = ["--pipeline", "16"]
    elif a.scenario == "json":
        extra = ["--path", "/json"]
    if a.scenario != "sweep":
        res = run_measure(a, out, servers, a.connections, extra)
        return [(f"c{a.connections}", res)] if res else []
    parts = []
    counts = a.sweep_connections
    for i, c in enumerate(counts, 1):
        log(f"== sweep {i}/{len(counts)}: {c} connections ==")
        sub = out / f"c{c}"
        res = run_measure(a, sub, servers, c, [])
        if res:
            parts.append((f"{c:,} conn", res))
            bad = [r["server"] for r in res["medians"]
                   if not r["rounds_ok"] or r["errors_total"] or r["non_2xx_total"]]
            if bad:
                notes.append(f"{c} connections: {', '.join(bad)} failed or had errors "
                             f"(see c{c}/results.md)")
    return parts


def json_capable(peers: list[peerlib.Peer], log_dir: Path) -> tuple[list, list[str]]:
    """Start each peer once and GET /json: keep those answering 200 with a
    JSON object that has "message"."""
    ok, na = [], []
    for p in peers:
        port = free_port()
        argv, env_extra = server_argv(p.command(), port)
        lp = log_dir / f"{p.name}.json-probe.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(lp, "wb") as lf:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                                    env={**os.environ, **env_extra}, start_new_session=True)
        run = Running(proc, port, argv, shlex.join(argv), lp)
        try:
            if not wait_port(port, proc, 10):
                na.append(f"{p.name} (did not start)")
                continue
            status, body = probe_http(port, "/json")
            if status.startswith("HTTP/1.1 200") and '"message"' in body:
                ok.append(p)
            else:
                na.append(f"{p.name} (GET /json -> {status!r})")
        finally:
            stop_server(run)
    return ok, na


# ---- output

def finish(a, out: Path, parts, peers, notes: list[str], started: float, cmdline: str) -> None:
    title = (f"ringlane scenario {a.scenario} — {cpu_model()}, {os.cpu_count()} CPUs — "
             f"{_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    peer_lines = peerlib.report_lines(peers)
    extra_md = ["", "## Suite", "", f"Command: `{cmdline}`", "",
                "Peers:", ""] + [f"- {ln}" for ln in peer_lines]
    if notes:
        extra_md += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    if a.scenario == "sweep":
        md = [f"# {title}", ""]
        header, rows_csv = "", []
        for label, res in parts:
            md += [f"## {label} ({res['scenario']})", "", table(res), ""]
            lines = (Path(res["config"]["out"]) / "results.csv").read_text().splitlines()
            header = header or "connections," + lines[0]
            rows_csv += [f"{res['config']['connections']},{ln}" for ln in lines[1:]]
        md.append(f"> {PAGE_NOTE}")
        (out / "results.md").write_text("\n".join(md + extra_md) + "\n")
        (out / "results.csv").write_text("\n".join([header] + rows_csv) + "\n")
        (out / "results.json").write_text(json.dumps(
            {"scenario": "sweep", "parts": {str(r["config"]["connections"]): r for _, r in parts},
             "peers": peer_lines, "notes": notes}, indent=2, default=str))
        env = [(Path(r["config"]["out"]) / "env.txt").read_text() for _, r in parts]
        (out / "env.txt").write_text("\n".join(env))
    elif parts:
        res_path = out / "results.md"
        res_path.write_text(res_path.read_text() + "\n".join(extra_md) + "\n")
        data = json.loads((out / "results.json").read_text())
        data.update({"suite_scenario": a.scenario, "peers": peer_lines, "notes": notes})
        (out / "results.json").write_text(json.dumps(data, indent=2, default=str))
    with open(out / "env.txt", "a") as f:
        f.write(f"\nsuite command: {cmdline}\nscenario: {a.scenario}\npeers:\n" +
                "".join(f"  {ln}\n" for ln in peer_lines))
    chart.draw(out / "chart.png", title, panels(parts), log)
    log("")
    log(f"## {title}")
    for label, res in parts:
        log("")
        if len(parts) > 1:
            log(f"### {label}")
            log("")
        log(table(res))
    log("")
    for ln in peer_lines:
        if "not measured" in ln:
            log(f"  {ln}")
    for n in notes:
        log(f"  note: {n}")
    log(PAGE_NOTE)
    log(f"results: {out}/ (results.md, results.csv, results.json, env.txt"
        f"{', chart.png' if (out / 'chart.png').exists() else ''}) in {fmt_duration(time.monotonic() - started)}")


def main(argv: list[str]) -> int:
    a = parse_args(argv)
    cmdline = shlex.join(["scripts/bench"] + argv)
    started = time.monotonic()
    if a.command == "micro":
        import micro
        return micro.run(a, build_ringlane, machine_lines(), log)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = Path(a.out) if a.out else REPO / "bench" / "results" / f"{stamp}-{a.scenario}"
    out.mkdir(parents=True, exist_ok=True)
    log(f"scripts/bench: scenario {a.scenario}; output {out}")
    if not a.no_build:
        build_ringlane(a, [])
    want = (lambda n: a.only is None or n in a.only)
    entries = [(n, c) for n, c in ringlane_entries() if want(n)]
    all_peers = [] if a.no_peers else peerlib.discover(REPO, None)
    all_peers = [p for p in all_peers if want(p.name)]
    if a.only:
        known = {n for n, _ in ringlane_entries()} | {p.name for p in peerlib.discover(REPO, None)}
        for n in a.only:
            if n not in known:
                log(f"warning: --only {n}: no such server (ringlane entries: hello-uring, "
                    f"hello-epoll, limit; peers: folders under {peerlib.peers_dir(REPO)})")
    ready = peerlib.build_all(all_peers, a.install, out / "logs", a.peer_build_timeout, log)
    notes: list[str] = []
    if a.scenario == "close":
        entries = [(n, c) for n, c in entries if n != "limit"]
        notes.append("close: limit_server ignores Connection: close (it keeps every connection "
                     "open), so it is not run; there are no ×limit columns")
    if a.scenario == "json":
        entries = [(n, c) for n, c in entries if n != "limit"]
        notes.append("json: limit_server answers every path with plain text, so it is not run")
        ready, na = json_capable(ready, out / "logs")
        if na:
            notes.append("json: n/a (no GET /json): " + ", ".join(na))
    servers = entries + [(p.name, p.command()) for p in ready]
    if not servers:
        log("error: nothing to measure")
        return 2
    if a.scenario == "idle":
        import idle
        return idle.run(a, out, servers, all_peers, notes, cmdline, machine_lines(), log)
    parts = scenario_wrk(a, out, servers, notes)
    finish(a, out, parts, all_peers, notes, started, cmdline)
    return 0 if parts else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
