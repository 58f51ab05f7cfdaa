"""One interpreter of a session: connect to Deno, say hello, then serve exec and control requests.

The process was forked by the keeper; it owns a unix-socket connection to Deno that carries every frame. User
code sees fd 0 as /dev/null and fd 1/2 as capture pipes, so nothing it does can touch the protocol.
"""
from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from typing import Any, Iterator, Optional

from . import display, executor, input_bridge, savepoint
from .capture import FdCapture, OutputHub, install_streams
from .entry import entry_status
from .executor import Executor, RunnerImport, UserCodeGuard, error_info
from .framing import FrameReader, FrameWriter, ProtocolError
from .limits import CpuTimeLimitExceeded, Limits
from .protocol import (EXEC, FATAL, HELLO, INPUT, INPUT_REPLY, INTERRUPT, OP_CHECKPOINT, OP_COMMIT, OP_COMPLETE,
                       OP_RESTORE, OP_ROLLBACK, OP_SETUP, PROTOCOL_VERSION, REPLY, REQUEST, RESULT)

ROLLBACK_POLICIES = ("rollback_on_failure", "rollback_always")


class Interpreter:
    """Serves one session's requests in this process."""

    def __init__(self, retire_fd: int) -> None:
        self.retire_fd = retire_fd
        self.connection: Optional[socket.socket] = None
        self.guard = UserCodeGuard()
        self.reader = FrameReader(-1, shield=self.guard)
        self.writer = FrameWriter(-1, shield=self.guard)
        self.hub = OutputHub(self.writer.send)
        self.capture = FdCapture(self.hub)
        self.executor = Executor(self.guard)
        self.limits = Limits(self.guard)
        self.forker = savepoint.Forker([self.capture.lock, self.hub.lock, self.writer.lock], self._restart_threads, 0)
        self.explicit: Optional[savepoint.Savepoint] = None
        self.execution_id: Optional[str] = None
        self._input_count = 0
        # The process serving the socket. A child of a user's os.fork() that returns from the cell is not it,
        # and must never answer the socket beside it.
        self.owner_pid = os.getpid()

    def prepare(self) -> None:
        """Take over fds 0-2, install the bridges and start the threads: everything but the connection.

        The keeper runs this in a spare interpreter ahead of time, so that a session asked for later only
        has to connect.
        """
        self.capture.install()
        install_streams(self.hub)
        self.stdin = input_bridge.install(self._ask)
        self.guard.install()
        display.install(self._publish)
        self._restart_threads()
        self.forker.runner_threads = threading.active_count()

    def attach(self, socket_path: str, token: str) -> None:
        """Connect to Deno and say hello with the one-time token the keeper reported for this spare.

        Deno refuses a connection without an unused token, so no other process can pose as an interpreter.
        """
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(socket_path)
        self.connection = connection
        self.owner_pid = os.getpid()
        self.reader.fd = self.writer.fd = connection.fileno()
        self.writer.send({
            "t": HELLO, "protocol": PROTOCOL_VERSION, "pid": os.getpid(), "token": token,
            "python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable,
        })

    def _restart_threads(self) -> None:
        self.owner_pid = os.getpid()  # also run by a savepoint resumed as the active process
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
                if isinstance(message.get("blob"), int) and message.get("op") == OP_RESTORE:
                    with RunnerImport():
                        from ._checkpoint_recv import receive_checkpoint  # hashes buffers as they arrive
                    message["data"] = receive_checkpoint(self.reader, message["blob"])
                elif isinstance(message.get("blob"), int):
                    message["data"] = self.reader.read_blob(message["blob"])
                self._request(message)
            elif kind == INPUT_REPLY or kind == INTERRUPT:
                continue  # a late reply to a prompt an interrupt ended, or an interrupt of a cell that ended
            else:
                self.writer.send({"t": FATAL, "message": f"unknown message {kind!r}", "traceback": ""})

    # -- executions -------------------------------------------------------------------------------------------

    def _execute(self, message: dict[str, Any]) -> None:
        policy = message.get("transaction") or "commit_always"
        execution_id = message["id"]
        point: Optional[savepoint.Savepoint] = None
        try:
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
        except OSError as exc:  # no fd (limits.openFiles) or process left for the savepoint: the code does not run
            refusal = OSError(exc.errno, f"cannot take the savepoint of a {policy} transaction, so the code did not "
                                         f"run: {exc.strerror or exc}")
            self.writer.send({"t": RESULT, "id": execution_id, "status": "error", "error": error_info(refusal),
                              "executionCount": self.executor.execution_count, "pid": os.getpid()})
            return
        self.execution_id = execution_id
        self.hub.flush()  # output written since the last result goes out as background output (id None)
        self.hub.execution_id = execution_id
        self._input_count = 0
        self.stdin.reset()
        self.limits.arm()
        try:
            if message.get("doctest") is not None:  # a document's example, run as doctest runs it
                from .doctest_support import run_example
                outcome = run_example(self.executor, message["code"], message["doctest"],
                                      lambda: self._interrupt_arrived(execution_id))
            else:
                outcome = self.executor.run(message["code"], lambda: self._interrupt_arrived(execution_id))
        finally:
            self.limits.disarm()
        if os.getpid() != self.owner_pid:
            os._exit(0)  # the child of a user's os.fork() finished the cell: only the owner answers
        self._flush_output()
        result: dict[str, Any] = {"t": RESULT, "id": execution_id, **outcome}
        if point is not None:
            roll_back = policy == "rollback_always" or outcome["status"] != "ok"
            transaction = {"policy": policy, "outcome": "rolled_back" if roll_back else "committed"}
            if roll_back and not point.alive():
                transaction["outcome"] = "rollback_failed"  # the savepoint was killed: the changes stay
            elif roll_back:
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
        self.hub.execution_id = None  # from now on, output is background output until the next cell
        self.writer.send(result)

    def _flush_output(self) -> None:
        # User code may have deleted or replaced any of these (del sys.stdout, sys.stderr = 42).
        for name in ("stdout", "stderr", "__stdout__", "__stderr__"):
            try:
                getattr(sys, name).flush()
            except Exception:
                pass
        self.capture.drain()
        self.hub.flush()

    def _hand_over(self, point: savepoint.Savepoint, message: dict[str, Any]) -> None:
        """Send the last message, wake the savepoint as the active process, and exit."""
        os.write(self.retire_fd, b"%d\n" % os.getpid())
        with self.capture.lock, self.hub.lock:
            try:
                self.writer.send(message)
            finally:  # whatever happened to the message, the session's state lives on in the savepoint
                point.resume()
                os._exit(0)

    def _publish(self, frame: dict[str, Any]) -> None:
        """Send a display frame after the output written before it (display.py's channel)."""
        self.hub.flush()
        frame["id"] = self.execution_id
        self.writer.send(frame)

    def _interrupt_arrived(self, execution_id: str) -> bool:
        """True when Deno sent an interrupt for this execution before its cell started.

        Deno writes the interrupt frame before it sends SIGINT; a signal that came before the cell could be
        interrupted was dropped, but then its frame is already readable here.
        """
        if not self.guard.dropped:
            return False  # no SIGINT came while idle: no syscall on the round trip's hot path
        self.guard.dropped = False
        try:
            messages = self.reader.read_available()
        except (EOFError, OSError, ProtocolError):
            return False
        return any(isinstance(m, dict) and m.get("t") == INTERRUPT and m.get("id") == execution_id
                   for m in messages)

    def _ask(self, prompt: str, password: bool) -> Optional[str]:
        """Send an input request and wait for its reply (the input bridge's callback)."""
        self.hub.flush()
        self._input_count += 1
        input_id = f"{self.execution_id}.{self._input_count}"
        self.writer.send({"t": INPUT, "id": self.execution_id, "inputId": input_id, "prompt": prompt,
                          "password": password})
        while True:
            try:
                message = self.reader.read(interruptible=True)
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
        with RunnerImport():  # user code may have replaced __import__; checkpoint and restore import lazily
            self._serve_request(message)

    def _serve_request(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        reply: dict[str, Any] = {"t": REPLY, "id": message.get("id"), "ok": True}
        try:
            if op == OP_SETUP:
                if message.get("cwd"):
                    os.chdir(message["cwd"])
                for key, value in (message.get("env") or {}).items():
                    os.environ[key] = value
                if message.get("limits") is not None:
                    self.limits.apply(message["limits"])
                if message.get("display") is not None:
                    display.configure(message["display"])
                if message.get("maxValueChars") is not None:
                    executor.max_value_chars = int(message["maxValueChars"])
            elif op == OP_COMMIT:
                self._require_transaction("commit")
                assert self.explicit is not None
                self.explicit.discard()
                self.explicit = None
            elif op == OP_ROLLBACK:
                self._require_transaction("rollback")
                assert self.explicit is not None
                point, self.explicit = self.explicit, None
                if not point.alive():
                    raise TransactionError("the transaction's savepoint process was lost (killed?): nothing was "
                                           "rolled back; the session keeps its current state")
                reply["pid"] = point.pid
                reply["threadsLost"] = self.forker.user_threads_lost(point)
                reply["executionCount"] = point.execution_count
                self._hand_over(point, reply)
            elif op == OP_CHECKPOINT and message.get("path"):
                reply.update(self._checkpoint_file(message["path"]))
            elif op == OP_CHECKPOINT:
                self._send_checkpoint(reply)
                return
            elif op == OP_RESTORE:
                reply.update(self._restore(message))
            elif op == OP_COMPLETE:
                reply["status"] = entry_status(message["source"])
            else:
                raise ValueError(f"unknown request {op!r}")
        except BaseException as exc:  # SystemExit too: pickling and restoring run user code
            reply = {"t": REPLY, "id": message.get("id"), "ok": False, "error": error_info(exc)}
        reply["executionCount"] = self.executor.execution_count
        self.writer.send(reply)

    def _require_transaction(self, op: str) -> None:
        if self.explicit is None:
            raise NoTransactionError(f"{op}() needs an open transaction: run code with transaction 'explicit' first")

    def _send_checkpoint(self, reply: dict[str, Any]) -> None:
        """Reply with the checkpoint's bytes as a blob: a 512 MB array goes out without being joined or copied."""
        from .checkpoint import dump_namespace_parts

        with self._user_code("checkpoint"):  # pickling runs user code (__reduce__, __getstate__)
            parts, _names, _skipped = dump_namespace_parts(self.executor.namespace, self.executor.execution_count)
        reply["executionCount"] = self.executor.execution_count
        self.writer.send_with_blob(reply, parts)

    def _checkpoint_file(self, temp_path: str) -> dict[str, Any]:
        """Write the checkpoint to `temp_path`; Deno signs it and renames it into place (checkpoint_file.py)."""
        from .checkpoint_file import write_checkpoint_file

        with self._user_code("checkpoint"):
            return write_checkpoint_file(self.executor.namespace, self.executor.execution_count, temp_path)

    @contextlib.contextmanager
    def _user_code(self, what: str) -> Iterator[None]:
        """Interruptible like a cell (checkpoint's pickling, restore's unpickling); an interrupt or the CPU limit
        becomes a CheckpointError."""
        from .checkpoint import CheckpointError

        try:
            self.guard.active = True
            try:
                yield
            finally:
                self.guard.active = False
        except (KeyboardInterrupt, CpuTimeLimitExceeded):
            raise CheckpointError(f"{what}() was interrupted; the session is unchanged") from None

    def _restore(self, message: dict[str, Any]) -> dict[str, Any]:
        from .checkpoint import load_namespace
        from .checkpoint_file import load_checkpoint_file

        if message.get("path"):
            names, count = load_checkpoint_file(message["path"], self.executor.namespace, message.get("digest"),
                                                unpickling=self._user_code("restore"))
        else:
            from ._checkpoint_recv import precomputed

            data, digests = precomputed(message["data"])
            names, count = load_namespace(data, self.executor.namespace, known_digests=digests,
                                          unpickling=self._user_code("restore"))
        self.executor.execution_count = count
        return {"names": names}


class NoTransactionError(Exception):
    """commit() or rollback() without an open explicit transaction."""


class TransactionError(Exception):
    """A rollback that cannot happen: its savepoint process is gone."""
