"""The pure-Python msgpack decoder: one value from bytes, every error a ValueError that says where.

See msgpack.py for the types decoded; ``pure_unpackb`` is the entry point.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from ._msgpack_ext import Buffer, ExtType

__all__ = ["pure_unpackb"]

# Decoding. `_unpack(data, pos)` returns (value, next_pos); fixed-size formats go through a table
# of precompiled `unpack_from` functions indexed by head byte - 0xC0.
_U8 = struct.Struct(">B").unpack_from
_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from
_LEN_B = struct.Struct(">Bb").unpack_from  # ext8: length, code
_LEN_H = struct.Struct(">Hb").unpack_from  # ext16
_LEN_I = struct.Struct(">Ib").unpack_from  # ext32
_CODE = struct.Struct(">b").unpack_from

_FIXED: list[tuple[Callable[[bytes, int], tuple[Any, ...]], int] | None] = [None] * 0x20
for _head, _fmt in (
    (0xCA, ">f"), (0xCB, ">d"),
    (0xCC, ">B"), (0xCD, ">H"), (0xCE, ">I"), (0xCF, ">Q"),
    (0xD0, ">b"), (0xD1, ">h"), (0xD2, ">i"), (0xD3, ">q"),
):
    _s = struct.Struct(_fmt)
    _FIXED[_head - 0xC0] = (_s.unpack_from, _s.size)
del _head, _fmt, _s

_FIXEXT_SIZE = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}


class _Truncated(Exception):
    """Raised internally when a declared length runs past the end of the input."""


def _take(data: bytes, pos: int, n: int) -> bytes:
    """Return data[pos:pos+n], raising _Truncated if fewer than n bytes remain."""
    end = pos + n
    if end > len(data):
        raise _Truncated(f"needs {n} bytes at offset {pos}, only {len(data) - pos} remain")
    return data[pos:end]


def _hashable(key: Any) -> Any:
    """Turn a decoded list/dict map key into nested tuples so it can key a Python dict."""
    if isinstance(key, list):
        return tuple(_hashable(k) for k in key)
    if isinstance(key, dict):
        return tuple((_hashable(k), _hashable(v)) for k, v in key.items())
    return key


def _unpack_array(data: bytes, pos: int, n: int) -> tuple[list[Any], int]:
    """Decode `n` consecutive values starting at `pos` into a list."""
    if n > len(data) - pos:
        raise _Truncated(f"array of {n} items at offset {pos}, only {len(data) - pos} bytes remain")
    out = [None] * n
    for i in range(n):
        out[i], pos = _unpack(data, pos)
    return out, pos


def _unpack_map(data: bytes, pos: int, n: int) -> tuple[dict[Any, Any], int]:
    """Decode `n` consecutive key/value pairs starting at `pos` into a dict."""
    if 2 * n > len(data) - pos:
        raise _Truncated(f"map of {n} pairs at offset {pos}, only {len(data) - pos} bytes remain")
    out: dict[Any, Any] = {}
    for _ in range(n):
        key, pos = _unpack(data, pos)
        value, pos = _unpack(data, pos)
        try:
            out[key] = value
        except TypeError:
            out[_hashable(key)] = value
    return out, pos


def _unpack(data: bytes, pos: int) -> tuple[Any, int]:
    """Decode one value starting at `pos`; return it and the offset just past it."""
    b = data[pos]
    pos += 1
    if b < 0x80:
        return b, pos
    if b >= 0xE0:
        return b - 0x100, pos
    if b >= 0xC0:
        fixed = _FIXED[b - 0xC0]
        if fixed is not None:
            return fixed[0](data, pos)[0], pos + fixed[1]
        if b == 0xC0:
            return None, pos
        if b == 0xC2:
            return False, pos
        if b == 0xC3:
            return True, pos
        if b == 0xD9:
            n = data[pos]
            pos += 1
        elif b == 0xDA:
            n = _U16(data, pos)[0]
            pos += 2
        elif b == 0xDB:
            n = _U32(data, pos)[0]
            pos += 4
        elif b == 0xC4:
            return _take(data, pos + 1, data[pos]), pos + 1 + data[pos]
        elif b == 0xC5:
            n = _U16(data, pos)[0]
            return _take(data, pos + 2, n), pos + 2 + n
        elif b == 0xC6:
            n = _U32(data, pos)[0]
            return _take(data, pos + 4, n), pos + 4 + n
        elif b == 0xDC:
            return _unpack_array(data, pos + 2, _U16(data, pos)[0])
        elif b == 0xDD:
            return _unpack_array(data, pos + 4, _U32(data, pos)[0])
        elif b == 0xDE:
            return _unpack_map(data, pos + 2, _U16(data, pos)[0])
        elif b == 0xDF:
            return _unpack_map(data, pos + 4, _U32(data, pos)[0])
        elif b in _FIXEXT_SIZE:
            n = _FIXEXT_SIZE[b]
            return ExtType(_CODE(data, pos)[0], _take(data, pos + 1, n)), pos + 1 + n
        elif b == 0xC7:
            n, code = _LEN_B(data, pos)
            return ExtType(code, _take(data, pos + 2, n)), pos + 2 + n
        elif b == 0xC8:
            n, code = _LEN_H(data, pos)
            return ExtType(code, _take(data, pos + 3, n)), pos + 3 + n
        elif b == 0xC9:
            n, code = _LEN_I(data, pos)
            return ExtType(code, _take(data, pos + 5, n)), pos + 5 + n
        else:
            raise ValueError(f"invalid msgpack: reserved type byte 0x{b:02x} at offset {pos - 1}")
    elif b >= 0xA0:
        n = b & 0x1F
    elif b >= 0x90:
        return _unpack_array(data, pos, b & 0x0F)
    else:
        return _unpack_map(data, pos, b & 0x0F)
    # str: n bytes of UTF-8 at pos. A JS string may hold a lone surrogate (half of a pair, cut by a
    # slice); @msgpack/msgpack writes it as its 3-byte form, which surrogatepass reads back as that
    # same surrogate, so the text the caller sent is the text the code gets.
    end = pos + n
    if end > len(data):
        raise _Truncated(f"str of {n} bytes at offset {pos}, only {len(data) - pos} remain")
    return data[pos:end].decode("utf-8", "surrogatepass"), end


def pure_unpackb(data: Buffer) -> Any:
    """Decode exactly one msgpack value from `data` with the pure-Python decoder.

    Raises ValueError when the input is truncated, uses the reserved type byte 0xc1, holds invalid
    UTF-8 in a str (lone surrogates in their 3-byte form are taken, as JS strings may hold them),
    nests too deeply, or has bytes left over after the value.
    """
    if type(data) is not bytes:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"unpackb needs bytes, bytearray or memoryview, not {type(data).__name__}")
        data = bytes(data)
    try:
        obj, pos = _unpack(data, 0)
    except (IndexError, struct.error, _Truncated) as exc:
        detail = f": {exc}" if isinstance(exc, _Truncated) else ""
        raise ValueError(f"truncated msgpack data ({len(data)} bytes){detail}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"invalid UTF-8 in msgpack str: {exc}") from None
    except RecursionError:
        raise ValueError("msgpack data nested too deeply to decode") from None
    if pos != len(data):
        raise ValueError(f"extra data after msgpack value: {len(data) - pos} bytes at offset {pos}")
    return obj
