"""Message kinds shared with lib/protocol.ts. Bump PROTOCOL_VERSION on any incompatible change."""
from __future__ import annotations

PROTOCOL_VERSION = 1

# Deno -> keeper (keeper's stdin) and keeper -> Deno (keeper's stdout).
KEEPER_HELLO = "keeper_hello"   # {t, protocol, python, pid, executable}
SPAWN = "spawn"                 # {t}: fork one more spare interpreter
WARMUP = "warmup"               # {t, id, code}
WARMUP_DONE = "warmup_done"     # {t, id, ok, generation, error?}
EXITED = "exited"               # {t, pid, code, signal}
KEEPER_ERROR = "keeper_error"   # {t, message}

# Deno <-> interpreter (a unix socket per session).
HELLO = "hello"                 # {t, protocol, python, pid, generation, executable}
EXEC = "exec"                   # {t, id, code, transaction}
OUTPUT = "output"               # {t, id, stream, data}
INPUT = "input"                 # {t, id, inputId, prompt, password}
INPUT_REPLY = "input_reply"     # {t, inputId, text (str | None), error?}
RESULT = "result"               # {t, id, status, ...}
REQUEST = "request"             # {t, id, op, ...}: setup, commit, rollback, checkpoint, restore, ping
REPLY = "reply"                 # {t, id, ok, error?, ...}
FATAL = "fatal"                 # {t, message, traceback}
SHUTDOWN = "shutdown"           # {t}
