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
the ones marked cuda.

With ``arrays=True`` its arrays are ``DeviceArray``s (NumPy underneath, ``cupy.ndarray`` to
whoever asks), so that minivae itself can run on it (``backend._cupy``), and every kernel
CuPy would launch for them is counted in ``nodes`` beside our own: an elementwise op or a
reduction, a copy or a gather, a fill (``zeros``, ``a[...] = 0``), a cuBLAS product. What a
capture recorded is ``captured``."""
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
    __launch_bounds__ expression or None, parameter names)} for every __global__ definition
    in the folder's .cu files."""
    code = ""
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".cu")):
        with open(os.path.join(folder, name)) as f:
            code += f.read() + "\n"
    found = {}
    pattern = (r'(?:template\s*<([^>]*)>\s*)?(?:extern "C"\s*)?__global__\s+void\s+'
               r'(?:__launch_bounds__\(([^)]*)\)\s*)?(\w+)\s*\(([^)]*)\)\s*\{')
    for tparams, bound, name, params in re.findall(pattern, code):
        names = [p.split()[-1] for p in tparams.split(",")] if tparams.strip() else []
        args, pnames = [], []
        for p in params.split(","):
            words = p.replace("*", " * ").split()
            pointer = "*" in words
            ctype = " ".join(w for w in words[:-1] if w not in ("const", "*"))
            args.append((ctype, pointer))
            pnames.append(words[-1])
        found[name] = (names, args, bound or None, pnames)
    return found


def _instance(expression, table):
    """A name expression, e.g. "gemm_bias_act<float, false, true, 64, 64>", as (name, {T: "float", ...})."""
    name, _, rest = expression.partition("<")
    values = [v.strip() for v in rest.rstrip(">").split(",")] if rest else []
    tnames = table[name][0]
    if len(values) != len(tnames):
        raise AssertionError(f"{expression}: {len(values)} template arguments for {tnames}")
    return name, dict(zip(tnames, values))


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, DeviceArray) else x


def _on_device(x):
    """A result as CuPy gives it: arrays on the device, a reduction to a 0-d array."""
    if isinstance(x, np.ndarray) and not isinstance(x, DeviceArray):
        device = x.view(DeviceArray)
        device._fresh = x.base is None   # memory of its own, as CuPy would report (base None)
        return device
    if isinstance(x, np.generic):
        return np.asarray(x).view(DeviceArray)
    if isinstance(x, (tuple, list)):
        return type(x)(_on_device(v) for v in x)
    return x


class DeviceArray(np.ndarray):
    """An array on the fake GPU. Each operation that would be a CuPy kernel is counted by the
    fake that made it (``DeviceArray.fake``); views (slices, reshapes, transposes) are free."""
    fake = None

    @property
    def base(self):   # the NumPy view that makes a DeviceArray is not a view to CuPy
        return None if getattr(self, "_fresh", False) else np.ndarray.base.__get__(self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        DeviceArray.fake._cupy_kernel(ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}")
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*(_plain(i) for i in inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _on_device(result)

    def __getitem__(self, key):
        keys = key if isinstance(key, tuple) else (key,)
        if any(isinstance(k, (np.ndarray, list)) for k in keys):
            DeviceArray.fake._cupy_kernel("take")   # a gather; a slice is a view
        return _on_device(super().__getitem__(tuple(_plain(k) for k in keys) if isinstance(key, tuple)
                                              else _plain(key)))

    def __setitem__(self, key, value):
        DeviceArray.fake._cupy_kernel("fill" if np.ndim(value) == 0 else "copy")
        super().__setitem__(key, _plain(value))

    def copy(self, order="C"):
        DeviceArray.fake._cupy_kernel("copy")
        return _on_device(self.view(np.ndarray).copy(order))

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        if copy or np.dtype(dtype) != self.dtype:
            DeviceArray.fake._cupy_kernel("astype")
        return _on_device(self.view(np.ndarray).astype(dtype, order, casting, subok, copy))


FILLS = {"zeros", "ones", "full", "zeros_like", "ones_like", "full_like"}
COPIES = {"concatenate", "stack", "hstack", "vstack", "where", "copy", "tile", "repeat", "take", "clip"}
FREE = {"empty", "empty_like", "arange"}   # arange is a kernel, but only ever made outside a step


class Launch:
    def __init__(self, name, grid, block, args):
        self.name, self.grid, self.block, self.args = name, grid, block, args

    def __repr__(self):
        return f"Launch({self.name}, grid={self.grid}, block={self.block})"


class FakeCupy(types.ModuleType):
    """``cupy`` for the kernel wrappers: NumPy behind it, launches recorded and checked."""

    def __init__(self, capturing=False, multiprocessors=132, compute_capability="90", arrays=False):
        super().__init__("cupy")
        self.launches, self.capturing, self.modules = [], capturing, []
        self.arrays, self.nodes, self.captured = arrays, [], None
        self.ndarray = DeviceArray if arrays else np.ndarray
        if arrays:
            DeviceArray.fake = self
            as_strided = lambda x, shape=None, strides=None: np.lib.stride_tricks.as_strided(x, shape, strides,
                                                                                               subok=True)
            self.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=as_strided))
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
                return lambda grid, block, args: fake._launch(name, types_, table[name][1], grid, block, args, bound,
                                                              table[name][3])

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
                fake._captured_from = len(fake.nodes)

            def end_capture(self):
                fake.capturing = False
                fake.captured = fake.nodes[fake._captured_from:]
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
        found = getattr(np, name)
        if not self.arrays or not callable(found) or isinstance(found, (np.ufunc, type)) or name.startswith("_"):
            return found   # a ufunc on DeviceArrays counts itself

        def on_device(*args, **kwargs):
            if name in FILLS or name in COPIES:
                self._cupy_kernel(name)
            if name in ("asarray", "ascontiguousarray"):
                a = args[0] if args else kwargs["a"]
                dtype = kwargs.get("dtype", args[1] if len(args) > 1 else None)
                if not isinstance(a, DeviceArray):
                    self._cupy_kernel("host_to_device")
                elif (dtype is not None and np.dtype(dtype) != a.dtype) or (
                        name == "ascontiguousarray" and not a.flags.c_contiguous):
                    self._cupy_kernel("copy")
            return _on_device(found(*(_plain(a) for a in args), **{k: _plain(v) for k, v in kwargs.items()}))
        return on_device

    @staticmethod
    def _check_rows(name, what, array, ld):
        """A pointer read as rows of contiguous elements, ``ld`` elements apart: a 2-D array
        whose last axis is contiguous, or a 1-D one (a row of one element each, or a
        broadcast value: ld 0), its stride equal to ld."""
        step = array.strides[0] // array.itemsize if array.ndim else 0
        rows_ok = array.ndim == 1 or (array.ndim == 2 and (array.shape[1] <= 1 or array.strides[1] == array.itemsize))
        if not rows_ok or array.ndim > 2 or int(ld) != step or array.strides[0] % array.itemsize:
            raise AssertionError(f"{name}: {what} of shape {array.shape}, strides {array.strides}, "
                                 f"with {what}_ld = {int(ld)}")

    @staticmethod
    def _check_strides(name, what, array, rows, cols):
        """A 2-D array read as P[i rows + j cols]: its strides must be those."""
        if array.ndim != 2 or array.strides != (int(rows) * array.itemsize, int(cols) * array.itemsize):
            raise AssertionError(f"{name}: {what} of shape {array.shape}, strides {array.strides}, "
                                 f"with {what}_rows = {int(rows)}, {what}_cols = {int(cols)}")

    def _cupy_kernel(self, name):
        self.nodes.append(("cupy", name))

    def _refused(self, what):
        raise AssertionError(f"cupy.{what} inside a capture")

    def empty(self, *args, **kwargs):   # zeros: no garbage for the tests to trip over
        return _on_device(np.zeros(*args, **kwargs)) if self.arrays else np.zeros(*args, **kwargs)

    def empty_like(self, a, *args, **kwargs):
        return _on_device(np.zeros_like(_plain(a), *args, **kwargs)) if self.arrays else np.zeros_like(a, *args, **kwargs)

    def matmul(self, *args, **kwargs):   # cuBLAS
        if self.capturing:
            self._refused("matmul (cuBLAS)")
        if self.arrays:
            self.nodes.append(("cublas", "matmul"))
            return _on_device(np.matmul(*(_plain(a) for a in args), **kwargs))
        return np.matmul(*args, **kwargs)

    def asnumpy(self, a):   # a read back to the host
        if self.capturing:
            self._refused("asnumpy (a device-to-host copy)")
        return np.asarray(a)

    def _launch(self, name, types_, params, grid, block, args, bound=None, pnames=None):
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
                strided = pnames is not None and (f"{pnames[i]}_ld" in pnames or f"{pnames[i]}_rows" in pnames)
                if arg.dtype != want or not (arg.flags.c_contiguous or strided):
                    raise AssertionError(f"{name} argument {i}: a {arg.dtype} array "
                                         f"({'' if arg.flags.c_contiguous else 'not '}C-contiguous) for a {ctype}*")
                if strided and f"{pnames[i]}_ld" in pnames:   # rows at a stride: the kernel's P_ld says which
                    self._check_rows(name, pnames[i], arg, args[pnames.index(f"{pnames[i]}_ld")])
                elif strided:   # any 2-D strides (a transpose, a broadcast): P_rows and P_cols say which
                    self._check_strides(name, pnames[i], arg, args[pnames.index(f"{pnames[i]}_rows")],
                                        args[pnames.index(f"{pnames[i]}_cols")])
            elif type(arg) is not want:
                raise AssertionError(f"{name} argument {i}: {type(arg).__name__} {arg!r} for a {ctype} "
                                     f"(pass {want.__name__})")
        self.launches.append(Launch(name, grid, block, args))
        self.nodes.append(("own", name))


def install(monkeypatch, **kwargs):
    """A FakeCupy as ``cupy``, with minivae's CUDA kernel modules imported afresh against it
    (call ``forget_kernels()`` after, so that later imports see the real CuPy). With
    ``arrays=True`` minivae's backend takes it as its CuPy too: device="cuda" runs on it."""
    fake = FakeCupy(**kwargs)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    if fake.arrays:
        from minivae import backend
        monkeypatch.setattr(backend, "_cupy", fake)
    for name in [m for m in sys.modules if m.startswith("minivae.kernels.cuda")]:
        monkeypatch.delitem(sys.modules, name)
    return fake


def forget_kernels():
    for name in [m for m in sys.modules if m.startswith("minivae.kernels.cuda")]:
        del sys.modules[name]
    from minivae.kernels import registry
    registry._modules.pop("cuda", None)   # kernels.on's own reference to the fake's modules
