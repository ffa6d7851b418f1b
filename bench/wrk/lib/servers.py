"""The servers under test: NAME=COMMAND specs, starting them (a command
string or the built-in nginx peer), waiting for the port, a first GET, and
stopping the whole process group."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from procstat import group_pids
from util import WRK_DIR

NGINX_TEMPLATE = WRK_DIR / "peers" / "nginx.conf.in"
NGINX_BIN = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")   # override for tests


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
