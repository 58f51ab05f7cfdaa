"""Tests for runner/cell_sources.py through the Executor: linecache keeps the sources tracebacks can still need.

A source stays while its cell is one of the last RECENT cells or while a code object compiled from it lives (a
function, a saved traceback's frame); everything else is forgotten, so 2,000 big cells no longer pile up.
"""
from __future__ import annotations

import builtins
import gc
import linecache
import traceback
import unittest

from _runner import load_module

executor_module = load_module("executor")
RECENT = load_module("cell_sources").RECENT


def cell_names() -> list[str]:
    return [name for name in linecache.cache if name.startswith("<cell ")]


class CellSourcesTest(unittest.TestCase):
    def setUp(self) -> None:
        for name in cell_names():
            del linecache.cache[name]
        self.executor = executor_module.Executor(executor_module.UserCodeGuard())
        self.executor.namespace = {"__builtins__": builtins, "__name__": "__main__"}

    def run_cell(self, code: str) -> dict:
        outcome = self.executor.run(code)
        self.assertNotEqual(outcome["status"], "crashed")
        return outcome

    def fill(self, count: int) -> None:
        padding = "# " + "x" * 1000 + "\n"
        for i in range(count):
            self.assertEqual(self.run_cell(f"{padding}filler_{i} = {i}")["status"], "ok")

    def test_only_the_recent_cells_are_kept_when_nothing_else_needs_them(self) -> None:
        self.fill(RECENT * 5)
        self.assertEqual(len(cell_names()), RECENT)
        self.assertIn(f"<cell {RECENT * 5}>", linecache.cache)
        self.assertNotIn("<cell 1>", linecache.cache)

    def test_a_live_function_keeps_the_source_of_its_cell(self) -> None:
        self.run_cell("def early():\n    raise ValueError('from cell one')")
        self.fill(RECENT * 3)
        self.assertIn("<cell 1>", linecache.cache)
        outcome = self.run_cell("early()")
        self.assertIn("raise ValueError('from cell one')", outcome["error"]["traceback"])

    def test_the_source_goes_when_its_last_function_dies(self) -> None:
        self.run_cell("def early():\n    return 1\nclass Early:\n    def method(self):\n        return 2")
        self.fill(RECENT * 2)
        self.run_cell("del early")
        gc.collect()
        self.assertIn("<cell 1>", linecache.cache)  # Early.method still lives
        self.run_cell("del Early")
        gc.collect()
        self.fill(RECENT)  # a dead cell is let go at the next sweep, within RECENT cells here
        self.assertNotIn("<cell 1>", linecache.cache)

    def test_a_saved_traceback_keeps_the_source_of_its_cell(self) -> None:
        self.run_cell("try:\n    1 / 0\nexcept ZeroDivisionError as error:\n    saved = error")
        self.fill(RECENT * 2)
        saved = self.executor.namespace["saved"]
        text = "".join(traceback.format_exception(type(saved), saved, saved.__traceback__))
        self.assertIn("1 / 0", text)

    def test_the_compile_cache_does_not_keep_a_source_alive(self) -> None:
        code = "def cached():\n    return 1"
        self.run_cell(code)
        self.run_cell(code)  # served from the compile cache, renamed to <cell 2>
        self.fill(RECENT * 2)
        self.assertIn("<cell 2>", linecache.cache)  # the function lives, from cell 2
        self.assertNotIn("<cell 1>", linecache.cache)
        self.run_cell("del cached")
        gc.collect()
        self.fill(RECENT)
        self.assertNotIn("<cell 2>", linecache.cache)

    def test_sources_held_by_many_live_functions_are_let_go_when_they_die(self) -> None:
        for i in range(RECENT * 3):
            self.run_cell(f"def function_{i}():\n    return {i}")
        self.fill(RECENT)
        self.assertEqual(len(cell_names()), RECENT * 4)  # every function lives
        self.run_cell("\n".join(f"del function_{i}" for i in range(RECENT * 3)))
        gc.collect()
        self.fill(RECENT * 4)
        self.assertLessEqual(len(cell_names()), RECENT + 1)

    def test_a_cell_number_used_again_is_kept_once(self) -> None:
        self.fill(3)
        self.executor.execution_count = 1  # as restore() does
        self.fill(RECENT * 2)
        self.assertEqual(len(cell_names()), RECENT)


if __name__ == "__main__":
    unittest.main()
