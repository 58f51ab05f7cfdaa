"""File-like adapters between pickle and a checkpoint's memory: no copies beyond the one that is needed."""
from __future__ import annotations

from typing import Any, List


class ViewReader:
    """A read-only file over a memoryview, so the unpickler reads large payloads without an extra copy."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size < 0 else min(len(self._view), self._pos + size)
        chunk = bytes(self._view[self._pos:end])
        self._pos = end
        return chunk

    def remaining(self) -> int:
        return len(self._view) - self._pos

    def readinto(self, buffer: Any) -> int:
        out = memoryview(buffer).cast("B")
        count = min(len(out), len(self._view) - self._pos)
        out[:count] = self._view[self._pos:self._pos + count]
        self._pos += count
        return count

    def readline(self) -> bytes:
        start = self._pos
        while self._pos < len(self._view):
            window = bytes(self._view[self._pos:self._pos + 4096])
            newline = window.find(b"\n")
            if newline >= 0:
                self._pos += newline + 1
                return bytes(self._view[start:self._pos])
            self._pos += len(window)
        return bytes(self._view[start:self._pos])


class DiscardWriter:
    """A file that forgets what it is given: trial pickling costs no copies."""

    def write(self, data: Any) -> int:
        return len(data)


class ChunkWriter:
    """A file that keeps references to what it is given; the caller joins the chunks once.

    Pickle hands over a large ``bytes`` payload itself, so it is not copied here. Anything else (a bytearray)
    is copied: user code run later in the same dump (a ``__reduce__``) could resize it after its length was
    written.
    """

    def __init__(self) -> None:
        self.chunks: List[bytes] = []

    def write(self, data: Any) -> int:
        self.chunks.append(data if type(data) is bytes else bytes(data))
        return len(self.chunks[-1])
