"""Every message the worker sends can be encoded (runner/framing.py, values.py, executor.py, capture.py).

Lone surrogates are escaped as ``\\udcff`` text, values msgpack cannot carry fall back to their repr, an
exception whose ``__str__`` fails is still described, and the output flusher outlives a batch it cannot send.
"""
from __future__ import annotations

import sys
import threading
import unittest
from typing import Any

from _runner import load_module

framing = load_module("framing")
values = load_module("values")
executor_module = load_module("executor")
capture = load_module("capture")
msgpack = load_module("msgpack")


def decode_frame(frame: bytes) -> Any:
    length = int.from_bytes(frame[:4], "big")
    return msgpack.unpackb(frame[4:4 + length])


class EncodeFrameTest(unittest.TestCase):
    def test_surrogates_anywhere_are_escaped(self) -> None:
        message = {"t": "result", "repr": "'\udcff'", "value": ["bad\udcff", {"k\udcfe": "v"}],
                   "error": {"message": "\ud800"}}
        decoded = decode_frame(framing.encode_frame(message))
        self.assertEqual(decoded["value"], ["bad\\udcff", {"k\\udcfe": "v"}])
        self.assertEqual(decoded["error"]["message"], "\\ud800")
        self.assertEqual(decoded["t"], "result")

    def test_values_msgpack_cannot_carry_become_their_repr(self) -> None:
        decoded = decode_frame(framing.encode_frame({"big": 2**70, "set": {1}, "ok": [1, 2.5, None, b"x"]}))
        self.assertEqual(decoded, {"big": str(2**70), "set": "{1}", "ok": [1, 2.5, None, b"x"]})

    def test_an_encodable_message_is_sent_as_it_is(self) -> None:
        message = {"t": "output", "data": "plain ✓"}
        self.assertEqual(decode_frame(framing.encode_frame(message)), message)


class ValuesTest(unittest.TestCase):
    def test_an_int_too_long_for_str_is_not_convertible(self) -> None:
        if not hasattr(sys, "set_int_max_str_digits"):
            self.skipTest("Python < 3.11 has no int string limit")
        with self.assertRaises(values.NotConvertible):
            values.to_wire(10**5000)

    def test_a_map_with_surrogate_keys_converts(self) -> None:
        wire = values.to_wire({1: "\udcff"})
        self.assertEqual(msgpack.unpackb(wire.data), [[1, "\\udcff"]])


class DescribeTest(unittest.TestCase):
    def test_a_huge_int_is_described_by_its_repr_text_only(self) -> None:
        described = executor_module.describe_value(10**5000)
        if hasattr(sys, "set_int_max_str_digits"):
            self.assertNotIn("value", described)
            self.assertIn("Exceeds the limit", described["repr"])
        framing.encode_frame(described)

    def test_an_exception_whose_str_fails_is_still_described(self) -> None:
        class Broken(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no str")

        try:
            raise Broken()
        except Broken as exc:
            info = executor_module.error_info(exc)
        self.assertEqual(info["type"], "Broken")
        self.assertIn("str() failed", info["message"])
        framing.encode_frame(info)


class FlusherTest(unittest.TestCase):
    def test_the_flusher_outlives_a_batch_it_cannot_send(self) -> None:
        sent: list[Any] = []
        poisoned, delivered = threading.Event(), threading.Event()

        def send(message: Any) -> None:
            if message["data"].startswith("poison"):
                poisoned.set()
                raise OSError("cannot send this one")
            sent.append(message["data"])
            delivered.set()

        hub = capture.OutputHub(send)
        hub.start()
        hub.write("stdout", "poison\n")
        self.assertTrue(poisoned.wait(5))
        hub.write("stdout", "after\n")
        self.assertTrue(delivered.wait(5), "the flusher thread died: later output never went out")
        self.assertEqual(sent, ["after\n"])


if __name__ == "__main__":
    unittest.main()
