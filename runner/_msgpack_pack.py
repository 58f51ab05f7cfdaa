"""The pure-Python msgpack encoder: the smallest encoding of each value, the one @msgpack/msgpack picks.

See msgpack.py for the formats chosen and the errors raised; ``pure_packb`` is the entry point.
"""

from __future__ import annotations

import struct
from typing import Any

from ._msgpack_ext import Buffer, ExtType

__all__ = ["pure_packb"]

# Header + length/value structs, precompiled: one `pack` call appends a whole header.
_BB = struct.Struct(">BB").pack
_BH = struct.Struct(">BH").pack
_BI = struct.Struct(">BI").pack
_BQ = struct.Struct(">BQ").pack
_Bb = struct.Struct(">Bb").pack
_Bh = struct.Struct(">Bh").pack
_Bi = struct.Struct(">Bi").pack
_Bq = struct.Struct(">Bq").pack
_Bd = struct.Struct(">Bd").pack
_BBb = struct.Struct(">BBb").pack
_BHb = struct.Struct(">BHb").pack
_BIb = struct.Struct(">BIb").pack

_FIXEXT_HEAD = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}


def _pack_int(obj: int, buf: bytearray) -> None:
    """Append `obj` in the smallest int format, the same choice @msgpack/msgpack makes."""
    if obj >= 0:
        if obj < 0x80:
            buf.append(obj)
        elif obj < 0x100:
            buf += _BB(0xCC, obj)
        elif obj < 0x10000:
            buf += _BH(0xCD, obj)
        elif obj < 0x100000000:
            buf += _BI(0xCE, obj)
        elif obj < 0x10000000000000000:
            buf += _BQ(0xCF, obj)
        else:
            raise OverflowError(f"int too large for msgpack (max 2**64-1): {obj}")
    elif obj >= -0x20:
        buf.append(0x100 + obj)
    elif obj >= -0x80:
        buf += _Bb(0xD0, obj)
    elif obj >= -0x8000:
        buf += _Bh(0xD1, obj)
    elif obj >= -0x80000000:
        buf += _Bi(0xD2, obj)
    elif obj >= -0x8000000000000000:
        buf += _Bq(0xD3, obj)
    else:
        raise OverflowError(f"int too small for msgpack (min -2**63): {obj}")


def _pack_str(obj: str, buf: bytearray) -> None:
    """Append `obj` as UTF-8 with a fixstr/str8/str16/str32 header chosen by byte length."""
    data = obj.encode("utf-8")
    n = len(data)
    if n < 0x20:
        buf.append(0xA0 | n)
    elif n < 0x100:
        buf += _BB(0xD9, n)
    elif n < 0x10000:
        buf += _BH(0xDA, n)
    elif n < 0x100000000:
        buf += _BI(0xDB, n)
    else:
        raise ValueError(f"str too long for msgpack: {n} bytes of UTF-8")
    buf += data


def _pack_bin(obj: Buffer, buf: bytearray) -> None:
    """Append a bytes-like `obj` as bin8/bin16/bin32."""
    n = obj.nbytes if isinstance(obj, memoryview) else len(obj)
    if n < 0x100:
        buf += _BB(0xC4, n)
    elif n < 0x10000:
        buf += _BH(0xC5, n)
    elif n < 0x100000000:
        buf += _BI(0xC6, n)
    else:
        raise ValueError(f"bytes too long for msgpack: {n}")
    buf += obj


def _pack_ext(obj: ExtType, buf: bytearray) -> None:
    """Append an ExtType as fixext1..16 when its size allows, else ext8/16/32."""
    data = obj.data
    n = len(data)
    head = _FIXEXT_HEAD.get(n)
    if head is not None:
        buf += _Bb(head, obj.code)
    elif n < 0x100:
        buf += _BBb(0xC7, n, obj.code)
    elif n < 0x10000:
        buf += _BHb(0xC8, n, obj.code)
    elif n < 0x100000000:
        buf += _BIb(0xC9, n, obj.code)
    else:
        raise ValueError(f"ExtType data too long for msgpack: {n}")
    buf += data


def _pack(obj: Any, buf: bytearray) -> None:
    """Append the msgpack encoding of `obj` to `buf`; exact types first, subclasses after."""
    t = type(obj)
    if t is str:
        _pack_str(obj, buf)
    elif t is int:
        if 0 <= obj < 0x80:
            buf.append(obj)
        else:
            _pack_int(obj, buf)
    elif t is dict:
        n = len(obj)
        if n < 0x10:
            buf.append(0x80 | n)
        elif n < 0x10000:
            buf += _BH(0xDE, n)
        elif n < 0x100000000:
            buf += _BI(0xDF, n)
        else:
            raise ValueError(f"dict too large for msgpack: {n}")
        for key, value in obj.items():
            _pack(key, buf)
            _pack(value, buf)
    elif t is list or t is tuple:
        n = len(obj)
        if n < 0x10:
            buf.append(0x90 | n)
        elif n < 0x10000:
            buf += _BH(0xDC, n)
        elif n < 0x100000000:
            buf += _BI(0xDD, n)
        else:
            raise ValueError(f"sequence too long for msgpack: {n}")
        for item in obj:
            _pack(item, buf)
    elif obj is None:
        buf.append(0xC0)
    elif obj is True:
        buf.append(0xC3)
    elif obj is False:
        buf.append(0xC2)
    elif t is float:
        buf += _Bd(0xCB, obj)
    elif t is bytes or t is bytearray or t is memoryview:
        _pack_bin(obj, buf)
    elif t is ExtType:
        _pack_ext(obj, buf)
    else:
        _pack_subclass(obj, buf)


def _pack_subclass(obj: Any, buf: bytearray) -> None:
    """Encode instances of subclasses of the supported types (IntEnum, OrderedDict, ...)."""
    if isinstance(obj, bool):
        buf.append(0xC3 if obj else 0xC2)
    elif isinstance(obj, int):
        _pack_int(int(obj), buf)
    elif isinstance(obj, float):
        buf += _Bd(0xCB, obj)
    elif isinstance(obj, str):
        _pack_str(str(obj), buf)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        _pack_bin(obj, buf)
    elif isinstance(obj, ExtType):
        _pack_ext(obj, buf)
    elif isinstance(obj, dict):
        _pack(dict(obj), buf)
    elif isinstance(obj, (list, tuple)):
        _pack(list(obj), buf)
    else:
        raise TypeError(f"cannot encode object of type {type(obj).__qualname__} as msgpack")


def pure_packb(obj: Any) -> bytes:
    """Encode `obj` as msgpack with the pure-Python encoder."""
    buf = bytearray()
    _pack(obj, buf)
    return bytes(buf)
