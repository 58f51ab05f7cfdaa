"""The runner's own threads, made whatever user code did to what ``threading.Thread()`` reads.

A ``threading.Thread`` copies ``sys.excepthook``, ``threading.excepthook`` and ``sys.stderr`` as it is made (for
its own error report), and refuses to be made when one is gone or None. User code may do exactly that (``del
sys.stderr``, ``sys.excepthook = None``) or rebind ``threading.Thread``; every thread the runner starts then
failed: the output threads a rollback restarts (the session died), the threads that hash a checkpoint's buffers
(a restore killed the interpreter). The class is bound here, when the runner loads (capture.py imports this
module, before any user code runs), and the hooks are put back for the instant a thread is made, then the
user's values again.
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Dict, List, Tuple

_Thread = threading.Thread
# Bound now too, for the runner modules that make them after user code ran (restore, a rollback's restart).
Event = threading.Event
Condition = threading.Condition
_MISSING = object()
_SYS_EXCEPTHOOK = sys.__excepthook__
_THREADING_EXCEPTHOOK = getattr(threading, "__excepthook__", threading.excepthook)  # 3.10+; 3.9: the default
# What Thread() reads: the real modules' namespaces (the runner's `threading` is a private copy: load.py).
_THREADING = _Thread.__init__.__globals__
# (namespace, name, what to put there while a thread is made, whether None is refused too)
_READ_BY_THREAD: Tuple[Tuple[Dict[str, Any], str, Any, bool], ...] = (
    (sys.__dict__, "excepthook", _SYS_EXCEPTHOOK, True),
    (_THREADING, "excepthook", _THREADING_EXCEPTHOOK, True),
    (sys.__dict__, "stderr", None, False),  # None is fine: the thread then reports nothing
)


def runner_thread(target: Callable[..., Any], name: str, args: Tuple[Any, ...] = ()) -> threading.Thread:
    """A daemon thread running ``target(*args)``, made (not started) with sane hooks whatever their state."""
    repaired: List[Tuple[Dict[str, Any], str, Any]] = []
    try:
        for namespace, attribute, default, none_refused in _READ_BY_THREAD:
            value = namespace.get(attribute, _MISSING)
            if value is _MISSING or (none_refused and value is None):
                repaired.append((namespace, attribute, value))
                namespace[attribute] = default
        return _Thread(target=target, args=args, name=name, daemon=True)
    finally:
        for namespace, attribute, value in repaired:
            if value is _MISSING:
                namespace.pop(attribute, None)
            else:
                namespace[attribute] = value
