"""Tests for runner/display.py: MIME bundles built as IPython builds them, and the import hooks."""
from __future__ import annotations

import base64
import io
import sys
import types
import unittest
from typing import Any

from _runner import load_module

display = load_module("display")


class Rich:
    def _repr_html_(self) -> str:
        return "<b>rich</b>"

    def _repr_png_(self) -> Any:
        return base64.b64encode(b"png bytes").decode(), {"width": 3}

    def _repr_latex_(self) -> None:
        return None  # no such form

    def __repr__(self) -> str:
        return "Rich()"


class Bundled:
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return {"text/markdown": "# md", "application/json": '{"a": [1]}'}, {"text/markdown": {"k": 1}}

    def _repr_html_(self) -> str:
        return "<i>also</i>"


class MimeBundleTest(unittest.TestCase):
    def test_repr_methods_give_their_types_and_metadata(self) -> None:
        data, metadata = display.mime_bundle(Rich())
        self.assertEqual(data, {"text/html": "<b>rich</b>", "image/png": b"png bytes", "text/plain": "Rich()"})
        self.assertEqual(metadata, {"image/png": {"width": 3}})

    def test_repr_mimebundle_comes_first_and_json_text_is_parsed(self) -> None:
        data, metadata = display.mime_bundle(Bundled())
        self.assertEqual(data["text/markdown"], "# md")
        self.assertEqual(data["application/json"], {"a": [1]})
        self.assertEqual(data["text/html"], "<i>also</i>")
        self.assertEqual(metadata, {"text/markdown": {"k": 1}})

    def test_include_and_exclude_filter_types(self) -> None:
        self.assertEqual(set(display.mime_bundle(Rich(), include=["text/html"])[0]), {"text/html"})
        self.assertNotIn("image/png", display.mime_bundle(Rich(), exclude=["image/png"])[0])

    def test_classes_and_plain_values_have_only_their_repr(self) -> None:
        self.assertEqual(display.mime_bundle(Rich)[0], {"text/plain": repr(Rich)})
        self.assertEqual(display.mime_bundle(3)[0], {"text/plain": "3"})
        self.assertIsNone(display.rich_data(3))
        self.assertEqual(display.rich_data(Rich())["text/html"], "<b>rich</b>")

    def test_an_object_that_has_every_attribute_is_shown_by_its_repr(self) -> None:
        from unittest import mock

        self.assertEqual(set(display.mime_bundle(mock.Mock())[0]), {"text/plain"})

    def test_mime_kinds(self) -> None:
        for mime, kind in [("text/html", "text"), ("image/svg+xml", "text"), ("application/json", "json"),
                           ("application/vnd.vegalite.v5+json", "json"), ("image/png", "binary"),
                           ("application/pdf", "binary")]:
            with self.subTest(mime=mime):
                self.assertEqual(display.mime_kind(mime), kind)


class HostileFormatterTest(unittest.TestCase):
    def setUp(self) -> None:  # the warnings go to stderr: keep them out of the test output
        self.stderr = sys.stderr
        sys.stderr = io.StringIO()

    def tearDown(self) -> None:
        sys.stderr = self.stderr

    def test_base_exceptions_of_formatters_are_warnings_but_an_interrupt_stays_one(self) -> None:
        class Exits:
            def _repr_html_(self) -> str:
                raise SystemExit(2)

            def _repr_markdown_(self) -> str:
                return "# kept"

            def __repr__(self) -> str:
                raise GeneratorExit("no repr")

        data, _ = display.mime_bundle(Exits())
        self.assertEqual(data, {"text/markdown": "# kept", "text/plain": "<repr failed: GeneratorExit: no repr>"})

        class Interrupts:
            def _repr_html_(self) -> str:
                raise KeyboardInterrupt

        with self.assertRaises(KeyboardInterrupt):
            display.mime_bundle(Interrupts())
        with self.assertRaises(KeyboardInterrupt):
            display.rich_data(Interrupts())

    def test_binary_data_must_be_bytes_and_a_bundle_stays_under_the_frame_cap(self) -> None:
        with self.assertRaises(TypeError):
            display.wire_data("image/png", 10 ** 12)
        import array

        self.assertEqual(display.wire_data("image/png", array.array("B", [1, 2])), b"\x01\x02")
        self.assertEqual(display.wire_data("image/png", memoryview(b"abcd")[::2]), b"ac")
        saved = display.MAX_BUNDLE_BYTES
        display.MAX_BUNDLE_BYTES = 10
        try:
            kept = display._wire_bundle({"image/png": b"x" * 8, "text/html": "\u00e9" * 3, 1: "no"}, None, None, "t")
        finally:
            display.MAX_BUNDLE_BYTES = saved
        self.assertEqual(kept, {"image/png": b"x" * 8})  # 12 bytes of non-ASCII text counted at 4 a char


class DisplayTest(unittest.TestCase):
    def setUp(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.saved = display._send
        display._send = self.sent.append
        self.stderr = sys.stderr
        sys.stderr = io.StringIO()

    def tearDown(self) -> None:
        display._send = self.saved
        sys.stderr = self.stderr

    def test_display_ids_updates_and_clear(self) -> None:
        handle = display.display("a", display_id=True)
        handle.update("b")
        display.clear_output(wait=True)
        self.assertEqual([f["t"] for f in self.sent], ["display", "display", "clear_output"])
        self.assertEqual(self.sent[0]["displayId"], handle.display_id)
        self.assertTrue(self.sent[1]["update"])
        self.assertEqual(self.sent[1]["data"], {"text/plain": "'b'"})
        self.assertTrue(self.sent[2]["wait"])

    def test_raw_bundles_need_dicts(self) -> None:
        with self.assertRaises(TypeError):
            display.display("not a bundle", raw=True)
        display.display({b"text/html": "x", "application/json": "{bad", "text/plain": "ok"}, raw=True)
        self.assertEqual(self.sent[-1]["data"], {"text/plain": "ok"})


class PostImportHookTest(unittest.TestCase):
    def test_ipython_functions_are_replaced(self) -> None:
        module = types.ModuleType("fake_display_functions")
        module.display = print  # type: ignore[attr-defined]
        module.other = print  # type: ignore[attr-defined]
        display._patch_ipython(module)
        self.assertIs(module.display, display.display)  # type: ignore[attr-defined]
        self.assertIs(module.other, print)  # type: ignore[attr-defined]

    def test_configure_checks_its_options(self) -> None:
        saved = dict(display.options)
        try:
            with self.assertRaises(ValueError):
                display.configure({"width": 0})
            with self.assertRaises(ValueError):
                display.configure({"formats": ["gif"]})
            display.configure({"width": 300, "formats": ["svg"]})
            self.assertEqual((display.options["width"], display.options["formats"]), (300, ["svg"]))
        finally:
            display.options.clear()
            display.options.update(saved)

    def test_the_hook_leaves_other_imports_alone(self) -> None:
        self.assertIsNone(display.PostImportHooks.find_spec("json"))


if __name__ == "__main__":
    unittest.main()
