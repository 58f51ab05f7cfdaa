"""Length-prefixed frames: a 4-byte big-endian length, then one msgpack-encoded message."""
from __future__ import annotations

import contextlib
import os
import struct
import threading
from typing import Any

from .msgpack import packb, unpackb

_LENGTH = struct.Struct(">I")
MAX_FRAME = 1 << 31


class ProtocolError(Exception):
    """A frame that is not a valid message: the peer is not speaking our protocol."""


def encode_frame(message: Any) -> bytes:
    """Encode one message as a frame."""
    payload = packb(message)
    return _LENGTH.pack(len(payload)) + payload


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
            for view in views:
                self.write_locked(view)

    def write_locked(self, frame: bytes | memoryview) -> None:
        """Write an encoded frame; the caller holds ``lock``."""
        view = memoryview(frame)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


class FrameReader:
    """Reads frames from a file descriptor with one growing buffer."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()

    def read(self) -> Any:
        """Return the next message, or raise EOFError when the peer closed the stream."""
        header = self._read_exactly(4)
        (length,) = _LENGTH.unpack(header)
        if length >= MAX_FRAME:
            raise ProtocolError(f"frame of {length} bytes is too large")
        payload = self._read_exactly(length)
        try:
            return unpackb(payload)
        except (ValueError, TypeError) as error:
            raise ProtocolError(f"malformed frame: {error}") from error

    def read_blob(self, count: int) -> bytearray:
        """Read ``count`` raw bytes that follow a frame into one new buffer (no intermediate copies)."""
        blob = bytearray(count)
        view = memoryview(blob)
        taken = min(len(self._buffer), count)
        view[:taken] = self._buffer[:taken]
        del self._buffer[:taken]
        filled = taken
        while filled < count:
            read = os.readv(self.fd, [view[filled:]])
            if not read:
                raise EOFError("peer closed the protocol stream inside a blob")
            filled += read
        return blob

    def buffered(self) -> bool:
        """True when bytes of a next frame are already buffered (select() would not report them)."""
        return len(self._buffer) > 0

    def _read_exactly(self, count: int) -> bytes:
        buffer = self._buffer
        while len(buffer) < count:
            chunk = os.read(self.fd, max(65536, count - len(buffer)))
            if not chunk:
                raise EOFError("peer closed the protocol stream")
            buffer += chunk
        data = bytes(buffer[:count])
        del buffer[:count]
        return data
