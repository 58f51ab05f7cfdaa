"""Bootstrap, run by ``python -c`` with its own globals so that ``__main__`` stays empty for the user.

Loads this folder as the package ``_pyrepl3_runner`` by file path (load.py) and starts the keeper.
"""
import os
import sys

# Our own modules are compiled once and cached even when the environment says PYTHONDONTWRITEBYTECODE:
# compiling them costs ~20 ms at every start, a quarter of an interpreter's start-up. The user's code and
# imports are left to the user's setting.
_dont_write = sys.dont_write_bytecode
sys.dont_write_bytecode = False
try:
    _loader_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "load.py")
    _loader = {"__name__": "_pyrepl3_load", "__file__": _loader_path}
    exec(compile(open(_loader_path).read(), _loader_path, "exec"), _loader)
    keeper = _loader["load_module"]("keeper")
finally:
    sys.dont_write_bytecode = _dont_write

keeper.main()
