"""Cell sources for tracebacks and ``inspect``: registered with linecache, forgotten once nothing can need them.

Each cell's source goes into ``linecache`` under the cell's name (``<cell N>``), so tracebacks and
``inspect.getsource`` show the user's lines. Keeping every source grows without bound (2,000 cells of 50 KB
held about 100 MB). A source is kept while its cell is one of the last ``RECENT`` cells, or while any code
object compiled from it is alive: a function or class method defined in the cell, a generator, a frame in a
saved traceback. Code objects are watched through weak references (without callbacks: a cell costs two
weak references, about a microsecond). A cell leaving the recent window is forgotten at once when none of
its code lives; otherwise it is held, and looked at again in a sweep once every ``max(RECENT, held)`` cells
(or when the held cells double): the work per cell stays constant however many functions a session defines,
and a source is forgotten at most that many cells after its last function died.
"""
from __future__ import annotations

import collections
import linecache
import types
import weakref
from typing import Iterable, List, Optional, Tuple

RECENT = 32


_Cell = Tuple[str, tuple, List["weakref.ref[types.CodeType]"]]  # name, its linecache entry, weak refs to its code


class CellSources:
    """The linecache entries of the cells, bounded as described above."""

    def __init__(self, recent: int = RECENT) -> None:
        self.recent = recent
        self._window: collections.deque[_Cell] = collections.deque()
        self._held: list[_Cell] = []
        self._next_sweep = recent
        self._countdown = recent

    def add(self, filename: str, source: str) -> None:
        """Register the source of a new cell; forget the sources that nothing needs any more."""
        entry = (len(source), None, source.splitlines(True), filename)
        linecache.cache[filename] = entry
        window = self._window
        window.append((filename, entry, []))
        if len(window) > self.recent:
            cell = window.popleft()
            if _alive(cell):
                self._held.append(cell)
            else:
                _release(cell)
        self._countdown -= 1
        if self._countdown <= 0 or len(self._held) >= self._next_sweep:
            self._sweep()

    def track(self, filename: str, codes: Iterable[Optional[types.CodeType]]) -> None:
        """Keep the source of the newest cell ``filename`` while any of ``codes`` (or code nested in them) lives."""
        if self._window:
            name, _entry, refs = self._window[-1]
            if name == filename:
                refs.extend(map(weakref.ref, _walk(codes)))

    def kept(self) -> list[str]:
        """The cell names whose sources linecache holds now (for tests and diagnostics)."""
        return [cell[0] for cell in (*self._window, *self._held) if linecache.cache.get(cell[0]) is cell[1]]

    def _sweep(self) -> None:
        held = []
        for cell in self._held:
            if _alive(cell):
                held.append(cell)
            else:
                _release(cell)
        self._held = held
        self._next_sweep = max(self.recent, 2 * len(held))
        self._countdown = max(self.recent, len(held))


def _alive(cell: _Cell) -> bool:
    for ref in cell[2]:
        if ref() is not None:
            return True
    return False


def _release(cell: _Cell) -> None:
    """Drop the cell's linecache entry, unless a newer cell of the same name (after restore()) replaced it."""
    if linecache.cache.get(cell[0]) is cell[1]:
        del linecache.cache[cell[0]]


def _walk(codes: Iterable[Optional[types.CodeType]]) -> list[types.CodeType]:
    """The code objects and every code object nested in them (functions, classes, comprehensions)."""
    found = [code for code in codes if code is not None]
    for code in found:  # grows while it is walked
        for const in code.co_consts:
            if type(const) is _CodeType:
                found.append(const)
    return found


_CodeType = types.CodeType
