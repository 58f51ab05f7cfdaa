"""Save a session's namespace (``__main__.__dict__``) to bytes and bring it back, here or in a fresh process.

Layout (all integers little-endian)::

    b"PYR3CKPT" | u32 format version | u64 n + n bytes of JSON header | u64 n + n bytes of pickle stream
    | u64 buffer count | per out-of-band buffer: u64 n, zero padding to its alignment, n bytes

The JSON header (``read_header``) holds the Python ``major.minor``, creation time, execution count, the names
saved and skipped, which pickler wrote the stream, the SHA-256 of the pickle stream and of every out-of-band
buffer (pickle protocol 5: numpy arrays, ``PickleBuffer``; runner/_digest.py). A buffer of 1 MiB or more starts
at a multiple of 64 KiB counted from the start of the signed file (lib/checkpoint.ts puts a 12-byte prefix in
front of these bytes), so a file's arrays are memory-mapped page-aligned (checkpoint_file.py); smaller buffers
start at multiples of 64 bytes.

The checksums catch damage, not forgery: anyone can recompute them. Restoring unpickles, which runs code, so
the library signs a checkpoint with a key Python never sees (lib/checkpoint.ts): an HMAC of the SHA-256 of
everything up to the end of the pickle stream (``signed_digest``), which includes the header, which holds the
SHA-256 of every buffer. A restore checks every buffer against the header before unpickling anything. As a
second line, a restore binds only the names the header lists, and refuses a header naming a dunder or ``_``:
a crafted ``__builtins__`` can never replace the session's.

Names saved: every key that is not a dunder and not ``_`` (the REPL's last result, rebound by the display hook
after every cell; restoring an old one would be misleading). ``load_namespace`` likewise leaves dunders and
``_`` in the target as they are and replaces everything else.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import pickle
import struct
import hashlib
import sys
import types
from typing import Any, ContextManager, Dict, List, Optional, Tuple, Union

from ._checkpoint_io import ChunkWriter, DiscardWriter, ViewReader
from ._digest import buffer_digests
from ._pickler import NAMESPACE_REF, SessionPickler, SessionUnpickler, cloud_pickler_class

MAGIC = b"PYR3CKPT"
FORMAT_VERSION = 3  # 3: SHA-256 of every part, big buffers page-aligned (2: CRC-32s, signed whole)
SIGNED_PREFIX = b"PYR3SIGN" + struct.pack("<I", 2)  # lib/checkpoint.ts: signature version 2 signs signed_digest
MAC_BYTES = 32
_ALIGN = 64
_PAGE_ALIGN = 1 << 16  # the largest page size in use (arm64 Linux); 4 KiB and 16 KiB divide it
_PAGE_MIN = 1 << 20  # buffers this big are page-aligned
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_PYTHON = "%d.%d" % sys.version_info[:2]


class CheckpointError(Exception):
    """A checkpoint could not be written or restored; the message says why, for the user."""


class CheckpointChangedError(CheckpointError):
    """The checkpoint file is not the one whose signature Deno checked: it was replaced in between (Deno checks
    the new one and asks again: lib/checkpoint_file.ts)."""


def is_session_name(name: Any) -> bool:
    """True for the names a checkpoint saves and a restore replaces: not dunders, not ``_``."""
    return isinstance(name, str) and name != "_" and not (name.startswith("__") and name.endswith("__"))


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _StreamBuilder:
    """One pickler for the whole namespace, one ``dump`` per name into the same stream.

    The memo carries over between dumps, so ``b = a`` is restored as the same object. A name that fails is
    cut out: its partial output and buffers are dropped and its memo entries rolled back. An empty list
    dumped in front of each value marks where that name's memo entries start, so the cost of a failure is
    one copy of the memo, and a namespace where everything pickles is pickled exactly once.
    """

    def __init__(self, pickler_class: type, namespace: dict) -> None:
        self.writer = ChunkWriter()
        self.buffers: List[Any] = []
        self._pickler = pickler_class(self.writer, namespace, self._keep)

    def _keep(self, buffer: pickle.PickleBuffer) -> bool:
        try:
            self.buffers.append(buffer.raw())  # a memoryview of the object's memory, not a copy
        except BufferError:  # not contiguous: let pickle copy it in-band
            return True
        return False

    def add(self, value: Any) -> Optional[str]:
        """Append `value`; return why it cannot be pickled (and leave the stream as it was), or None."""
        chunks, buffers, marker = len(self.writer.chunks), len(self.buffers), []
        try:
            self._pickler.dump((marker, value))
        except BaseException as exc:  # any failure means "skip this name", reported with the error
            if _stops_checkpoint(exc):
                raise
            del self.writer.chunks[chunks:], self.buffers[buffers:]
            memo = self._pickler.memo.copy()
            if id(marker) in memo:
                mark = memo[id(marker)][0]
                self._pickler.memo = {key: entry for key, entry in memo.items() if entry[0] < mark}
            return _reason(exc)
        return None


def _stops_checkpoint(exc: BaseException) -> bool:
    """An interrupt (or the CPU limit's signal) stops the whole checkpoint; any other exception of the code a
    value runs as it is pickled (SystemExit, GeneratorExit included) only skips that value."""
    return isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "CpuTimeLimitExceeded"


def _trial(pickler_class: type, value: Any, namespace: dict) -> bool:
    """Whether `value` pickles alone with `pickler_class`; big buffers are discarded, not copied."""
    try:
        pickler_class(DiscardWriter(), namespace, lambda buffer: False).dump(value)
    except BaseException as exc:
        if _stops_checkpoint(exc):
            raise
        return False
    return True


def _build(pickler_class: type, namespace: dict, values: Dict[str, Any]) -> Tuple[_StreamBuilder, Dict[str, str]]:
    builder = _StreamBuilder(pickler_class, namespace)
    failures = {}
    for name, value in values.items():
        reason = builder.add(NAMESPACE_REF if value is namespace else value)
        if reason is not None:
            failures[name] = reason
    return builder, failures


def _pickle_namespace(namespace: dict, values: Dict[str, Any]) -> Tuple[str, _StreamBuilder, Dict[str, str]]:
    """Pickle with the standard library; redo with cloudpickle only if that saves a name the first pass could not."""
    builder, failures = _build(SessionPickler, namespace, values)
    cloud = cloud_pickler_class()
    if failures and cloud is not None and any(_trial(cloud, values[name], namespace) for name in failures):
        return ("cloudpickle", *_build(cloud, namespace, values))
    return "stdlib", builder, failures


def dump_namespace(namespace: dict, execution_count: int) -> Tuple[bytes, List[str], List[Dict[str, str]]]:
    """Save the session names of `namespace` as one bytes object; see dump_namespace_parts."""
    parts, names, skipped = dump_namespace_parts(namespace, execution_count)
    return b"".join(parts), names, skipped  # the only copy of the bulk data


def dump_namespace_parts(namespace: dict,
                         execution_count: int) -> Tuple[List[Any], List[str], List[Dict[str, str]]]:
    """Save the session names of `namespace`; return (parts, names saved, skipped).

    `skipped` lists the values that cannot be saved (open files, sockets, generators, locks, threads, frames,
    containers holding them) as ``{"name", "type", "reason"}``; they never make the checkpoint fail. Functions
    and classes defined in the session are saved by value, modules by name, everything else by pickle
    (protocol 5, bulk data out-of-band). Raises CheckpointError only if the stream cannot be written at all.

    Returns the checkpoint as a list of buffers whose concatenation is the data, for a writer that can send
    them without joining (``os.writev``, ``socket.sendmsg``). Buffers may be views of live objects (numpy
    arrays): write them before running more user code.
    """
    dumped = _dump(namespace, execution_count)
    return dumped.parts, dumped.names, dumped.skipped


def _padding(offset: int, size: int) -> int:
    """Zero bytes in front of a buffer of `size` bytes at `offset` of the checkpoint (see the module docstring)."""
    return -(len(SIGNED_PREFIX) + offset) % (_PAGE_ALIGN if size >= _PAGE_MIN else _ALIGN)


class Dumped:
    """A pickled namespace laid out as parts (see dump_namespace_parts) and what made them."""

    def __init__(self, parts: List[Any], names: List[str], skipped: List[Dict[str, str]], signed: int,
                 fields: Dict[str, Any], buffers: List[Any]) -> None:
        self.parts, self.names, self.skipped = parts, names, skipped
        self.signed = signed  # how many of the parts signed_digest covers
        self.fields = fields  # the JSON header's fields
        self.buffers = buffers  # the out-of-band buffers, as flat views of bytes

    def set_digests(self, digests: List[str]) -> None:
        """Put the buffers' digests in a header made with placeholders (same length: it changes in place)."""
        self.fields["buffer_sha256"] = digests
        header = json.dumps(self.fields).encode()
        if len(header) != len(self.parts[3]):
            raise CheckpointError("internal error: the header changed length")
        self.parts[3] = header


def _dump(namespace: dict, execution_count: int, digests: bool = True) -> Dumped:
    """dump_namespace_parts; with `digests` False, the header holds placeholders of the same length
    (``Dumped.set_digests``), so the caller hashes the buffers while it writes them."""
    values = {name: value for name, value in namespace.items() if is_session_name(name)}
    kind, builder, failures = _pickle_namespace(namespace, values)
    skipped = [{"name": name, "type": _type_name(values[name]), "reason": reason} for name, reason in failures.items()]
    names = [name for name in values if name not in failures]
    chunks, buffers = builder.writer.chunks, builder.buffers
    stream_size = sum(map(len, chunks))
    stream_hash = hashlib.sha256()
    for chunk in chunks:
        stream_hash.update(chunk)
    fields = {
        "format_version": FORMAT_VERSION,
        "python": _PYTHON,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "execution_count": execution_count,
        "names": names,
        "skipped": skipped,
        "pickler": kind,
        "modules": _modules(values[name] for name in names),
        "pickle_sha256": stream_hash.hexdigest(),
        "readonly_buffers": [i for i, buffer in enumerate(buffers) if buffer.readonly],
        # raw(): flat views of bytes
        "buffer_sha256": buffer_digests(buffers) if digests else ["0" * 64] * len(buffers),
    }
    header = json.dumps(fields).encode()
    parts: List[Any] = [MAGIC, _U32.pack(FORMAT_VERSION), _U64.pack(len(header)), header, _U64.pack(stream_size)]
    parts.extend(chunks)
    signed = len(parts)
    parts.append(_U64.pack(len(buffers)))
    offset = len(MAGIC) + 4 + 8 + len(header) + 8 + stream_size + 8
    for buffer in buffers:
        offset += 8
        padding = _padding(offset, buffer.nbytes)
        parts += [_U64.pack(buffer.nbytes), bytes(padding), buffer]
        offset += padding + buffer.nbytes
    return Dumped(parts, names, skipped, signed, fields, buffers)


def _modules(values: Any) -> List[str]:
    """The top-level packages the values' types (or the modules themselves) come from, for a restore to import
    while the bytes still arrive (_checkpoint_recv.py)."""
    found = set()
    for value in values:
        module = value.__name__ if isinstance(value, types.ModuleType) else type(value).__module__
        if isinstance(module, str):
            found.add(module.partition(".")[0])
    return sorted(found - {"builtins", "__main__", "_io"})


def signed_digest(covered: List[Any]) -> bytes:
    """The SHA-256 a checkpoint's signature covers: the signed prefix, then `covered` (the checkpoint's bytes up to
    the end of the pickle stream: magic, version, header, stream). The header holds every buffer's SHA-256."""
    digest = hashlib.sha256(SIGNED_PREFIX)
    for part in covered:
        digest.update(part)
    return digest.digest()


class _Cursor:
    """Bounds-checked reading of the layout; every overrun is a CheckpointError."""

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.pos = 0

    def take(self, size: int, what: str) -> memoryview:
        if size > len(self.view) - self.pos:
            raise CheckpointError(f"checkpoint is truncated or corrupt: {what} runs past the end of the data")
        chunk = self.view[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def u64(self, what: str) -> int:
        return _U64.unpack(self.take(8, what))[0]


def _open(data: Union[bytes, bytearray, memoryview]) -> Tuple[Dict[str, Any], _Cursor]:
    try:
        view = memoryview(data).cast("B")
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint data must be contiguous bytes: {exc}") from exc
    cursor = _Cursor(view)
    if bytes(cursor.take(len(MAGIC), "the magic number")) != MAGIC:
        raise CheckpointError("not a PyREPL3 checkpoint (wrong magic number)")
    version = _U32.unpack(cursor.take(4, "the format version"))[0]
    raw = cursor.take(cursor.u64("the header length"), "the header")
    try:
        header = json.loads(bytes(raw).decode())
    except ValueError as exc:
        if version > FORMAT_VERSION:
            raise CheckpointError(f"checkpoint format {version} is newer than this PyREPL3 reads") from exc
        raise CheckpointError(f"checkpoint header is corrupt: {exc}") from exc
    if not isinstance(header, dict):
        raise CheckpointError("checkpoint header is corrupt: not a JSON object")
    header["format_version"] = version
    return header, cursor


def read_header(data: Union[bytes, bytearray, memoryview]) -> Dict[str, Any]:
    """The checkpoint's JSON header (format_version, python, created_at, execution_count, names, skipped, ...).

    Reads no pickle data, and accepts checkpoints of other Python versions so a caller can say what they are.
    """
    return _open(data)[0]


def _check(header: Dict[str, Any]) -> None:
    if header["format_version"] > FORMAT_VERSION:
        raise CheckpointError(f"checkpoint format {header['format_version']} is newer than this PyREPL3 reads "
                              f"(up to {FORMAT_VERSION}); upgrade PyREPL3 to restore it")
    if header["format_version"] < FORMAT_VERSION:
        raise CheckpointError(f"checkpoint format {header['format_version']} is from an older PyREPL3 (this one reads "
                              f"{FORMAT_VERSION}); restore it with the PyREPL3 that made it and take a new checkpoint")
    if header.get("python") != _PYTHON:
        raise CheckpointError(f"checkpoint was made by Python {header.get('python')}; this is {_PYTHON}")
    fields = {"names": list, "execution_count": int, "pickle_sha256": str, "readonly_buffers": list,
              "buffer_sha256": list}
    for field, kind in fields.items():
        if not isinstance(header.get(field), kind):
            raise CheckpointError(f"checkpoint header is corrupt: bad or missing {field!r}")
    if not all(isinstance(name, str) for name in header["names"]):
        raise CheckpointError("checkpoint header is corrupt: a name is not a string")
    refused = [name for name in header["names"] if not is_session_name(name)]
    if refused:  # only a crafted checkpoint names these: a restore never replaces __builtins__ and co.
        raise CheckpointError(f"checkpoint names {refused[0]!r}, which a checkpoint never holds; refusing it")
    if len(set(header["names"])) != len(header["names"]):
        raise CheckpointError("checkpoint header is corrupt: a name is listed twice")
    if not all(isinstance(digest, str) for digest in header["buffer_sha256"]):
        raise CheckpointError("checkpoint header is corrupt: a buffer checksum is not text")
    if header.get("pickler") == "cloudpickle" and cloud_pickler_class() is None:
        raise CheckpointError("checkpoint needs cloudpickle to restore, and cloudpickle is not importable here")


def _buffers(cursor: _Cursor, header: Dict[str, Any], known: Optional[List[str]]) -> List[Any]:
    """Slice the out-of-band buffers and check each one's SHA-256; copy only to make a buffer writable that was
    writable when saved, when the data is read-only."""
    digests = header["buffer_sha256"]
    count = cursor.u64("the buffer count")
    if count != len(digests):
        raise CheckpointError("checkpoint is corrupt: the buffer count does not match the header's checksums")
    views = []
    for index in range(count):
        size = cursor.u64(f"buffer {index}'s length")
        cursor.take(_padding(cursor.pos, size), f"buffer {index}'s padding")
        views.append(cursor.take(size, f"buffer {index}"))
    if cursor.pos != len(cursor.view):
        raise CheckpointError("checkpoint is corrupt: unexpected data after the last buffer")
    # `known`: the digests of these very bytes, hashed as they arrived (_checkpoint_recv.py)
    for index, digest in enumerate(known if known is not None and len(known) == count else buffer_digests(views)):
        if digest != digests[index]:
            raise CheckpointError(f"checkpoint is corrupt: out-of-band buffer {index}'s checksum does not match")
    writable = not cursor.view.readonly
    frozen = set(header["readonly_buffers"])
    return [view.toreadonly() if index in frozen else view if writable else bytearray(view)
            for index, view in enumerate(views)]


def stream_end(data: Union[bytes, bytearray, memoryview]) -> int:
    """Where the pickle stream ends in a checkpoint's bytes: ``signed_digest`` covers the bytes before it."""
    _header, cursor = _open(data)
    cursor.take(cursor.u64("the pickle stream length"), "the pickle stream")
    return cursor.pos


def load_namespace(data: Union[bytes, bytearray, memoryview], target: dict, digest: Optional[bytes] = None,
                   known_digests: Optional[List[str]] = None,
                   unpickling: Optional[ContextManager[Any]] = None) -> Tuple[List[str], int]:
    """Restore a checkpoint into `target`; return (names, execution_count).

    Validates everything (layout, header, checksums of the stream and of every buffer, and `digest` when given:
    the ``signed_digest`` the library verified; `known_digests`: the buffers' SHA-256, already computed over
    these very bytes) and unpickles into a fresh dict first; only then are `target`'s
    session names replaced (dunders and ``_`` stay; a header naming one is refused). Unpickling runs code: pass
    only data whose signature the library verified, or that the user trusts. On any error raises CheckpointError
    and leaves `target` unchanged. Pass a ``bytearray`` (or a writable mapping) to let restored numpy arrays use
    the data in place; read-only ``bytes`` costs one copy of each writable buffer. `unpickling` is entered around
    the unpickling only (the code the checkpoint runs): the interpreter makes that part interruptible, never the
    replacement of `target`'s names that follows.
    """
    header, cursor = _open(data)
    _check(header)
    stream = cursor.take(cursor.u64("the pickle stream length"), "the pickle stream")
    if digest is not None and signed_digest([cursor.view[:cursor.pos]]) != digest:
        raise CheckpointChangedError("checkpoint changed after its signature was checked (the file was "
                                     "rewritten?); refusing it")
    if hashlib.sha256(stream).hexdigest() != header["pickle_sha256"]:
        raise CheckpointError("checkpoint is corrupt: the pickle stream's checksum does not match")
    buffers = _buffers(cursor, header, known_digests)
    reader = ViewReader(stream)
    unpickler = SessionUnpickler(reader, target, buffers)
    fresh: Dict[str, Any] = {}
    with unpickling if unpickling is not None else contextlib.nullcontext():
        try:
            for name in header["names"]:
                fresh[name] = unpickler.load()[1]  # (marker, value): see _StreamBuilder
        except Exception as exc:  # a missing module, a failing __setstate__, corrupt data: all refuse the restore
            raise CheckpointError(f"could not restore the checkpoint: {_reason(exc)}") from exc
    if reader.remaining():
        raise CheckpointError("checkpoint is corrupt: the pickle stream holds more values than the header names")
    for name in [name for name in target if is_session_name(name)]:
        del target[name]
    target.update(fresh)
    return list(fresh), header["execution_count"]
