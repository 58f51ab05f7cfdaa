"""Message kinds shared with lib/protocol.ts (same names). Bump PROTOCOL_VERSION on any incompatible change."""
from __future__ import annotations

PROTOCOL_VERSION = 2

# Deno -> keeper (keeper's stdin) and keeper -> Deno (keeper's stdout).
ATTACH = "attach"               # {t, socket}: the first request; the socket path never appears in argv or env
SPAWN = "spawn"                 # {t}: fork one more spare interpreter
WARMUP = "warmup"               # {t, id, code}
KEEPER_HELLO = "keeper_hello"   # {t, protocol, python, pid, executable}
SPARE = "spare"                 # {t, pid, token, generation}: a spare was forked; it presents token in its hello
WARMUP_DONE = "warmup_done"     # {t, id, ok, generation, error?}
EXITED = "exited"               # {t, pid, code, signal}
KEEPER_ERROR = "keeper_error"   # {t, message}

# Deno <-> interpreter (a unix socket per session).
HELLO = "hello"                 # {t, protocol, python, pid, executable, token}
EXEC = "exec"                   # {t, id, code, transaction, doctest?}: doctest runs it as an example
INTERRUPT = "interrupt"         # {t, id}: sent before SIGINT, so an interrupt that lands before the cell starts holds
OUTPUT = "output"               # {t, id, stream, data}
INPUT = "input"                 # {t, id, inputId, prompt, password}
INPUT_REPLY = "input_reply"     # {t, inputId, text (str | None), error?}
RESULT = "result"               # {t, id, status, ..., doctest?}: the verdict of a doctest example
REQUEST = "request"             # {t, id, op, ...}: one of the OP_ names below
REPLY = "reply"                 # {t, id, ok, error?, executionCount, ...}
FATAL = "fatal"                 # {t, message, traceback}
DISPLAY = "display"             # {t, id, data, metadata, displayId?, update?}: a rich output (display.py)
CLEAR_OUTPUT = "clear_output"   # {t, id, wait}: clear_output() was called

# Control operations (the `op` of a request) and what their replies carry besides ok/executionCount.
OP_SETUP = "setup"              # {cwd?, env?, limits?, display?} -> {}
OP_COMMIT = "commit"            # -> {}
OP_ROLLBACK = "rollback"        # -> {pid, threadsLost}
OP_CHECKPOINT = "checkpoint"    # -> {blob}: the checkpoint's bytes follow the reply unframed
#                                 {path} -> {digest, header, size}: written to the temporary file path, unsigned
OP_RESTORE = "restore"          # {blob}: the checkpoint's bytes follow the request -> {names}
#                                 {path, digest?}: read from the file, its signed digest checked -> {names}
OP_COMPLETE = "complete"        # {source} -> {status: complete|incomplete|invalid}: codeop, no namespace touched
