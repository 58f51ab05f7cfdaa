"""Checkpoint throughput: prints MB/s for a 512 MB numpy array and the time for 100,000 small objects.

Run: /root/.pyenv/versions/3.11.7/bin/python3 bench/checkpoint_speed.py [size_mb]
Targets: dump and load of the array >= 500 MB/s; the small-object namespace dumps in < 1 s. The floor printed
beside each figure is a plain memory copy of the same bytes, measured in the same run.
"""
from __future__ import annotations

import builtins
import pickle
import platform
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

RUNNER = Path(__file__).resolve().parent.parent / "runner"


def load_checkpoint_module() -> types.ModuleType:
    """Import runner/checkpoint.py under the worker's private package name (runner/load.py)."""
    sys.path.insert(0, str(RUNNER))
    try:
        from load import load_module  # runner/load.py
    finally:
        sys.path.pop(0)
    return load_module("checkpoint")


def session(code: str) -> Dict[str, Any]:
    """Run `code` in a fresh module registered as __main__ and return its namespace."""
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    real = sys.modules["__main__"]
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    finally:
        sys.modules["__main__"] = real
    return module.__dict__


def best_of(runs: int, fn: Callable[[], Any]) -> Tuple[float, Any]:
    """Best wall time of `runs` calls (the first one warms up caches and page tables)."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    ck = load_checkpoint_module()
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    print(f"Python {platform.python_version()} on {platform.machine()} {platform.system()}")
    try:
        import numpy  # noqa: F401
    except ImportError:
        numpy = None
    if numpy is not None:
        ns = session(f"import numpy as np\narr = np.ones({size_mb} * 2**20 // 8)\nother = arr")
        copy_s, _ = best_of(3, lambda: bytearray(memoryview(ns["arr"]).cast("B")))
        dump_s, (data, _, _) = best_of(3, lambda: ck.dump_namespace(ns, 1))
        parts_s, _ = best_of(3, lambda: ck.dump_namespace_parts(ns, 1))
        target: Dict[str, Any] = {}
        load_s, _ = best_of(3, lambda: ck.load_namespace(data, target))
        writable = bytearray(data)
        load_ba_s, _ = best_of(3, lambda: ck.load_namespace(writable, target))
        ns["lock"] = threading.Lock()  # forces the per-name trial pass
        skip_s, _ = best_of(3, lambda: ck.dump_namespace(ns, 1))
        del data, writable, target
        mbs = lambda s: f"{size_mb / s:8.0f} MB/s"  # noqa: E731
        print(f"{size_mb} MB numpy array (memcpy floor {mbs(copy_s)}):")
        print(f"  dump                          {mbs(dump_s)}  ({dump_s * 1000:.0f} ms, {copy_s / dump_s:.2f}x memcpy)")
        print(f"  dump_namespace_parts (0 copy) {mbs(parts_s)}  ({parts_s * 1000:.1f} ms)")
        print(f"  load from bytes (1 copy)      {mbs(load_s)}  ({load_s * 1000:.0f} ms)")
        print(f"  load from bytearray (0 copy)  {mbs(load_ba_s)}  ({load_ba_s * 1000:.0f} ms)")
        print(f"  dump with an unsaveable name  {mbs(skip_s)}  ({skip_s * 1000:.0f} ms)")
    ns = session(
        "class Point:\n"
        "    def __init__(self, x, y): self.x = x; self.y = y\n"
        "points = [Point(i, -i) for i in range(100_000)]\n"
        "ints = {i: i * 3 for i in range(100_000)}\n")
    dump_s, (data, _, _) = best_of(3, lambda: ck.dump_namespace(ns, 1))
    load_s, _ = best_of(3, lambda: ck.load_namespace(data, {}))
    real, main_module = sys.modules["__main__"], types.ModuleType("__main__")
    main_module.__dict__.update(ns)
    sys.modules["__main__"] = main_module  # plain pickle finds Point by reference in __main__
    try:
        floor_s, _ = best_of(3, lambda: pickle.dumps((ns["points"], ns["ints"]), 5))
    finally:
        sys.modules["__main__"] = real
    ns["lock"] = threading.Lock()
    skip_s, _ = best_of(3, lambda: ck.dump_namespace(ns, 1))
    print("100,000 session-class instances + dict of 100,000 ints "
          f"({len(data) / 2**20:.1f} MB; plain pickle.dumps {floor_s * 1000:.0f} ms):")
    print(f"  dump {dump_s * 1000:6.0f} ms  ({dump_s / floor_s:.2f}x plain pickle)")
    print(f"  load {load_s * 1000:6.0f} ms")
    print(f"  dump with an unsaveable name {skip_s * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
