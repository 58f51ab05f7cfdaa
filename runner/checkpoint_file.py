"""Checkpoints straight to and from files: the worker writes and reads them, the bytes never pass through Deno.

A checkpoint file holds exactly what ``Checkpoint.data`` holds (lib/checkpoint.ts)::

    b"PYR3SIGN" | u32 signature version 2 | the checkpoint's bytes (checkpoint.py) | HMAC-SHA256 (32 bytes)

The key stays in Deno. Writing, the worker writes everything but the HMAC to a temporary file Deno named (hashing the buffers on a
thread meanwhile, then putting their digests in the header, which was written with placeholders), and
answers with the ``signed_digest``; Deno appends the HMAC of that digest, flushes the file to disk and renames it
over the target (and removes the temporary file if anything fails, the worker's death included). Reading, Deno
checks the HMAC against the digest of the file's first part and sends that digest; the worker maps the file
copy-on-write, checks that its own digest of the same part matches (the file was not swapped in between) and
that every buffer's SHA-256 matches the header, and only then unpickles. Restored numpy arrays use the mapped
pages: writable, private to the session, read from the file as they are touched after the checks.
"""
from __future__ import annotations

import mmap
import os
import stat
from typing import Any, ContextManager, Dict, List, Optional, Tuple

from ._digest import buffer_digests
from ._threads import runner_thread
from .checkpoint import (MAC_BYTES, MAGIC, SIGNED_PREFIX, CheckpointError, Dumped, _dump, load_namespace,
                         signed_digest)

_WRITE_BATCH = 512  # iovecs per writev(), under every platform's IOV_MAX


def write_checkpoint_file(namespace: dict, execution_count: int, temp_path: str) -> Dict[str, Any]:
    """Write the namespace's checkpoint, unsigned, to `temp_path` (created: it must not exist).

    Returns ``{"digest": hex signed_digest, "header": the JSON header text, "size": the file's size once signed}``.
    On a failure the file is removed and CheckpointError raised.
    """
    dumped = _dump(namespace, execution_count, digests=False)
    try:
        fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise CheckpointError(f"cannot create the checkpoint file: {exc}") from exc
    try:
        try:
            size = _write_hashing(fd, dumped)
        finally:
            os.close(fd)
    except BaseException as exc:
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise CheckpointError(f"cannot write the checkpoint file: {exc}") from exc
        raise
    digest = signed_digest(dumped.parts[:dumped.signed])
    return {"digest": digest.hex(), "header": dumped.parts[3].decode(), "size": size + MAC_BYTES}


def _write_hashing(fd: int, dumped: Dumped) -> int:
    """Write the file while a thread hashes the buffers (both release the GIL: they overlap), then rewrite the
    header in place with the digests. Returns the size written."""
    digests: List[str] = []
    # One hashing thread: the write is the other one busy (more threads only slowed the write, measured).
    hasher = runner_thread(lambda: digests.extend(buffer_digests(dumped.buffers, 1)), "pyrepl3-checkpoint-digest")
    hasher.start()
    try:
        size = _write_all(fd, [SIGNED_PREFIX, *dumped.parts])
        # Flush the bulk to disk while the hashing finishes: Deno's fsync after the signature then has only
        # the header and the signature left to write.
        os.fsync(fd)
    finally:
        hasher.join()
    if len(digests) != len(dumped.buffers):
        raise CheckpointError("could not hash the checkpoint's buffers")
    dumped.set_digests(digests)
    os.pwrite(fd, dumped.parts[3], len(SIGNED_PREFIX) + len(MAGIC) + 4 + 8)
    return size


def _write_all(fd: int, parts: List[Any]) -> int:
    """writev() every part, _WRITE_BATCH at a time; linear in the number of parts (a namespace of 100,000 small
    arrays has 300,000: popping each off the front of the list took 3.4 s of a 6.5 s write, measured)."""
    views = [part if isinstance(part, bytes) else memoryview(part).cast("B") for part in parts if len(part)]
    total = 0
    start = 0
    while start < len(views):
        batch = views[start:start + _WRITE_BATCH]
        written = os.writev(fd, batch)
        total += written
        for view in batch:
            if written < len(view):
                break
            written -= len(view)
            start += 1
        if written:  # a short write ended inside views[start]
            views[start] = memoryview(views[start])[written:]
    return total


def load_checkpoint_file(path: str, target: dict, digest: Optional[str],
                         unpickling: Optional[ContextManager[Any]] = None) -> Tuple[List[str], int]:
    """Restore the checkpoint file at `path` into `target`; return (names, execution_count).

    `digest` is the hex ``signed_digest`` whose HMAC the library verified; None restores without it (an unsigned
    file, or ``trust: true``), still checking every checksum. Raises CheckpointError, `target` unchanged.
    `unpickling`: see load_namespace.
    """
    try:  # non-blocking: a FIFO swapped in after Deno's check must not make the open wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise CheckpointError(f"cannot open the checkpoint file: {exc}") from exc
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise CheckpointError("the checkpoint file is not a regular file (a directory, a FIFO or a device)")
        size = status.st_size
        if size < len(MAGIC):
            raise CheckpointError("the checkpoint file is truncated or empty")
        mapping = mmap.mmap(fd, size, access=mmap.ACCESS_COPY)
    except OSError as exc:
        raise CheckpointError(f"cannot map the checkpoint file: {exc}") from exc
    finally:
        os.close(fd)
    view = memoryview(mapping)
    if view[:len(MAGIC)] == MAGIC:
        if digest is not None:
            raise CheckpointError("the checkpoint file is not signed")
        raw = view
    elif view[:8] == SIGNED_PREFIX[:8]:
        if view[:len(SIGNED_PREFIX)] != SIGNED_PREFIX:
            raise CheckpointError("the checkpoint file's signature version is not the one this PyREPL3 reads")
        if size < len(SIGNED_PREFIX) + MAC_BYTES:
            raise CheckpointError("the checkpoint file is truncated (signature)")
        raw = view[len(SIGNED_PREFIX):size - MAC_BYTES]
    else:
        raise CheckpointError("not a PyREPL3 checkpoint file (wrong magic number)")
    return load_namespace(raw, target, None if digest is None else bytes.fromhex(digest), unpickling=unpickling)
