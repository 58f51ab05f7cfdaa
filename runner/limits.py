"""Per-session resource limits, applied in the interpreter by the ``setup`` request's ``limits`` field.

``{"memoryBytes": int, "cpuSeconds": int, "openFiles": int}``, each optional:

- ``memoryBytes``: ``RLIMIT_AS``, the interpreter's whole address space (thread stacks and mapped libraries
  count). An allocation beyond it raises ``MemoryError`` in the cell: status ``error``, the session lives on.
- ``cpuSeconds``: CPU seconds that *each execution* may use. Before a cell runs, the soft ``RLIMIT_CPU`` is set
  to the CPU time used so far plus this budget; the kernel's ``SIGXCPU`` then raises ``CpuTimeLimitExceeded``
  in the cell (status ``error``), and the limit is lifted again between cells. Per execution rather than per
  process because a savepoint (a fork) starts its CPU clock at zero, and because a session that spent its
  budget would fail every later cell. Code stuck inside a C call sees the exception only when it returns to
  Python: the session's ``timeout`` is the backstop for that.
- ``openFiles``: ``RLIMIT_NOFILE``, one more than the highest descriptor number a new file may get, so the
  worker's own dozen descriptors count (a clear error says so when the value leaves it too few). Opening more raises ``OSError``
  (EMFILE) in the cell.

Memory and open files set both the soft and the hard limit, so user code cannot lift them; the hard limit of
CPU time is left alone so that the soft one can move between cells.
"""
from __future__ import annotations

import math
import os
import resource
import signal
from typing import Any, Optional

from .executor import UserCodeGuard

FIELDS = ("memoryBytes", "cpuSeconds", "openFiles")
_RESERVED_FDS = 8  # a savepoint's socketpair and a few more the runner may open while serving


class CpuTimeLimitExceeded(BaseException):
    """Raised in user code when an execution used its ``cpuSeconds``.

    A BaseException, like KeyboardInterrupt, so that a user's ``except Exception`` does not swallow it.
    """


CpuTimeLimitExceeded.__module__ = "builtins"  # tracebacks name it plainly, not by the runner's package


class Limits:
    """The limits of this interpreter; ``arm``/``disarm`` bracket each execution."""

    def __init__(self, guard: UserCodeGuard) -> None:
        self.guard = guard
        self.cpu_seconds: Optional[int] = None

    def apply(self, limits: Any) -> None:
        """Validate and apply a ``limits`` object; raises ValueError with a message for the user."""
        if not isinstance(limits, dict):
            raise ValueError(f"limits must be an object with {', '.join(FIELDS)}")
        for key, value in limits.items():
            if key not in FIELDS:
                raise ValueError(f"unknown limit {key!r}: use {', '.join(FIELDS)}")
            if value is not None and (type(value) is not int or value <= 0):
                raise ValueError(f"limits.{key} must be a positive integer, got {value!r}")
        memory, cpu, files = (limits.get(key) for key in FIELDS)
        if memory is not None:
            used = _address_space()
            if used is not None and memory <= used:
                raise ValueError(f"limits.memoryBytes {memory} is below the {used} bytes of address space "
                                 f"the interpreter already uses")
            _set_both(resource.RLIMIT_AS, memory)
        if files is not None:
            needed = _open_fds() + _RESERVED_FDS
            if files < needed:
                raise ValueError(f"limits.openFiles {files} leaves the worker too few descriptors: "
                                 f"use at least {needed}")
            _set_both(resource.RLIMIT_NOFILE, files)
        if cpu is not None:
            signal.signal(signal.SIGXCPU, self._on_sigxcpu)
            self.cpu_seconds = cpu

    def arm(self) -> None:
        """Give the next execution its CPU budget (when there is a CPU limit)."""
        if self.cpu_seconds is None:
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime) + self.cpu_seconds
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))

    def disarm(self) -> None:
        """Lift the CPU budget between executions, so the runner's own work never meets it."""
        if self.cpu_seconds is None:
            return
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))

    def _on_sigxcpu(self, signum: int, frame: Any) -> None:
        self.guard.deliver(CpuTimeLimitExceeded(
            f"the execution used its {self.cpu_seconds} s of CPU time (limits.cpuSeconds)"))


def _set_both(which: int, value: int) -> None:
    hard = resource.getrlimit(which)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _address_space() -> Optional[int]:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None  # not Linux: the kernel's own check is all there is


def _open_fds() -> int:
    """How many descriptors are open: a new one takes the lowest free number, so the count is what matters
    (a high descriptor inherited from the parent does not use up the room below the limit)."""
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # less the one listdir itself held
    except OSError:
        return 3
