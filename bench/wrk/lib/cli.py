"""Command line of scripts/bench (its --help is the reference)."""

from __future__ import annotations

import argparse

SCENARIOS = ["keepalive", "close", "pipeline", "sweep", "json", "idle"]

DESCRIPTION = """\
Build ringlane (release) and every peer under bench/peers/, then measure one
scenario with wrk: the server pinned to one CPU, wrk to the others, a warm-up,
interleaved rounds, medians; a run that other load disturbs is measured again.

  scripts/bench [options]            the seeds' methodology: wrk -c360 -d60s, 3 rounds
  scripts/bench --quick              10 s rounds
  scripts/bench --scenario NAME      keepalive (default), close, pipeline, sweep, json, idle
  scripts/bench micro                Google Benchmark micro suites, beside the seeds' figures

Servers: hello-uring, hello-epoll (apps/hello, one worker), limit
(bench/limit_server, the bare-loop reference), and every peer whose
bench/peers/<name>/build succeeds (nginx, h2o, node, go_std, gin, rust_std,
tokio_raw, hyper, and any other folder). A peer that is missing, skips (build
exit 3, "skip: <reason>") or fails is listed with the reason, never dropped
silently. RINGLANE_PEERS_DIR=DIR reads peers from DIR instead.
"""

EPILOG = """\
scenarios:
  keepalive  GET /, HTTP/1.1 keep-alive, wrk -t1 -c360
  close      every request on a new connection: wrk -H 'Connection: close'
  pipeline   16 requests per write (bench/wrk/pipeline.lua)
  sweep      the keep-alive run at 360, 1,000 and 10,000 connections (--sweep-connections);
             servers that fail or error at a count are reported in the notes
  json       GET /json; peers without /json (probed once) are listed as n/a; limit is not run
  idle       open N idle keep-alive connections (one GET / each, then quiet; several
             127.0.0.x source addresses) and report server RSS per connection =
             (RSS with N connections - RSS before) / N; the count reached is reported

output: bench/results/<UTC timestamp>-<scenario>/ (git-ignored)
  results.md    Markdown table: medians, ratios to nginx and to limit (x nginx, x limit), every run
  results.csv   one row per run and one per server (kind=median)
  results.json  configuration, every run, medians, peer versions
  env.txt       machine, kernel, CPU model, tool and peer versions, every exact command
  chart.png     req/s and CPU-us/request per server (gnuplot; skipped with a note if missing)
  logs/         server, wrk, perf and peer-build output

reading: on a 2-core machine one wrk thread saturates near the fast servers' rate, so
server CPU-us per request ranks the servers (bench/wrk/README.md explains the figures).
"""


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", nargs="?", choices=["wrk", "micro"], default="wrk",
                   help="wrk (default): the HTTP scenarios; micro: the Google Benchmark suites")
    p.add_argument("--scenario", choices=SCENARIOS, default="keepalive",
                   help="what to measure (default keepalive)")
    p.add_argument("--quick", action="store_true", help="10 s measured runs instead of 60 s")
    p.add_argument("--duration", type=int, default=None,
                   help="seconds per measured run (default 60; 10 with --quick)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--warmup", type=int, default=None,
                   help="warm-up seconds before each run (default 5; 2 with --quick)")
    p.add_argument("--connections", type=int, default=360,
                   help="wrk connections, all scenarios but sweep and idle (default 360)")
    p.add_argument("--sweep-connections", default="360,1000,10000",
                   help="connection counts of the sweep (default 360,1000,10000)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--timeout", type=int, default=2, help="wrk --timeout seconds (default 2)")
    p.add_argument("--server-cpu", default="0", help="CPU list for the server (default 0)")
    p.add_argument("--wrk-cpu", default=None, help="CPU list for wrk (default: all others)")
    p.add_argument("--syscalls", choices=["auto", "inline", "off"], default="auto",
                   help="syscalls/request with perf (see bench/wrk/README.md; default auto)")
    p.add_argument("--syscall-seconds", type=int, default=3,
                   help="length of the syscall-counting pass (default 3)")
    p.add_argument("--only", default=None,
                   help="comma-separated server names to measure (others are not built), "
                        "e.g. hello-uring,limit,nginx")
    p.add_argument("--no-peers", action="store_true", help="measure the ringlane entries only")
    p.add_argument("--no-build", action="store_true",
                   help="do not run scripts/build (use the existing build/release)")
    p.add_argument("--install", action="store_true",
                   help="apt-get install wrk and gnuplot-nox if missing, and pass --install "
                        "to every peer's build")
    p.add_argument("--peer-build-timeout", type=float, default=1800,
                   help="seconds one peer's build may take (default 1800)")
    p.add_argument("--idle-connections", type=int, default=100_000,
                   help="idle scenario: connections to open (default 100000)")
    p.add_argument("--idle-timeout", type=float, default=180,
                   help="idle scenario: seconds allowed to open them, per server (default 180)")
    p.add_argument("--out", default=None, help="output directory (default bench/results/...)")
    p.add_argument("--micro-filter", default=None,
                   help="micro: --benchmark_filter regex passed to every suite")
    p.add_argument("--micro-repetitions", type=int, default=5,
                   help="micro: --benchmark_repetitions (default 5)")
    a = p.parse_args(argv)
    if a.duration is None:
        a.duration = 10 if a.quick else 60
    if a.warmup is None:
        a.warmup = 2 if a.quick else 5
    if a.rounds < 1 or a.duration < 1 or a.warmup < 0 or a.idle_connections < 1:
        p.error("need --rounds >= 1, --duration >= 1, --warmup >= 0, --idle-connections >= 1")
    try:
        a.sweep_connections = [int(x) for x in a.sweep_connections.split(",") if x.strip()]
    except ValueError:
        p.error("--sweep-connections: comma-separated integers")
    a.only = [x.strip() for x in a.only.split(",") if x.strip()] if a.only else None
    return a
