"""Tests for runner/checkpoint.py: a session namespace saved to bytes and restored, here and in a fresh process.

A "session" is code exec'd into a fresh module registered as ``__main__`` for the duration; it is dumped, then
loaded into ANOTHER fresh module dict, and the restored things are called. Runs under any Python 3.9+;
numpy and cloudpickle tests are skipped where those are not importable.
"""
from __future__ import annotations

import asyncio
import builtins
import dataclasses
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import textwrap
import types
import unittest
from pathlib import Path
from typing import Any, Dict, List, Tuple

RUNNER = Path(__file__).resolve().parents[2] / "runner"
INTERPRETERS = [p for p in ("/root/.pyenv/versions/3.11.7/bin/python3", "/usr/bin/python3") if os.path.exists(p)]


def load_checkpoint_module(name: str = "checkpoint") -> types.ModuleType:
    """Import runner/checkpoint.py (or another runner module) under the worker's private package name
    (runner/load.py)."""
    sys.path.insert(0, str(RUNNER))
    try:
        from load import load_module  # runner/load.py
    finally:
        sys.path.pop(0)
    return load_module(name)


ck = load_checkpoint_module()

try:
    import numpy
except ImportError:
    numpy = None
try:
    import cloudpickle
except ImportError:
    cloudpickle = None


class AsMain:
    """Registers a module as sys.modules["__main__"] for a `with` block, as in the worker."""

    def __init__(self, namespace: Dict[str, Any]) -> None:
        self.module = types.ModuleType("__main__")
        self.namespace = namespace

    def __enter__(self) -> None:
        self.real = sys.modules["__main__"]
        self.module.__dict__.update(self.namespace)
        sys.modules["__main__"] = self.module

    def __exit__(self, *exc: object) -> None:
        sys.modules["__main__"] = self.real


def new_module() -> types.ModuleType:
    """A fresh module named __main__ with builtins, as the worker's __main__ is."""
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    return module


def new_namespace() -> Dict[str, Any]:
    """A fresh module's dict to restore into."""
    return new_module().__dict__


def session(code: str) -> Dict[str, Any]:
    """Run `code` in a fresh module registered as __main__ while it runs; return its namespace."""
    module = new_module()
    real = sys.modules["__main__"]
    sys.modules["__main__"] = module
    try:
        exec(textwrap.dedent(code), module.__dict__)
    finally:
        sys.modules["__main__"] = real
    return module.__dict__


def roundtrip(code: str) -> Tuple[Dict[str, Any], List[str], List[Dict[str, str]]]:
    """Dump the session of `code`, load it into another fresh namespace; return (target, names, skipped)."""
    data, names, skipped = ck.dump_namespace(session(code), 3)
    target = new_namespace()
    loaded, count = ck.load_namespace(data, target)
    assert loaded == names and count == 3
    return target, names, skipped


class SavesDataTest(unittest.TestCase):
    def test_shared_references_between_names_stay_shared(self) -> None:
        t, _, _ = roundtrip("a = [1]; b = a; c = {'k': a}; d = (a, a)")
        self.assertIs(t["a"], t["b"])
        self.assertIs(t["c"]["k"], t["a"])
        self.assertIs(t["d"][0], t["d"][1])
        t["a"].append(2)
        self.assertEqual(t["b"], [1, 2])

    def test_plain_values_and_big_bytes_roundtrip(self) -> None:
        t, _, _ = roundtrip("x = 1.5; s = 'é'; big = b'x' * 200_000; ba = bytearray(b'ab'); st = {1, 2}; n = None")
        self.assertEqual((t["x"], t["s"], t["big"], t["ba"], t["st"], t["n"]),
                         (1.5, "é", b"x" * 200_000, bytearray(b"ab"), {1, 2}, None))

    def test_names_bound_to_globals_restore_as_the_target(self) -> None:
        t, _, _ = roundtrip("g = globals()")
        self.assertIs(t["g"], t)

    def test_dunders_and_underscore_are_not_saved(self) -> None:
        _, names, _ = roundtrip("_ = 5; __x__ = 1; _private = 2")
        self.assertEqual(names, ["_private"])

    def test_execution_count_and_header(self) -> None:
        data, names, skipped = ck.dump_namespace(session("a = 1"), 42)
        header = ck.read_header(data)
        self.assertEqual(header["format_version"], ck.FORMAT_VERSION)
        self.assertEqual(header["python"], "%d.%d" % sys.version_info[:2])
        self.assertEqual(header["execution_count"], 42)
        self.assertEqual(header["names"], ["a"])
        self.assertEqual(header["skipped"], [])
        self.assertIn("created_at", header)
        self.assertEqual(ck.load_namespace(bytearray(data), new_namespace())[1], 42)


class SavesFunctionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.t, _, _ = roundtrip("""
            import functools
            def fact(n): return 1 if n <= 1 else n * fact(n - 1)
            def make_adder(k):
                def add(x): return x + k
                return add
            add5 = make_adder(5)
            double = lambda v: v * 2
            def defaults(a, b=10, *, c=100): return a + b + c
            def deco(f):
                @functools.wraps(f)
                def wrapper(*args, **kwargs): return ("wrapped", f(*args, **kwargs))
                return wrapper
            @deco
            def greet(name): return "hi " + name
            async def fetch(x): return x * 3
            def count(n):
                for i in range(n): yield i
            def counter():
                n = 0
                def inc():
                    nonlocal n
                    n += 1
                    return n
                def get(): return n
                return inc, get
            inc, get = counter()
            inc()
            def reads_later(): return later
            def calls_other(): return double(fact(3))
            """)

    def test_recursion_by_global_name(self) -> None:
        self.assertEqual(self.t["fact"](5), 120)

    def test_closures_and_lambdas(self) -> None:
        self.assertEqual(self.t["add5"](1), 6)
        self.assertEqual(self.t["double"](4), 8)

    def test_defaults_and_keyword_only_defaults(self) -> None:
        self.assertEqual(self.t["defaults"](1), 111)
        self.assertEqual(self.t["defaults"](1, 2, c=3), 6)

    def test_decorated_function_keeps_its_wrapper_closure(self) -> None:
        self.assertEqual(self.t["greet"]("bo"), ("wrapped", "hi bo"))
        self.assertEqual(self.t["greet"].__name__, "greet")
        self.assertEqual(self.t["greet"].__wrapped__("x"), "hi x")

    def test_async_and_generator_functions(self) -> None:
        self.assertEqual(asyncio.run(self.t["fetch"](2)), 6)
        self.assertEqual(list(self.t["count"](3)), [0, 1, 2])

    def test_shared_closure_cells_stay_shared(self) -> None:
        self.assertEqual(self.t["inc"](), 2)
        self.assertEqual(self.t["get"](), 2)

    def test_globals_are_the_live_target(self) -> None:
        for name in ("fact", "add5", "double", "greet", "reads_later", "calls_other"):
            self.assertIs(self.t[name].__globals__, self.t, name)
        self.t["later"] = 42
        self.assertEqual(self.t["reads_later"](), 42)
        self.assertEqual(self.t["calls_other"](), 12)
        self.t["double"] = lambda v: -v
        self.assertEqual(self.t["calls_other"](), -6)
        self.assertEqual(self.t["fact"].__module__, "__main__")


class SavesClassesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.t, _, _ = roundtrip("""
            from dataclasses import dataclass, field
            from typing import NamedTuple
            class Base:
                kind = "base"
                def __init__(self, v): self.v = v
                def get(self): return self.v
                @classmethod
                def make(cls): return cls(1)
                @staticmethod
                def helper(): return "static"
                @property
                def double(self): return self.v * 2
            class Child(Base):
                kind = "child"
                def get(self): return super().get() + 100
            @dataclass
            class Point:
                x: int
                tags: list = field(default_factory=list)
                y: int = 0
            @dataclass(frozen=True)
            class Frozen:
                a: int
            class Pair(NamedTuple):
                a: int
                b: int
            class Slotted:
                __slots__ = ("a", "__b")
                def __init__(self): self.a = 1; self.__b = 2
                def b(self): return self.__b
            obj = Child(5)
            pt = Point(1, ["t"])
            fz = Frozen(3)
            pair = Pair(1, 2)
            sl = Slotted()
            """)

    def test_methods_classmethods_staticmethods_properties(self) -> None:
        base = self.t["Base"]
        self.assertEqual(base(3).get(), 3)
        self.assertIsInstance(base.make(), base)
        self.assertEqual(base.helper(), "static")
        self.assertEqual(base(4).double, 8)

    def test_inheritance_super_and_class_attributes(self) -> None:
        child, base = self.t["Child"], self.t["Base"]
        self.assertTrue(issubclass(child, base))
        self.assertEqual(child(1).get(), 101)
        self.assertEqual((child.kind, base.kind), ("child", "base"))
        self.assertIs(type(self.t["obj"]), child)
        self.assertEqual(self.t["obj"].get(), 105)
        self.assertIsInstance(child.make(), child)

    def test_dataclasses_keep_working(self) -> None:
        point = self.t["Point"]
        self.assertEqual(self.t["pt"], point(1, ["t"]))
        self.assertEqual(repr(point(2)), "Point(x=2, tags=[], y=0)")
        self.assertEqual([f.name for f in dataclasses.fields(point)], ["x", "tags", "y"])
        self.assertIs(dataclasses.fields(point)[0].default, dataclasses.MISSING)
        self.assertEqual(dataclasses.asdict(self.t["pt"]), {"x": 1, "tags": ["t"], "y": 0})
        with self.assertRaises(dataclasses.FrozenInstanceError):
            self.t["fz"].a = 4

    def test_namedtuples_and_slots(self) -> None:
        self.assertEqual(self.t["pair"], (1, 2))
        self.assertEqual(self.t["Pair"]._make([3, 4]).b, 4)
        self.assertEqual((self.t["sl"].a, self.t["sl"].b()), (1, 2))

    def test_restored_classes_are_in_main_and_instances_pickle_again(self) -> None:
        self.assertEqual(self.t["Child"].__module__, "__main__")
        with AsMain(self.t):
            again = pickle.loads(pickle.dumps(self.t["obj"]))
        self.assertIs(type(again), self.t["Child"])
        data, _, skipped = ck.dump_namespace(self.t, 4)
        self.assertEqual(skipped, [])
        second = new_namespace()
        ck.load_namespace(data, second)
        self.assertEqual(second["obj"].get(), 105)


class SavesModulesAndLibraryObjectsTest(unittest.TestCase):
    def test_modules_are_saved_by_name(self) -> None:
        t, _, _ = roundtrip("""
            import os.path
            import collections as col
            from os import path as p
            import json
            """)
        self.assertIs(t["os"], sys.modules["os"])
        self.assertIs(t["col"], sys.modules["collections"])
        self.assertIs(t["p"], os.path)
        self.assertEqual(t["json"].dumps([1]), "[1]")

    def test_library_objects_by_reference_or_pickle(self) -> None:
        t, _, _ = roundtrip("""
            from collections import OrderedDict, defaultdict
            import math, functools
            od = OrderedDict(a=1)
            sqrt = math.sqrt
            dd = defaultdict(lambda: 7)
            part = functools.partial(max, 10)
            """)
        self.assertIs(t["OrderedDict"], __import__("collections").OrderedDict)
        self.assertEqual(t["od"], {"a": 1})
        self.assertIs(t["sqrt"], __import__("math").sqrt)
        self.assertEqual(t["dd"]["missing"], 7)
        self.assertEqual(t["part"](3), 10)

    @unittest.skipUnless(numpy is not None, "numpy not importable")
    def test_numpy_arrays_are_restored_writable_and_shared(self) -> None:
        data, _, _ = ck.dump_namespace(session("""
            import numpy as np
            arr = np.arange(100_000, dtype=np.float64)
            view = arr
            fortran = np.asfortranarray(np.ones((30, 40)))
            strided = arr[::2]
            """), 1)
        for source in (data, bytearray(data), memoryview(data)):
            t = new_namespace()
            ck.load_namespace(source, t)
            self.assertIs(t["arr"], t["view"])
            self.assertEqual(float(t["arr"].sum()), float(sum(range(100_000))))
            self.assertTrue(t["arr"].flags.writeable)
            t["arr"][0] = 5.0
            self.assertTrue(t["fortran"].flags.f_contiguous)
            self.assertEqual(t["strided"].shape, (50_000,))
            self.assertEqual(data[:8], b"PYR3CKPT")  # restoring never wrote into the checkpoint bytes

    @unittest.skipUnless(numpy is not None, "numpy not importable")
    def test_parts_reference_array_memory_and_join_into_a_checkpoint(self) -> None:
        namespace = session("import numpy as np\narr = np.arange(1 << 16, dtype=np.int64)")
        parts, names, _ = ck.dump_namespace_parts(namespace, 1)
        self.assertTrue(any(isinstance(part, memoryview) and numpy.shares_memory(numpy.asarray(part), namespace["arr"])
                            for part in parts))
        target = new_namespace()
        self.assertEqual(ck.load_namespace(b"".join(parts), target)[0], names)
        self.assertEqual(int(target["arr"][-1]), (1 << 16) - 1)

    @unittest.skipUnless(numpy is not None, "numpy not importable")
    def test_numpy_data_travels_out_of_band_not_in_the_pickle_stream(self) -> None:
        data, _, _ = ck.dump_namespace(session("import numpy as np\narr = np.ones(1 << 20)"), 1)
        self.assertLess(len(data), (1 << 23) + (1 << 16) + 4096)  # a big buffer is aligned to 64 KiB
        target = new_namespace()
        writable = bytearray(data)
        ck.load_namespace(writable, target)
        self.assertTrue(numpy.shares_memory(target["arr"], numpy.frombuffer(writable, dtype=numpy.uint8)))


class SkipsUnsaveableValuesTest(unittest.TestCase):
    def test_unsaveable_values_are_reported_and_the_rest_is_saved(self) -> None:
        tmp = tempfile.NamedTemporaryFile("w", delete=False)
        tmp.close()
        self.addCleanup(os.unlink, tmp.name)
        namespace = session(f"""
            import socket, sys, threading
            ok_before = [1]
            fh = open({tmp.name!r})
            sock = socket.socket()
            gen = (i for i in range(3))
            lock = threading.Lock()
            thread = threading.Thread(target=print)
            frame = sys._getframe()
            holder = [ok_before, lock]
            ok_after = ok_before
            """)
        self.addCleanup(namespace["fh"].close)
        self.addCleanup(namespace["sock"].close)
        data, names, skipped = ck.dump_namespace(namespace, 1)
        by_name = {entry["name"]: entry for entry in skipped}
        self.assertEqual(sorted(by_name), sorted(["fh", "sock", "gen", "lock", "thread", "frame", "holder"]))
        self.assertEqual(by_name["lock"]["type"], "_thread.lock")
        self.assertEqual(by_name["gen"]["type"], "generator")
        self.assertIn("generator", by_name["gen"]["reason"])
        self.assertIn("file", by_name["fh"]["reason"])
        for entry in skipped:
            self.assertTrue(entry["reason"], entry)
        self.assertEqual(names, ["socket", "sys", "threading", "ok_before", "ok_after"])
        self.assertEqual(ck.read_header(data)["skipped"], skipped)
        target = new_namespace()
        ck.load_namespace(data, target)
        self.assertIs(target["ok_before"], target["ok_after"])  # a skipped name sharing it did not break sharing
        self.assertNotIn("lock", target)

    def test_enum_classes_need_cloudpickle_or_are_skipped(self) -> None:
        data, names, skipped = ck.dump_namespace(session("""
            import enum
            class Color(enum.Enum):
                RED = 1
                def loud(self): return self.name + "!"
            favourite = Color.RED
            """), 1)
        if cloudpickle is None:
            self.assertEqual([entry["name"] for entry in skipped], ["Color", "favourite"])
            self.assertIn("cloudpickle", skipped[0]["reason"])
        else:
            self.assertEqual(skipped, [])
            self.assertEqual(ck.read_header(data)["pickler"], "cloudpickle")
            target = new_namespace()
            ck.load_namespace(data, target)
            self.assertEqual(target["favourite"].loud(), "RED!")
            self.assertIs(target["favourite"], target["Color"].RED)


def _patch_header(data: bytes, **changes: Any) -> bytes:
    header_len = struct.unpack_from("<Q", data, 12)[0]
    header = json.loads(data[20:20 + header_len])
    header.update(changes)
    patched = json.dumps(header).encode()
    return data[:12] + struct.pack("<Q", len(patched)) + patched + data[20 + header_len:]


class RefusesBadCheckpointsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.data, _, _ = ck.dump_namespace(session("import math\na = [1, 2]\ndef f(): return a"), 1)
        self.target = session("keep = 'old'\ndef g(): return keep")
        self.before = dict(self.target)

    def assertRefused(self, data: Any, message: str) -> None:
        with self.assertRaises(ck.CheckpointError) as caught:
            ck.load_namespace(data, self.target)
        self.assertIn(message, str(caught.exception))
        self.assertEqual(self.target.keys(), self.before.keys())
        for name, value in self.before.items():
            self.assertIs(self.target[name], value)

    def test_wrong_magic(self) -> None:
        self.assertRefused(b"NOTACKPT" + self.data[8:], "not a PyREPL3 checkpoint")

    def test_newer_format_version(self) -> None:
        data = self.data[:8] + struct.pack("<I", ck.FORMAT_VERSION + 1) + self.data[12:]
        self.assertRefused(data, "newer")

    def test_other_python_minor_version(self) -> None:
        this = "%d.%d" % sys.version_info[:2]
        self.assertRefused(_patch_header(self.data, python="3.99"), f"made by Python 3.99; this is {this}")
        self.assertEqual(ck.read_header(_patch_header(self.data, python="3.99"))["python"], "3.99")

    def test_truncated_data(self) -> None:
        for cut in (0, 5, 12, 30, len(self.data) // 2, len(self.data) - 1):
            with self.subTest(cut=cut):
                self.assertRefused(self.data[:cut], "checkpoint")

    def test_corrupt_pickle_stream(self) -> None:
        corrupt = bytearray(self.data)
        corrupt[-12] ^= 0xFF
        self.assertRefused(bytes(corrupt), "corrupt")

    def test_trailing_garbage(self) -> None:
        self.assertRefused(self.data + b"x", "corrupt")

    def test_corrupt_header_json(self) -> None:
        self.assertRefused(self.data[:20] + b"X" + self.data[21:], "header is corrupt")

    def test_older_format_version(self) -> None:
        data = self.data[:8] + struct.pack("<I", ck.FORMAT_VERSION - 1) + self.data[12:]
        self.assertRefused(data, "older PyREPL3")

    def test_header_naming_a_dunder_is_refused_and_builtins_stay(self) -> None:
        data, _, _ = ck.dump_namespace(session("fake = {'len': None}"), 1)
        builtins_before = self.target["__builtins__"]
        for name in ("__builtins__", "__name__", "_"):
            with self.subTest(name=name):
                self.assertRefused(_patch_header(data, names=[name]), repr(name))
                self.assertIs(self.target["__builtins__"], builtins_before)

    def test_header_listing_a_name_twice_is_refused(self) -> None:
        data, _, _ = ck.dump_namespace(session("a = 1\nb = 2"), 1)
        self.assertRefused(_patch_header(data, names=["a", "a"]), "twice")

    def test_flipped_byte_in_an_out_of_band_buffer_is_refused(self) -> None:
        data, _, _ = ck.dump_namespace(session("import pickle\nblob = pickle.PickleBuffer(bytearray(range(256)) * 64)"), 1)
        self.assertEqual(len(ck.read_header(data)["buffer_sha256"]), 1)
        self.assertEqual(ck.load_namespace(data, new_namespace())[0], ["pickle", "blob"])
        corrupt = bytearray(data)
        corrupt[-100] ^= 0x01  # inside the buffer: the last bytes of the checkpoint
        self.assertRefused(bytes(corrupt), "buffer 0's checksum")

    def test_buffer_checksums_that_do_not_match_the_buffer_count_are_refused(self) -> None:
        self.assertRefused(_patch_header(self.data, buffer_sha256=["0" * 64]), "buffer count")

    @unittest.skipUnless(numpy is not None, "numpy not importable")
    def test_flipped_byte_in_a_numpy_array_is_refused(self) -> None:
        data, _, _ = ck.dump_namespace(session("import numpy as np\narr = np.arange(10_000, dtype=np.int64)"), 1)
        corrupt = bytearray(data)
        corrupt[len(data) - 8 * 5000] ^= 0x40  # the middle of the array's data
        self.assertRefused(bytes(corrupt), "checksum does not match")
        self.assertRefused(corrupt, "checksum does not match")  # in place, as restore passes it

    def test_unpickling_failure_leaves_target_unchanged(self) -> None:
        sys.modules["ckpt_temp_module"] = types.ModuleType("ckpt_temp_module")
        try:
            data, _, _ = ck.dump_namespace(session("import ckpt_temp_module as m\ndef h(): return 1"), 1)
        finally:
            del sys.modules["ckpt_temp_module"]
        self.assertRefused(data, "ckpt_temp_module")


class ReplacesTargetTest(unittest.TestCase):
    def test_target_holds_exactly_the_checkpoint_names_and_keeps_dunders(self) -> None:
        data, _, _ = ck.dump_namespace(session("a = 1\nb = 2"), 1)
        target = session("old = 1\n_ = 'last'\n__doc__ = 'doc'")
        target["__name__"] = "__main__"
        builtins_before = target["__builtins__"]
        ck.load_namespace(data, target)
        self.assertEqual({k for k in target if not k.startswith("__")}, {"a", "b", "_"})
        self.assertEqual((target["__doc__"], target["__name__"], target["_"]), ("doc", "__main__", "last"))
        self.assertIs(target["__builtins__"], builtins_before)

    def test_restore_into_the_same_namespace(self) -> None:
        namespace = session("x = [1]\ndef f(): return x")
        data, _, _ = ck.dump_namespace(namespace, 1)
        namespace["x"] = "changed"
        namespace["extra"] = 1
        ck.load_namespace(data, namespace)
        self.assertEqual(namespace["f"](), [1])
        self.assertNotIn("extra", namespace)


DUMP_SCRIPT = """
import builtins, sys, types
sys.path.insert(0, sys.argv[1]); from load import load_module; sys.path.pop(0)
ck = load_module("checkpoint")
main = types.ModuleType("__main__"); main.__dict__["__builtins__"] = builtins
real = sys.modules["__main__"]; sys.modules["__main__"] = main
exec('''
import functools, os.path as osp
from dataclasses import dataclass
a = [1]; b = a
def fact(n): return 1 if n <= 1 else n * fact(n - 1)
def deco(f):
    @functools.wraps(f)
    def wrapper(*args): return f(*args) + 1
    return wrapper
@deco
def inc(x): return x
class Base:
    def get(self): return 1
class Child(Base):
    def get(self): return super().get() + 10
@dataclass
class P:
    x: int
obj = Child()
p = P(4)
def later(): return LATER
''', main.__dict__)
sys.modules["__main__"] = real
data, names, skipped = ck.dump_namespace(main.__dict__, 9)
open(sys.argv[2], "wb").write(data)
"""

LOAD_SCRIPT = """
import builtins, json, sys, types, pickle
sys.path.insert(0, sys.argv[1]); from load import load_module; sys.path.pop(0)
ck = load_module("checkpoint")
main = types.ModuleType("__main__"); main.__dict__["__builtins__"] = builtins
sys.modules["__main__"] = main
names, count = ck.load_namespace(open(sys.argv[2], "rb").read(), main.__dict__)
t = main.__dict__
t["LATER"] = "late"
print(json.dumps({
    "count": count, "shared": t["a"] is t["b"], "fact": t["fact"](6), "inc": t["inc"](1),
    "super": t["obj"].get(), "p": repr(t["p"]), "later": t["later"](), "globals": t["fact"].__globals__ is t,
    "module": t["Child"].__module__, "osp": t["osp"].__name__,
    "repickle": type(pickle.loads(pickle.dumps(t["obj"]))) is t["Child"],
}))
"""


class FreshProcessTest(unittest.TestCase):
    def test_dump_in_one_process_and_load_in_another(self) -> None:
        pairs = [(dumper, loader) for dumper in INTERPRETERS for loader in INTERPRETERS] or [(sys.executable,) * 2]
        expected = {"count": 9, "shared": True, "fact": 720, "inc": 2, "super": 11, "p": "P(x=4)",
                    "later": "late", "globals": True, "module": "__main__", "osp": os.path.__name__,
                    "repickle": True}
        with tempfile.TemporaryDirectory() as tmp:
            for dumper, loader in pairs:
                with self.subTest(dumper=dumper, loader=loader):
                    path = os.path.join(tmp, "ckpt.bin")
                    subprocess.run([dumper, "-c", DUMP_SCRIPT, str(RUNNER), path], check=True, timeout=60)
                    out = subprocess.run([loader, "-c", LOAD_SCRIPT, str(RUNNER), path], check=True, timeout=60,
                                         capture_output=True, text=True)
                    self.assertEqual(json.loads(out.stdout), expected)


if __name__ == "__main__":
    unittest.main()


class CheckpointFileTest(unittest.TestCase):
    """runner/checkpoint_file.py: the worker's side of checkpoint({ path }) and restore(path)."""

    def setUp(self) -> None:
        self.files = load_checkpoint_module("checkpoint_file")
        self.dir = tempfile.mkdtemp(prefix="pyrepl3_ckpt_")
        self.path = os.path.join(self.dir, "state.pyrepl3ckpt")

    def tearDown(self) -> None:
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def write(self, code: str) -> Dict[str, Any]:
        reply = self.files.write_checkpoint_file(session(code), 3, self.path)
        with open(self.path, "ab") as file:
            file.write(b"\0" * ck.MAC_BYTES)  # the signature Deno appends; the worker does not check it
        return reply

    def test_the_reply_digest_is_the_signed_digest_of_the_file(self) -> None:
        reply = self.write("a = [1, 2]\nb = bytearray(100_000)")
        with open(self.path, "rb") as file:
            content = file.read()
        self.assertEqual(len(content), reply["size"])
        raw = content[len(ck.SIGNED_PREFIX):-ck.MAC_BYTES]
        self.assertEqual(bytes.fromhex(reply["digest"]), ck.signed_digest([raw[:ck.stream_end(raw)]]))
        self.assertEqual(json.loads(reply["header"])["names"], ["a", "b"])
        target = new_namespace()
        self.assertEqual(self.files.load_checkpoint_file(self.path, target, reply["digest"]), (["a", "b"], 3))
        self.assertEqual(target["a"], [1, 2])

    def test_a_digest_other_than_the_files_is_refused(self) -> None:
        self.write("a = 1")
        target = new_namespace()
        with self.assertRaises(ck.CheckpointError) as caught:
            self.files.load_checkpoint_file(self.path, target, "00" * 32)
        self.assertIn("changed after its signature was checked", str(caught.exception))
        self.assertNotIn("a", target)

    def test_a_write_error_removes_the_temporary_file(self) -> None:
        with self.assertRaises(ck.CheckpointError):
            self.files.write_checkpoint_file(session("a = 1"), 1, os.path.join(self.dir, "missing", "x.tmp"))
        self.write("a = 1")
        with self.assertRaises(ck.CheckpointError):  # exists: never overwritten
            self.files.write_checkpoint_file(session("a = 1"), 1, self.path)
        self.assertEqual(os.listdir(self.dir), ["state.pyrepl3ckpt"])

    @unittest.skipUnless(numpy is not None, "numpy not importable")
    def test_arrays_are_mapped_page_aligned_and_checked_before_use(self) -> None:
        self.write("import numpy as np\narr = np.arange(1 << 18, dtype=np.float64)")
        target = new_namespace()
        self.files.load_checkpoint_file(self.path, target, None)
        arr = target["arr"]
        self.assertTrue(arr.flags.writeable)
        self.assertEqual(arr.ctypes.data % 4096, 0)
        self.assertEqual(type(arr.base.obj).__name__ if isinstance(arr.base, memoryview)
                         else type(arr.base.base.obj).__name__, "mmap")
        with open(self.path, "r+b") as file:
            file.seek(-ck.MAC_BYTES - 100, os.SEEK_END)
            file.write(b"\xff")
        with self.assertRaises(ck.CheckpointError) as caught:
            self.files.load_checkpoint_file(self.path, new_namespace(), None)
        self.assertIn("checksum", str(caught.exception))


class ReceiveCheckpointTest(unittest.TestCase):
    """runner/_checkpoint_recv.py: the buffers' digests are computed while the bytes arrive, and kept."""

    def receive(self, data: bytes) -> Any:
        import socket
        import threading
        recv = load_checkpoint_module("_checkpoint_recv")
        framing = load_checkpoint_module("framing")
        ours, theirs = socket.socketpair()
        try:
            sender = threading.Thread(target=ours.sendall, args=(data,))
            sender.start()
            received = recv.receive_checkpoint(framing.FrameReader(theirs.fileno()), len(data))
            sender.join()
            return received
        finally:
            ours.close()
            theirs.close()

    def test_digests_of_every_buffer_come_back_with_the_bytes(self) -> None:
        data, _, _ = ck.dump_namespace(session(
            "import pickle\nbig = pickle.PickleBuffer(bytearray(3 << 20))\n"
            "small = pickle.PickleBuffer(bytearray(b'x' * 10))"), 1)
        received = self.receive(data)
        self.assertEqual(bytes(received.data), data)
        self.assertEqual(received.digests, ck.read_header(data)["buffer_sha256"])
        target = new_namespace()
        ck.load_namespace(received.data, target, known_digests=received.digests)
        self.assertEqual(bytes(target["small"]), b"x" * 10)

    def test_a_corrupt_buffer_still_fails_its_checksum(self) -> None:
        data, _, _ = ck.dump_namespace(session("import pickle\nbig = pickle.PickleBuffer(bytearray(1 << 20))"), 1)
        corrupt = bytearray(data)
        corrupt[-10] ^= 1
        received = self.receive(bytes(corrupt))
        with self.assertRaises(ck.CheckpointError):
            ck.load_namespace(received.data, new_namespace(), known_digests=received.digests)
