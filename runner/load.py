"""Import this folder as the package ``_pyrepl3_runner`` by file path.

The worker (boot.py), the Python tests and the benchmarks all load the runner this way: nothing is added to
``sys.path``, so user code never imports the runner's modules by accident, and a user's own ``msgpack`` or
``protocol`` module is never shadowed. Standard library only, no relative imports (it is loaded by path too).
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

PACKAGE = "_pyrepl3_runner"
HERE = os.path.dirname(os.path.abspath(__file__))


def load_module(name: str) -> types.ModuleType:
    """Import ``_pyrepl3_runner.<name>``, loading the package from this folder first if needed."""
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE, os.path.join(HERE, "__init__.py"), submodule_search_locations=[HERE])
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.{name}")
