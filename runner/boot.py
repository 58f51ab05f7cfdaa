"""Bootstrap, run by ``python -c`` with its own globals so that ``__main__`` stays empty for the user.

Loads this folder as the package ``_pyrepl3_runner`` by file path (nothing is added to sys.path) and starts the
keeper.
"""
import importlib.util
import os
import sys


def _load_package() -> object:
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "_pyrepl3_runner", os.path.join(here, "__init__.py"), submodule_search_locations=[here]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["_pyrepl3_runner"] = package
    spec.loader.exec_module(package)
    return package


# Our own modules are compiled once and cached even when the environment says PYTHONDONTWRITEBYTECODE:
# compiling them costs ~20 ms at every start, a quarter of an interpreter's start-up. The user's code and
# imports are left to the user's setting.
_dont_write = sys.dont_write_bytecode
sys.dont_write_bytecode = False
try:
    _load_package()
    from _pyrepl3_runner import keeper  # noqa: E402
finally:
    sys.dont_write_bytecode = _dont_write

keeper.main()
