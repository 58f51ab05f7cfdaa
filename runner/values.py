"""Python value -> wire value, following the rules in lib/values.ts.

None, bool, float, str, bytes, list/tuple and dicts with str keys map to msgpack types; ints beyond 2**53 - 1
travel as ext type 1 (decimal text, a JS bigint); dicts with other keys, or with a "__proto__" key, as ext type 2
(a msgpack array of [key, value] pairs, a JS Map). Anything else is not convertible: the result then carries only its repr, and so
is an int too long for ``str()`` (Python 3.11+ limits it). Text holding a lone surrogate travels with each
surrogate escaped as ``\\udcff`` text (see framing.py).
"""
from __future__ import annotations

from typing import Any

from .framing import wire_safe
from .msgpack import ExtType, packb

EXT_BIGINT = 1
EXT_MAP = 2
MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 100


class NotConvertible(Exception):
    """The value has no JS counterpart."""


def to_wire(value: Any, depth: int = 0) -> Any:
    """Convert value, or raise NotConvertible."""
    kind = type(value)
    if value is None or kind is bool or kind is float or kind is str:
        return value
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        try:
            digits = str(value)
        except ValueError:  # beyond sys.get_int_max_str_digits() (Python 3.11+): only its repr is shown
            raise NotConvertible("int too long to convert to text") from None
        return ExtType(EXT_BIGINT, digits.encode("ascii"))
    if kind is bytes or kind is bytearray or kind is memoryview:
        return bytes(value)
    if depth >= MAX_DEPTH:
        raise NotConvertible("nested too deeply")
    if kind is list or kind is tuple:
        return [to_wire(item, depth + 1) for item in value]
    if kind is dict:
        # A "__proto__" key travels in a Map too: Deno's msgpack decoder refuses it as an object key,
        # and the whole frame with it (the session was declared dead).
        if all(type(key) is str for key in value) and "__proto__" not in value:
            return {key: to_wire(item, depth + 1) for key, item in value.items()}
        pairs = [[to_wire(key, depth + 1), to_wire(item, depth + 1)] for key, item in value.items()]
        try:
            packed = packb(pairs)
        except (UnicodeError, OverflowError, TypeError, ValueError):  # a key or value holding a lone surrogate
            packed = packb(wire_safe(pairs))
        return ExtType(EXT_MAP, packed)
    raise NotConvertible(kind.__name__)
