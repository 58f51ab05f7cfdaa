"""The runner's modules for the Python tests: loaded by path under the worker's private package name."""
from __future__ import annotations

import sys
import types
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[2] / "runner"


def load_module(name: str) -> types.ModuleType:
    """Import runner/<name>.py as ``_pyrepl3_runner.<name>`` (runner/load.py), as the worker does."""
    sys.path.insert(0, str(RUNNER))
    try:
        from load import load_module as load  # runner/load.py
    finally:
        sys.path.pop(0)
    return load(name)
