"""SHA-256 of out-of-band buffers, hashed on several threads: the checksum a signed checkpoint relies on.

A buffer's digest is the SHA-256 of the SHA-256 digests of its 16 MiB pieces (one piece for a smaller or empty
buffer). Pieces are independent, so up to four threads hash them at once (``hashlib`` releases the GIL while
hashing); SHA-256 on one core runs at ~1.7 GB/s here, about the speed a checkpoint's bytes cross a socket.
"""
from __future__ import annotations

import hashlib
import os
from typing import Any, Dict, List, Tuple

from ._threads import runner_thread

PIECE = 16 << 20
_THREADED = 32 << 20  # below this, one thread: starting threads costs more than it saves
_MAX_THREADS = 4


def buffer_digests(views: List[Any], max_threads: int = _MAX_THREADS) -> List[str]:
    """The hex digest of each of `views` (flat, byte-sized memoryviews), in order, on up to `max_threads`."""
    pieces: List[Tuple[int, int]] = [(index, start) for index, view in enumerate(views)
                                     for start in range(0, max(len(view), 1), PIECE)]
    done: Dict[Tuple[int, int], bytes] = {}

    def work(todo: List[Tuple[int, int]]) -> None:
        while todo:
            try:
                index, start = todo.pop()
            except IndexError:
                return
            done[index, start] = hashlib.sha256(views[index][start:start + PIECE]).digest()

    todo = list(reversed(pieces))
    threads = min(len(pieces), os.cpu_count() or 1, max_threads)
    if threads < 2 or sum(len(view) for view in views) < _THREADED:
        work(todo)
    else:
        workers = [runner_thread(work, "pyrepl3-digest", (todo,)) for _ in range(threads - 1)]
        for worker in workers:
            worker.start()
        work(todo)
        for worker in workers:
            worker.join()
    return [hashlib.sha256(b"".join(done[index, start] for start in range(0, max(len(view), 1), PIECE)))
            .hexdigest() for index, view in enumerate(views)]
