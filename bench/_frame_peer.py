"""The floor peer of the benchmarks: a bare Python loop that speaks length-prefixed frames and nothing else.

Run by bench/core.ts and bench/transactions.ts, never by users:
    python _frame_peer.py pipe              frames over stdin/stdout
    python _frame_peer.py unix <path>       frames over a unix socket it connects to

A frame is a 4-byte big-endian length, then the payload. For every frame it reads, the peer
- echoes it back unchanged (the round-trip floor), or
- when the payload is b"\\0SEND" + an 8-byte big-endian size, answers with a frame of that many bytes
  (the floor of checkpoint(): Python sends a large payload to Deno), or
- when the payload starts with b"\\0SINK", keeps the payload in memory and answers b"ok"
  (the floor of restore(): Deno sends a large payload to Python).
"""
from __future__ import annotations

import os
import socket
import struct
import sys

_LENGTH = struct.Struct(">I")
_SIZE = struct.Struct(">Q")
CHUNK = 64 * 1024


class Frames:
    """Reads and writes frames on a pair of file descriptors with plain os.read/os.write."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.buffer = bytearray()

    def _fill(self, count: int) -> bool:
        while len(self.buffer) < count:
            data = os.read(self.read_fd, CHUNK)
            if not data:
                return False
            self.buffer += data
        return True

    def read(self) -> bytearray | None:
        """The next payload, or None at end of stream."""
        if not self._fill(4):
            return None
        (length,) = _LENGTH.unpack_from(self.buffer)
        if length <= CHUNK:
            if not self._fill(4 + length):
                return None
            payload = self.buffer[4:4 + length]
            del self.buffer[:4 + length]
            return payload
        # A large payload: read straight into a buffer of its exact size.
        payload = bytearray(length)
        view = memoryview(payload)
        have = len(self.buffer) - 4
        view[:have] = self.buffer[4:]
        self.buffer.clear()
        while have < length:
            count = os.readv(self.read_fd, [view[have:]])
            if count == 0:
                return None
            have += count
        return payload

    def write(self, payload: bytes | bytearray) -> None:
        """Writes one frame: header and small payload in one write, a large payload without a copy."""
        header = _LENGTH.pack(len(payload))
        if len(payload) <= CHUNK:
            self._write_all(memoryview(header + payload))
        else:
            self._write_all(memoryview(header))
            self._write_all(memoryview(payload))

    def _write_all(self, view: memoryview) -> None:
        while view:
            view = view[os.write(self.write_fd, view):]


def serve(frames: Frames) -> None:
    """Answers frames until the other side closes the stream."""
    big = b""
    kept: bytearray | None = None  # restore keeps what it received; so does the floor
    while True:
        payload = frames.read()
        if payload is None:
            return
        if payload[:5] == b"\0SEND":
            (size,) = _SIZE.unpack_from(payload, 5)
            if len(big) != size:
                big = b"\1" * size  # touched memory, as a real array would be
            frames.write(big)
        elif payload[:5] == b"\0SINK":
            kept = payload
            frames.write(b"ok")
        else:
            frames.write(payload)


def main() -> None:
    """Picks the transport from the arguments and serves."""
    if sys.argv[1] == "pipe":
        serve(Frames(0, 1))
        return
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(sys.argv[2])
    serve(Frames(sock.fileno(), sock.fileno()))


if __name__ == "__main__":
    main()
