"""Test driver: runs the pure msgpack codec of runner/msgpack.py for tests/msgpack_codec_test.ts.

Reads requests from stdin until EOF; each is a 4-byte big-endian length, then an op byte and a body:
  R <msgpack bytes>        decode with pure_unpackb, re-encode with pure_packb, reply with the bytes
  P <python expression>    evaluate the expression (UTF-8) and reply with pure_packb of its value
Each reply is a 4-byte big-endian length, a status byte (0 ok, 1 error) and the encoded bytes, or
for an error the UTF-8 text "ExceptionName: message".
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

RUNNER = Path(__file__).resolve().parents[2] / "runner"
HEADER = struct.Struct(">I")


def load_codec() -> ModuleType:
    """Import runner/msgpack.py under the worker's private package name (runner/load.py)."""
    sys.path.insert(0, str(RUNNER))
    try:
        from load import load_module  # runner/load.py
    finally:
        sys.path.pop(0)
    return load_module("msgpack")


def read_exact(stream: BinaryIO, n: int) -> bytes | None:
    """Read exactly n bytes, or return None at a clean EOF before the first byte."""
    chunks = []
    remaining = n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if remaining == n:
                return None
            raise EOFError(f"stdin closed mid-frame ({n - remaining}/{n} bytes)")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def handle(codec: ModuleType, request: bytes) -> bytes:
    """Run one request and return the reply payload (status byte + body)."""
    op, body = request[:1], request[1:]
    try:
        if op == b"R":
            return b"\x00" + codec.pure_packb(codec.pure_unpackb(body))
        if op == b"P":
            namespace = {"ExtType": codec.ExtType, "struct": struct}
            return b"\x00" + codec.pure_packb(eval(body.decode("utf-8"), namespace))
        raise RuntimeError(f"unknown op {op!r}")
    except Exception as exc:  # reported to the test, which asserts on the class name
        return b"\x01" + f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")


def main() -> None:
    """Serve requests from stdin until it closes."""
    codec = load_codec()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = read_exact(stdin, 4)
        if header is None:
            return
        request = read_exact(stdin, HEADER.unpack(header)[0]) or b""
        reply = handle(codec, request)
        stdout.write(HEADER.pack(len(reply)) + reply)
        stdout.flush()


if __name__ == "__main__":
    main()
