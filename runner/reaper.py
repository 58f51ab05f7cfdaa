"""Ending every process the keeper made, including those user code moved out of reach of a process group.

The keeper kills each interpreter's process group, but user code can leave its group: ``os.setsid()`` in a
forked child, ``subprocess.Popen(..., start_new_session=True)``, a daemon's double fork. The keeper is a child
subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so such processes, once their parent dies, become the keeper's
children instead of init's: every process the keeper's sessions made stays its descendant. ``end_all`` kills
the groups, then walks the descendants in ``/proc`` and kills them by pid, reaping as it goes, until none is
left (killing a parent can orphan children onto the keeper, so it scans again).

Groups are signalled only while their leader is still the keeper's child (alive or a zombie not yet reaped),
so a process group id is never signalled after the kernel could have given it to an unrelated process.
"""
from __future__ import annotations

import os
import signal
import time
from typing import Iterable

PR_SET_CHILD_SUBREAPER = 36
END_ALL_SECONDS = 2.0  # a fork bomb cannot keep end_all busy beyond this


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children (Linux); False where that is not possible."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except Exception:  # noqa: BLE001 - not Linux: orphans are reaped by init instead
        return False


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a child just forked from `parent`: be SIGKILLed when it dies (Linux), and exit now if it already has.

    For the forks warmup code makes in the keeper itself: when that code then ends the keeper (``os._exit``),
    nothing is left to kill them, and they are nobody's descendants any more."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # noqa: BLE001 - not Linux
        return
    if os.getppid() != parent:  # it died before the prctl took hold
        os._exit(0)


def end_all(groups: Iterable[int]) -> None:
    """SIGKILL the given process groups and every descendant of this process, and reap them. Never raises."""
    me = os.getpid()
    deadline = time.monotonic() + END_ALL_SECONDS
    first = True
    while True:
        table = _process_table()
        if first:
            for group in groups:
                if table is None or table.get(group, (0, ""))[0] == me:
                    _kill(group, group=True)
            first = False
        found = _descendants(me, table) if table is not None else []
        for pid in found:
            _kill(pid, group=False)
        _reap_all()
        if not found or time.monotonic() > deadline:
            return


def _kill(target: int, group: bool) -> None:
    try:
        if group:
            os.killpg(target, signal.SIGKILL)
        else:
            os.kill(target, signal.SIGKILL)
    except OSError:
        pass  # gone already, or never ours


def _reap_all() -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except (ChildProcessError, OSError):
            return
        if pid == 0:
            return


def _process_table() -> "dict[int, tuple[int, str]] | None":
    """pid -> (parent pid, state) of every process, from /proc; None where there is no /proc."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    table: dict[int, tuple[int, str]] = {}
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                text = stat.read()
        except OSError:
            continue  # ended while we looked
        # "pid (command) state ppid ...": the command may hold spaces and parentheses, so split after the last ")".
        fields = text[text.rfind(b")") + 2:].split()
        if len(fields) >= 2:
            table[int(name)] = (int(fields[1]), fields[0].decode("ascii", "replace"))
    return table


def _descendants(root: int, table: "dict[int, tuple[int, str]]") -> list[int]:
    """Descendants of root that still run (zombies only need reaping)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _state) in table.items():
        children.setdefault(parent, []).append(pid)
    found: list[int] = []
    pending = list(children.get(root, ()))
    while pending:
        pid = pending.pop()
        if table[pid][1] not in ("Z", "X"):
            found.append(pid)
        pending.extend(children.get(pid, ()))
    return found
