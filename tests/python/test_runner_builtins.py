"""The runner does not depend on builtins user code can rebind (runner/load.py, executor.RunnerImport).

Runner modules run with a private copy of the builtins taken at load time, and the standard library code the
runner calls gets the interpreter's own ``__import__`` back while the runner works.
"""
from __future__ import annotations

import builtins
import sys
import unittest
from typing import Any

from _runner import load_module

framing = load_module("framing")
executor_module = load_module("executor")


class Rebound:
    """Rebinds builtins for a ``with`` block, as user code would, and puts them back."""

    def __init__(self, **names: Any) -> None:
        self.names = names

    def __enter__(self) -> None:
        self.saved = {name: getattr(builtins, name) for name in self.names}
        for name, value in self.names.items():
            setattr(builtins, name, value)

    def __exit__(self, *exc_info: Any) -> None:
        for name, value in self.saved.items():
            setattr(builtins, name, value)


class RunnerBuiltinsTest(unittest.TestCase):
    def test_runner_modules_have_a_private_copy_of_the_builtins(self) -> None:
        for name, module in sys.modules.items():
            if name.startswith("_pyrepl3_runner"):
                self.assertIsNot(module.__dict__["__builtins__"], builtins.__dict__, name)

    def test_frames_encode_while_len_and_isinstance_are_rebound(self) -> None:
        with Rebound(len=None, isinstance=None, type=None):
            frame = framing.encode_frame({"t": "result", "value": [1, "two", b"3"]})
        self.assertGreater(len(frame), 4)

    def test_a_cell_compiles_and_runs_while_isinstance_is_rebound(self) -> None:
        executor = executor_module.Executor(executor_module.UserCodeGuard())
        executor.namespace = {"__builtins__": builtins}
        with Rebound(isinstance=None):
            outcome = executor.run("[1, 2]")
        self.assertEqual(outcome["value"], [1, 2])

    def test_errors_are_formatted_while_import_is_none(self) -> None:
        def fail() -> None:
            raise NameError("name 'undefined' is not defined")

        try:
            fail()
        except NameError as exc:
            with Rebound(__import__=None):
                info = executor_module.error_info(exc)
                self.assertIsNone(builtins.__import__)  # the user's value is back after the runner's work
        self.assertEqual(info["type"], "NameError")
        self.assertIn("NameError", info["traceback"])


if __name__ == "__main__":
    unittest.main()
