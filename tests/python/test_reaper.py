"""Tests for runner/reaper.py: end_all leaves no descendant, even one that left its process group.

Each case runs in a child Python that becomes a subreaper, as the keeper does, so the test runner itself is
never one, and reports the pids it made and whether they still exist after ``end_all``.
"""
from __future__ import annotations

import json
import subprocess
import sys
import unittest

from _runner import RUNNER

CHILD = """
import json, os, sys, time
sys.path.insert(0, {runner!r})
from load import load_module
reaper = load_module("reaper")
assert reaper.become_subreaper()

def spawn_escaped():
    # A child that forks a grandchild into a new session, then exits: the grandchild is orphaned onto us.
    report, write = os.pipe()
    middle = os.fork()
    if middle == 0:
        grandchild = os.fork()
        if grandchild == 0:
            os.setsid()
            os.execvp("sleep", ["sleep", "1000"])
        os.write(write, str(grandchild).encode())
        os._exit(0)
    os.close(write)
    pid = int(os.read(report, 32))
    os.waitpid(middle, 0)
    return pid

def spawn_group_leader():
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        os.execvp("sleep", ["sleep", "1000"])
    return pid

def alive(pid):
    try:
        with open(f"/proc/{{pid}}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False

escaped, leader = spawn_escaped(), spawn_group_leader()
before = [alive(escaped), alive(leader)]
reaper.end_all([leader])
print(json.dumps({{"before": before, "after": [alive(escaped), alive(leader)]}}))
"""


@unittest.skipUnless(sys.platform.startswith("linux"), "the subreaper and /proc are Linux's")
class EndAllTest(unittest.TestCase):
    def test_end_all_kills_the_groups_and_every_orphaned_descendant(self) -> None:
        done = subprocess.run([sys.executable, "-c", CHILD.format(runner=str(RUNNER))], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        report = json.loads(done.stdout)
        self.assertEqual(report["before"], [True, True])
        self.assertEqual(report["after"], [False, False])


if __name__ == "__main__":
    unittest.main()
