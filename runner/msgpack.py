"""MessagePack codec for the worker's protocol frames, byte-compatible with @msgpack/msgpack.

Every frame the worker sends or receives is one msgpack value, so this module sits on the hot path.
It implements the whole msgpack spec with the standard library only, and picks the same (smallest)
encoding that the TypeScript side's `@msgpack/msgpack` encoder picks for the same value, so a value
encoded on either side produces identical bytes (tests/msgpack_codec_test.ts proves it):

- `None`, `bool`, `int` (smallest of fixint / uint8..64 for >= 0, fixint / int8..64 for < 0),
  `float` (always float64), `str` (UTF-8; fixstr / str8 / str16 / str32 by byte length),
  `bytes` / `bytearray` / `memoryview` (bin8..32), `list` / `tuple` (array), `dict` (map),
  and `ExtType` (fixext1..16, ext8..32).
- Decoding gives `bytes` for bin, `list` for arrays, `dict` for maps (a list or dict used as a map key
  becomes a tuple so it can be hashed), and `ExtType` for any extension type, including -1
  (msgpack's timestamp), which the worker has no use for.

Errors: ints outside [-2**63, 2**64) raise `OverflowError`; unsupported types raise `TypeError`
naming the type; truncated, corrupt or trailing input raises `ValueError`.

`packb` / `unpackb` are the entry points. When the third-party `msgpack` package is importable they
delegate to its C implementation (about 3x faster on small frames) and fall back to the pure code for
the few inputs it treats differently: negative ext codes, ext -1 (which it turns into its Timestamp),
list map keys, and errors (so error messages are the same either way). `pure_packb` / `pure_unpackb`
are always the pure implementation, so tests can exercise it directly.
"""

from __future__ import annotations

from typing import Any, Callable

from ._msgpack_ext import Buffer, ExtType
from ._msgpack_pack import pure_packb
from ._msgpack_unpack import pure_unpackb

__all__ = ["ExtType", "packb", "unpackb", "pure_packb", "pure_unpackb"]

packb: Callable[[Any], bytes] = pure_packb
unpackb: Callable[[Buffer], Any] = pure_unpackb


def _install_c_codec() -> None:
    """Point packb/unpackb at the `msgpack` package's C codec when it is installed."""
    global packb, unpackb
    try:
        import msgpack as _c  # type: ignore[import-not-found]

        c_ext_type = _c.ExtType
        c_timestamp = _c.Timestamp
        c_packb = _c.packb
        c_unpackb = _c.unpackb
    except (ImportError, AttributeError):
        return

    class NegativeExtCode(Exception):
        """The C packer's ExtType only takes codes 0..127; negative ones need the pure encoder."""

    def default(obj: Any) -> Any:
        """Hand our ExtType to the C packer as its own ExtType; reject anything else by type."""
        if isinstance(obj, ExtType):
            if obj.code < 0:
                raise NegativeExtCode
            return c_ext_type(obj.code, obj.data)
        if isinstance(obj, int):  # the C packer calls default for ints it cannot fit in 64 bits
            raise OverflowError(f"int out of msgpack's 64-bit range: {obj}")
        raise TypeError(f"cannot encode object of type {type(obj).__qualname__} as msgpack")

    def ext_hook(code: int, data: bytes) -> ExtType:
        """Decode every extension type other than the timestamp (-1) to our ExtType."""
        return ExtType(code, data)

    def has_timestamp(obj: Any) -> bool:
        """Whether the C decoder produced a Timestamp (ext -1) anywhere in `obj`."""
        t = type(obj)
        if t is c_timestamp:
            return True
        if t is list:
            return any(has_timestamp(item) for item in obj)
        if t is dict:
            return any(has_timestamp(k) or has_timestamp(v) for k, v in obj.items())
        return False

    def fast_packb(obj: Any) -> bytes:
        """Encode `obj` with the msgpack package (bin type for bytes, float64 for float)."""
        try:
            return c_packb(obj, use_bin_type=True, default=default)
        except NegativeExtCode:
            return pure_packb(obj)

    def fast_unpackb(data: Buffer) -> Any:
        """Decode with the msgpack package, falling back to the pure decoder on any error.

        The C decoder rejects list map keys (TypeError) and timestamp payloads of odd sizes
        (ValueError); the pure decoder accepts both and reports real corruption itself.
        """
        if type(data) is not bytes:
            data = bytes(data)
        try:
            obj = c_unpackb(data, raw=False, strict_map_key=False, ext_hook=ext_hook)
        except (TypeError, ValueError):
            return pure_unpackb(data)
        # The C decoder turns ext -1 into its Timestamp, losing the original bytes; redo those
        # rare frames with the pure decoder. An ext -1 needs a 0xff byte, so most skip the walk.
        if b"\xff" in data and has_timestamp(obj):
            return pure_unpackb(data)
        return obj

    packb = fast_packb
    unpackb = fast_unpackb


_install_c_codec()
