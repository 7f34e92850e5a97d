"""CuPy's launch rules checked on the CPU: a stand-in ``cupy`` module whose arrays are NumPy
arrays and whose kernels record each launch instead of running it, with the launch checked
against the kernel's C signature, read from the CUDA sources (kernels/cuda/*.cu).

What it checks, per launch (the rules a GPU would enforce, or silently get wrong):
- every argument matches its parameter: an array for a pointer, of the pointee's dtype and
  C-contiguous; for a scalar, the NumPy scalar type of the C type's exact width (np.int32
  for int, np.int64 for long long, np.uint64 for unsigned long long, the dtype for T);
- the kernel was asked for by name when the module was compiled (name_expressions);
- no grid or block dimension is 0 or above CUDA's limits, no block above the kernel's
  __launch_bounds__;
- inside a capture (``capturing``), no cuBLAS (``matmul``), ``random`` or read back to the
  host (``asnumpy``).
The kernels do not run: outputs hold zeros. Streams log what they are asked
(``log``); a capture runs its Python, a graph's launch runs nothing. The tests that run them are
the ones marked cuda."""
import os
import re
import sys
import time
import types

import numpy as np

SOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kernels", "cuda")
SCALARS = {"int": np.int32, "long long": np.int64, "unsigned long long": np.uint64, "float": np.float32,
           "double": np.float64, "unsigned int": np.uint32}
GRID_LIMITS = (2 ** 31 - 1, 65535, 65535)


def signatures(folder=SOURCES):
    """{kernel name: (template parameter names, [(C type, is pointer)], its
    __launch_bounds__ expression or None)} for every __global__ definition in the folder's
    .cu files."""
    code = ""
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".cu")):
        with open(os.path.join(folder, name)) as f:
            code += f.read() + "\n"
    found = {}
    pattern = (r'(?:template\s*<([^>]*)>\s*)?(?:extern "C"\s*)?__global__\s+void\s+'
               r'(?:__launch_bounds__\(([^)]*)\)\s*)?(\w+)\s*\(([^)]*)\)\s*\{')
    for tparams, bound, name, params in re.findall(pattern, code):
        names = [p.split()[-1] for p in tparams.split(",")] if tparams.strip() else []
        args = []
        for p in params.split(","):
            words = p.replace("*", " * ").split()
            pointer = "*" in words
            ctype = " ".join(w for w in words[:-1] if w not in ("const", "*"))
            args.append((ctype, pointer))
        found[name] = (names, args, bound or None)
    return found


def _instance(expression, table):
    """A name expression, e.g. "gemm_bias_act<float, false, true, 64, 64>", as (name, {T: "float", ...})."""
    name, _, rest = expression.partition("<")
    values = [v.strip() for v in rest.rstrip(">").split(",")] if rest else []
    tnames = table[name][0]
    if len(values) != len(tnames):
        raise AssertionError(f"{expression}: {len(values)} template arguments for {tnames}")
    return name, dict(zip(tnames, values))


class Launch:
    def __init__(self, name, grid, block, args):
        self.name, self.grid, self.block, self.args = name, grid, block, args

    def __repr__(self):
        return f"Launch({self.name}, grid={self.grid}, block={self.block})"


class FakeCupy(types.ModuleType):
    """``cupy`` for the kernel wrappers: NumPy behind it, launches recorded and checked."""

    def __init__(self, capturing=False, multiprocessors=132, compute_capability="90"):
        super().__init__("cupy")
        self.launches, self.capturing, self.modules = [], capturing, []
        self.ndarray = np.ndarray
        table = signatures()
        fake = self

        class RawModule:
            def __init__(self, code, options=(), name_expressions=()):
                self.options, self.names = tuple(options), set(name_expressions)
                fake.modules.append(self)

            def get_function(self, expression):
                plain = "<" not in expression and expression in table and not table[expression][0]
                if not plain and expression not in self.names:
                    raise AssertionError(f"{expression} was not among the module's name expressions")
                name, types_ = _instance(expression, table)
                bound = table[name][2]
                if bound is not None:   # the block size the kernel was compiled for, at most
                    bound = eval(bound, {}, {k: int(v) for k, v in types_.items() if v.isdigit()})
                return lambda grid, block, args: fake._launch(name, types_, table[name][1], grid, block, args, bound)

        class Stream:
            """Logs what it is asked (``fake.log``); a capture runs what is inside it (here,
            eagerly on the CPU), and its graph's launch runs nothing."""

            def __init__(self, non_blocking=False):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def is_capturing(self):
                return fake.capturing

            def begin_capture(self):
                fake.capturing = True
                fake.log.append("begin")

            def end_capture(self):
                fake.capturing = False
                fake.log.append("end")
                if fake.capture_error is not None:
                    raise fake.capture_error
                return types.SimpleNamespace(launch=lambda stream: fake.log.append("launch"))

            def synchronize(self):
                pass

        class MemoryPool:
            def __init__(self):
                self.malloc = ("pool", len(fake.pools))
                fake.pools.append(self)

        import contextlib

        @contextlib.contextmanager
        def using_allocator(malloc):
            fake.log.append(f"allocator {malloc}")
            yield

        class Event:
            """Logs its record; its time is the host's at the record."""

            def record(self, stream=None):
                self.at = time.perf_counter()
                fake.log.append("record")

            def synchronize(self):
                pass

        device = types.SimpleNamespace(id=0, attributes={"MultiProcessorCount": multiprocessors},
                                       compute_capability=compute_capability, synchronize=lambda: None)
        stream = Stream()
        self.log, self.pools, self.capture_error = [], [], None
        self.RawModule = RawModule
        self.cuda = types.SimpleNamespace(Device=lambda index=0: device, get_current_stream=lambda: stream,
                                          Stream=Stream, MemoryPool=MemoryPool, using_allocator=using_allocator,
                                          Event=Event, get_elapsed_time=lambda a, b: (b.at - a.at) * 1e3)

        class Random:   # cuRAND
            def __getattr__(self, name):
                if fake.capturing:
                    fake._refused(f"random.{name} (cuRAND)")
                return getattr(np.random, name)
        self.random = Random()

    def __getattr__(self, name):
        return getattr(np, name)

    def _refused(self, what):
        raise AssertionError(f"cupy.{what} inside a capture")

    def empty(self, *args, **kwargs):   # zeros: no garbage for the tests to trip over
        return np.zeros(*args, **kwargs)

    def empty_like(self, *args, **kwargs):
        return np.zeros_like(*args, **kwargs)

    def matmul(self, *args, **kwargs):   # cuBLAS
        if self.capturing:
            self._refused("matmul (cuBLAS)")
        return np.matmul(*args, **kwargs)

    def asnumpy(self, a):   # a read back to the host
        if self.capturing:
            self._refused("asnumpy (a device-to-host copy)")
        return np.asarray(a)

    def _launch(self, name, types_, params, grid, block, args, bound=None):
        grid, block = tuple(grid), tuple(block)
        for dims, what in ((grid, "grid"), (block, "block")):
            if not dims or any(int(d) < 1 for d in dims):
                raise AssertionError(f"{name}: a {what} of {dims}: CUDA refuses a zero-size launch")
        if any(int(d) > limit for d, limit in zip(grid, GRID_LIMITS)):
            raise AssertionError(f"{name}: grid {grid} is over CUDA's limits {GRID_LIMITS}")
        if int(np.prod(block)) > 1024:
            raise AssertionError(f"{name}: a block of {block} is over 1024 threads")
        if bound is not None and int(np.prod(block)) > bound:
            raise AssertionError(f"{name}: a block of {block} is over its __launch_bounds__ of {bound} threads")
        if len(args) != len(params):
            raise AssertionError(f"{name}: {len(args)} arguments for {len(params)} parameters")
        for i, (arg, (ctype, pointer)) in enumerate(zip(args, params)):
            ctype = types_.get(ctype, ctype)
            want = SCALARS[ctype]
            if pointer:
                if not isinstance(arg, np.ndarray):
                    raise AssertionError(f"{name} argument {i}: {type(arg).__name__} for a {ctype}*")
                if arg.dtype != want or not arg.flags.c_contiguous:
                    raise AssertionError(f"{name} argument {i}: a {arg.dtype} array "
                                         f"({'' if arg.flags.c_contiguous else 'not '}C-contiguous) for a {ctype}*")
            elif type(arg) is not want:
                raise AssertionError(f"{name} argument {i}: {type(arg).__name__} {arg!r} for a {ctype} "
                                     f"(pass {want.__name__})")
        self.launches.append(Launch(name, grid, block, args))


def install(monkeypatch, **kwargs):
    """A FakeCupy as ``cupy``, with minivae's CUDA kernel modules imported afresh against it
    (call ``forget_kernels()`` after, so that later imports see the real CuPy)."""
    fake = FakeCupy(**kwargs)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    for name in [m for m in sys.modules if m.startswith("minivae.kernels.cuda")]:
        monkeypatch.delitem(sys.modules, name)
    return fake


def forget_kernels():
    for name in [m for m in sys.modules if m.startswith("minivae.kernels.cuda")]:
        del sys.modules[name]
    from minivae.kernels import registry
    registry._modules.pop("cuda", None)   # kernels.on's own reference to the fake's modules
