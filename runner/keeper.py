"""The keeper: the process Deno spawns. It forks interpreters, reaps them and reports how they ended.

Deno's first frame (``attach``) names the socket, so that neither the path nor any token appears in a process's
argv or environment. Its pid and process group never change, unlike an interpreter's (a rollback hands a session over to a forked
savepoint), so liveness is reported from here: the keeper is a child subreaper, reaps every descendant and sends
``exited`` frames on its stdout. Its stdin carries ``spawn``/``warmup`` requests. When Deno goes away (stdin
closes or the parent changes) it kills every session's process group and exits, so no Python outlives Deno.

Interpreters are forked ahead of need as *spares*: at start, after a warmup, and on each ``spawn`` request
(Deno asks for one whenever it takes one). A spare does all its set-up, connects to Deno's socket and says
hello, so a new session costs Deno no more than taking a connection from its queue (a fork plus the set-up take
tens of milliseconds on a slow machine). Each spare gets a one-time random token, reported here (``spare``) before the spare
connects and presented in its hello: Deno refuses any connection without an unused token, and signals only the
process groups reported here. A warmup starts a new generation: older spares are killed, and Deno drops
their connections by the generation reported with their token.
"""
from __future__ import annotations

import faulthandler
import os
import secrets
import select
import signal
import sys
from typing import Any

from .framing import FrameReader, FrameWriter
from .interpreter import Interpreter  # imported here so that every fork starts with it loaded
from .reaper import become_subreaper, die_with_parent, end_all
from .protocol import ATTACH, EXITED, KEEPER_ERROR, KEEPER_HELLO, PROTOCOL_VERSION, SPARE, SPAWN, WARMUP, WARMUP_DONE


class Keeper:
    """Serves spawn and warmup requests and reports exits."""

    def __init__(self) -> None:
        self.socket_path = ""
        self.generation = 0
        self.spares: set[int] = set()
        self.control_in = os.dup(0)
        self.control_out = os.dup(1)
        os.dup2(2, 1)  # anything printed by warmup code goes to stderr, never into the control stream
        self.error_fd = os.dup(2)
        self.reader = FrameReader(self.control_in)
        self.writer = FrameWriter(self.control_out)
        self.retire_read, self.retire_write = os.pipe()
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_write, False)
        os.set_blocking(self.retire_read, False)
        self.parent = os.getppid()
        self.groups: set[int] = set()
        self._warming = False
        self.retired: set[int] = set()
        self._retire_buffer = b""

    def serve(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.signal(signal.SIGTERM, lambda signum, frame: self.stop())
        signal.signal(signal.SIGHUP, lambda signum, frame: self.stop())
        signal.set_wakeup_fd(self.wake_write)
        become_subreaper()  # orphans of the sessions become our children: end_all finds them
        keeper = os.getpid()
        os.register_at_fork(after_in_child=lambda: self._warming and die_with_parent(keeper))
        attach = self.reader.read()
        if not (isinstance(attach, dict) and attach.get("t") == ATTACH and isinstance(attach.get("socket"), str)):
            raise SystemExit("pyrepl3 keeper: the first request must be attach")
        self.socket_path = attach["socket"]
        self.writer.send({"t": KEEPER_HELLO, "protocol": PROTOCOL_VERSION, "pid": os.getpid(),
                          "python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable})
        self._fork_spare()
        watched = [self.control_in, self.retire_read, self.wake_read]
        while True:
            try:
                ready, _, _ = select.select(watched, [], [], 0.5)
            except InterruptedError:
                ready = []
            if self.retire_read in ready:
                self._read_retired()
            if self.wake_read in ready:
                try:
                    os.read(self.wake_read, 4096)
                except BlockingIOError:
                    pass
            self._reap()
            if self.control_in in ready:
                while True:
                    try:
                        message = self.reader.read()
                    except (EOFError, OSError):
                        self.stop()
                    self._handle(message)
                    if not self.reader.buffered():
                        break
            if os.getppid() != self.parent:
                self.stop()

    def _handle(self, message: Any) -> None:
        kind = message.get("t") if isinstance(message, dict) else None
        if kind == SPAWN:
            self._fork_spare()
        elif kind == WARMUP:
            self._warmup(message)
        else:
            self.writer.send({"t": KEEPER_ERROR, "message": f"unknown keeper request {kind!r}"})

    def _warmup(self, message: dict[str, Any]) -> None:
        for pid in self.spares:  # forked before the warmup ran
            self.retired.add(pid)
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        self.spares.clear()
        self.generation += 1
        reply: dict[str, Any] = {"t": WARMUP_DONE, "id": message.get("id"), "ok": True,
                                 "generation": self.generation}
        self._warming = True  # a fork the warmup makes dies with the keeper (die_with_parent)
        try:
            code = compile(message["code"], "<warmup>", "exec")
            exec(code, sys.modules["__main__"].__dict__)
        except BaseException as exc:
            from .executor import error_info

            reply.update(ok=False, error=error_info(exc))
        finally:
            self._warming = False
        for name in ("stdout", "stderr"):
            try:
                getattr(sys, name).flush()  # warmup code may have deleted or replaced them
            except Exception:
                pass
        self.writer.send(reply)
        self._fork_spare()

    def _fork_spare(self) -> None:
        token = secrets.token_hex(16)
        pid = os.fork()
        if pid == 0:
            self._become_interpreter(token)
        self.groups.add(pid)
        self.spares.add(pid)
        self.writer.send({"t": SPARE, "pid": pid, "token": token, "generation": self.generation})

    def _become_interpreter(self, token: str) -> None:
        """Run as a (spare) interpreter in the forked child; never returns into the keeper's loop."""
        try:
            os.setpgid(0, 0)
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_DFL)
            for fd in (self.control_in, self.control_out, self.retire_read, self.wake_read, self.wake_write):
                os.close(fd)
            sys.argv = [""]
            self.error_fd = self._open_fault_file()
            faulthandler.enable(file=os.fdopen(self.error_fd, "w", closefd=False), all_threads=True)
            interpreter = Interpreter(self.retire_write)
            interpreter.prepare()
            try:
                interpreter.attach(self.socket_path, token)
            except OSError:
                os._exit(0)  # Deno closed its socket while this spare was being made: nobody wants it
            interpreter.serve()
        except BaseException:
            try:
                import traceback

                os.write(self.error_fd, traceback.format_exc().encode("utf-8", "replace"))
            except BaseException:
                pass  # Deno is gone too
        finally:
            # Never fall back into the keeper's code, nor into interpreter finalization: its flush of
            # sys.stdout could wait forever on a lock held by a runner thread that finalization froze.
            os._exit(70)

    def _open_fault_file(self) -> int:
        """This interpreter's own file for a fatal-error report, beside its socket, which Deno reads
        when it dies: the keeper's stderr is shared by every interpreter it forked."""
        path = os.path.join(os.path.dirname(self.socket_path), "stderr-%d" % os.getpid())
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        try:
            return os.open(path, flags, 0o600)
        except OSError:
            return self.error_fd

    def _read_retired(self) -> None:
        try:
            self._retire_buffer += os.read(self.retire_read, 4096)
        except BlockingIOError:
            return
        *lines, self._retire_buffer = self._retire_buffer.split(b"\n")
        self.retired.update(int(line) for line in lines if line)

    def _reap(self) -> None:
        self._read_retired()
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.spares.discard(pid)
            if pid in self.retired:
                self.retired.discard(pid)
                continue
            code = os.waitstatus_to_exitcode(status)
            name = signal.Signals(-code).name if code < 0 else None
            self.writer.send({"t": EXITED, "pid": pid, "code": None if code < 0 else code, "signal": name})

    def stop(self, code: int = 0) -> None:
        """Kill every process group it made and every descendant (reaper.py), remove the socket folder, and exit.

        Never returns and never fails half-way: it runs after any error, including a write to a Deno that is gone.
        """
        try:
            for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_IGN)
            end_all(self.groups)
            self._remove_socket_dir()
        finally:
            os._exit(code)

    def _remove_socket_dir(self) -> None:
        """Deno removes it too, but Deno may be gone (killed) by now."""
        if not self.socket_path:
            return
        folder = os.path.dirname(self.socket_path)
        names = [os.path.basename(self.socket_path), "owner"]
        try:
            names += [name for name in os.listdir(folder) if name.startswith(("stderr-", "tmp-"))]
        except OSError:
            pass
        for name in names:
            if name.startswith("tmp-"):  # a file an interpreter was writing when Deno died (lib/keeper.ts)
                try:
                    with open(os.path.join(folder, name)) as note:
                        unfinished = note.read()
                    if unfinished:
                        os.unlink(unfinished)
                except OSError:
                    pass
        for name in names:
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass
        try:
            os.rmdir(folder)
        except OSError:
            pass


def main() -> None:
    keeper = Keeper()
    try:
        keeper.serve()
    except BaseException as exc:  # a refusal to start, or any error (a write to a Deno that is gone)
        try:
            import traceback

            text = str(exc.code) if isinstance(exc, SystemExit) else traceback.format_exc()
            os.write(2, text.encode("utf-8", "backslashreplace") + b"\n")
        except BaseException:
            pass  # stderr went away with Deno
    keeper.stop(1)  # serve() returns only by an exception: end every process it made, whatever happened
