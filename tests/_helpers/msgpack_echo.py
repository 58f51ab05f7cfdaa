"""Test driver: runs the pure msgpack codec of runner/msgpack.py for tests/msgpack_codec_test.ts.

Reads requests from stdin until EOF; each is a 4-byte big-endian length, then an op byte and a body:
  R <msgpack bytes>        decode with pure_unpackb, re-encode with pure_packb, reply with the bytes
  P <python expression>    evaluate the expression (UTF-8) and reply with pure_packb of its value
Each reply is a 4-byte big-endian length, a status byte (0 ok, 1 error) and the encoded bytes, or
for an error the UTF-8 text "ExceptionName: message".
"""

from __future__ import annotations

import importlib
import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

RUNNER = Path(__file__).resolve().parents[2] / "runner"
HEADER = struct.Struct(">I")


def load_codec() -> ModuleType:
    """Import runner/msgpack.py by path under the worker's private package name."""
    if "_pyrepl3_runner" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "_pyrepl3_runner", RUNNER / "__init__.py", submodule_search_locations=[str(RUNNER)]
        )
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules["_pyrepl3_runner"] = package
        spec.loader.exec_module(package)
    return importlib.import_module("_pyrepl3_runner.msgpack")


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
