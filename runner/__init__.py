"""PyREPL3's Python worker: a keeper process that forks interpreters which run user code.

The package is loaded by file path under the private name ``_pyrepl3_runner`` (see ``boot.py``), so user code
never sees it on ``sys.path`` and a user's own ``msgpack`` or ``protocol`` module is never shadowed.
"""
