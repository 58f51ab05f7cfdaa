"""Unit tests for runner/msgpack.py's pure codec: encodings chosen, round trips, and error cases.

Byte compatibility with @msgpack/msgpack is proved separately by tests/msgpack_codec_test.ts.
"""

from __future__ import annotations

import math
import struct
import sys
import unittest
from collections import OrderedDict
from enum import IntEnum
from pathlib import Path
from types import ModuleType
from typing import Any

RUNNER = Path(__file__).resolve().parents[2] / "runner"


def load_codec() -> ModuleType:
    """Import runner/msgpack.py under the worker's private package name (runner/load.py)."""
    sys.path.insert(0, str(RUNNER))
    try:
        from load import load_module  # runner/load.py
    finally:
        sys.path.pop(0)
    return load_module("msgpack")


mp = load_codec()
packb, unpackb, ExtType = mp.pure_packb, mp.pure_unpackb, mp.ExtType


class Color(IntEnum):
    """An int subclass, which must encode as its int value."""

    RED = 300


class EncodingChoiceTest(unittest.TestCase):
    """The encoder picks the smallest format, exactly as @msgpack/msgpack does."""

    def check(self, value: Any, expected_hex: str) -> None:
        """Assert packb(value) is expected_hex and decodes back to value."""
        self.assertEqual(packb(value).hex(), expected_hex, value)

    def test_ints_use_the_smallest_format_at_every_boundary(self) -> None:
        cases = [
            (0, "00"), (127, "7f"), (128, "cc80"), (255, "ccff"), (256, "cd0100"),
            (65535, "cdffff"), (65536, "ce00010000"), (2**32 - 1, "ceffffffff"),
            (2**32, "cf0000000100000000"), (2**64 - 1, "cfffffffffffffffff"),
            (-1, "ff"), (-32, "e0"), (-33, "d0df"), (-128, "d080"), (-129, "d1ff7f"),
            (-32768, "d18000"), (-32769, "d2ffff7fff"), (-(2**31), "d280000000"),
            (-(2**31) - 1, "d3ffffffff7fffffff"), (-(2**63), "d38000000000000000"),
        ]
        for value, expected in cases:
            with self.subTest(value=value):
                self.check(value, expected)

    def test_floats_are_always_float64(self) -> None:
        self.check(0.5, "cb3fe0000000000000")
        self.check(1.0, "cb3ff0000000000000")
        self.check(float("inf"), "cb7ff0000000000000")

    def test_str_header_depends_on_utf8_byte_length(self) -> None:
        for n, prefix in [(0, "a0"), (31, "bf"), (32, "d920"), (255, "d9ff"), (256, "da0100"),
                          (65535, "daffff"), (65536, "db00010000")]:
            with self.subTest(n=n):
                self.assertTrue(packb("a" * n).hex().startswith(prefix))
        self.assertEqual(packb("é" * 16)[:2], b"\xd9\x20")

    def test_bytes_like_values_encode_as_bin(self) -> None:
        for value in [b"ab", bytearray(b"ab"), memoryview(b"ab")]:
            self.assertEqual(packb(value), b"\xc4\x02ab")
        self.assertEqual(packb(b"")[:2], b"\xc4\x00")
        self.assertEqual(packb(b"x" * 256)[:3], b"\xc5\x01\x00")
        self.assertEqual(packb(b"x" * 65536)[:5], b"\xc6\x00\x01\x00\x00")
        self.assertEqual(packb(memoryview(b"abcd").cast("I"))[:2], b"\xc4\x04")

    def test_containers_switch_format_at_16_and_65536(self) -> None:
        self.assertEqual(packb(list(range(15)))[:1], b"\x9f")
        self.assertEqual(packb(list(range(16)))[:3], b"\xdc\x00\x10")
        self.assertEqual(packb([0] * 65536)[:5], b"\xdd\x00\x01\x00\x00")
        self.assertEqual(packb({str(i): 0 for i in range(15)})[:1], b"\x8f")
        self.assertEqual(packb({str(i): 0 for i in range(16)})[:3], b"\xde\x00\x10")
        self.assertEqual(packb({i: 0 for i in range(65536)})[:5], b"\xdf\x00\x01\x00\x00")

    def test_ext_uses_fixext_only_for_sizes_1_2_4_8_16(self) -> None:
        for size, head in [(1, 0xD4), (2, 0xD5), (4, 0xD6), (8, 0xD7), (16, 0xD8)]:
            self.assertEqual(packb(ExtType(5, b"x" * size))[:2], bytes([head, 5]))
        self.assertEqual(packb(ExtType(-1, b""))[:3], b"\xc7\x00\xff")
        self.assertEqual(packb(ExtType(5, b"x" * 3))[:3], b"\xc7\x03\x05")
        self.assertEqual(packb(ExtType(5, b"x" * 256))[:4], b"\xc8\x01\x00\x05")
        self.assertEqual(packb(ExtType(5, b"x" * 65536))[:6], b"\xc9\x00\x01\x00\x00\x05")

    def test_subclasses_encode_as_their_base_type(self) -> None:
        self.assertEqual(packb(Color.RED), packb(300))
        self.assertEqual(packb(OrderedDict(a=1)), packb({"a": 1}))
        self.assertEqual(packb(True), b"\xc3")
        self.assertEqual(packb(False), b"\xc2")
        self.assertEqual(packb(None), b"\xc0")


SAMPLE_VALUES: list[Any] = [
    None, True, False, 0, -1, 128, -33, 70000, 2**64 - 1, -(2**63), 0.1, -1.25, 1e300, "",
    "日本語 😀", "a" * 40, "a" * 70000, b"", b"x" * 300, bytes(range(256)) * 300, [], [1, [2, [3]]],
    list(range(20)), {}, {"a": {"b": [None]}}, {str(i): i for i in range(20)},
    {1: "int key", None: "nil key", 2.5: "float key", b"k": "bin key"},
    ExtType(0, b""), ExtType(-128, b"x" * 70000), ExtType(127, b"abcd"), ExtType(5, b"x" * 300),
]


class RoundTripTest(unittest.TestCase):
    """unpackb(packb(x)) gives back x, with lists for arrays and bytes for bin."""

    def test_values_round_trip(self) -> None:
        for value in SAMPLE_VALUES:
            with self.subTest(value=repr(value)[:60]):
                self.assertEqual(unpackb(packb(value)), value)

    def test_nan_round_trips(self) -> None:
        self.assertTrue(math.isnan(unpackb(packb(float("nan")))))

    def test_tuples_decode_as_lists_and_bin_as_bytes(self) -> None:
        self.assertEqual(unpackb(packb((1, (2, 3)))), [1, [2, 3]])
        self.assertIs(type(unpackb(packb(bytearray(b"ab")))), bytes)

    def test_array_and_map_keys_become_tuples(self) -> None:
        self.assertEqual(unpackb(packb({(1, (2, 3)): "v"})), {(1, (2, 3)): "v"})
        self.assertEqual(unpackb(b"\x81\x81\xa1a\x01\x02"), {(("a", 1),): 2})

    def test_decodes_any_buffer_type(self) -> None:
        data = packb({"a": [1, 2]})
        for buffer in [data, bytearray(data), memoryview(data), memoryview(b"xx" + data)[2:]]:
            self.assertEqual(unpackb(buffer), {"a": [1, 2]})

    def test_decodes_float32_and_non_minimal_encodings(self) -> None:
        self.assertEqual(unpackb(b"\xca" + struct.pack(">f", 0.5)), 0.5)
        self.assertEqual(unpackb(b"\xcf" + struct.pack(">Q", 5)), 5)
        self.assertEqual(unpackb(b"\xd3" + struct.pack(">q", -1)), -1)
        self.assertEqual(unpackb(b"\xdb\x00\x00\x00\x01a"), "a")
        self.assertEqual(unpackb(b"\xdd\x00\x00\x00\x01\xc0"), [None])
        self.assertEqual(unpackb(b"\xde\x00\x01\xa1a\x01"), {"a": 1})

    def test_ext_type_compares_and_hashes_by_value(self) -> None:
        self.assertEqual(ExtType(1, bytearray(b"a")), ExtType(1, b"a"))
        self.assertNotEqual(ExtType(1, b"a"), ExtType(2, b"a"))
        self.assertEqual(len({ExtType(1, b"a"), ExtType(1, b"a")}), 1)
        self.assertIn("code=1", repr(ExtType(1, b"a")))


class ErrorTest(unittest.TestCase):
    """Bad values and bad bytes fail with the documented exception types."""

    def test_ints_outside_64_bits_raise_overflow_error(self) -> None:
        for value in [2**64, -(2**63) - 1, 10**30]:
            with self.subTest(value=value), self.assertRaises(OverflowError):
                packb(value)

    def test_unsupported_types_raise_type_error_naming_the_type(self) -> None:
        for value, name in [({1}, "set"), (object(), "object"), (1j, "complex"), ([Color], "EnumType|EnumMeta")]:
            with self.subTest(name=name):
                with self.assertRaisesRegex(TypeError, name):
                    packb(value)

    def test_ext_type_rejects_bad_codes_and_data(self) -> None:
        with self.assertRaises(ValueError):
            ExtType(128, b"")
        with self.assertRaises(TypeError):
            ExtType(1, "text")  # type: ignore[arg-type]

    def test_every_truncation_raises_value_error(self) -> None:
        data = packb({"a": [1, 300, -70000, 2**40, 0.5, "x" * 40, b"y" * 300], "e": ExtType(3, b"zz")})
        for cut in range(len(data)):
            with self.subTest(cut=cut), self.assertRaises(ValueError):
                unpackb(data[:cut])

    def test_corrupt_input_raises_value_error_with_a_message(self) -> None:
        cases = [
            (b"\xc1", "reserved"),
            (b"\x01\x02", "extra data"),
            (b"\xa2\xc3\x28", "UTF-8"),
            (b"\xdd\xff\xff\xff\xff", "truncated"),
            (b"\xdb\xff\xff\xff\xff", "truncated"),
            (b"\xc6\x00\x00\x01\x00ab", "truncated"),
        ]
        for data, message in cases:
            with self.subTest(data=data), self.assertRaisesRegex(ValueError, message):
                unpackb(data)

    def test_absurd_nesting_raises_value_error(self) -> None:
        with self.assertRaisesRegex(ValueError, "deep"):
            unpackb(b"\x91" * 100000 + b"\xc0")

    def test_non_buffer_input_raises_type_error(self) -> None:
        with self.assertRaises(TypeError):
            unpackb("not bytes")  # type: ignore[arg-type]


class DelegationTest(unittest.TestCase):
    """packb/unpackb agree with the pure codec whichever implementation they use."""

    def test_public_functions_give_the_pure_codec_bytes_and_values(self) -> None:
        for value in SAMPLE_VALUES:
            with self.subTest(value=repr(value)[:60]):
                self.assertEqual(mp.packb(value), packb(value))
                self.assertEqual(mp.unpackb(packb(value)), value)

    def test_public_functions_handle_ext_minus_one_tuple_keys_and_errors(self) -> None:
        value = {"type": "output", "data": b"\xff\x00", "n": [1, -1, 2**63], "e": ExtType(-1, b"\x00" * 4)}
        self.assertEqual(mp.packb(value), packb(value))
        self.assertEqual(mp.unpackb(packb(value)), value)
        self.assertEqual(mp.unpackb(packb({(1, 2): 3})), {(1, 2): 3})
        for data in [b"\xc1", b"\x92\x01", b"\x01\x02"]:
            with self.assertRaises(ValueError):
                mp.unpackb(data)
        with self.assertRaises(OverflowError):
            mp.packb(2**64)
        with self.assertRaisesRegex(TypeError, "set"):
            mp.packb({1})


if __name__ == "__main__":
    unittest.main()
