#!/usr/bin/env python3
"""Idle keep-alive connections for scripts/bench --scenario idle.

  idle_client.py --port P --count N [--per-source 20000] [--deadline S]

Opens N connections to 127.0.0.1:P, each from 127.0.0.x (x = 1, 2, ...:
one source address per --per-source connections, since one address has
only ~28k ephemeral ports towards one server port), sends one
"GET / HTTP/1.1" on each and reads the response head, then leaves it idle.
At most --inflight connections are being set up at once (listen backlogs
are finite). Stops early at the deadline. Then prints one JSON line
{"opened": ..., "errors": ..., "seconds": ..., "first_error": ...} and
holds every connection open until stdin is closed (or reaches EOF).
Standard library only; one process, one epoll.
"""

from __future__ import annotations

import argparse
import errno
import json
import resource
import select
import socket
import sys
import time

IP_BIND_ADDRESS_NO_PORT = 24      # <linux/in.h>: pick the port at connect()
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ringlane-idle\r\n\r\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--per-source", type=int, default=20000)
    ap.add_argument("--inflight", type=int, default=512)
    ap.add_argument("--deadline", type=float, default=180)
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.count + 64
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        except (ValueError, OSError):
            pass

    ep = select.epoll()
    pending: dict[int, list] = {}      # fd -> [socket, state, buffer]; state 0 connecting, 1 reading
    idle: list[socket.socket] = []
    errors = 0
    first_error = ""
    started = time.monotonic()
    end = started + a.deadline
    made = 0
    stopped = ""                       # why fewer than --count were attempted
    progress = time.monotonic()

    def fail(fd: int, why: str) -> None:
        nonlocal errors, first_error
        errors += 1
        if not first_error:
            first_error = why
        s = pending.pop(fd)[0]
        try:
            ep.unregister(fd)
        except OSError:
            pass
        s.close()

    while (made < a.count or pending) and time.monotonic() < end:
        while made < a.count and len(pending) < a.inflight:
            src = f"127.0.0.{1 + made // a.per_source}"
            try:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            except OSError as e:          # out of descriptors: stop opening
                lim = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
                stopped = f"client: socket(): {e.strerror} (RLIMIT_NOFILE {lim})"
                made = a.count
                break
            s.setblocking(False)
            try:
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((src, 0))
            except OSError as e:
                s.close()
                errors += 1
                first_error = first_error or f"bind {src}: {e}"
                made += 1
                continue
            rc = s.connect_ex(("127.0.0.1", a.port))
            made += 1
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                errors += 1
                first_error = first_error or f"connect: {errno.errorcode.get(rc, rc)}"
                continue
            pending[s.fileno()] = [s, 0, b""]
            ep.register(s.fileno(), select.EPOLLOUT)
        if made >= a.count and time.monotonic() - progress > 5:
            stopped = stopped or "no progress for 5 s"
            break
        for fd, ev in ep.poll(0.05, 1024):
            progress = time.monotonic()
            ent = pending.get(fd)
            if ent is None:
                continue
            s = ent[0]
            if ent[1] == 0:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(fd, f"connect: {errno.errorcode.get(err, err)}")
                    continue
                try:
                    s.send(REQUEST)
                except OSError as e:
                    fail(fd, f"send: {e}")
                    continue
                ent[1] = 1
                ep.modify(fd, select.EPOLLIN)
                continue
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError as e:
                fail(fd, f"recv: {e}")
                continue
            if not data:
                fail(fd, "server closed the connection")
                continue
            ent[2] += data
            if b"\r\n\r\n" in ent[2]:
                if not ent[2].startswith(b"HTTP/1.1 2"):
                    fail(fd, "response: " + ent[2].split(b"\r\n", 1)[0].decode("latin-1"))
                    continue
                ep.unregister(fd)
                pending.pop(fd)
                idle.append(s)      # the rest of a body, if any, stays in the buffer
    if pending and not stopped:
        stopped = f"deadline ({a.deadline:g} s)"
    for fd in list(pending):
        fail(fd, stopped or "deadline")

    print(json.dumps({"opened": len(idle), "errors": errors, "seconds": time.monotonic() - started,
                      "requested": a.count, "first_error": first_error, "stopped": stopped}),
          flush=True)
    # Watch for connections the server closes (an idle timeout, a connection
    # limit); "check" on stdin answers how many it has closed so far.
    for s in idle:
        ep.register(s.fileno(), select.EPOLLRDHUP)
    closed: set[int] = set()
    for line in sys.stdin:                # until the parent closes our stdin
        if line.strip() == "check":
            for fd, ev in ep.poll(0.2, len(idle) + 1):
                if ev & (select.EPOLLRDHUP | select.EPOLLHUP):
                    closed.add(fd)
            print(json.dumps({"closed_by_server": len(closed)}), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
