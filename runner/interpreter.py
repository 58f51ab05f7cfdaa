"""One interpreter of a session: connect to Deno, say hello, then serve exec and control requests.

The process was forked by the keeper; it owns a unix-socket connection to Deno that carries every frame. User
code sees fd 0 as /dev/null and fd 1/2 as capture pipes, so nothing it does can touch the protocol.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
from typing import Any, Optional

from . import input_bridge, savepoint
from .capture import FdCapture, OutputHub, install_streams
from .executor import Executor, UserCodeGuard, error_info
from .framing import FrameReader, FrameWriter, ProtocolError
from .protocol import EXEC, FATAL, HELLO, INPUT, INPUT_REPLY, PROTOCOL_VERSION, REPLY, REQUEST, RESULT, SHUTDOWN

ROLLBACK_POLICIES = ("rollback_on_failure", "rollback_always")
POLICY_ALIASES = {"commit_on_success": "rollback_on_failure"}


class Interpreter:
    """Serves one session's requests in this process."""

    def __init__(self, retire_fd: int) -> None:
        self.retire_fd = retire_fd
        self.connection: Optional[socket.socket] = None
        self.reader = FrameReader(-1)
        self.guard = UserCodeGuard()
        self.writer = FrameWriter(-1, shield=self.guard)
        self.hub = OutputHub(self.writer.send)
        self.capture = FdCapture(self.hub)
        self.executor = Executor(self.guard)
        self.forker = savepoint.Forker([self.capture.lock, self.hub.lock, self.writer.lock], self._restart_threads, 0)
        self.explicit: Optional[savepoint.Savepoint] = None
        self.execution_id: Optional[str] = None
        self._input_count = 0

    def prepare(self) -> None:
        """Take over fds 0-2, install the bridges and start the threads: everything but the connection.

        The keeper runs this in a spare interpreter ahead of time, so that a session asked for later only
        has to connect.
        """
        self.capture.install()
        install_streams(self.hub)
        self.stdin = input_bridge.install(self._ask)
        self.guard.install()
        self._restart_threads()
        self.forker.runner_threads = threading.active_count()

    def attach(self, socket_path: str, generation: int) -> None:
        """Connect to Deno and say hello; Deno queues the connection until a session takes it."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(socket_path)
        self.connection = connection
        self.reader.fd = self.writer.fd = connection.fileno()
        self.writer.send({
            "t": HELLO, "protocol": PROTOCOL_VERSION, "generation": generation, "pid": os.getpid(),
            "python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable,
        })

    def _restart_threads(self) -> None:
        self.hub.start()
        self.capture.start()

    def serve(self) -> None:
        """Answer requests until shutdown or until Deno goes away."""
        while True:
            try:
                message = self.reader.read()
            except (EOFError, OSError):
                os._exit(0)
            except ProtocolError as error:
                self.writer.send({"t": FATAL, "message": str(error), "traceback": ""})
                os._exit(70)
            kind = message.get("t") if isinstance(message, dict) else None
            savepoint.reap()
            if kind == EXEC:
                self._execute(message)
            elif kind == REQUEST:
                if isinstance(message.get("blob"), int):
                    message["data"] = self.reader.read_blob(message["blob"])
                self._request(message)
            elif kind == SHUTDOWN:
                os._exit(0)
            elif kind == INPUT_REPLY:
                continue  # a late reply to a prompt that an interrupt already ended
            else:
                self.writer.send({"t": FATAL, "message": f"unknown message {kind!r}", "traceback": ""})

    # -- executions -------------------------------------------------------------------------------------------

    def _execute(self, message: dict[str, Any]) -> None:
        policy = message.get("transaction") or "commit_always"
        policy = POLICY_ALIASES.get(policy, policy)
        execution_id = message["id"]
        point: Optional[savepoint.Savepoint] = None
        if policy in ROLLBACK_POLICIES:
            point = self.forker.take()
            if point is None:
                return  # resumed after a rollback; the rolled-back process already reported the result
        elif policy == "explicit" and self.explicit is None:
            opened = self.forker.take()
            if opened is None:
                return  # resumed by rollback(); its reply was already sent
            opened.execution_count = self.executor.execution_count
            self.explicit = opened
        self.execution_id = execution_id
        self.hub.execution_id = execution_id
        self._input_count = 0
        self.stdin.reset()
        outcome = self.executor.run(message["code"])
        self._flush_output()
        result: dict[str, Any] = {"t": RESULT, "id": execution_id, **outcome}
        if point is not None:
            roll_back = policy == "rollback_always" or outcome["status"] != "ok"
            transaction = {"policy": policy, "outcome": "rolled_back" if roll_back else "committed"}
            if roll_back:
                transaction["threadsLost"] = self.forker.user_threads_lost(point)
                result["executionCount"] = self.executor.execution_count - 1
                result["transaction"] = transaction
                result["pid"] = point.pid
                self._hand_over(point, result)
            point.discard()
            result["transaction"] = transaction
        elif self.explicit is not None:
            result["transaction"] = {"policy": policy, "outcome": "pending"}
        result["executionCount"] = self.executor.execution_count
        result["pid"] = os.getpid()
        self.execution_id = None
        self.writer.send(result)

    def _flush_output(self) -> None:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()  # type: ignore[union-attr]
            except Exception:
                pass
        self.capture.drain()
        self.hub.flush()

    def _hand_over(self, point: savepoint.Savepoint, message: dict[str, Any]) -> None:
        """Send the last message, wake the savepoint as the active process, and exit."""
        os.write(self.retire_fd, b"%d\n" % os.getpid())
        with self.capture.lock, self.hub.lock:
            self.writer.send(message)
            point.resume()
            os._exit(0)

    def _ask(self, prompt: str, password: bool) -> Optional[str]:
        """Send an input request and wait for its reply (the input bridge's callback)."""
        self.hub.flush()
        self._input_count += 1
        input_id = f"{self.execution_id}.{self._input_count}"
        self.writer.send({"t": INPUT, "id": self.execution_id, "inputId": input_id, "prompt": prompt,
                          "password": password})
        while True:
            try:
                message = self.reader.read()
            except (EOFError, OSError):
                os._exit(0)
            if isinstance(message, dict) and message.get("t") == INPUT_REPLY and message.get("inputId") == input_id:
                break
        if message.get("error"):
            raise input_bridge.InputExhaustedError(message["error"])
        text = message.get("text")
        return text if isinstance(text, str) else None

    # -- control requests ---------------------------------------------------------------------------------------

    def _request(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        reply: dict[str, Any] = {"t": REPLY, "id": message.get("id"), "ok": True}
        try:
            if op == "ping":
                reply["pid"] = os.getpid()
            elif op == "setup":
                if message.get("cwd"):
                    os.chdir(message["cwd"])
                for key, value in (message.get("env") or {}).items():
                    os.environ[key] = value
            elif op == "commit":
                self._require_transaction("commit")
                assert self.explicit is not None
                self.explicit.discard()
                self.explicit = None
            elif op == "rollback":
                self._require_transaction("rollback")
                assert self.explicit is not None
                point, self.explicit = self.explicit, None
                reply["pid"] = point.pid
                reply["threadsLost"] = self.forker.user_threads_lost(point)
                reply["executionCount"] = point.execution_count
                self._hand_over(point, reply)
            elif op == "checkpoint":
                self._send_checkpoint(reply)
                return
            elif op == "restore":
                reply.update(self._restore(message["data"]))
            else:
                raise ValueError(f"unknown request {op!r}")
        except Exception as exc:
            reply = {"t": REPLY, "id": message.get("id"), "ok": False, "error": error_info(exc)}
        reply["executionCount"] = self.executor.execution_count
        self.writer.send(reply)

    def _require_transaction(self, op: str) -> None:
        if self.explicit is None:
            raise NoTransactionError(f"{op}() needs an open transaction: run code with transaction 'explicit' first")

    def _send_checkpoint(self, reply: dict[str, Any]) -> None:
        """Reply with the checkpoint's bytes as a blob: a 512 MB array goes out without being joined or copied."""
        from .checkpoint import dump_namespace_parts

        parts, _names, _skipped = dump_namespace_parts(self.executor.namespace, self.executor.execution_count)
        reply["executionCount"] = self.executor.execution_count
        self.writer.send_with_blob(reply, parts)

    def _restore(self, data: bytes) -> dict[str, Any]:
        from .checkpoint import load_namespace

        names, count = load_namespace(data, self.executor.namespace)
        self.executor.execution_count = count
        return {"names": names}


class NoTransactionError(Exception):
    """commit() or rollback() without an open explicit transaction."""
