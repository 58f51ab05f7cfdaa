"""Pickling rules for a session namespace: what the standard pickler cannot do on its own.

Functions and classes defined in the session (``__module__ == "__main__"``) are saved by value: code through
``marshal`` (the checkpoint format is refused across Python minor versions, so that is safe), classes as a
skeleton plus their ``__dict__``. Restored functions are created with the *target* namespace as their
``__globals__``, so they see later changes to globals: the stream says "the namespace" (``None`` in place of
the globals), and ``SessionUnpickler.find_class`` hands out a ``_make_function`` bound to its target. Modules
travel by name. No ``persistent_id``: a Python callback for every object made dumps 3x slower; the
reconstruction helpers travel as ordinary globals of this module, resolved by ``find_class`` without imports.

When cloudpickle is importable, ``cloud_pickler_class()`` gives the same rules on top of cloudpickle's, for
objects these rules and the standard pickler refuse (an enum class defined in the session, a class from a
module that is not importable, ...).
"""
from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import io
import marshal
import pickle
import sys
import types
from typing import Any, Callable, Dict, List, Optional, Tuple

PROTOCOL = 5

# Objects that unpickle "fine" into something else (cloudpickle turns a readable file into a StringIO):
# refuse them so they are reported as skipped instead.
_REFUSED = (io.FileIO, io.BufferedIOBase, io.TextIOBase)
_ALLOWED_IO = (io.BytesIO, io.StringIO)


# --- reconstruction helpers: called while unpickling, found by SessionUnpickler.find_class ----------------


def _load_code(data: bytes) -> types.CodeType:
    return marshal.loads(data)


def _make_cell() -> Any:
    return types.CellType()


def _namespace_ref() -> None:
    """Stands for the session namespace itself (a name bound to ``globals()``) in a pickle stream."""


def _make_function(code: types.CodeType, globals_: Any, name: str, closure: Optional[tuple],
                   target: Optional[dict] = None) -> Any:
    if globals_ is None:  # the session namespace: the unpickler binds `target`
        if target is None:
            raise pickle.UnpicklingError("a session function can only be restored by SessionUnpickler")
        globals_ = target
    elif isinstance(globals_, str):  # a module name: the function lives in that module's globals
        globals_ = vars(importlib.import_module(globals_))
    return types.FunctionType(code, globals_, name, None, closure)


def _set_function_state(fn: Any, state: Dict[str, Any]) -> None:
    fn.__defaults__ = state["defaults"]
    fn.__kwdefaults__ = state["kwdefaults"]
    fn.__annotations__ = state["annotations"]
    fn.__qualname__ = state["qualname"]
    fn.__module__ = state["module"]
    fn.__doc__ = state["doc"]
    if state.get("type_params"):
        fn.__type_params__ = state["type_params"]
    if state["dict"]:
        fn.__dict__.update(state["dict"])
    for index, value in state["cells"]:
        fn.__closure__[index].cell_contents = value


def _make_class(metaclass: type, name: str, qualname: str, module: str, bases: tuple, slots: Any) -> type:
    body: Dict[str, Any] = {"__module__": module, "__qualname__": qualname}
    if slots is not None:
        body["__slots__"] = slots
    return types.new_class(name, bases, {"metaclass": metaclass}, lambda ns: ns.update(body))


def _set_class_state(cls: type, state: Dict[str, Any]) -> None:
    for key, value in state.items():
        setattr(cls, key, value)


def _make_mappingproxy(mapping: dict) -> Any:
    return types.MappingProxyType(mapping)


def _make_cached_property(func: Callable, attrname: Optional[str]) -> Any:
    prop = functools.cached_property(func)
    prop.attrname = attrname
    return prop


NAMESPACE_REF = _namespace_ref

_HELPERS: Dict[str, Any] = {
    f.__name__: f
    for f in (_load_code, _make_cell, _make_function, _set_function_state, _make_class, _set_class_state,
              _make_cached_property, _make_mappingproxy)
}

# Module-level sentinels compared by identity (`f._field_type is _FIELD`): restore the module's own object.
_SINGLETONS: Dict[int, Tuple[types.ModuleType, str]] = {
    id(getattr(dataclasses, name)): (dataclasses, name)
    for name in ("MISSING", "_FIELD", "_FIELD_CLASSVAR", "_FIELD_INITVAR", "_HAS_DEFAULT_FACTORY")
    if hasattr(dataclasses, name)
}


# --- reducers -------------------------------------------------------------------------------------------


def _importable(obj: Any) -> bool:
    """True when pickle can find `obj` again by its module and qualified name."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if module is None or module.__name__ == "__main__":
        return False
    found: Any = module
    for part in obj.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is obj


def _code_names(code: types.CodeType) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _reduce_function(fn: Any, namespace: dict) -> Any:
    globals_ = fn.__globals__
    module_name = globals_.get("__name__")
    module = sys.modules.get(module_name) if isinstance(module_name, str) else None
    if globals_ is namespace:
        globals_ref: Any = None
    elif module is not None and module_name != "__main__" and vars(module) is globals_:
        if _importable(fn):
            return NotImplemented
        globals_ref = module_name  # a closure made by a library (dataclasses' repr wrapper): its module's globals
    elif module_name == "__main__":
        globals_ref = None
    else:  # a function from a dynamic module (a namedtuple's __new__): keep only the globals it names
        names = _code_names(fn.__code__)
        globals_ref = {k: v for k, v in globals_.items() if k in names}
    cells: List[Tuple[int, Any]] = []
    for index, cell in enumerate(fn.__closure__ or ()):
        try:
            cells.append((index, cell.cell_contents))
        except ValueError:  # an empty cell: a free variable not assigned yet
            pass
    try:
        annotations = fn.__annotations__
    except Exception:  # lazily evaluated annotations (3.14) naming something undefined
        annotations = None
    state = {
        "defaults": fn.__defaults__, "kwdefaults": fn.__kwdefaults__, "annotations": annotations,
        "qualname": fn.__qualname__, "module": fn.__module__, "doc": fn.__doc__, "dict": fn.__dict__,
        "cells": cells, "type_params": getattr(fn, "__type_params__", ()),
    }
    args = (fn.__code__, globals_ref, fn.__name__, fn.__closure__)
    return (_make_function, args, state, None, None, _set_function_state)


def _reduce_class(cls: type) -> Any:
    if isinstance(cls, enum.EnumMeta):
        raise pickle.PicklingError(f"enum class {cls.__qualname__} defined in the session needs cloudpickle")
    slots = cls.__dict__.get("__slots__")
    state = {
        key: value for key, value in cls.__dict__.items()
        if key not in ("__dict__", "__weakref__", "__slots__", "__module__", "__qualname__", "_abc_impl")
        and not (isinstance(value, types.MemberDescriptorType) and value.__objclass__ is cls)
    }
    args = (type(cls), cls.__name__, cls.__qualname__, cls.__module__, cls.__bases__, slots)
    return (_make_class, args, state, None, None, _set_class_state)


def _reduce_module(module: types.ModuleType) -> Any:
    if sys.modules.get(module.__name__) is not module:
        raise pickle.PicklingError(f"module {module.__name__!r} is not importable by name")
    return (importlib.import_module, (module.__name__,))


def _reduce_wrapper(obj: Any) -> Any:
    return (type(obj), (obj.__func__,))


def _reduce_property(obj: property) -> Any:
    return (property, (obj.fget, obj.fset, obj.fdel, obj.__doc__))


def _reduce_cached_property(obj: Any) -> Any:
    return (_make_cached_property, (obj.func, obj.attrname))


_BY_TYPE: Dict[type, Callable[[Any], Any]] = {
    types.CodeType: lambda code: (_load_code, (marshal.dumps(code),)),
    types.CellType: lambda cell: (_make_cell, ()),
    types.ModuleType: _reduce_module,
    types.MappingProxyType: lambda proxy: (_make_mappingproxy, (dict(proxy),)),
    classmethod: _reduce_wrapper,
    staticmethod: _reduce_wrapper,
    property: _reduce_property,
    functools.cached_property: _reduce_cached_property,
}


_SINGLETON_TYPES = {type(getattr(module, name)) for module, name in _SINGLETONS.values()}


def reduce_session_object(obj: Any, namespace: dict, plain_types: set) -> Any:
    """The reduce value for `obj` under the session rules, or NotImplemented for pickle's default.

    Adds to `plain_types` the types whose instances always take pickle's default path, so the caller can
    return at once for them: most objects are instances of a few types (it made a 100k-instance dump 2.5x faster).
    """
    kind = type(obj)
    if kind is types.FunctionType:
        return _reduce_function(obj, namespace)
    reducer = _BY_TYPE.get(kind)
    if reducer is not None:
        return reducer(obj)
    if isinstance(obj, type):
        return _reduce_class(obj) if obj.__module__ == "__main__" else NotImplemented
    if kind in _SINGLETON_TYPES:
        singleton = _SINGLETONS.get(id(obj))
        return NotImplemented if singleton is None else (getattr, singleton)
    if isinstance(obj, _REFUSED) and not isinstance(obj, _ALLOWED_IO):
        raise pickle.PicklingError(f"cannot save an open {kind.__name__} (a file or stream)")
    plain_types.add(kind)
    return NotImplemented


class SessionPickler(pickle.Pickler):
    """Protocol-5 pickler for a session namespace, standard library only."""

    def __init__(self, file: Any, namespace: dict, buffer_callback: Optional[Callable] = None) -> None:
        super().__init__(file, protocol=PROTOCOL, buffer_callback=buffer_callback)
        self._namespace = namespace
        self._plain_types = set()

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in self._plain_types:
            return NotImplemented
        return reduce_session_object(obj, self._namespace, self._plain_types)


_cloud_class: List[Optional[type]] = []


def cloud_pickler_class() -> Optional[type]:
    """SessionPickler's rules on top of cloudpickle's Pickler, or None when cloudpickle is not importable."""
    if not _cloud_class:
        try:
            import cloudpickle
        except Exception:  # not installed, or broken: work without it
            _cloud_class.append(None)
        else:

            class CloudSessionPickler(cloudpickle.Pickler):  # type: ignore[misc, valid-type]
                """The session rules first, then cloudpickle's for what they leave to pickle's default."""

                def __init__(self, file: Any, namespace: dict, buffer_callback: Optional[Callable] = None) -> None:
                    super().__init__(file, protocol=PROTOCOL, buffer_callback=buffer_callback)
                    self._namespace = namespace
                    self._plain_types = set()  # unused: cloudpickle's reducer wants to see every object

                def reducer_override(self, obj: Any) -> Any:
                    if isinstance(obj, enum.EnumMeta):  # cloudpickle knows how to rebuild enum classes
                        return super().reducer_override(obj)
                    result = reduce_session_object(obj, self._namespace, self._plain_types)
                    return super().reducer_override(obj) if result is NotImplemented else result

            _cloud_class.append(CloudSessionPickler)
    return _cloud_class[0]


class SessionUnpickler(pickle.Unpickler):
    """Unpickler that binds restored functions' globals to `target` and resolves this module's helpers."""

    def __init__(self, file: Any, target: dict, buffers: List[Any]) -> None:
        super().__init__(file, buffers=buffers)
        self._target = target

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in _HELPERS:  # no import: the dumping process's package name is ours
            if name == "_make_function":
                return functools.partial(_make_function, target=self._target)
            return _HELPERS[name]
        if module == __name__ and name == "_namespace_ref":
            return self._target
        return super().find_class(module, name)
