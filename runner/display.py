"""The display protocol of IPython, without IPython: MIME bundles, ``display()``, ``update_display()``.

A value's *bundle* maps MIME types to data, built the way IPython's formatters build it: ``_repr_mimebundle_
(include, exclude)`` first, then each ``_repr_<kind>_`` method (html, markdown, latex, svg, png, jpeg, pdf, json,
javascript), then ``repr()`` as ``text/plain``. A method may return the data, ``(data, metadata)``, or None (no
such form). On the wire, binary types (``image/png``...) travel as bytes (a ``str`` is taken as base64, as IPython
takes it), text types as ``str``, JSON types (``application/json``, ``*+json``) as plain values.

``display()``, ``update_display()`` and ``clear_output()`` are put in the builtins (so every cell sees them), and
when IPython is imported its own ``IPython.display`` functions are replaced by these, in this process only, so
both send ``display`` / ``clear_output`` frames while the code runs. matplotlib is configured when the user
imports it (an import hook: importing it at boot would cost ~150 ms): its backend becomes inline_backend.py,
unless ``MPLBACKEND`` says otherwise, and figures are sized by the session's display options.
"""
from __future__ import annotations

import base64
import builtins
import io
import json
import sys
import types
import uuid
from typing import Any, Callable, Optional

from .protocol import CLEAR_OUTPUT, DISPLAY
from .values import NotConvertible, to_wire

REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("text/latex", "_repr_latex_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("application/pdf", "_repr_pdf_"),
    ("application/json", "_repr_json_"),
    ("application/javascript", "_repr_javascript_"),
)
BACKEND = "module://_pyrepl3_runner.inline_backend"
# The most data one bundle sends (its frame must stay under 2 GiB; Deno keeps at most maxOutputChars).
MAX_BUNDLE_BYTES = 1 << 30
# Types that never have a rich form: the trailing value of most cells is one of them (no attribute lookups).
_PLAIN = (type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset, range)

# The session's display options (the setup request's ``display``): figure pixels, DPI and formats.
options: dict[str, Any] = {"width": 640, "height": 480, "dpi": 100, "formats": ["png"]}
_send: Optional[Callable[[dict[str, Any]], None]] = None


def mime_kind(mime: str) -> str:
    """'json', 'text' or 'binary': how data of this MIME type travels."""
    if mime == "application/json" or mime.endswith("+json"):
        return "json"
    if mime.startswith("text/") or mime.endswith("+xml") or mime in ("application/javascript", "application/xml"):
        return "text"
    return "binary"


def wire_data(mime: str, data: Any) -> Any:
    """One MIME type's data in its wire form; raises TypeError/ValueError when it has none."""
    kind = mime_kind(mime)
    if kind == "binary":
        if isinstance(data, str):
            return base64.b64decode(data.encode("ascii"))
        if isinstance(data, bytes):
            return data
        try:  # any buffer (bytearray, array, a numpy array), never bytes(n): bytes(10**10) allocates 10 GB
            return memoryview(data).tobytes()
        except TypeError:
            raise TypeError(f"{mime} data must be bytes or a base64 str, not {type(data).__name__}") from None
    if kind == "text":
        if isinstance(data, (bytes, bytearray)):
            return bytes(data).decode("utf-8", "replace")
        if not isinstance(data, str):
            raise TypeError(f"{mime} data must be str, not {type(data).__name__}")
        return data
    if isinstance(data, str):
        data = json.loads(data)
    try:
        return to_wire(data)
    except NotConvertible:
        return json.loads(json.dumps(data, default=str))


def _split(result: Any) -> tuple[Any, dict[str, Any]]:
    """A formatter's return: data, or (data, metadata)."""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
        return result
    return result, {}


def _method(obj: Any, name: str) -> Any:
    """A bound repr method of ``obj``, or None (classes are skipped, as IPython skips them)."""
    if isinstance(obj, type):
        return None
    try:
        method = getattr(obj, name, None)
    except BaseException as exc:  # noqa: BLE001 - a __getattr__ that fails is no formatter
        _reraise_interrupt(exc)
        return None
    return method if callable(method) else None


def _claims_every_attribute(obj: Any) -> bool:
    """True for objects whose ``__getattr__`` answers any name, as IPython checks with the same canary."""
    try:
        return getattr(obj, "_ipython_canary_method_should_not_exist_", None) is not None
    except BaseException as exc:  # noqa: BLE001
        _reraise_interrupt(exc)
        return True


def _reraise_interrupt(exc: BaseException) -> None:
    """Formatters are the user's code: anything they raise is reported, but an interrupt stays one.

    SystemExit, GeneratorExit or another BaseException from a ``_repr_*_`` method must not end the worker
    (the trailing value's bundle is built outside the cell's own exception handling).
    """
    if isinstance(exc, KeyboardInterrupt):
        raise exc


def warn(what: str, exc: BaseException) -> None:
    try:
        sys.stderr.write(f"{what} failed: {type(exc).__name__}: {_str(exc)}\n")
    except BaseException:  # noqa: BLE001 - stderr replaced by user code
        pass


def mime_bundle(obj: Any, include: Any = None, exclude: Any = None,
                plain: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bundle and metadata of ``obj`` in wire form; ``plain=False`` leaves out ``text/plain``."""
    data: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    if type(obj) in _PLAIN:  # no formatter to look for: display(i) in a loop stays cheap
        return ({"text/plain": _repr(obj)} if plain and _wanted("text/plain", include, exclude) else {}), {}
    if _claims_every_attribute(obj):  # a Mock: its "formatters" would return Mocks
        return ({"text/plain": _repr(obj)} if plain else {}), {}
    bundler = _method(obj, "_repr_mimebundle_")
    if bundler is not None:
        try:
            raw, raw_metadata = _split(bundler(include=include, exclude=exclude))
            if isinstance(raw, dict):
                data.update(raw)
            if isinstance(raw_metadata, dict):
                metadata.update(raw_metadata)
        except BaseException as exc:  # noqa: BLE001 - the user's formatter; the other forms still count
            _reraise_interrupt(exc)
            warn(f"{type(obj).__name__}._repr_mimebundle_", exc)
    for mime, name in REPR_METHODS:
        if mime in data:
            continue
        method = _method(obj, name)
        if method is None:
            continue
        try:
            value, value_metadata = _split(method())
        except BaseException as exc:  # noqa: BLE001
            _reraise_interrupt(exc)
            warn(f"{type(obj).__name__}.{name}", exc)
            continue
        if value is not None:
            data[mime] = value
            if value_metadata:
                metadata[mime] = value_metadata
    try:
        figure = _figure_bundle(obj)
    except BaseException as exc:  # noqa: BLE001 - an artist whose draw() fails: the repr stands
        _reraise_interrupt(exc)
        warn(f"drawing {_type_name(obj)}", exc)
        figure = {}
    for mime, value in figure.items():
        data.setdefault(mime, value)
    if plain and "text/plain" not in data:
        data["text/plain"] = _repr(obj)
    if not plain:
        data.pop("text/plain", None)
    return _wire_bundle(data, include, exclude, type(obj).__name__), _plain_metadata(metadata)


def _wire_bundle(data: dict[Any, Any], include: Any, exclude: Any, owner: str) -> dict[str, Any]:
    """The bundle's wanted types in wire form; a key that is no str, or data that has no wire form
    (bad base64, a dict that is not JSON, a str() that exits...), is left out with a warning."""
    wire: dict[str, Any] = {}
    for mime, value in data.items():
        if not isinstance(mime, str):
            warn(f"{owner} MIME type {mime!r}", TypeError("a MIME type must be a str"))
            continue
        if not _wanted(mime, include, exclude):
            continue
        try:
            wire[mime] = wire_data(mime, value)
        except BaseException as exc:  # noqa: BLE001
            _reraise_interrupt(exc)
            warn(f"{owner} {mime} data", exc)
    return _within_frame(wire, owner)


def _within_frame(wire: dict[str, Any], owner: str) -> dict[str, Any]:
    """The bundle without its largest values while it is over MAX_BUNDLE_BYTES: a frame must stay under 2 GiB."""
    sizes = {mime: _wire_size(value) for mime, value in wire.items()}
    total = sum(sizes.values())
    for mime in sorted(sizes, key=sizes.__getitem__, reverse=True):
        if total <= MAX_BUNDLE_BYTES:
            break
        del wire[mime]
        total -= sizes[mime]
        warn(f"{owner} {mime} data", ValueError(f"{sizes[mime]} bytes are more than a bundle may send "
                                                 f"({MAX_BUNDLE_BYTES})"))
    return wire


def _wire_size(value: Any) -> int:
    """The bytes a wire value takes at most (text as UTF-8; a JSON value is already small or rejected)."""
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, str):
        return len(value) if value.isascii() else 4 * len(value)
    return 0


def _repr(obj: Any) -> str:
    try:
        return repr(obj)
    except BaseException as exc:  # noqa: BLE001 - a broken __repr__ is the user's; say so
        _reraise_interrupt(exc)
        return f"<repr failed: {type(exc).__name__}: {_str(exc)}>"


def _str(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001 - a broken __str__ too
        return "(its str() failed)"


def _wanted(mime: str, include: Any, exclude: Any) -> bool:
    return (not include or mime in include) and not (exclude and mime in exclude)


def _plain_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    try:
        return to_wire(metadata)
    except NotConvertible:
        return json.loads(json.dumps(metadata, default=str))


def rich_data(value: Any) -> Optional[dict[str, Any]]:
    """The trailing value's bundle without ``text/plain`` (the result's repr is that), or None when empty."""
    if type(value) in _PLAIN:
        return None
    try:
        data, _metadata = mime_bundle(value, plain=False)
    except BaseException as exc:  # noqa: BLE001 - built after the cell, outside its handling: never fatal
        _reraise_interrupt(exc)  # the executor makes the cell interrupted
        warn(f"{_type_name(value)} rich output", exc)
        return None
    return data or None


def _type_name(obj: Any) -> str:
    try:
        return type(obj).__name__
    except BaseException:  # noqa: BLE001
        return "value"


def _figure_bundle(obj: Any) -> dict[str, Any]:
    figure_module = sys.modules.get("matplotlib.figure")
    if figure_module is None or not isinstance(obj, getattr(figure_module, "Figure", ())):
        return {}
    return figure_data(obj)


def figure_data(figure: Any) -> dict[str, Any]:
    """A matplotlib figure rendered in each of the session's figure formats (``png``, ``svg``)."""
    data: dict[str, Any] = {}
    for fmt in options["formats"]:
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi="figure")
        if fmt == "svg":
            data["image/svg+xml"] = buffer.getvalue().decode("utf-8")
        else:
            data["image/png" if fmt == "png" else f"image/{fmt}"] = buffer.getvalue()
    return data


# -- the channel ----------------------------------------------------------------------------------------------


def publish(data: dict[str, Any], metadata: Optional[dict[str, Any]] = None, display_id: Optional[str] = None,
            update: bool = False) -> None:
    """Send one bundle as a display frame (nothing when no session is attached)."""
    if _send is None:
        return
    frame: dict[str, Any] = {"t": DISPLAY, "data": data, "metadata": metadata or {}}
    if display_id is not None:
        frame["displayId"] = str(display_id)
    if update:
        frame["update"] = True
    _send(frame)


class DisplayHandle:
    """What ``display(..., display_id=...)`` returns: shows or updates the output with that id."""

    def __init__(self, display_id: Optional[str] = None) -> None:
        self.display_id = display_id or uuid.uuid4().hex

    def __repr__(self) -> str:
        return f"<DisplayHandle display_id={self.display_id}>"

    def display(self, obj: Any, **kwargs: Any) -> None:
        display(obj, display_id=self.display_id, **kwargs)

    def update(self, obj: Any, **kwargs: Any) -> None:
        update_display(obj, display_id=self.display_id, **kwargs)


def display(*objs: Any, include: Any = None, exclude: Any = None, metadata: Optional[dict[str, Any]] = None,
            transient: Any = None, display_id: Any = None, raw: bool = False, clear: bool = False,
            **kwargs: Any) -> Optional[DisplayHandle]:
    """Show each object as a rich output (its MIME bundle), like IPython's ``display``.

    ``display_id=True`` makes up an id; with an id, a ``DisplayHandle`` is returned for later updates.
    ``raw=True`` takes each object as a ready bundle (a dict of MIME type to data).
    """
    if transient and isinstance(transient, dict) and display_id is None:
        display_id = transient.get("display_id")
    if display_id is True:
        display_id = uuid.uuid4().hex
    if clear:
        clear_output(wait=True)
    update = bool(kwargs.get("update"))
    for obj in objs:
        if raw:
            if not isinstance(obj, dict):
                raise TypeError(f"display(raw=True) takes MIME bundles (dicts), not {type(obj).__name__}")
            data = _wire_bundle(obj, include, exclude, "display(raw=True)")
            bundle_metadata: dict[str, Any] = {}
        else:
            data, bundle_metadata = mime_bundle(obj, include, exclude)
        if metadata:
            bundle_metadata.update(_plain_metadata(metadata))
        publish(data, bundle_metadata, display_id, update)
    return DisplayHandle(display_id) if display_id is not None and not update else None


def update_display(obj: Any, *, display_id: Any, **kwargs: Any) -> None:
    """Replace what an earlier ``display(..., display_id=display_id)`` showed."""
    kwargs["update"] = True
    display(obj, display_id=display_id, **kwargs)


def clear_output(wait: bool = False) -> None:
    """Clear the execution's rich outputs so far (``wait`` is passed on for front ends to honour)."""
    if _send is not None:
        _send({"t": CLEAR_OUTPUT, "wait": bool(wait)})


def publish_display_data(data: dict[str, Any], metadata: Optional[dict[str, Any]] = None, source: Any = None,
                         *, transient: Any = None, **kwargs: Any) -> None:
    """IPython's low-level publisher: a ready bundle."""
    display_id = transient.get("display_id") if isinstance(transient, dict) else None
    display(data, raw=True, metadata=metadata, display_id=display_id, **kwargs)


# -- installing -----------------------------------------------------------------------------------------------

_IPYTHON_MODULES = ("IPython.core.display_functions", "IPython.core.display", "IPython.display")
_REPLACEMENTS = {"display": display, "update_display": update_display, "clear_output": clear_output,
                 "publish_display_data": publish_display_data}


def _patch_ipython(module: types.ModuleType) -> None:
    for name, function in _REPLACEMENTS.items():
        if name in module.__dict__:
            setattr(module, name, function)


def _configure_matplotlib(module: types.ModuleType) -> None:
    import os

    params = module.rcParams
    if "MPLBACKEND" not in os.environ:
        params["backend"] = BACKEND
    dpi = options["dpi"]
    # A hair over the pixel size: Agg truncates width * dpi, and w / dpi * dpi may come out as w - 1 ulp.
    params["figure.figsize"] = (options["width"] / dpi * (1 + 1e-12), options["height"] / dpi * (1 + 1e-12))
    params["figure.dpi"] = dpi


_HOOKS: dict[str, Callable[[types.ModuleType], None]] = {"matplotlib": _configure_matplotlib}
_HOOKS.update((name, _patch_ipython) for name in _IPYTHON_MODULES)


class PostImportHooks:
    """A meta-path finder that runs a hook right after certain modules are executed (their first import)."""

    @classmethod
    def find_spec(cls, fullname: str, path: Any = None, target: Any = None) -> Any:
        hook = _HOOKS.get(fullname)
        if hook is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is cls or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        original = getattr(loader, "exec_module", None)
        if original is None:
            return spec

        def exec_module(module: types.ModuleType) -> None:
            original(module)
            try:
                hook(module)
            except Exception as exc:  # noqa: BLE001 - never break the user's import
                warn(f"configuring {fullname} for rich output", exc)

        loader.exec_module = exec_module  # this spec's own loader instance
        return spec


def install(send: Callable[[dict[str, Any]], None]) -> None:
    """Route displays to ``send``, put display() in the builtins and hook matplotlib and IPython imports."""
    global _send
    _send = send
    builtins.display = display  # type: ignore[attr-defined]
    builtins.update_display = update_display  # type: ignore[attr-defined]
    builtins.clear_output = clear_output  # type: ignore[attr-defined]
    if PostImportHooks not in sys.meta_path:
        sys.meta_path.insert(0, PostImportHooks)
    for name, hook in _HOOKS.items():  # imported already (by a pool's warmup code)
        if name in sys.modules:
            hook(sys.modules[name])


def configure(settings: Any) -> None:
    """Apply the setup request's ``display`` options: {width, height, dpi, formats}; ValueError when wrong."""
    if not isinstance(settings, dict):
        raise ValueError("display options must be an object with width, height, dpi, formats")
    for key in ("width", "height", "dpi"):
        value = settings.get(key, options[key])
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"display.{key} must be a positive number, got {value!r}")
        options[key] = value
    formats = settings.get("formats", options["formats"])
    if not isinstance(formats, list) or not all(f in ("png", "svg") for f in formats):
        raise ValueError(f"display.formats must be a list of 'png' and 'svg', got {formats!r}")
    options["formats"] = list(formats)
    if "matplotlib" in sys.modules:
        _configure_matplotlib(sys.modules["matplotlib"])


def flush_figures() -> None:
    """Show and close the figures a cell left open, as Jupyter's inline backend does after each cell."""
    backend = sys.modules.get("_pyrepl3_runner.inline_backend")
    if backend is None:
        return
    try:
        backend.flush_figures()
    except BaseException as exc:  # noqa: BLE001 - after the cell, outside its handling: even SystemExit
        _reraise_interrupt(exc)  # the executor makes the cell interrupted
        warn("showing the open figures", exc)
