"""Output capture: Python-level writes and fd 1/2 writes become output frames.

Python-level writes (``print``, ``sys.stdout.write``, ``sys.stderr.write``) go to one shared buffer that keeps
the order of stdout and stderr writes; a flusher thread sends it within a few milliseconds, so output streams
while code runs, and large writes are sent at once. Writes to the file descriptors themselves (``os.write(1,
...)``, C extensions, child processes) land in pipes that reader threads forward. ``drain()`` sends everything
pending before a result, so all output of an execution arrives before its result.
"""
from __future__ import annotations

import codecs
import fcntl
import io
import os
import select
import sys
import termios
import threading
import time
from typing import Any, Callable, Optional

from ._threads import Event, runner_thread
from .protocol import OUTPUT

FLUSH_DELAY = 0.002
FLUSH_SIZE = 1 << 16
STREAMS = ("stdout", "stderr")


class OutputHub:
    """Collects output of both streams in write order and sends it as frames tagged with the execution id."""

    def __init__(self, send: Callable[[Any], None]) -> None:
        self.send = send
        self.lock = threading.Lock()
        self.execution_id: Optional[str] = None
        self._parts: list[tuple[str, str]] = []
        self._size = 0
        self._pending = threading.Event()
        self._flusher: Optional[threading.Thread] = None

    def start(self) -> None:
        """Start the flusher thread (again after a fork, where threads do not survive)."""
        self._pending = Event()
        self._flusher = runner_thread(self._flush_loop, "pyrepl3-flush")  # user code may break threading.Thread
        self._flusher.start()

    def write(self, stream: str, text: str) -> None:
        """Queue text of one stream; sends at once when the buffer is large."""
        with self.lock:
            self._parts.append((stream, text))
            self._size += len(text)
            if self._size >= FLUSH_SIZE:
                self._flush_locked()
                return
        if not self._pending.is_set():
            self._pending.set()

    def flush(self) -> None:
        """Send everything queued now."""
        with self.lock:
            self._flush_locked()

    def emit(self, stream: str, text: str) -> None:
        """Send text straight away, after what is queued (for fd-level output)."""
        with self.lock:
            self._parts.append((stream, text))
            self._flush_locked()

    def _flush_locked(self) -> None:
        parts = self._parts
        if not parts:
            return
        self._parts = []
        self._size = 0
        stream, chunk = parts[0][0], [parts[0][1]]
        for next_stream, text in parts[1:]:
            if next_stream != stream:
                self._send_chunk(stream, "".join(chunk))
                stream, chunk = next_stream, []
            chunk.append(text)
        self._send_chunk(stream, "".join(chunk))

    def _send_chunk(self, stream: str, data: str) -> None:
        if data:
            self.send({"t": OUTPUT, "id": self.execution_id, "stream": stream, "data": data})

    def _flush_loop(self) -> None:
        pending = self._pending
        while True:
            pending.wait()
            # Coalesce a burst of small writes (a loop of prints) into one frame.
            time.sleep(FLUSH_DELAY)
            pending.clear()
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - streaming must outlive any one batch; a lost socket ends the
                pass  # process from the main thread


class _HubFile:
    """What sys.stdout / sys.stderr and their ``buffer`` share: a named, writable, non-tty stream of the hub."""

    def __init__(self, hub: OutputHub, name: str) -> None:
        super().__init__()
        self._hub = hub
        self._name = name

    @property
    def name(self) -> str:
        return f"<{self._name}>"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1 if self._name == "stdout" else 2

    def flush(self) -> None:
        self._hub.flush()


class HubStream(_HubFile, io.TextIOBase):
    """A text stream (sys.stdout / sys.stderr) that writes into the hub."""

    def __init__(self, hub: OutputHub, name: str) -> None:
        super().__init__(hub, name)
        self._buffer = HubBuffer(hub, name)

    @property
    def buffer(self) -> "HubBuffer":
        """The binary layer, as a real ``sys.stdout.buffer``: bytes written to it are decoded as UTF-8."""
        return self._buffer

    def reconfigure(self, *, encoding: Optional[str] = None, errors: Optional[str] = None,
                    newline: Any = None, line_buffering: Optional[bool] = None,
                    write_through: Optional[bool] = None) -> None:
        """Accepted for programs that call ``sys.stdout.reconfigure(encoding="utf-8")``; the stream is always
        UTF-8 text sent as it is written, so only another encoding is refused."""
        if encoding is not None and codecs.lookup(encoding).name != "utf-8":
            raise ValueError(f"the session's {self._name} is UTF-8 text; it cannot be reconfigured to {encoding}")

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "strict"

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self._hub.write(self._name, text)
        return len(text)


class HubBuffer(_HubFile, io.BufferedIOBase):
    """``sys.stdout.buffer`` / ``sys.stderr.buffer``: bytes decoded as UTF-8 (a sequence cut between two
    writes is completed by the next; invalid bytes become U+FFFD, as bytes written to fd 1/2 do)."""

    def __init__(self, hub: OutputHub, name: str) -> None:
        super().__init__(hub, name)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def write(self, data: Any) -> int:  # type: ignore[override]
        if isinstance(data, str):
            raise TypeError("a bytes-like object is required, not 'str'")
        view = memoryview(data).cast("B")
        text = self._decoder.decode(view)
        if text:
            self._hub.write(self._name, text)
        return view.nbytes


class FdCapture:
    """Replaces fd 1 and 2 with pipes and forwards what is written to them."""

    def __init__(self, hub: OutputHub) -> None:
        self.hub = hub
        self.lock = threading.Lock()
        self.read_fds: dict[str, int] = {}
        self._decoders: dict[str, Any] = {}

    def install(self) -> None:
        """Point fd 1 and 2 at fresh pipes and fd 0 at /dev/null."""
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        for fd, stream in ((1, "stdout"), (2, "stderr")):
            read_fd, write_fd = os.pipe()
            os.dup2(write_fd, fd)
            os.close(write_fd)
            os.set_blocking(read_fd, False)
            self.read_fds[stream] = read_fd
            self._decoders[stream] = codecs.getincrementaldecoder("utf-8")("replace")

    def start(self) -> None:
        """Start one reader thread per stream (again after a fork)."""
        for stream in STREAMS:
            runner_thread(self._read_loop, f"pyrepl3-{stream}", (stream,)).start()

    def drain(self) -> None:
        """Forward whatever the pipes hold right now; the caller makes sure writers are done."""
        with self.lock:
            for stream in STREAMS:
                self._forward_available(stream)

    def _read_loop(self, stream: str) -> None:
        fd = self.read_fds[stream]
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            events = poller.poll()
            with self.lock:
                self._forward_available(stream)
                if any(mask & select.POLLHUP for _, mask in events) and not _bytes_waiting(fd):
                    # Every writer closed the pipe (user code closed fd 1 or 2): nothing more can come,
                    # and polling a hung-up pipe would spin.
                    return

    def _forward_available(self, stream: str) -> None:
        fd = self.read_fds[stream]
        while _bytes_waiting(fd):
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                return
            text = self._decoders[stream].decode(data)
            if text:
                self.hub.emit(stream, text)


def _bytes_waiting(fd: int) -> int:
    buffer = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, buffer)
    return int.from_bytes(buffer, sys.byteorder)


def install_streams(hub: OutputHub) -> None:
    """Make sys.stdout/sys.stderr write into the hub and sys.__stdout__/__stderr__ write to fd 1/2."""
    sys.stdout = HubStream(hub, "stdout")
    sys.stderr = HubStream(hub, "stderr")
    sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True, line_buffering=True)  # type: ignore[misc]
    sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True, line_buffering=True)  # type: ignore[misc]
