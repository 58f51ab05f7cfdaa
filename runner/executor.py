"""Compile and run one cell in ``__main__``, the way the interactive interpreter does.

Each cell is compiled under the name ``<cell N>`` and its source registered with linecache (cell_sources.py
bounds what is kept), so tracebacks show the user's lines. A trailing expression is evaluated separately and reported like the interactive displayhook: None is not
shown, and ``builtins._`` holds the last value. Runner frames never appear in a traceback.
"""
from __future__ import annotations

import ast
import builtins
import os
import signal
import sys
import threading
import traceback
import types
from typing import Any, Callable, Optional

from . import display
from .cell_sources import CellSources
from .values import to_wire

RUNNER_DIR = os.path.dirname(os.path.abspath(__file__))
_TOP_LEVEL_AWAIT = getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)
_CO_COROUTINE = 0x0080
COMPILE_CACHE_SIZE = 256
_CACHE_NAME = "<cached cell>"  # cached code objects carry no cell's name: each run gets its own renamed copy
_ORIGINAL_IMPORT = builtins.__import__  # taken before any user code ran
_NO_IMPORT = object()
# The most characters of a trailing value's repr a result carries (the session's maxOutputChars, set at setup).
max_value_chars = 16 * 1024 * 1024


class UserCodeGuard:
    """Turns SIGINT into KeyboardInterrupt only while user code runs; the runner itself is never interrupted.

    While the main thread writes a protocol frame on behalf of user code (print, input), the interrupt is held
    back until the write is done (``with guard:``), so a frame is never cut in half. Other threads pass
    through the guard untouched: the signal handler only ever runs in the main thread.
    """

    def __init__(self) -> None:
        self.active = False
        self._shielded = 0
        self._pending: Optional[BaseException] = None
        self.dropped = False
        self._main = threading.get_ident()

    def install(self) -> None:
        self._main = threading.get_ident()
        signal.signal(signal.SIGINT, self._on_sigint)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if not self.active:
            self.dropped = True  # maybe meant for a cell about to start: Deno also sent it as a frame
        self.deliver(KeyboardInterrupt())

    def deliver(self, exc: BaseException) -> None:
        """Raise ``exc`` in user code (from a signal handler); dropped when no user code runs."""
        if not self.active:
            return
        if self._shielded:
            self._pending = exc
            return
        raise exc

    def __enter__(self) -> None:
        if threading.get_ident() == self._main:
            self._shielded += 1

    def __exit__(self, *exc_info: Any) -> None:
        if threading.get_ident() != self._main:
            return
        self._shielded -= 1
        if self._pending is not None and not self._shielded:
            pending, self._pending = self._pending, None
            if self.active:
                raise pending


def user_traceback(exc: BaseException, skip: tuple[str, ...] = ()) -> str:
    """Format exc with the user's frames only: runner frames (before or after user code) are dropped.

    ``skip``: more path prefixes whose frames are dropped (doctest's own, for a document's example).
    """
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if not frame.filename.startswith((RUNNER_DIR,) + skip)]
    # A cell with a top-level await runs in the session's event loop: the loop's frames come first
    # (run_until_complete); they are the runner's doing, not the user's. Later asyncio frames stay.
    asyncio_module = sys.modules.get("asyncio")
    asyncio_file = getattr(asyncio_module, "__file__", None)
    if isinstance(asyncio_file, str):
        loop_dir = os.path.join(os.path.dirname(asyncio_file), "")
        while frames and frames[0].filename.startswith(loop_dir):
            frames.pop(0)
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.StackSummary.from_list(frames).format()
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


class RunnerImport:
    """Puts the interpreter's own ``__import__`` back while the runner works, and the user's after.

    User code may replace ``builtins.__import__`` (with None, or a hook that refuses); the standard library
    modules the runner calls import lazily (traceback does on Python 3.13), so they would fail. The runner's own
    modules do not need this: they run with a private copy of the builtins (load.py).
    """

    def __enter__(self) -> None:
        self._saved = builtins.__dict__.get("__import__", _NO_IMPORT)  # `del builtins.__import__` too
        if self._saved is not _ORIGINAL_IMPORT:
            builtins.__import__ = _ORIGINAL_IMPORT

    def __exit__(self, *exc_info: Any) -> None:
        if self._saved is _NO_IMPORT:
            builtins.__dict__.pop("__import__", None)
        elif self._saved is not _ORIGINAL_IMPORT:
            builtins.__import__ = self._saved


def error_info(exc: BaseException) -> dict[str, Any]:
    """The wire form of an exception: type, message, traceback (and line/column for a SyntaxError).

    Never raises: an exception whose ``__str__`` fails, or whose traceback cannot be formatted, is still
    described (a description that fails outright becomes its type name and what went wrong).
    """
    try:
        with RunnerImport():
            return _error_info(exc)
    except BaseException as failure:  # noqa: BLE001 - the result must be sent whatever the exception does
        # traceback and linecache are standard library code: they fail when user code rebinds a builtin
        return {"type": _type_name(exc), "message": _str(exc),
                "traceback": f"<traceback unavailable: {_type_name(failure)}: {_str(failure)}>\n"}


def _type_name(exc: BaseException) -> str:
    name = getattr(type(exc), "__name__", None)
    return name if isinstance(name, str) else "BaseException"


def _str(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException as failure:  # noqa: BLE001 - a broken __str__ is the user's; say so
        return f"<exception str() failed: {_type_name(failure)}>"


def _error_info(exc: BaseException) -> dict[str, Any]:
    info: dict[str, Any] = {"type": _type_name(exc), "message": _str(exc)}
    if isinstance(exc, SyntaxError):
        info["message"] = exc.msg or str(exc)
        info["traceback"] = "".join(traceback.format_exception_only(type(exc), exc))
        if exc.lineno is not None:
            info["line"] = exc.lineno
        if exc.offset is not None:
            info["column"] = exc.offset
    else:
        info["traceback"] = user_traceback(exc)
    return info


class Executor:
    """Runs cells in the real ``__main__`` module and counts them."""

    def __init__(self, guard: UserCodeGuard) -> None:
        self.guard = guard
        self.execution_count = 0
        self.namespace = sys.modules["__main__"].__dict__
        self._compiled: dict[str, tuple[Optional[types.CodeType], Optional[types.CodeType]]] = {}
        self.sources = CellSources()

    def run(self, code: str, interrupted: Any = None) -> dict[str, Any]:
        """Run one cell; return status, value/repr or error, as a wire dict.

        ``interrupted()``, called once the cell may be interrupted, says whether an interrupt arrived before
        that (a SIGINT is dropped while no user code runs, so the caller also sends it as a frame).
        """
        self.execution_count += 1
        filename = f"<cell {self.execution_count}>"
        self.sources.add(filename, code)
        outcome: dict[str, Any] = {"status": "ok"}
        try:
            body, last = self._compile(code, filename)
        except Exception as exc:  # SyntaxError; also ValueError (NUL byte), RecursionError, MemoryError
            outcome["status"] = "error"
            outcome["error"] = error_info(exc)
            return outcome
        self.sources.track(filename, (body, last))
        if "__builtins__" not in self.namespace:  # deleted by user code: eval would insert the runner's copy
            self.namespace["__builtins__"] = builtins
        try:
            self.guard.active = True
            try:
                if interrupted is not None and interrupted():
                    raise KeyboardInterrupt
                value = self._run_compiled(body, last)
            finally:
                self.guard.active = False
        except KeyboardInterrupt as exc:
            outcome["status"] = "interrupted"
            outcome["error"] = error_info(exc)
            return outcome
        except BaseException as exc:  # SystemExit included: the session lives on
            outcome["status"] = "error"
            outcome["error"] = error_info(exc)
            self._flush_figures(outcome)
            return outcome
        if value is not None:
            builtins._ = value  # type: ignore[attr-defined]
            try:
                with RunnerImport():
                    outcome.update(self._interruptible(describe_value, value))
            except KeyboardInterrupt as exc:  # a __repr__ or formatter that did not return: the value goes unshown
                outcome = {"status": "interrupted", "error": error_info(exc)}
        self._flush_figures(outcome)
        return outcome

    def _interruptible(self, function: Callable[..., Any], *args: Any) -> Any:
        """Call runner code that runs user code (formatters, figure drawing): an interrupt or timeout reaches it."""
        self.guard.active = True
        try:
            return function(*args)
        finally:
            self.guard.active = False

    def _flush_figures(self, outcome: dict[str, Any]) -> None:
        """Show the figures a cell left open; an interrupt while they draw makes an ok cell ``interrupted``."""
        try:
            self._interruptible(_flush_figures)
        except KeyboardInterrupt as exc:
            if outcome["status"] == "ok":
                outcome.clear()
                outcome.update(status="interrupted", error=error_info(exc))

    def _compile(self, code: str, filename: str) -> tuple[Optional[types.CodeType], Optional[types.CodeType]]:
        """Compile a cell, reusing the code objects of an identical earlier cell under this cell's name.

        Parsing and compiling a one-line cell costs ~15 us, most of a round trip; services and scenarios
        often run the same code again. Renaming the code objects keeps tracebacks pointing at this cell.
        """
        cached = self._compiled.get(code)
        if cached is None:
            fresh = self._compile_fresh(code, filename)
            if len(self._compiled) >= COMPILE_CACHE_SIZE:
                self._compiled.pop(next(iter(self._compiled)))
            # The cache keeps its own copy, so it never keeps this cell's code objects (and source) alive.
            self._compiled[code] = (_renamed(fresh[0], _CACHE_NAME), _renamed(fresh[1], _CACHE_NAME))
            return fresh
        return tuple(_renamed(part, filename) for part in cached)  # type: ignore[return-value]

    def _compile_fresh(self, code: str, filename: str) -> tuple[Optional[types.CodeType], Optional[types.CodeType]]:
        flags = _TOP_LEVEL_AWAIT
        # compile() straight to an AST, not ast.parse(): that is Python code using the user's builtins.
        tree = compile(code, filename, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        last: Optional[types.CodeType] = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            expression = ast.Expression(tree.body.pop().value)
            last = compile(expression, filename, "eval", flags, dont_inherit=True)
        body = compile(tree, filename, "exec", flags, dont_inherit=True) if tree.body else None
        return body, last

    def _run_compiled(self, body: Optional[types.CodeType], last: Optional[types.CodeType]) -> Any:
        namespace = self.namespace
        if any(part is not None and part.co_flags & _CO_COROUTINE for part in (body, last)):
            # A cell with a top-level await runs whole inside the session's loop, as IPython runs it:
            # its plain statements too (asyncio.create_task needs the running loop).
            return _run_coroutine(_run_async(body, last, namespace))
        if body is not None:
            eval(body, namespace)
        return None if last is None else eval(last, namespace)


def _renamed(code: Optional[types.CodeType], filename: str) -> Optional[types.CodeType]:
    """The code object (and the ones nested in it) under another file name."""
    if code is None or code.co_filename == filename:
        return code
    consts = tuple(_renamed(const, filename) if isinstance(const, types.CodeType) else const
                   for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def describe_value(value: Any) -> dict[str, Any]:
    """The result fields of a displayed value: its repr, and its JS value when it has one."""
    described: dict[str, Any] = {}
    try:
        text = repr(value)
    except BaseException as exc:  # a broken __repr__ must not break the runner
        if isinstance(exc, KeyboardInterrupt):
            raise  # an interrupt (or timeout) of a __repr__ that would not return
        text = f"<repr failed: {type(exc).__name__}: {exc}>"
    if len(text) > max_value_chars:
        # As big as the whole output budget: cut, and no JS value either (it would be as big as the repr).
        described["repr"] = text[:max_value_chars]
        described["reprOmitted"] = len(text) - max_value_chars
        return described
    described["repr"] = text
    try:
        described["value"] = to_wire(value)
        described["hasValue"] = True
    except Exception:  # noqa: BLE001 - NotConvertible, RecursionError, a failing __len__...: the repr stands
        pass
    try:
        data = display.rich_data(value)  # the bundle's other MIME types: text/plain is the repr
    except Exception:  # noqa: BLE001 - display.py reports a failing formatter itself; this is a last resort
        data = None
    if data:
        described["data"] = data
    return described


def _flush_figures() -> None:
    """Show the matplotlib figures a cell left open (display.py); a failure is the user's, on stderr."""
    try:
        with RunnerImport():
            display.flush_figures()
    except Exception as exc:  # noqa: BLE001 - a broken figure must not break the result
        display.warn("showing the open figures", exc)


_session_loop: Any = None


async def _run_async(body: Optional[types.CodeType], last: Optional[types.CodeType], namespace: dict) -> Any:
    if body is not None:
        outcome = eval(body, namespace)
        if body.co_flags & _CO_COROUTINE:
            await outcome
    if last is None:
        return None
    value = eval(last, namespace)
    if last.co_flags & _CO_COROUTINE:
        value = await value
    return value


def _run_coroutine(coroutine: Any) -> Any:
    """Run a top-level-await cell on the session's one event loop, as IPython does.

    The loop lives as long as the session: a task created in one cell (``asyncio.create_task``) runs on
    whenever a later cell awaits, and ``asyncio.get_event_loop()`` in plain code returns the same loop.
    """
    import asyncio

    global _session_loop
    if _session_loop is None or _session_loop.is_closed():
        _session_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(_session_loop)
    return _session_loop.run_until_complete(coroutine)
