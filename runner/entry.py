"""Whether a typed entry is whole: the rule of Python's own interactive console (code.InteractiveConsole)."""
from __future__ import annotations

import codeop
import warnings


def entry_status(source: str) -> str:
    """'incomplete' when the console would show '... ', 'invalid' when it would run it to report a SyntaxError.

    Compiles only: the namespace and the execution count are untouched. As in code.InteractiveConsole.push, the
    lines typed so far are joined with newlines, and a block ends with a blank line (a trailing newline).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a SyntaxWarning is the running cell's to show, not the prompt's
            code = codeop.compile_command(source, "<input>", "single")
    except (SyntaxError, ValueError, OverflowError):
        return "invalid"
    return "incomplete" if code is None else "complete"
