"""Receive a checkpoint's bytes and hash its buffers while they arrive.

restore(bytes) is a transfer plus a SHA-256 of every out-of-band buffer (the check its signature relies on).
One after the other, the hashing added ~60% to the transfer (512 MB: ~0.3-0.45 s of SHA-256 after ~0.5 s of
transfer, measured); here two threads hash each 16 MiB piece as soon as it has arrived, so most of it overlaps
the transfer, and load_namespace only compares the digests. The modules the values come from (the header's
``modules``) are imported meanwhile too: numpy's import is a good part of restoring an array into a fresh
session. (A signed checkpoint's header was verified before it was sent; under ``trust: true`` the user accepted
that restoring runs what the checkpoint names.) The bytes land in a private anonymous memory map: unlike
``bytearray(n)`` it is not zero-filled by a pass of its own before the data is written over it (writing 512 MB
into fresh memory here: 0.26-0.27 s populated at once with MAP_POPULATE, 0.29-0.34 s faulted page by page,
against 0.37-0.41 s for a bytearray and 0.38-0.47 s for a shared map).

The thread only reads what has arrived. If the layout is not what it expects (a truncated or corrupt
checkpoint) it stops, and load_namespace computes and reports as it would without it.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import mmap
import struct
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

from ._digest import PIECE
from ._threads import Condition, runner_thread
from .checkpoint import _padding

_U64 = struct.Struct("<Q")


class ReceivedCheckpoint:
    """A checkpoint's bytes (`data`, a writable anonymous map) and the digests of its buffers hashed on arrival."""

    def __init__(self, data: Any, digests: Optional[List[str]]) -> None:
        self.data = data
        self.digests = digests


def receive_checkpoint(reader: Any, count: int) -> ReceivedCheckpoint:
    """Read `count` blob bytes from `reader` (framing.FrameReader), hashing buffers as they arrive."""
    hasher = _ArrivalHasher()
    try:
        data = reader.read_blob(count, allocate=hasher.allocate, progress=hasher.arrived)
    except _NoMemory:  # over limits.memoryBytes, say: read the bytes past, so the session lives on, and refuse
        hasher.finish(0)
        _discard(reader, count)
        return ReceivedCheckpoint(None, None)
    except BaseException:
        hasher.finish(0)  # the stream ended inside the blob: stop the thread, it will not get its bytes
        raise
    return ReceivedCheckpoint(data, hasher.finish(count))


class _NoMemory(MemoryError):
    """No memory for the checkpoint's bytes (before any was read)."""


def _discard(reader: Any, count: int) -> None:
    """Read `count` blob bytes and drop them, a MiB at a time."""
    while count > 0:
        piece = min(count, 1 << 20)
        reader.read_blob(piece)
        count -= piece


class _ArrivalHasher:
    """Hashes the buffers' 16 MiB pieces as they arrive, on two threads (pieces alternate between them): once the
    transfer is done, the rest of the hashing takes half the time on two free cores."""

    THREADS = 2

    def __init__(self) -> None:
        self._view: Optional[memoryview] = None
        self._filled = 0
        self._wanted = 1
        self._done = False
        self._failed = False
        self._sizes: List[int] = []
        self._pieces: Dict[Tuple[int, int], bytes] = {}
        self._ready = Condition()
        self._importer: Optional[threading.Thread] = None
        self._threads = [runner_thread(self._run, "pyrepl3-restore-digest", (k,)) for k in range(self.THREADS)]

    def allocate(self, count: int) -> Any:
        # Private, never shared: a savepoint's fork must get its own copy of a page it writes. Populated at once
        # (Linux): one call faults the pages in, cheaper than a fault per page as the data arrives.
        try:
            flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0)
            memory: Any = mmap.mmap(-1, count, flags=flags) if count else bytearray()
        except Exception:  # noqa: BLE001 - mmap unusable (no memory to map): plain memory
            try:
                memory = bytearray(count)
            except MemoryError:
                raise _NoMemory() from None
        self._view = memoryview(memory)
        for thread in self._threads:
            thread.start()
        return memory

    def arrived(self, filled: int) -> None:
        self._filled = filled
        if filled >= self._wanted:
            with self._ready:
                self._ready.notify_all()

    def finish(self, count: int) -> Optional[List[str]]:
        if self._view is None:
            return None  # never allocated: the threads never started
        with self._ready:
            self._filled = count
            self._done = True
            self._ready.notify_all()
        for thread in self._threads:
            thread.join()
        if self._importer is not None:
            self._importer.join()
        self._view = None  # (the threads are done with it)
        if self._failed:
            return None
        return [hashlib.sha256(b"".join(self._pieces[index, piece] for piece in range(max(1, -(-size // PIECE)))))
                .hexdigest() for index, size in enumerate(self._sizes)]

    def _wait(self, end: int) -> bool:
        """Wait until byte `end` has arrived; False when the blob ended before it."""
        while self._filled < end and not self._done:
            with self._ready:
                if self._filled >= end or self._done:
                    break
                # Woken when the first waiter's byte arrived; a later waiter rechecks within 50 ms at worst.
                self._wanted = end if self._wanted <= self._filled else min(self._wanted, end)
                self._ready.wait(0.05)
        return self._filled >= end

    def _u64(self, at: int) -> Optional[int]:
        if not self._wait(at + 8):
            return None
        return _U64.unpack_from(self._view, at)[0]  # type: ignore[arg-type]

    def _run(self, which: int) -> None:
        try:
            if not self._hash_all(which):
                self._failed = True
        except Exception:  # a layout this thread does not expect: load_namespace reports it
            self._failed = True

    def _prefetch(self, header: bytes) -> None:
        """Import the modules the checkpoint's values come from (numpy: ~0.15 s) on a thread of their own, while
        the bytes still arrive, instead of in the unpickler afterwards."""
        self._importer = prefetch_modules(json.loads(header.decode()).get("modules"))

    def _hash_all(self, which: int) -> bool:
        """Hash every THREADS-th piece, starting at piece `which` (thread 0 also notes the sizes and prefetches)."""
        view = self._view
        header = self._u64(12)
        if header is None:
            return False
        stream = self._u64(20 + header)
        if stream is None:
            return False
        if which == 0:
            self._prefetch(bytes(view[20:20 + header]))  # type: ignore[index]
        at = 28 + header + stream
        count = self._u64(at)
        if count is None:
            return False
        at += 8
        turn = 0
        for index in range(count):
            size = self._u64(at)
            if size is None:
                return False
            if which == 0:
                self._sizes.append(size)
            at += 8
            at += _padding(at, size)
            for piece, start in enumerate(range(at, at + max(size, 1), PIECE)):
                turn += 1
                if turn % self.THREADS != which:
                    continue
                end = min(start + PIECE, at + size)
                if not self._wait(end):
                    return False
                self._pieces[index, piece] = hashlib.sha256(view[start:end]).digest()  # type: ignore[index]
            at += size
        return True


def prefetch_modules(modules: Any) -> Optional[threading.Thread]:
    """Start importing the header's ``modules`` not imported yet on a thread; None when there are none."""
    if not isinstance(modules, list):
        return None
    missing = [name for name in modules if isinstance(name, str) and name not in sys.modules]
    if not missing:
        return None
    thread = runner_thread(_import_all, "pyrepl3-restore-import", (missing,))
    thread.start()
    return thread


def _import_all(names: List[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except BaseException:  # the unpickler imports it again, in the main thread, and reports what fails
            pass


def precomputed(received: Any) -> Tuple[Any, Optional[List[str]]]:
    """(data, digests) of what the interpreter received: a ReceivedCheckpoint, or plain bytes (no digests)."""
    if isinstance(received, ReceivedCheckpoint):
        if received.data is None:
            from .checkpoint import CheckpointError

            raise CheckpointError("not enough memory to receive the checkpoint (limits.memoryBytes?); the session "
                                  "is unchanged")
        return received.data, received.digests
    return received, None

