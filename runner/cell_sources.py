"""Cell sources for tracebacks and ``inspect``: registered with linecache, forgotten once nothing can need them.

Each cell's source goes into ``linecache`` under the cell's name (``<cell N>``), so tracebacks and
``inspect.getsource`` show the user's lines. Keeping every source grows without bound (2,000 cells of 50 KB
held about 100 MB). A source is kept while its cell is one of the last ``RECENT`` cells, or while any code
object compiled from it is alive: a function or class method defined in the cell, a generator, a frame in a
saved traceback. Code objects are watched through weak references, whose callbacks forget the source when the
last one dies.
"""
from __future__ import annotations

import collections
import linecache
import types
import weakref
from typing import Callable, Iterable, Optional

RECENT = 32


class CellSources:
    """The linecache entries of the cells, bounded as described above."""

    def __init__(self, recent: int = RECENT) -> None:
        self.recent = recent
        self._window: collections.deque[str] = collections.deque()
        self._in_window: set[str] = set()
        self._live: dict[str, int] = {}  # cell name -> code objects of that cell still alive
        self._refs: dict[str, list[weakref.ref]] = {}  # the weak references must live for their callbacks

    def add(self, filename: str, source: str) -> None:
        """Register the source of a new cell; forget the sources that nothing needs any more."""
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        if filename in self._in_window:  # a cell number used again (after restore() lowered the count)
            self._window.remove(filename)
        self._window.append(filename)
        self._in_window.add(filename)
        while len(self._window) > self.recent:
            old = self._window.popleft()
            self._in_window.discard(old)
            if not self._live.get(old):
                _forget(old)

    def track(self, filename: str, codes: Iterable[Optional[types.CodeType]]) -> None:
        """Keep the source of ``filename`` while any of ``codes`` (or the code nested in them) is alive."""
        callback = self._callback(filename)
        refs = [weakref.ref(code, callback) for code in _walk(codes)]
        if refs:
            self._live[filename] = self._live.get(filename, 0) + len(refs)
            self._refs.setdefault(filename, []).extend(refs)

    def kept(self) -> list[str]:
        """The cell names whose sources linecache holds now (for tests and diagnostics)."""
        return [name for name in linecache.cache if name in self._in_window or name in self._live]

    def _callback(self, filename: str) -> Callable[[weakref.ref], None]:
        # Runs wherever the last reference dies (any thread, inside gc): plain dict operations only.
        def dead(_ref: weakref.ref) -> None:
            left = self._live.get(filename, 0) - 1
            if left > 0:
                self._live[filename] = left
                return
            self._live.pop(filename, None)
            self._refs.pop(filename, None)
            if filename not in self._in_window:
                _forget(filename)

        return dead


def _walk(codes: Iterable[Optional[types.CodeType]]) -> list[types.CodeType]:
    found: list[types.CodeType] = []
    pending = [code for code in codes if code is not None]
    while pending:
        code = pending.pop()
        found.append(code)
        pending.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
    return found


def _forget(filename: str) -> None:
    entry = linecache.cache.get(filename)
    if entry is not None and entry[1] is None:  # ours (no mtime); never a real file's entry
        linecache.cache.pop(filename, None)
