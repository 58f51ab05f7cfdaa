"""Import this folder as the package ``_pyrepl3_runner`` by file path.

The worker (boot.py), the Python tests and the benchmarks all load the runner this way: nothing is added to
``sys.path``, so user code never imports the runner's modules by accident, and a user's own ``msgpack`` or
``protocol`` module is never shadowed. Standard library only, no relative imports (it is loaded by path too).
Its modules see a private copy of the builtins (below), so user code that rebinds a builtin cannot break them.
"""
from __future__ import annotations

import builtins
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types
from typing import Any, Optional

PACKAGE = "_pyrepl3_runner"
HERE = os.path.dirname(os.path.abspath(__file__))

# The runner's modules run with a private copy of the builtins, taken before any user code ran: user code may
# replace builtins.__import__ (or len, or repr) for its own purposes, and the runner must go on working.
# Imports made from runner code (including pickle's, made while a runner frame is current) use this copy.
_BUILTINS = dict(builtins.__dict__)


class _RunnerLoader(importlib.machinery.SourceFileLoader):
    """Loads a runner module from this folder with the private builtins (and the usual bytecode cache)."""

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["__builtins__"] = _BUILTINS  # exec() keeps a __builtins__ that is already there
        super().exec_module(module)


class _RunnerFinder:
    """Finds ``_pyrepl3_runner.<name>`` in this folder only; any other name is left to the usual finders."""

    @classmethod
    def find_spec(cls, fullname: str, path: Any = None, target: Any = None) -> Optional[Any]:
        prefix = PACKAGE + "."
        if not fullname.startswith(prefix) or "." in fullname[len(prefix):]:
            return None
        file = os.path.join(HERE, fullname[len(prefix):] + ".py")
        if not os.path.isfile(file):
            return None
        return importlib.util.spec_from_file_location(fullname, file, loader=_RunnerLoader(fullname, file))


def load_module(name: str) -> types.ModuleType:
    """Import ``_pyrepl3_runner.<name>``, loading the package from this folder first if needed."""
    if PACKAGE not in sys.modules:
        init = os.path.join(HERE, "__init__.py")
        spec = importlib.util.spec_from_file_location(
            PACKAGE, init, loader=_RunnerLoader(PACKAGE, init), submodule_search_locations=[HERE])
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        sys.meta_path.insert(0, _RunnerFinder)
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.{name}")
