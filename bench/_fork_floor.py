"""The floor of bench/load.ts: N bare forks of a numpy process, each connected to a unix socket.

Run by bench/load.ts, never by users:
    python _fork_floor.py <count>

Imports numpy, listens on a unix socket, forks <count> children that each connect and send a 2-byte
hello, then stay alive until their connection closes. Prints one JSON line: {"ms": time from the first
fork to the last hello, "pss": PSS in bytes summed over itself and its children while all are alive,
"processes": how many that sum covers}. Then closes every connection and reaps every child. This is the
least work a pool of forked sessions can do: no keeper protocol, no tokens, no set-up, no Deno.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import time
import traceback

import numpy as np  # noqa: F401  (the template's state: what every child shares copy-on-write)


def pss(pid: int) -> int:
    """The process's PSS in bytes from /proc/<pid>/smaps_rollup."""
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def child(path: str) -> None:
    """Connects, says hello and waits for the parent to close the connection; never returns."""
    code = 0
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        conn.sendall(b"hi")
        conn.recv(1)
    except BaseException:
        traceback.print_exc()
        code = 70
    finally:
        os._exit(code)


def main() -> None:
    """Forks the children, times their hellos, measures their memory, then ends them all."""
    count = int(sys.argv[1])
    folder = tempfile.mkdtemp(prefix="pyrepl3-bench-floor-")
    path = os.path.join(folder, "s")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(count)
    pids: list[int] = []
    conns: list[socket.socket] = []
    try:
        start = time.perf_counter()
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                server.close()
                child(path)
            pids.append(pid)
        for _ in range(count):
            conn, _address = server.accept()
            conns.append(conn)
            hello = b""
            while len(hello) < 2:
                chunk = conn.recv(2 - len(hello))
                if not chunk:
                    raise RuntimeError(f"a child closed its connection after {hello!r}")
                hello += chunk
        elapsed_ms = (time.perf_counter() - start) * 1000
        total = pss(os.getpid()) + sum(pss(pid) for pid in pids)
        print(json.dumps({"ms": elapsed_ms, "pss": total, "processes": count + 1}), flush=True)
    finally:
        for conn in conns:
            conn.close()
        server.close()
        for pid in pids:
            os.waitpid(pid, 0)
        os.remove(path)
        os.rmdir(folder)


if __name__ == "__main__":
    main()
