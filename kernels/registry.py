"""Which kernels an op gets: ``on(device)`` is the device's kernel module (kernels/cpu,
kernels/cuda), whose attributes are its kernels by the names the ops use, or None on the
reference path (``set_kernels("reference")``, ``MINIVAE_KERNELS=reference``) or for a device
without kernels. A device module is imported at its first use, so importing minivae
compiles and imports nothing of Numba or CuPy.
"""
import importlib
import os
import types

MODES = ("fast", "reference")
DEVICES = ("cpu", "cuda")   # each has its package of kernels here

# A bad MINIVAE_KERNELS does not stop the import: the first kernels.on says what is wrong.
_mode = os.environ.get("MINIVAE_KERNELS", "fast")


def _checked_mode():
    if _mode not in MODES:
        raise ValueError(f"MINIVAE_KERNELS must be one of {', '.join(MODES)}, got {_mode!r}")
    return _mode


def set_kernels(mode):
    """``"fast"``: hand-written kernels where there are some; ``"reference"``: NumPy/CuPy only."""
    global _mode
    if mode not in MODES:
        raise ValueError(f"set_kernels: mode must be one of {MODES}, got {mode!r}")
    _mode = mode


def kernel_mode():
    return _checked_mode()


_tf32 = False


def set_tf32(enabled):
    """Dense layers on CUDA through TF32 tensor cores (our GEMM, eager and in CUDA graphs):
    float32 inputs rounded to 10 mantissa bits, so products are good to about 2^-10 relative
    to |x| |W| (kernels/cuda/gemm.cu states the bound). Off by default: fp32 everywhere."""
    global _tf32
    _tf32 = bool(enabled)


def tf32():
    return _tf32


GRAPH_GEMMS = ("own", "cublas")
_graph_gemm = "own"


def set_graph_gemm(library):
    """The large products inside a CUDA-graph recording: ``"own"`` (our GEMM, the default)
    or ``"cublas"`` (cuBLAS through ctypes; kernels/cuda/products.py says which products)."""
    global _graph_gemm
    if library not in GRAPH_GEMMS:
        raise ValueError(f"set_graph_gemm: library must be one of {GRAPH_GEMMS}, got {library!r}")
    _graph_gemm = library


def graph_gemm():
    return _graph_gemm


def on(device):
    """The kernels of ``device`` as one module, or None where the reference path runs."""
    if not isinstance(device, str):   # a raw array's .device (CuPy's Device, unhashable): pass Tensors
        raise TypeError(f"kernels.on: device must be 'cpu' or 'cuda', got {device!r}; ops take Tensors, "
                        "not raw arrays")
    if _checked_mode() == "reference" or device not in DEVICES:
        return None
    if device not in _modules:   # asked on every op call: imported once, then looked up
        _modules[device] = importlib.import_module(f"{__package__}.{device}")
    return _modules[device]


_modules = {}


def kernel_for(device, name, *arrays):
    """The kernel ``name`` of ``device`` where there is one for these ``arrays`` (all of one
    dtype: a kernel does not promote), else None, and the reference path runs. The one
    place that chooses between a kernel and its reference (ops.Fused asks it)."""
    kernels = on(device)
    kernel = getattr(kernels, name, None) if kernels is not None else None
    if kernel is None or len({a.dtype for a in arrays}) > 1:
        return None
    return kernel


def implementation(device, gemm=False):
    """What runs a kernel of ``device``, for a profile: Numba or CUDA, and the library of its
    matrix products where it has some (BLAS; on CUDA cuBLAS, or our GEMM inside a CUDA-graph
    recording or with TF32, as kernels/cuda/dense.py chooses)."""
    own = {"cpu": "Numba", "cuda": "CUDA"}[device]
    if not gemm:
        return own
    if device == "cpu":
        return own + " + BLAS"
    ours = importlib.import_module(f"{__package__}.cuda.dense").own_gemm()
    return own + (" + own GEMM (TF32)" if _tf32 else " + own GEMM" if ours else " + cuBLAS")


def names(module):
    """The kernels a device module holds, by name."""
    return sorted(k for k, v in vars(module).items()
                  if callable(v) and not k.startswith("_") and not isinstance(v, types.ModuleType))


def kernel_info():
    """What the benchmarks record: the mode and the kernels of each device that loads here."""
    kernels = {}
    for device in DEVICES:
        try:
            kernels[device] = names(importlib.import_module(f"{__package__}.{device}"))
        except ImportError:   # CuPy not installed
            pass
    return {"mode": _checked_mode(), "tf32": _tf32, "graph_gemm": _graph_gemm, "kernels": kernels}
