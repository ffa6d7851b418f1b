"""scripts/bench micro: the Google Benchmark suites, beside the seeds' figures.

Builds build/release/bench/{runtime_bench,http_bench,wake_bench}, runs each
with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
(JSON to a file, console to the terminal), and prints the medians: every
benchmark, then spawn+join, yield and task frame bytes next to the seeds'
Tokio-based figures (~2,000 ns, ~500 ns, ~2 KB per task).
"""

from __future__ import annotations

import datetime as _dt
import json
import shlex
import subprocess
from pathlib import Path

from util import REPO

SUITES = ["runtime_bench", "http_bench", "wake_bench"]
SKIP_COUNTERS = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                 "aggregate_name", "aggregate_unit", "iterations", "real_time", "cpu_time",
                 "time_unit", "family_index", "per_family_instance_index", "label"}
NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def fmt_ns(ns: float | None) -> str:
    if ns is None:
        return "—"
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns / 1e6:.2f} ms"


def medians(path: Path) -> list[dict]:
    # A filter that matches nothing in a suite leaves its JSON file empty.
    text = path.read_text()
    data = json.loads(text) if text.strip() else {}
    out = []
    for b in data.get("benchmarks", []):
        if b.get("aggregate_name") != "median":
            continue
        unit = NS.get(b.get("time_unit", "ns"), 1.0)
        counters = {k: v for k, v in b.items() if k not in SKIP_COUNTERS and isinstance(v, (int, float))}
        out.append({"name": b["run_name"], "real_ns": b["real_time"] * unit,
                    "cpu_ns": b["cpu_time"] * unit, "counters": counters})
    return out


def run(a, build_ringlane, machine: list[str], log) -> int:
    if not a.no_build:
        build_ringlane(a, [f"bench/{s}" for s in SUITES])
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = Path(a.out) if a.out else REPO / "bench" / "results" / f"{stamp}-micro"
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict]] = {}
    commands = []
    for suite in SUITES:
        exe = REPO / "build" / "release" / "bench" / suite
        if not exe.exists():
            log(f"skip: {suite}: {exe} not built (libbenchmark-dev missing? see scripts/setup)")
            continue
        js = out / f"{suite}.json"
        argv = [str(exe), f"--benchmark_repetitions={a.micro_repetitions}",
                "--benchmark_report_aggregates_only=true",
                f"--benchmark_out={js}", "--benchmark_out_format=json"]
        if a.micro_filter:
            argv.append(f"--benchmark_filter={a.micro_filter}")
        commands.append(shlex.join(argv))
        log(f"== {suite} ==\n{shlex.join(argv)}")
        rc = subprocess.run(argv, cwd=REPO, check=False).returncode
        if rc != 0 or not js.exists():
            log(f"{suite} exited {rc}")
            continue
        rows[suite] = medians(js)

    lines = ["| suite | benchmark | median real | median CPU | counters |",
             "|---|---|---:|---:|---|"]
    for suite, rs in rows.items():
        for r in rs:
            c = ", ".join(f"{k} {v:,.0f}" if abs(v) >= 100 else f"{k} {v:.4g}"
                          for k, v in r["counters"].items())
            lines.append(f"| {suite} | `{r['name']}` | {fmt_ns(r['real_ns'])} | {fmt_ns(r['cpu_ns'])} | {c} |")
    allr = {r["name"].split("/")[0]: r for rs in rows.values() for r in rs}
    spawn = allr.get("BM_spawn_join")
    yld = allr.get("BM_yield")
    frame = allr.get("BM_task_frame_size")
    fb = frame["counters"].get("frame_bytes") if frame else None

    def ratio(v, seed):
        return "—" if v is None else f"{v / seed:.3f}×"
    seeds = ["| figure | ringlane (median) | seeds (Tokio-based hyperlane) | ratio |",
             "|---|---:|---:|---:|",
             f"| spawn + join a trivial task (`BM_spawn_join`) | {fmt_ns(spawn and spawn['real_ns'])} "
             f"| ~2,000 ns | {ratio(spawn and spawn['real_ns'], 2000)} |",
             f"| yield (`BM_yield`) | {fmt_ns(yld and yld['real_ns'])} | ~500 ns "
             f"| {ratio(yld and yld['real_ns'], 500)} |",
             f"| memory per task (`BM_task_frame_size` frame_bytes; a spawned task adds its "
             f"spawn header) | {'—' if fb is None else f'{fb:.0f} B'} | ~2 KB "
             f"| {ratio(fb, 2048)} |"]
    md = [f"# ringlane micro benchmarks {stamp}", "", "## Against the seeds", ""] + seeds + \
         ["", f"## Medians of {a.micro_repetitions} repetitions", ""] + lines + \
         ["", "## Commands", ""] + [f"- `{c}`" for c in commands] + \
         ["", "## Machine", "", "```"] + machine + ["```", ""]
    (out / "results.md").write_text("\n".join(md))
    (out / "results.json").write_text(json.dumps(rows, indent=2))
    (out / "env.txt").write_text("\n".join(machine) + "\n\ncommands run:\n" +
                                 "".join(f"  {c}\n" for c in commands))
    log("")
    log("\n".join(lines))
    log("")
    log("\n".join(seeds))
    log(f"\nresults: {out}/ (results.md, results.json, env.txt, <suite>.json)")
    return 0 if rows else 1
