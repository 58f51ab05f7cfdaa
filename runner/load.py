"""Import this folder as the package ``_pyrepl3_runner`` by file path.

The worker (boot.py), the Python tests and the benchmarks all load the runner this way: nothing is added to
``sys.path``, so user code never imports the runner's modules by accident, and a user's own ``msgpack`` or
``protocol`` module is never shadowed. Standard library only, no relative imports (it is loaded by path too).
Its modules see a private copy of the builtins and of the standard library modules they call (below), so user code
that rebinds a builtin or a module's function (``os.write = None``) cannot break them.
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

# Likewise the standard library modules the runner calls, as they were before any user code ran: user code may
# rebind their functions (os.write = None, select.select = None, a mock of time.monotonic left in place), which
# made the next rollback or restore kill the interpreter. A runner module's global naming one of these modules
# is pointed, once the module has loaded, at a copy of that module's namespace taken here. The functions are
# the same objects (their own globals are the real modules'); only the runner's lookups of them are private.
_GUARDED = ("codecs", "datetime", "errno", "fcntl", "hashlib", "io", "json", "mmap", "os", "pickle", "resource", "select",
            "signal", "socket", "stat", "struct", "termios", "threading", "time", "warnings")


def _snapshot(name: str) -> Optional[types.ModuleType]:
    try:
        module = importlib.import_module(name)
    except ImportError:  # fcntl, termios, resource: not on every platform
        return None
    copy = types.ModuleType(name, module.__doc__)
    copy.__dict__.update(module.__dict__)
    return copy


_ABSENT = object()
_MODULES = {name: copy for name, copy in ((name, _snapshot(name)) for name in _GUARDED) if copy is not None}


def _use_private_modules(module: types.ModuleType) -> None:
    for key, value in list(module.__dict__.items()):
        if isinstance(value, types.ModuleType) and key != "__builtins__":
            private = _MODULES.get(getattr(value, "__name__", None))  # type: ignore[arg-type]
            if private is not None:
                module.__dict__[key] = private


class _RunnerLoader(importlib.machinery.SourceFileLoader):
    """Loads a runner module from this folder with the private builtins and modules (and the usual bytecode
    cache)."""

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["__builtins__"] = _BUILTINS  # exec() keeps a __builtins__ that is already there
        # A module loaded after user code ran (checkpoint, restore) must not build on what it changed either
        # (class SessionPickler(pickle.Pickler) with pickle.Pickler = None): its imports get the copies too.
        saved = {name: sys.modules.get(name, _ABSENT) for name in _MODULES}
        sys.modules.update(_MODULES)
        try:
            super().exec_module(module)
        finally:
            for name, value in saved.items():
                if value is _ABSENT:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = value  # type: ignore[assignment]
        _use_private_modules(module)


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
