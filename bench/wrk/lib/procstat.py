"""/proc sampling for the wrk harness: CPU time, peak RSS and live members
of a server's process group, and per-CPU busy time from /proc/stat."""

from __future__ import annotations

import os

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_proc_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    rparen = data.rfind(")")
    return data[rparen + 2:].split()


def group_pids(pgid: int) -> list[int]:
    """All live processes whose process group is pgid."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = read_proc_stat(int(name))
        # fields[0] = state (field 3), fields[2] = pgrp (field 5)
        if fields and len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(name))
    return sorted(pids)


def group_cpu_seconds(pgid: int) -> float:
    """utime+stime (+ reaped children) of every process in the group.

    /proc/PID/stat sums all threads of a process. cutime/cstime carry the
    time of children already reaped by a group member, so short-lived
    helpers are not lost.
    """
    total = 0
    for pid in group_pids(pgid):
        f = read_proc_stat(pid)
        if not f:
            continue
        # fields[11..14] = utime, stime, cutime, cstime (fields 14..17)
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total / CLK_TCK


def group_status_kib(pgid: int, field: str) -> int:
    """Sum of one /proc/PID/status size field (VmHWM, VmRSS, ...) over the
    processes of the group, in KiB."""
    total = 0
    for pid in group_pids(pgid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def group_vm_hwm_kib(pgid: int) -> int:
    """Peak RSS of the group (sum of VmHWM), in KiB."""
    return group_status_kib(pgid, "VmHWM")


def read_cpu_ticks() -> dict[int, dict[str, int]]:
    """Per-CPU counters from /proc/stat, in USER_HZ ticks."""
    names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq",
             "steal", "guest", "guest_nice"]
    out: dict[int, dict[str, int]] = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            parts = line.split()
            cpu = int(parts[0][3:])
            vals = [int(x) for x in parts[1:]] + [0] * 10
            out[cpu] = dict(zip(names, vals))
    return out


def cpu_busy_seconds(before: dict, after: dict, cpus: list[int]) -> tuple[float, float]:
    """(busy, steal) seconds on the given CPUs between two /proc/stat samples.

    busy = user+nice+system+irq+softirq (guest time is already in user).
    """
    busy = steal = 0
    for c in cpus:
        if c not in before or c not in after:
            continue
        b, a = before[c], after[c]
        busy += sum(a[k] - b[k] for k in ("user", "nice", "system", "irq", "softirq"))
        steal += a["steal"] - b["steal"]
    return busy / CLK_TCK, steal / CLK_TCK
