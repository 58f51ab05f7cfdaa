"""input(), sys.stdin and getpass become input requests answered by the caller.

The prompt is written to stdout first, as Python does when stdin is not a terminal; the reply is not echoed.
A reply of None means end of input (EOFError for input(), "" for reads of sys.stdin).
"""
from __future__ import annotations

import builtins
import getpass
import io
import sys
from typing import Callable, Optional

AskFunction = Callable[[str, bool], Optional[str]]


class InputExhaustedError(BaseException):
    """Raised in user code when an input prompt has no scripted reply.

    A BaseException, so a user's ``except Exception`` does not hide that the scenario ran out of replies.
    """


InputExhaustedError.__module__ = "builtins"  # tracebacks name it plainly, not by the runner's package


class BridgeStdin(io.TextIOBase):
    """sys.stdin: each line read is an input request with an empty prompt."""

    def __init__(self, ask: AskFunction) -> None:
        super().__init__()
        self._ask = ask
        self._pending = ""
        self._eof = False

    @property
    def name(self) -> str:  # type: ignore[override]
        return "<stdin>"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def readable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 0

    def reset(self) -> None:
        """Forget end of input and unread text: each execution reads its own input."""
        self._pending = ""
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        reply = self._ask("", False)
        if reply is None:
            self._eof = True
            return False
        self._pending += reply if reply.endswith("\n") else reply + "\n"
        return True

    def readline(self, size: Optional[int] = -1) -> str:  # type: ignore[override]
        if not self._pending and not self._fill():
            return ""
        end = self._pending.find("\n") + 1 or len(self._pending)
        if size is not None and size >= 0:
            end = min(end, size)
        line, self._pending = self._pending[:end], self._pending[end:]
        return line

    def read(self, size: Optional[int] = -1) -> str:
        if size is None or size < 0:
            while self._fill():
                pass
            data, self._pending = self._pending, ""
            return data
        while len(self._pending) < size and self._fill():
            pass
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def __iter__(self) -> "BridgeStdin":
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def install(ask: AskFunction) -> BridgeStdin:
    """Route input(), sys.stdin and getpass.getpass through ``ask(prompt, password)``."""

    def bridged_input(prompt: object = "") -> str:
        stdout = getattr(sys, "stdout", None)
        if stdout is None:  # as the built-in input() says when user code deleted or cleared sys.stdout
            raise RuntimeError("input(): lost sys.stdout")
        text = str(prompt)
        if text:
            stdout.write(text)
        stdout.flush()
        reply = ask(text, False)
        if reply is None:
            raise EOFError("EOF when reading a line")
        return reply[:-1] if reply.endswith("\n") else reply

    def bridged_getpass(prompt: str = "Password: ", stream: object = None) -> str:
        sys.stdout.write(prompt)
        sys.stdout.flush()
        reply = ask(prompt, True)
        if reply is None:
            raise EOFError("EOF when reading a password")
        return reply

    builtins.input = bridged_input
    getpass.getpass = bridged_getpass  # type: ignore[assignment]
    stdin = BridgeStdin(ask)
    sys.stdin = stdin
    sys.__stdin__ = stdin  # type: ignore[misc]
    return stdin
