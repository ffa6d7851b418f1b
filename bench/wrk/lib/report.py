"""Results of the wrk harness: medians per server, ratios to the reference
servers, and the Markdown tables and CSV of results.md / results.csv."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from servers import Server

PAGE_NOTE = ("On a 2-core machine one wrk thread saturates near the fast servers' "
             "rate; rank servers by server CPU-µs per request. \"paired ×ref\" is the median "
             "over rounds of the CPU-µs/req ratio within each round (robust to the host "
             "drifting between rounds).")


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
            row[f"p_{ref}_cpu_us_per_req"] = paired_ratio(runs, row["server"], ref, "cpu_us_per_req")
    return rows, used


def paired_ratio(runs: list[dict], server: str, ref: str, key: str) -> float | None:
    """Median over rounds of server/ref measured in the same round. When the
    host's speed drifts between rounds, this pairs each figure with the
    reference's nearest in time, where a ratio of medians mixes rounds."""
    def by_round(name: str) -> dict:
        return {r["round"]: r[key] for r in runs
                if r["server"] == name and r.get("ok") and r.get(key) and "round" in r}
    mine, theirs = by_round(server), by_round(ref)
    return med([mine[k] / theirs[k] for k in mine if k in theirs])


def f_num(v, spec: str, dash: str = "—") -> str:
    return dash if v is None else format(v, spec)


def markdown_table(rows: list[dict], refs: list[str]) -> str:
    head = ["server", "req/s", "p50", "p99", "max", "errors", "non-2xx",
            "CPU-µs/req", "syscalls/req", "peak RSS MiB", "server CPU"]
    for ref in refs:
        head += [f"req/s ×{ref}", f"CPU-µs/req ×{ref}", f"paired ×{ref}"]
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
                      f_num(r.get(f"x_{ref}_cpu_us_per_req"), ".2f"),
                      f_num(r.get(f"p_{ref}_cpu_us_per_req"), ".2f")]
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
    fields = CSV_FIELDS + [f"{x}_{ref}_{k}" for ref in refs
                           for x, k in (("x", "req_per_s"), ("x", "cpu_us_per_req"), ("p", "cpu_us_per_req"))]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in timeline:
            w.writerow({"kind": "run", **r})
        for row in rows:
            out = {"kind": "median", "round": "median", **row,
                   "errors": row["errors_total"], "non_2xx_3xx": row["non_2xx_total"]}
            w.writerow(out)
