"""Docs as tests: find ``>>>`` examples with the standard library's doctest, and run one as doctest would.

Two uses, standard library only:
- As a script (``python doctest_support.py < request.json``), at load time: parses documents with
  ``doctest.DocTestParser`` (Markdown: only the lines of its Python fences, every other line blanked so line
  numbers stay the document's) and modules with ``doctest.DocTestFinder``; prints the examples as JSON.
- In the worker (interpreter.py imports it for an exec request that carries ``doctest``): runs one example in
  the session's ``__main__`` through ``doctest.DocTestRunner`` itself, so compiling in 'single' mode, the
  displayhook, option directives, exception matching and ``OutputChecker`` are doctest's own, whatever the
  Python version. Output goes to the session's stdout as it is written (a tee), so events stream as usual.
"""
from __future__ import annotations

import bisect
import doctest
import importlib
import itertools
import json
import os
import re
import sys
import traceback
from typing import Any, Callable, Optional

FLAG_NAMES = {flag: name for name, flag in doctest.OPTIONFLAGS_BY_NAME.items()}
PYTHON_INFO = ("pycon", "python", "py")
# An opening fence: any indentation (fences nested in list items), ``` or ~~~, then the info string.
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_CONTROL = re.compile(r"^(\s*)>>> *(#\s*pyrepl3:.*?)\s*$")
# A blockquote's markers at the start of a line: `> `, `>`, nested `> > `, each after up to 3 spaces.
_QUOTE = re.compile(r"^(?: {0,3}> ?)+")


def _unquote(line: str, depth: int) -> Optional[str]:
    """`line` with its first `depth` blockquote markers turned into spaces (columns kept); None without them."""
    end = 0
    for _ in range(depth):
        found = re.match(r" {0,3}> ?", line[end:])
        if found is None:
            return None
        end += found.end()
    return " " * end + line[end:]


# -- parsing (load time) ----------------------------------------------------------------------------------------

def markdown_view(text: str) -> str:
    """The text with every line outside a Python fence blanked: what DocTestParser sees of a Markdown file.

    A fence counts when its info string's first word is pycon, python or py, or when it has none and its first
    non-blank line starts with ``>>>``. Fence lines themselves are blanked, so an example's expected output
    ends at the closing fence. A fence may be indented (in a list item) or in a blockquote (``> ```pycon``):
    the quote markers of its lines become spaces, so the examples are found at their columns, and a line
    that leaves the blockquote ends the fence, as in CommonMark.
    """
    lines = text.split("\n")
    out = [""] * len(lines)
    i = 0
    while i < len(lines):
        quote = _QUOTE.match(lines[i])
        depth = quote.group(0).count(">") if quote else 0
        opening = _unquote(lines[i], depth) if depth else lines[i]
        match = _FENCE.match(opening or "")
        if match is None or (match.group(2)[0] == "`" and "`" in match.group(3)):
            i += 1
            continue
        marker = match.group(2)
        info = match.group(3).strip().split(" ")[0].lower() if match.group(3).strip() else ""
        end, after = i + 1, len(lines)
        body = []
        while end < len(lines):
            line = _unquote(lines[end], depth) if depth else lines[end]
            if line is None:  # the blockquote ended, and the fence with it: that line is read again
                after = end
                break
            close = line.strip()
            if close.startswith(marker[0] * len(marker)) and close.strip(marker[0]) == "":
                after = end + 1
                break
            body.append(line)
            end += 1
        first = next((line.strip() for line in body if line.strip()), "")
        if info.lstrip("{.").rstrip("}") in PYTHON_INFO or (info == "" and first.startswith(">>>")):
            out[i + 1:end] = body
        i = after
    return "\n".join(out)


def example_dict(example: doctest.Example, line: int) -> dict[str, Any]:
    """The wire form of a parsed example, `line` the 1-based line of its ``>>>`` in the document."""
    return {
        "line": line,
        "source": example.source,
        "want": example.want,
        "excMsg": example.exc_msg,
        "options": {FLAG_NAMES.get(flag, str(flag)): value for flag, value in example.options.items()},
        "indent": example.indent,
    }


def parse_text(text: str, kind: str, name: str) -> list[dict[str, Any]]:
    """The examples of a document (`kind` markdown, or text for reST and plain text)."""
    view = markdown_view(text) if kind == "markdown" else text
    examples = doctest.DocTestParser().get_examples(view, name)
    found = [example_dict(example, example.lineno + 1) for example in examples]
    # doctest drops comment-only examples; a `>>> # pyrepl3: ...` one is a control step of ours.
    for number, line in enumerate(view.split("\n")):
        match = _CONTROL.match(line)
        if match:
            found.append({"line": number + 1, "source": match.group(2) + "\n", "want": "", "excMsg": None,
                          "options": {}, "indent": len(match.group(1)), "control": True})
    return sorted(found, key=lambda example: example["line"])


def module_name(path: str) -> tuple[str, str]:
    """The dotted name of the module at `path` and the directory to import it from (above its packages)."""
    path = os.path.abspath(path)
    root, file = os.path.split(path)
    parts = [os.path.splitext(file)[0]]
    if parts[0] == "__init__":
        parts = []
    while os.path.isfile(os.path.join(root, "__init__.py")):
        root, package = os.path.split(root)
        parts.insert(0, package)
    return ".".join(parts) or os.path.basename(root), root


def module_tests(path: str) -> list[dict[str, Any]]:
    """The docstring tests of a module, as DocTestFinder finds them (sorted by name), imported from `path`."""
    name, root = module_name(path)
    if root not in sys.path:
        sys.path.insert(0, root)
    sys.dont_write_bytecode = True  # finding the examples leaves no __pycache__ in the user's tree
    module = importlib.import_module(name)
    with open(path, encoding="utf-8-sig") as handle:
        lines = handle.read().split("\n")
    literals = _string_literals(path)
    tests = []
    for test in sorted(doctest.DocTestFinder(exclude_empty=True).find(module, name)):
        if not test.examples:
            continue
        examples = []
        for example in test.examples:
            found = example_dict(example, _locate(lines, example, (test.lineno or 0) + example.lineno))
            # The docstring's value may be dedented (Python 3.13 strips it): the file's indentation counts.
            text = lines[found["line"] - 1] if found["line"] <= len(lines) else ""
            found["indent"] = len(text) - len(text.lstrip())
            found["docstring"] = _docstring_literal(literals, lines, found)
            examples.append(found)
        tests.append({"name": test.name, "line": examples[0]["line"], "examples": examples, "module": name,
                      "root": root})
    return tests


def _string_literals(path: str) -> list[tuple[int, int, str]]:
    """The string literals of the module at `path`: (first line, last line, text up to the first quote)."""
    import tokenize

    literals = []
    try:
        with open(path, "rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                if token.type == tokenize.STRING:
                    opening = re.match(r"[A-Za-z]*(\"\"\"|'''|\"|')", token.string)
                    literals.append((token.start[0], token.end[0], opening.group(0) if opening else '"'))
    except (SyntaxError, tokenize.TokenError, OSError):  # the module imported: only --update loses
        pass
    return literals


def _docstring_literal(literals: list[tuple[int, int, str]], lines: list[str], example: dict[str, Any]) -> dict:
    """How the example is written in the file, for --update: in a raw literal or not, its quotes, and whether
    its lines in the file are the example's text exactly (escape sequences in a non-raw docstring make them
    differ: the file says ``\\t`` where doctest runs a tab)."""
    line, indent = example["line"], example["indent"]
    # The literals are in file order: the last one starting at or before the line holds it, if any does.
    at = bisect.bisect_right(literals, (line, float("inf"), "")) - 1
    prefix = literals[at][2] if at >= 0 and literals[at][0] <= line <= literals[at][1] else '"""'
    source = example["source"].rstrip("\n").split("\n")
    expected = [(">>>" if i == 0 else "...") + (" " + text if text else "") for i, text in enumerate(source)]
    expected += example["want"].rstrip("\n").split("\n") if example["want"] else []
    written = lines[line - 1:line - 1 + len(expected)]
    verbatim = len(written) == len(expected) and all(
        got[indent:].rstrip() == want.rstrip() and got[:indent].strip() == "" for got, want in zip(written, expected))
    quote = prefix.lstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return {"raw": "r" in prefix.lower()[:len(prefix) - len(quote)], "quote": quote, "verbatim": verbatim}


def _locate(lines: list[str], example: doctest.Example, guess: int) -> int:
    """The 1-based line of the example's ``>>>`` in the file: doctest's line is a guess (escapes, shebangs)."""
    first = example.source.split("\n")[0]
    # Lazily from the guess on: a list of every line per example made a module of 10,000 docstrings quadratic.
    for line in itertools.chain(range(max(0, guess), len(lines)), range(0, max(0, guess))):
        stripped = lines[line].strip()
        if stripped.startswith(">>>") and stripped[3:].lstrip(" ") == first.strip():
            return line + 1
    return guess + 1


def _docstring_line(path: str, test_name: str) -> int:
    """The 0-based line where the docstring of `test_name` (pkg.mod.Class.meth) starts in `path`; 0 if unknown."""
    try:
        name, _root = module_name(path)
        obj: Any = sys.modules[name]
        for part in test_name[len(name):].split(".")[1:]:
            obj = getattr(obj, part)
        with open(path, encoding="utf-8-sig") as handle:
            lines = handle.read().splitlines(True)
        return doctest.DocTestFinder()._find_lineno(obj, lines) or 0  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - only a better line number is lost
        return 0


def parse_request(request: dict[str, Any]) -> dict[str, Any]:
    """Answers the load-time request {kind, path}: {examples} or {tests}, or {error, line}."""
    path, kind = request["path"], request["kind"]
    try:
        if kind == "python":
            return {"tests": module_tests(path)}
        with open(path, encoding="utf-8-sig", newline=None) as handle:  # a BOM is no part of line 1
            text = handle.read()
        return {"examples": parse_text(text, kind, os.path.basename(path))}
    except ValueError as error:  # DocTestParser: inconsistent indentation, no space after >>>
        found = re.search(r"line (\d+) of the \w+ for (\S+)", str(error))
        line = int(found.group(1)) if found else 1
        if "option directive" in str(error):
            line += 1  # doctest counts this one from 0
        if found and kind == "python":  # the line is the docstring's: make it the file's
            line += _docstring_line(path, found.group(2))
        return {"error": f"{type(error).__name__}: {error}", "line": line}
    except BaseException as error:  # noqa: BLE001 - importing a module runs its code
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        return {"error": f"importing the module failed: {detail}", "line": _error_line(error, path)}


def _error_line(error: BaseException, path: str) -> int:
    """The line of `path` where importing it failed: a syntax error's, else its last frame in the file; or 1."""
    same = lambda name: name is not None and os.path.abspath(name) == os.path.abspath(path)  # noqa: E731
    if isinstance(error, SyntaxError) and same(error.filename) and error.lineno:
        return error.lineno
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if same(frame.filename)]
    return lines[-1] if lines and lines[-1] else 1


# -- running (in the worker) ------------------------------------------------------------------------------------

class _Tee(doctest._SpoofOut):  # type: ignore[name-defined]
    """doctest's captured stdout, also written through to the session's stdout as it comes."""

    def __init__(self, through: Any) -> None:
        super().__init__()
        self.through = through

    def write(self, text: str) -> int:
        try:
            self.through.write(text)
        except Exception:  # noqa: BLE001 - a broken stream must not change the example's verdict
            pass
        return super().write(text)


class _Runner(doctest.DocTestRunner):
    """A DocTestRunner that keeps the verdict of its one example instead of printing it."""

    def __init__(self, optionflags: int) -> None:
        super().__init__(verbose=False, optionflags=optionflags)
        self.outcome = "skipped"  # no report_* call: +SKIP
        self.report = ""
        self.flags = optionflags

    def report_start(self, out: Any, test: Any, example: Any) -> None:
        self.flags = self.optionflags  # the example's own directives merged in

    def report_success(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.outcome = "passed"

    def report_failure(self, out: Any, test: Any, example: Any, got: str) -> None:
        self.outcome = "failed"
        self.report = self._checker.output_difference(example, got, self.optionflags)

    def report_unexpected_exception(self, out: Any, test: Any, example: Any, exc_info: Any) -> None:
        self.outcome = "failed"
        self.report = "Exception raised:\n" + doctest._indent(_example_traceback(exc_info[1]))  # type: ignore


def _example_traceback(error: BaseException) -> str:
    """The traceback of an example's exception without doctest's and the runner's frames."""
    from .executor import user_traceback

    return user_traceback(error, (os.path.abspath(doctest.__file__),))


def run_example(executor: Any, source: str, spec: dict[str, Any],
                interrupted: Optional[Callable[[], bool]]) -> dict[str, Any]:
    """Run one example in the session's namespace as doctest does; the outcome as Executor.run gives it.

    `spec`: want, excMsg, options ({NAME: bool}, the example's directives), runOptions ([NAME], as
    ``doctest -o``), line, name. The result carries ``doctest``: outcome (passed, failed, skipped), report
    (doctest's text of a failure), want (what the document should say for the actual output), failFast.
    """
    from .executor import error_info

    executor.execution_count += 1
    flags = 0
    for name in spec.get("runOptions") or []:
        flags |= doctest.OPTIONFLAGS_BY_NAME[name]
    example = doctest.Example(source, spec.get("want") or "", spec.get("excMsg"), lineno=spec.get("line", 1) - 1,
                              indent=spec.get("indent", 0),
                              options={doctest.OPTIONFLAGS_BY_NAME[k]: v for k, v in (spec.get("options") or {}).items()})
    name = f'{spec.get("name") or "example"}:{spec.get("line", 1)}'  # tracebacks: <doctest README.md:42[0]>
    test = doctest.DocTest([example], {}, name, spec.get("file"), 0, None)
    test.globs = executor.namespace  # DocTest copies the globals it is given; the session's are meant
    runner = _Runner(flags)
    through = sys.stdout
    runner._fakeout = _Tee(through)
    raised: list[BaseException] = []
    got: list[str] = []

    def exec_example(code: Any, globs: dict) -> None:  # doctest's exec, seen from the doctest module
        try:
            exec(code, globs)
        except BaseException as error:
            raised.append(error)
            raise
        finally:
            got.append(runner._fakeout.getvalue())

    def compile_example(*args: Any) -> Any:  # doctest's compile: a SyntaxError is the example's exception
        try:
            return compile(*args)
        except BaseException as error:
            raised.append(error)
            got.append("")
            raise

    outcome: dict[str, Any] = {"status": "ok"}
    saved = {name: doctest.__dict__.get(name) for name in ("exec", "compile")}
    doctest.exec, doctest.compile = exec_example, compile_example  # type: ignore[attr-defined]
    try:
        executor.guard.active = True
        try:
            if interrupted is not None and interrupted():
                raise KeyboardInterrupt
            runner.run(test, out=lambda text: None, clear_globs=False)
        finally:
            executor.guard.active = False
    except KeyboardInterrupt as exc:
        return {"status": "interrupted", "error": error_info(exc)}
    finally:
        for name, value in saved.items():
            if value is None:
                del doctest.__dict__[name]
            else:
                doctest.__dict__[name] = value
    verdict: dict[str, Any] = {"outcome": runner.outcome}
    if runner.outcome == "failed":
        verdict["report"] = runner.report
        verdict["want"] = _expected_text(got[0] if got else "", raised[0] if raised else None, runner.flags)
        verdict["failFast"] = bool(runner.flags & doctest.FAIL_FAST)
        outcome["status"] = "error"
        outcome["error"] = error_info(raised[0]) if raised else {
            "type": "DocTestFailure", "message": "the output differs from the example's", "traceback": runner.report}
        if raised:
            outcome["error"]["traceback"] = _example_traceback(raised[0])
    outcome["doctest"] = verdict
    return outcome


def _expected_text(got: str, error: Optional[BaseException], flags: int) -> str:
    """What the document should say for this outcome: the output, or a doctest traceback block."""
    if error is not None:
        lines = traceback.format_exception_only(type(error), error)
        if isinstance(error, SyntaxError):  # doctest compares from the "SyntaxError: ..." line only
            prefix = f"{type(error).__qualname__}:"
            lines = lines[next((i for i, line in enumerate(lines) if line.startswith(prefix)), 0):]
        got = "Traceback (most recent call last):\n    ...\n" + "".join(lines)
    if flags & doctest.DONT_ACCEPT_BLANKLINE:
        return got
    return re.sub(r"(?m)^[ \t]*$(?=\n)", doctest.BLANKLINE_MARKER, got)


def main() -> None:
    """Load-time entry: a JSON list of {kind, path} on stdin, a JSON list of answers on stdout."""
    requests = json.load(sys.stdin)
    # What an imported module prints must not break the answer: print() and, at the level of file
    # descriptors, C code and child processes (subprocess.run(["echo"])) write to stderr instead.
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    answers = [parse_request(request) for request in requests]
    out.write(json.dumps(answers))
    out.flush()


if __name__ == "__main__":
    main()
