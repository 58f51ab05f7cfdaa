"""Tests for runner/limits.py: the ``limits`` of the ``setup`` request, applied with setrlimit in the interpreter.

Each case runs in a child Python (limits cannot be lifted again in the process that set them): it applies the
limits, runs cells through an Executor the way the interpreter does (arm, run, disarm), and prints the
outcomes as JSON.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import unittest
from typing import Any

from _runner import RUNNER

CHILD = """
import json, sys
sys.path.insert(0, {runner!r})
from load import load_module
executor_module, limits_module = load_module("executor"), load_module("limits")
guard = executor_module.UserCodeGuard()
guard.install()
executor = executor_module.Executor(guard)
limits = limits_module.Limits(guard)

def cell(code):
    limits.arm()
    try:
        outcome = executor.run(code)
    finally:
        limits.disarm()
    return {{"status": outcome["status"], "error": (outcome.get("error") or {{}}).get("type"),
             "message": (outcome.get("error") or {{}}).get("message"), "value": outcome.get("value")}}

def apply(spec):
    try:
        limits.apply(spec)
        return None
    except ValueError as error:
        return str(error)

{body}
"""


def run_child(body: str) -> Any:
    script = CHILD.format(runner=str(RUNNER), body=textwrap.dedent(body))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError(f"child failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class LimitsTest(unittest.TestCase):
    def test_memory_beyond_the_limit_is_a_memory_error_and_the_session_goes_on(self) -> None:
        outcomes = run_child("""
            used = limits_module._address_space()
            print(json.dumps([apply({"memoryBytes": used + 256 * 2**20}),
                              cell("hog = bytearray(1024 * 2**20)"), cell("len(bytearray(2**20))")]))
        """)
        self.assertIsNone(outcomes[0])
        self.assertEqual((outcomes[1]["status"], outcomes[1]["error"]), ("error", "MemoryError"))
        self.assertEqual((outcomes[2]["status"], outcomes[2]["value"]), ("ok", 2**20))

    def test_a_cell_over_its_cpu_seconds_fails_clearly_and_the_next_cells_run(self) -> None:
        outcomes = run_child("""
            print(json.dumps([apply({"cpuSeconds": 1}), cell("while True: pass"), cell("sum(range(10))"),
                              cell("while True: pass")]))
        """)
        self.assertIsNone(outcomes[0])
        self.assertEqual((outcomes[1]["status"], outcomes[1]["error"]), ("error", "CpuTimeLimitExceeded"))
        self.assertIn("cpuSeconds", outcomes[1]["message"])
        self.assertEqual((outcomes[2]["status"], outcomes[2]["value"]), ("ok", 45))
        # The budget is per execution: a later cell gets its own second, and is stopped again.
        self.assertEqual(outcomes[3]["error"], "CpuTimeLimitExceeded")

    def test_the_cpu_limit_is_lifted_between_cells(self) -> None:
        soft = run_child("""
            import resource
            apply({"cpuSeconds": 5})
            cell("1")
            print(json.dumps(resource.getrlimit(resource.RLIMIT_CPU)[0]))
        """)
        self.assertEqual(soft, -1)  # RLIM_INFINITY: the runner's own work never meets the budget

    def test_opening_more_files_than_the_limit_is_an_os_error_and_the_session_goes_on(self) -> None:
        outcomes = run_child("""
            print(json.dumps([apply({"openFiles": 64}),
                              cell("import os\\nfiles = []\\nfor _ in range(100):\\n    files.append(open(os.devnull))"),
                              cell("for f in files: f.close()\\nlen(files)")]))
        """)
        self.assertIsNone(outcomes[0])
        self.assertEqual((outcomes[1]["status"], outcomes[1]["error"]), ("error", "OSError"))
        self.assertIn("Too many open files", outcomes[1]["message"])
        self.assertEqual(outcomes[2]["status"], "ok")

    def test_bad_limits_are_refused_with_a_message(self) -> None:
        messages = run_child("""
            print(json.dumps([apply({"memory": 1}), apply({"cpuSeconds": 0}), apply({"openFiles": True}),
                              apply({"cpuSeconds": 1.5}), apply([]), apply({"openFiles": 3}),
                              apply({"memoryBytes": 1024})]))
        """)
        self.assertIn("unknown limit 'memory'", messages[0])
        self.assertIn("cpuSeconds must be a positive integer", messages[1])
        self.assertIn("openFiles must be a positive integer", messages[2])
        self.assertIn("cpuSeconds must be a positive integer", messages[3])
        self.assertIn("limits must be an object", messages[4])
        self.assertIn("too few descriptors", messages[5])
        self.assertIn("already uses", messages[6])


if __name__ == "__main__":
    unittest.main()
