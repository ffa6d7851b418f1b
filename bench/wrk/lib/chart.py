"""chart.png for scripts/bench, drawn by gnuplot (Debian gnuplot-nox).

A chart is one or more panels stacked vertically; each panel is a bar chart
with one group of bars per server and one bar per series (one series for a
plain run, one per connection count for the sweep).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Panel:
    title: str                          # e.g. "req/s (median, higher is better)"
    series: list[str]                   # bar labels within a group
    values: dict[str, list]             # server -> one value per series (None = n/a)


def _terminal(gnuplot: str) -> str:
    p = subprocess.run([gnuplot, "-e", "set terminal"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=20, check=False)
    return "pngcairo" if "pngcairo" in p.stdout else "png"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def draw(out_png: Path, title: str, panels: list[Panel], log) -> bool:
    """Write out_png; returns False (and says why) when it cannot."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        log("chart skipped: gnuplot not installed (apt-get install gnuplot-nox, or scripts/bench --install)")
        return False
    panels = [p for p in panels if p.values]
    if not panels:
        log("chart skipped: no results to draw")
        return False
    work = out_png.parent
    term = _terminal(gnuplot)
    width = max(900, 110 * max(len(p.values) * max(1, len(p.series)) for p in panels) + 200)
    height = 420 * len(panels) + 60
    lines = [f"set terminal {term} noenhanced size {width},{height}" + (" font ',10'" if term == "pngcairo" else ""),
             f"set output {_q(str(out_png))}",
             f"set multiplot layout {len(panels)},1 title {_q(title)}",
             "set style data histograms",
             "set style histogram clustered gap 1",
             "set style fill solid 0.85 border -1",
             "set boxwidth 0.9",
             "set xtics rotate by -25 nomirror",
             "set grid ytics",
             "set yrange [0:*]",
             "set datafile separator '\\t'",
             "set datafile missing '?'",
             "set format y '%.6g'"]
    for i, panel in enumerate(panels):
        data = work / f"chart-{i}.tsv"
        with open(data, "w") as f:
            f.write("server\t" + "\t".join(panel.series or ["value"]) + "\n")
            for server, vals in panel.values.items():
                f.write(server + "\t" + "\t".join("?" if v is None else f"{v:.6g}" for v in vals) + "\n")
        n = max(1, len(panel.series))
        plots = []
        for k in range(n):
            col = k + 2
            using = f"{col}:xtic(1)" if k == 0 else f"{col}"
            plots.append(f"{_q(str(data))} using {using} title columnheader")
        lines.append(f"set title {_q(panel.title)}")
        lines.append(f"set xrange [-0.6:{len(panel.values) - 0.4}]")
        lines.append("set key below" if n > 1 else "set key off")
        lines.append("plot " + ", ".join(plots))
    lines.append("unset multiplot")
    script = work / "chart.gp"
    script.write_text("\n".join(lines) + "\n")
    p = subprocess.run([gnuplot, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60, check=False)
    if p.returncode != 0 or not out_png.exists():
        log(f"chart failed: gnuplot exited {p.returncode}: {p.stdout.strip()[:300]}")
        return False
    log(f"chart: {out_png}")
    return True
