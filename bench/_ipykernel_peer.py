"""The peer of bench/load.ts: one ipykernel with numpy imported, for its memory beside our sessions.

Run by bench/load.ts, never by users:
    python _ipykernel_peer.py

Starts `python -m ipykernel_launcher -f <connection file>` with this interpreter, connects a
jupyter_client BlockingKernelClient, runs `import numpy as np` in the kernel and waits for its
reply, then prints one JSON line, {"pid": <kernel pid>}, and waits. When its stdin
closes (or gets a line), it shuts the kernel down and exits. Exits 3 when ipykernel or
jupyter_client is not importable, so the benchmark can say "not installed" rather than "failed".
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

try:
    from jupyter_client import BlockingKernelClient
    from jupyter_client.connect import write_connection_file
    import ipykernel  # noqa: F401  (only its presence is checked here; the kernel imports it)
except ImportError as error:
    print(f"not installed: {error}", file=sys.stderr)
    sys.exit(3)

TIMEOUT_S = 120


def shell_reply(client: BlockingKernelClient, request: str) -> dict:
    """The shell channel's reply to `request` (other replies are skipped)."""
    while True:
        reply = client.get_shell_msg(timeout=TIMEOUT_S)
        if reply["parent_header"].get("msg_id") == request:
            return reply


def main() -> None:
    """Starts the kernel, imports numpy in it, reports its pid and waits for stdin to close."""
    folder = tempfile.mkdtemp(prefix="pyrepl3-bench-ipykernel-")
    connection_file = os.path.join(folder, "kernel.json")
    write_connection_file(connection_file)
    kernel = subprocess.Popen(
        [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,  # a kernel that dies says why in the benchmark's error
    )
    client = BlockingKernelClient(connection_file=connection_file)
    try:
        client.load_connection_file()
        client.start_channels()
        # Only the shell channel: wait_for_ready() without a KernelManager judges liveness by the heartbeat,
        # which a kernel still starting on a loaded machine misses ("Kernel died before replying"), and
        # execute_interactive() waits on iopub, whose first messages a late subscriber never gets. zmq
        # queues a shell request until the kernel binds; its reply comes when the request has run.
        shell_reply(client, client.kernel_info())
        reply = shell_reply(client, client.execute("import numpy as np", silent=True))
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"import numpy failed in the kernel: {reply['content']}")
        print(json.dumps({"pid": kernel.pid}), flush=True)
        sys.stdin.readline()
    finally:
        try:
            client.shutdown()
            kernel.wait(timeout=10)
        except Exception:  # noqa: BLE001  (whatever went wrong, the kernel must not outlive us)
            kernel.kill()
            kernel.wait()
        client.stop_channels()
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


if __name__ == "__main__":
    main()
