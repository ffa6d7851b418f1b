"""scripts/bench --scenario idle: server memory per idle keep-alive connection.

For each server: start it pinned (like the wrk runs), send one GET / so lazy
start-up work is done, let it settle, sample RSS (VmRSS summed over its
process group); then idle_client.py (pinned to the wrk CPUs) opens N
connections, sends one request on each and holds them; after a second of
quiet, sample RSS again. RSS per connection = (RSS with N - RSS before) / N
where N is the number of connections that got their response. The server's
open sockets are counted too, as a check that it holds them all.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import chart
from procstat import group_pids, group_status_kib, group_vm_hwm_kib
from servers import Running, probe_http, server_argv, stop_server, wait_port
from util import default_wrk_cpus, fmt_duration, free_port, parse_cpu_list, raise_nofile

CLIENT = Path(__file__).resolve().parent / "idle_client.py"


def group_sockets(pgid: int) -> int:
    n = 0
    for pid in group_pids(pgid):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                        n += 1
                except OSError:
                    pass
        except OSError:
            pass
    return n


def measure_one(a, name: str, command: str, logs: Path, wrk_cpu: str, commands: list) -> dict:
    rec: dict = {"server": name, "ok": False, "requested": a.idle_connections}
    port = free_port()
    argv, env_extra = server_argv(command, port)
    full = ["taskset", "-c", a.server_cpu] + argv
    lp = logs / f"{name}.idle.log"
    with open(lp, "wb") as lf:
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                                env={**os.environ, **env_extra}, start_new_session=True,
                                preexec_fn=raise_nofile)
    commands.append(f"[{name}] server: {shlex.join(full)}")
    run = Running(proc, port, full, shlex.join(full), lp)
    client = None
    try:
        if not wait_port(port, proc, a.startup_timeout):
            rec["error"] = "server did not answer"
            return rec
        probe_http(port)
        time.sleep(1.0)
        pgid = proc.pid
        rec["rss_before_kib"] = group_status_kib(pgid, "VmRSS")
        socks0 = group_sockets(pgid)
        cargv = ["taskset", "-c", wrk_cpu, sys.executable, str(CLIENT), "--port", str(port),
                 "--count", str(a.idle_connections), "--deadline", str(a.idle_timeout)]
        commands.append(f"[{name}] client: {shlex.join(cargv)}")
        client = subprocess.Popen(cargv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  preexec_fn=raise_nofile)
        line = client.stdout.readline()        # the client's own deadline bounds this
        if not line:
            rec["error"] = f"client exited {client.wait()} without a report"
            return rec
        rec.update(json.loads(line))
        time.sleep(1.0)
        rec["rss_after_kib"] = group_status_kib(pgid, "VmRSS")
        rec["peak_rss_kib"] = group_vm_hwm_kib(pgid)
        rec["server_sockets"] = group_sockets(pgid) - socks0
        rec["server_alive"] = proc.poll() is None
        client.stdin.write("check\n")
        client.stdin.flush()
        rec.update(json.loads(client.stdout.readline() or '{"closed_by_server": null}'))
        n = rec["opened"] - (rec["closed_by_server"] or 0)
        rec["kib_per_conn"] = (rec["rss_after_kib"] - rec["rss_before_kib"]) / n if n else None
        rec["ok"] = bool(n) and rec["server_alive"]
        if not rec["server_alive"]:
            rec["error"] = "server died"
        return rec
    finally:
        if client is not None:
            try:
                client.stdin.close()
                client.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                client.kill()
                client.wait()
        rec["stopped_by"] = stop_server(run)


def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def run(a, out: Path, servers, peers, notes, cmdline: str, machine: list[str], log) -> int:
    import peers as peerlib
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    a.startup_timeout = 5
    wrk_cpu = a.wrk_cpu or default_wrk_cpus(parse_cpu_list(a.server_cpu))
    commands: list[str] = []
    recs = []
    t0 = time.monotonic()
    for i, (name, cmd) in enumerate(servers, 1):
        left = "" if i == 1 else f" ~{fmt_duration((time.monotonic() - t0) / (i - 1) * (len(servers) - i + 1))} left"
        log(f"idle {i}/{len(servers)}: {name}, {a.idle_connections:,} connections ...{left}")
        r = measure_one(a, name, cmd, logs, wrk_cpu, commands)
        recs.append(r)
        if r.get("opened") is not None:
            log(f"  {name}: {r['opened']:,}/{r['requested']:,} connections in {r['seconds']:.1f} s, "
                f"RSS {r['rss_before_kib'] / 1024:.1f} -> {r['rss_after_kib'] / 1024:.1f} MiB, "
                f"{fmt(r['kib_per_conn'], '.2f')} KiB/connection, server holds {r['server_sockets']:,} "
                f"more fds" + (f"; {r['errors']} errors (first: {r['first_error']})" if r['errors'] else "")
                + (f"; closed by the server: {r['closed_by_server']}" if r.get("closed_by_server") else "")
                + (f"; stopped: {r['stopped']}" if r.get("stopped") else ""))
        else:
            log(f"  {name}: FAILED: {r.get('error')}")

    head = ["server", "connections", "closed by server", "RSS before MiB", "RSS after MiB",
            "KiB/connection", "server socket fds", "setup s", "errors", "stopped early / first error"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * 8 + "---|"]
    for r in recs:
        if r.get("opened") is None:
            lines.append(f"| {r['server']} | — | — | — | — | — | — | — | — | {r.get('error', '?')} |")
            continue
        why = "; ".join(dict.fromkeys(x for x in (r.get("stopped"), r.get("first_error"),
                                                  r.get("error")) if x))
        lines.append(f"| {r['server']} | {r['opened']:,} of {r['requested']:,} | "
                     f"{fmt(r.get('closed_by_server'), ',')} | "
                     f"{r['rss_before_kib'] / 1024:.1f} | {r['rss_after_kib'] / 1024:.1f} | "
                     f"{fmt(r['kib_per_conn'], '.2f')} | {r['server_sockets']:,} | {r['seconds']:.1f} | "
                     f"{r['errors']} | {why} |")
    table = "\n".join(lines)
    title = (f"ringlane scenario idle ({a.idle_connections:,} connections) — "
             f"{machine[2].split(': ', 1)[1]}, {os.cpu_count()} CPUs — "
             f"{_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    peer_lines = peerlib.report_lines(peers)
    note = ("RSS per connection = (server RSS with the connections open − RSS before) ÷ "
            "connections opened. Each connection sent one GET / and then stayed idle; RSS is "
            "VmRSS summed over the server's process group, 1 s after the last connection. "
            "Kernel socket memory is not in RSS. Connections the server closed before the "
            "sample are left out of the division. Server socket fds counts /proc/PID/fd "
            "(an io_uring server with direct descriptors would not show them there).")
    md = [f"# {title}", "", table, "", f"> {note}", "", f"Command: `{cmdline}`", "", "Peers:", ""]
    md += [f"- {ln}" for ln in peer_lines] + [""] + [f"- note: {n}" for n in notes]
    md += ["", "## Machine", "", "```"] + machine + ["```", ""]
    (out / "results.md").write_text("\n".join(md))
    keys = ["server", "requested", "opened", "closed_by_server", "stopped", "errors", "first_error",
            "seconds", "rss_before_kib",
            "rss_after_kib", "kib_per_conn", "peak_rss_kib", "server_sockets", "ok", "error", "stopped_by"]
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(recs)
    (out / "results.json").write_text(json.dumps({"scenario": "idle", "connections": a.idle_connections,
                                                  "runs": recs, "peers": peer_lines, "notes": notes,
                                                  "note": note}, indent=2))
    (out / "env.txt").write_text("\n".join(machine) + f"\n\nsuite command: {cmdline}\nscenario: idle\n"
                                 "peers:\n" + "".join(f"  {ln}\n" for ln in peer_lines) +
                                 "\ncommands run:\n" + "".join(f"  {c}\n" for c in commands))
    vals = {r["server"]: [r.get("kib_per_conn")] for r in recs}
    chart.draw(out / "chart.png", title,
               [chart.Panel("server RSS per idle connection, KiB (lower is better)", [], vals)], log)
    log("")
    log(f"## {title}")
    log("")
    log(table)
    log("")
    for ln in peer_lines:
        if "not measured" in ln:
            log(f"  {ln}")
    log(note)
    log(f"results: {out}/")
    return 0 if all(r.get("ok") for r in recs) else 1
