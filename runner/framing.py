"""Length-prefixed frames: a 4-byte big-endian length, then one msgpack-encoded message.

Every message the worker sends can be encoded: text holding a lone surrogate (a non-UTF-8 file name from
``os.listdir``, ``'\\udcff'`` in an error message or in printed output) is sent with each surrogate escaped as
``\\udcff`` text (Python's ``backslashreplace``), and a value msgpack has no form for is sent as its repr text.
The first attempt encodes the message as it is, so this costs nothing unless it is needed.
"""
from __future__ import annotations

import contextlib
import struct
import threading
from os import read as _read, readv as _readv, write as _write, writev as _writev  # bound now: user code may replace os.write
from select import select as _select
from typing import Any, Callable, Optional

from .msgpack import ExtType, packb, unpackb

_LENGTH = struct.Struct(">I")
_IOV_MAX = 1024  # the most buffers one writev() takes (IOV_MAX on Linux)
MAX_FRAME = 1 << 31
_MAX_DEPTH = 200
_INT_RANGE = (-(1 << 63), 1 << 64)


class ProtocolError(Exception):
    """A frame that is not a valid message: the peer is not speaking our protocol."""


def encode_frame(message: Any) -> bytes:
    """Encode one message as a frame; never fails on odd text or values (see ``wire_safe``)."""
    try:
        payload = packb(message)
    except (UnicodeError, OverflowError, TypeError, ValueError, RecursionError):
        payload = packb(wire_safe(message))
    return _LENGTH.pack(len(payload)) + payload


def wire_safe(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` that msgpack can encode: surrogates escaped, unknown types as their repr text."""
    kind = type(value)
    if kind is str:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if value is None or kind is bool or kind is float or kind is bytes or kind is ExtType:
        return value
    if kind is int:
        return value if _INT_RANGE[0] <= value < _INT_RANGE[1] else _text(value)
    if kind is bytearray or kind is memoryview:
        return bytes(value)
    if depth >= _MAX_DEPTH:
        return "..."
    if kind is list or kind is tuple:
        return [wire_safe(item, depth + 1) for item in value]
    if kind is dict:
        return {wire_safe(key, depth + 1): wire_safe(item, depth + 1) for key, item in value.items()}
    return _text(value)


def _text(value: Any) -> str:
    """repr(value) as wire-safe text, or a description of why there is none (e.g. an int too long to print)."""
    try:
        text = repr(value)
    except BaseException as exc:  # noqa: BLE001 - a failing repr must not stop a frame
        text = f"<repr failed: {type(exc).__name__}>"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class FrameWriter:
    """Writes frames to a file descriptor; safe to call from several threads."""

    def __init__(self, fd: int, shield: Any = None) -> None:
        self.fd = fd
        self.lock = threading.Lock()
        # Entered around every write: holds back a KeyboardInterrupt so that no frame is cut in half.
        self.shield = shield if shield is not None else contextlib.nullcontext()

    def send(self, message: Any) -> None:
        """Encode and write one message atomically with respect to other senders."""
        frame = encode_frame(message)
        with self.shield, self.lock:
            self.write_locked(frame)

    def send_with_blob(self, message: dict, parts: list) -> None:
        """Send a message announcing ``blob`` raw bytes, then the bytes of ``parts`` unframed and uncopied."""
        views = [memoryview(part).cast("B") for part in parts]
        message["blob"] = sum(view.nbytes for view in views)
        frame = encode_frame(message)
        with self.shield, self.lock:
            self.write_locked(frame)
            self._write_views_locked(views)

    def _write_views_locked(self, views: list) -> None:
        """Write ``views`` in order with as few system calls as ``writev`` allows (a checkpoint of 100,000
        small arrays is 300,000 parts), going on after a short write where it stopped."""
        pending = [view for view in views if view.nbytes]
        start = 0
        while start < len(pending):
            written = _writev(self.fd, pending[start:start + _IOV_MAX])
            while written and written >= pending[start].nbytes:
                written -= pending[start].nbytes
                start += 1
            if written:
                pending[start] = pending[start][written:]

    def write_locked(self, frame: bytes | memoryview) -> None:
        """Write an encoded frame; the caller holds ``lock``."""
        view = memoryview(frame)
        while view:
            written = _write(self.fd, view)
            view = view[written:]


class FrameReader:
    """Reads frames from a file descriptor with one growing buffer."""

    def __init__(self, fd: int, shield: Any = None) -> None:
        self.fd = fd
        self._buffer = bytearray()
        # Entered where a KeyboardInterrupt would lose bytes, in an interruptible read (see ``read``).
        self.shield = shield if shield is not None else contextlib.nullcontext()

    def read(self, interruptible: bool = False) -> Any:
        """Return the next message, or raise EOFError when the peer closed the stream.

        ``interruptible``: a KeyboardInterrupt may end the wait (``input()`` waits for its reply in the main
        thread). It then never costs the stream its place: the wait is a ``select()``, and the bytes are read,
        kept and taken as a frame under ``shield``, so no byte read is dropped and no frame is half taken.
        """
        buffer = self._buffer
        while True:
            if len(buffer) >= 4:
                (length,) = _LENGTH.unpack_from(buffer)
                if length >= MAX_FRAME:
                    raise ProtocolError(f"frame of {length} bytes is too large")
                end = 4 + length
                if len(buffer) >= end:
                    break
                wanted = end - len(buffer)
            else:
                wanted = 4 - len(buffer)
            if interruptible:
                _select([self.fd], [], [])
                with self.shield:
                    chunk = _read(self.fd, max(65536, wanted))
                    buffer += chunk
            else:
                chunk = _read(self.fd, max(65536, wanted))
                buffer += chunk
            if not chunk:
                raise EOFError("peer closed the protocol stream")
        with self.shield:
            payload = bytes(buffer[4:end])
            del buffer[:end]
        try:
            return unpackb(payload)
        except (ValueError, TypeError) as error:
            raise ProtocolError(f"malformed frame: {error}") from error

    def read_blob(self, count: int, allocate: Callable[[int], Any] = bytearray,
                  progress: Optional[Callable[[int], None]] = None) -> Any:
        """Read ``count`` raw bytes that follow a frame into one new buffer (no intermediate copies).

        ``allocate(count)`` makes the writable buffer; ``progress(filled)`` is told how many bytes have arrived
        after each read (checkpoint restores hash what arrived while the rest is still on its way)."""
        blob = allocate(count)
        view = memoryview(blob)
        taken = min(len(self._buffer), count)
        view[:taken] = self._buffer[:taken]
        del self._buffer[:taken]
        filled = taken
        while filled < count:
            read = _readv(self.fd, [view[filled:]])
            if not read:
                raise EOFError("peer closed the protocol stream inside a blob")
            filled += read
            if progress is not None:
                progress(filled)
        return blob

    def buffered(self) -> bool:
        """True when bytes of a next frame are already buffered (select() would not report them)."""
        return len(self._buffer) > 0

    def read_available(self) -> list:
        """The messages whose bytes have fully arrived, read without blocking."""
        while _select([self.fd], [], [], 0)[0]:
            chunk = _read(self.fd, 65536)
            if not chunk:
                break  # end of stream: the next read() reports it
            self._buffer += chunk
        messages = []
        while len(self._buffer) >= 4 and len(self._buffer) >= 4 + _LENGTH.unpack_from(self._buffer)[0]:
            messages.append(self.read())
        return messages
