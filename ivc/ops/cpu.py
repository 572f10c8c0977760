"""Where the CPU goes during a scale test: seconds used by the Prefect server, the workers (with the
flow-run processes they start), PostgreSQL and the driver, and how busy the machine was.

Linux only (``/proc``); elsewhere every figure is absent rather than wrong. A process tree's time
is its root's own and reaped children's time plus that of its live descendants, so flow-run
processes that come and go are counted once they end.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, seconds of self + reaped children) of one process."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces and parentheses
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return ppid, (utime + stime + cutime + cstime) / _TICK


def _table() -> dict[int, tuple[int, float]]:
    out = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            got = _stat(int(entry.name))
            if got is not None:
                out[int(entry.name)] = got
    return out


def tree_seconds(roots: Iterable[int], table: Mapping[int, tuple[int, float]] | None = None) -> float:
    """CPU seconds of the processes ``roots`` and everything below them."""
    table = table if table is not None else _table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack, seen = 0.0, [r for r in roots if r in table], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


def postgres_root() -> int | None:
    """The PostgreSQL postmaster on this machine, if there is one we can see."""
    for pid_file in Path("/var/run/postgresql").glob("*.pid"):
        try:
            return int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if cmd.endswith(b"/postgres") and (_stat(int(entry.name)) or (0, 0))[0] == 1:
                return int(entry.name)
    return None


def machine_busy_seconds() -> float | None:
    """CPU seconds spent on anything but idle and I/O wait, summed over every core, since boot."""
    try:
        first = (_PROC / "stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    values = [int(x) for x in first]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / _TICK


def snapshot(groups: Mapping[str, Iterable[int]]) -> dict[str, float]:
    """CPU seconds so far of each named group of process trees, and of the whole machine."""
    table = _table()
    out = {name: tree_seconds(pids, table) for name, pids in groups.items()}
    busy = machine_busy_seconds()
    if busy is not None:
        out["machine"] = busy
    return out


def delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {k: round(after[k] - before.get(k, 0.0), 2) for k in after}
