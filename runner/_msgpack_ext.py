"""The msgpack extension value and the bytes-like type, shared by the encoder and the decoder."""

from __future__ import annotations

from typing import Union

__all__ = ["Buffer", "ExtType"]

Buffer = Union[bytes, bytearray, memoryview]


class ExtType:
    """A msgpack extension value: a type code in [-128, 127] and its raw payload."""

    __slots__ = ("code", "data")

    code: int
    data: bytes

    def __init__(self, code: int, data: Buffer) -> None:
        """Validate and store the extension `code` and payload `data` (copied to `bytes`)."""
        if type(code) is not int or not -128 <= code <= 127:
            raise ValueError(f"ExtType code must be an int in [-128, 127], got {code!r}")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"ExtType data must be bytes, got {type(data).__name__}")
        self.code = code
        self.data = bytes(data)

    def __eq__(self, other: object) -> bool:
        """Two ExtTypes are equal when their codes and payloads are."""
        if not isinstance(other, ExtType):
            return NotImplemented
        return self.code == other.code and self.data == other.data

    def __hash__(self) -> int:
        """Hash by value, so an ExtType can be a map key."""
        return hash((ExtType, self.code, self.data))

    def __repr__(self) -> str:
        """Show the code and payload, like a NamedTuple would."""
        return f"ExtType(code={self.code}, data={self.data!r})"
