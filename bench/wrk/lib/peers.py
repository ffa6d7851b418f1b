"""Peers for scripts/bench: find, build and describe bench/peers/<name>/.

A peer is a folder with three executables:
  build [--install]  exit 0 = ready; exit 3 + one line "skip: <reason>" = its
                     toolchain is missing; anything else = failure. Builds
                     into $RINGLANE_PEER_OUT (we always set it to
                     build/peers/<name>/).
  run PORT           the server in the foreground on 127.0.0.1:PORT (exec).
  version            one line.
A peer that is not there, or that skips or fails, is reported with the
reason; it is never dropped silently.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The peers the project plans, in the order the tables list them; any other
# folder under the peers dir is measured after these.
KNOWN = ["nginx", "h2o", "node", "go_std", "gin", "rust_std", "tokio_raw", "hyper"]


@dataclass
class Peer:
    name: str
    folder: Path
    out: Path                 # RINGLANE_PEER_OUT
    status: str = "?"         # ready | skip | failed | missing
    reason: str = ""
    version: str = ""

    def env(self) -> dict:
        return {**os.environ, "RINGLANE_PEER_OUT": str(self.out)}

    def command(self) -> str:
        """NAME=COMMAND form for measure.py ({PORT} is filled in per start)."""
        return f"RINGLANE_PEER_OUT={self.out} {self.folder / 'run'} {{PORT}}"


def peers_dir(repo: Path) -> Path:
    override = os.environ.get("RINGLANE_PEERS_DIR")
    return Path(override).resolve() if override else repo / "bench" / "peers"


def discover(repo: Path, only: list[str] | None) -> list[Peer]:
    """Every known peer (present or not) plus every other folder with a
    `build` script. Folders without one hold code the peers share (such as
    rust_common/), not a server."""
    pdir = peers_dir(repo)
    names = list(KNOWN)
    if pdir.is_dir():
        names += sorted(p.name for p in pdir.iterdir()
                        if p.is_dir() and p.name not in KNOWN and not p.name.startswith(".")
                        and (p / "build").exists())
    if only is not None:
        names = [n for n in names if n in only] + [n for n in only if n not in names]
    return [Peer(n, pdir / n, repo / "build" / "peers" / n) for n in names]


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def build(peer: Peer, install: bool, log_dir: Path, timeout: float) -> None:
    """Run the peer's build; sets status/reason, then reads its version."""
    build_exe = peer.folder / "build"
    if not peer.folder.is_dir():
        peer.status, peer.reason = "missing", f"{peer.folder} does not exist (yet)"
        return
    for exe in ("build", "run", "version"):
        if not os.access(peer.folder / exe, os.X_OK):
            peer.status, peer.reason = "failed", f"{peer.folder / exe} is missing or not executable"
            return
    peer.out.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"peer-build-{peer.name}.log"
    argv = [str(build_exe)] + (["--install"] if install else [])
    try:
        with open(log_path, "w+") as lf:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT,
                               env=peer.env(), cwd=peer.folder, timeout=timeout, check=False)
            lf.seek(0)
            text = lf.read()
    except subprocess.TimeoutExpired:
        peer.status, peer.reason = "failed", f"build took longer than {timeout:g} s (log: {log_path})"
        return
    except OSError as e:
        peer.status, peer.reason = "failed", f"build could not start: {e}"
        return
    if p.returncode == 3:
        skip = [ln for ln in text.splitlines() if ln.startswith("skip:")]
        peer.status = "skip"
        peer.reason = skip[-1][len("skip:"):].strip() if skip else (_last_line(text) or "exit 3")
        return
    if p.returncode != 0:
        peer.status = "failed"
        peer.reason = f"build exited {p.returncode}: {_last_line(text)[:160]} (log: {log_path})"
        return
    peer.status = "ready"
    peer.version = read_version(peer)


def read_version(peer: Peer) -> str:
    try:
        p = subprocess.run([str(peer.folder / "version")], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=peer.env(), cwd=peer.folder, timeout=30, check=False)
        line = (p.stdout.strip().splitlines() or ["?"])[0]
        return line if p.returncode == 0 else f"(version exited {p.returncode}: {line})"
    except (OSError, subprocess.SubprocessError) as e:
        return f"(version failed: {e})"


def build_all(peers: list[Peer], install: bool, log_dir: Path, timeout: float, log) -> list[Peer]:
    """Build every peer, print one line each; return the ready ones."""
    ready = []
    for peer in peers:
        log(f"peer {peer.name}: building ...")
        build(peer, install, log_dir, timeout)
        if peer.status == "ready":
            log(f"peer {peer.name}: ready ({peer.version})")
            ready.append(peer)
        elif peer.status == "skip":
            log(f"skip: {peer.name}: {peer.reason}")
        else:
            log(f"skip: {peer.name}: {peer.status}: {peer.reason}")
    return ready


def report_lines(peers: list[Peer]) -> list[str]:
    out = []
    for p in peers:
        if p.status == "ready":
            out.append(f"{p.name}: {p.version}")
        else:
            out.append(f"{p.name}: not measured ({p.status}: {p.reason})")
    return out
