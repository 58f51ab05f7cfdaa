"""Savepoints as forked copies of the interpreter (copy-on-write, so cost does not grow with the state).

``take()`` forks. The parent goes on as the active interpreter; the child is the frozen savepoint and waits on a
socketpair. Committing tells the child to exit. Rolling back tells the child to resume and the active process
to exit: the child returns from ``take()`` a second time, as the resumed process, with the interpreter state of
the moment of the fork. Threads do not survive a fork, so the resumed process restarts the runner's threads and
user threads are lost (reported). Savepoints nest: each child inherits the sockets of the older ones.
"""
from __future__ import annotations

import os
import select
import signal
import socket
import threading
import warnings
from typing import Callable, Optional

_RESUME = b"R"
_DISCARD = b"D"


class Savepoint:
    """The active process's handle on a frozen child."""

    def __init__(self, pid: int, channel: socket.socket, threads: int) -> None:
        self.pid = pid
        self.channel = channel
        self.threads_at_fork = threads
        self.execution_count = 0

    def discard(self) -> None:
        """Drop the savepoint: the child exits; it is reaped later without blocking."""
        try:
            self.channel.sendall(_DISCARD)
        except OSError:
            pass
        self.channel.close()
        _zombies.append(self.pid)

    def alive(self) -> bool:
        """True while the frozen child waits: a dead one has closed its end of the channel."""
        try:
            if not select.select([self.channel], [], [], 0)[0]:
                return True
            return self.channel.recv(1, socket.MSG_PEEK) != b""
        except OSError:
            return False

    def resume(self) -> None:
        """Wake the child as the new active process. The caller exits right after."""
        self.channel.sendall(_RESUME)
        self.channel.close()


_zombies: list[int] = []


def reap() -> None:
    """Collect discarded savepoints that have exited."""
    for pid in list(_zombies):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _zombies.remove(pid)


class Forker:
    """Takes savepoints; ``hold`` is a list of locks to hold across fork so no thread owns one in the child."""

    def __init__(self, hold: list[threading.Lock], on_resume: Callable[[], None], runner_threads: int) -> None:
        self.hold = hold
        self.on_resume = on_resume
        self.runner_threads = runner_threads

    def take(self) -> Optional[Savepoint]:
        """Fork a savepoint. Returns it in the active process, or None in the child once it is resumed."""
        threads = threading.active_count()
        ours, theirs = socket.socketpair()
        for lock in self.hold:
            lock.acquire()
        try:
            with warnings.catch_warnings():
                # Python 3.12+ warns about forking a threaded process; the runner's threads hold no locks here.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        finally:
            for lock in self.hold:
                lock.release()
        if pid:
            theirs.close()
            return Savepoint(pid, ours, threads)
        ours.close()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            word = theirs.recv(1)
        except BaseException:
            os._exit(0)
        if word != _RESUME:
            os._exit(0)
        theirs.close()
        signal.signal(signal.SIGINT, previous)
        _zombies.clear()
        self.on_resume()
        return None

    def user_threads_lost(self, savepoint: Savepoint) -> bool:
        """True when user threads were running at the fork (they did not survive in the savepoint)."""
        return savepoint.threads_at_fork > self.runner_threads
