"""Tests for runner/entry.py: an entry is whole exactly when Python's own interactive console would run it."""
from __future__ import annotations

import unittest

from _runner import load_module

entry_status = load_module("entry").entry_status


class EntryStatusTest(unittest.TestCase):
    def test_entries_the_console_asks_more_lines_for(self) -> None:
        for source in ["@dec", "if x: pass", "for i in r: print(i)", "while True: ...", "def f():",
                       "def f():\n    return 1", "x = (1,", 's = """a', "x = 1 + \\"]:
            with self.subTest(source=source):
                self.assertEqual(entry_status(source), "incomplete")

    def test_entries_the_console_runs(self) -> None:
        for source in ["x = 1", "def f():\n    return 1\n", "for i in r: print(i)\n", "x = (1,\n2)", "", "# note"]:
            with self.subTest(source=source):
                self.assertEqual(entry_status(source), "complete")

    def test_a_syntax_error_is_whole_so_that_it_runs_and_reports(self) -> None:
        for source in ["1 +* 2", "x = 1\ny = 2", "return 5)"]:
            with self.subTest(source=source):
                self.assertEqual(entry_status(source), "invalid")


if __name__ == "__main__":
    unittest.main()
