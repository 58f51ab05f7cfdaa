"""Drives a command through a real pseudo-terminal, as a person at a keyboard would (tests/cli_record_tty_test.ts).

Usage: python3 pty_drive.py SCRIPT.json -- COMMAND...
SCRIPT is a list of steps: {"expect": TEXT} waits until TEXT appears in the output after the previous expect's
match; {"send": KEYS} types KEYS; {"wait_file": PATH} waits until PATH exists; {"kill": "SIGTERM"} signals the
command. Every wait is on output or a file, never a fixed sleep; a wait gives up after "timeout" seconds (default
60) and the helper exits 2 with the screen so far. At the end it waits for the command to exit and prints
{"screen": ..., "code": ..., "echo": ..., "canonical": ...} as JSON on stdout: the last two say whether the
terminal was left echoing and line-buffered (as a shell needs it), or in the raw mode of a prompt.
"""
from __future__ import annotations

import json
import os
import pty
import select
import signal
import sys
import termios
import time


def main() -> int:
    split = sys.argv.index("--")
    with open(sys.argv[1], encoding="utf-8") as f:
        script = json.load(f)
    command = sys.argv[split + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    screen = b""
    seen = 0  # where the next expect starts looking

    def read_some(deadline: float) -> bool:
        nonlocal screen
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the command ended and the pty closed
            return False
        if not data:
            return False
        screen += data
        return True

    for step in script:
        if "send" in step:
            os.write(fd, step["send"].encode())
            continue
        if "kill" in step:
            os.kill(pid, getattr(signal, step["kill"]))
            continue
        if "wait_file" in step:
            deadline = time.monotonic() + step.get("timeout", 60)
            while not os.path.exists(step["wait_file"]):
                if time.monotonic() > deadline:
                    print(json.dumps({"screen": screen.decode(errors="replace"), "code": None,
                                      "error": f"timed out waiting for {step['wait_file']}"}))
                    os.kill(pid, 9)
                    return 2
                read_some(min(deadline, time.monotonic() + 0.05))
            continue
        wanted = step["expect"].encode()
        deadline = time.monotonic() + step.get("timeout", 60)
        while wanted not in screen[seen:]:
            if time.monotonic() > deadline or not read_some(deadline):
                print(json.dumps({"screen": screen.decode(errors="replace"), "code": None,
                                  "error": f"timed out waiting for {step['expect']!r}"}))
                os.kill(pid, 9)
                return 2
        seen = screen.index(wanted, seen) + len(wanted)
    deadline = time.monotonic() + 120
    while read_some(deadline):
        pass
    _, status = os.waitpid(pid, 0)
    lflag = termios.tcgetattr(fd)[3]
    print(json.dumps({"screen": screen.decode(errors="replace"), "code": os.waitstatus_to_exitcode(status),
                      "echo": bool(lflag & termios.ECHO), "canonical": bool(lflag & termios.ICANON)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
