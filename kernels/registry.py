"""One registry of hand-written kernels, keyed by op and device.

An op asks ``lookup(op, device)``: it gets the fast kernel, or None on the reference path
(``set_kernels("reference")``, ``MINIVAE_KERNELS=reference``) or when no kernel is written
for that device. Kernel modules are imported at their first lookup, and Numba compiles at
a kernel's first call into its on-disk cache, so importing minivae compiles nothing.
"""
import importlib
import os

MODES = ("fast", "reference")

# (op, device) -> "module:function", relative to this package
KERNELS = {
    ("dense_forward", "cpu"): "cpu.dense:forward",
    ("dense_backward", "cpu"): "cpu.dense:backward",
    ("reparameterize_kl_forward", "cpu"): "cpu.reparameterize_kl:forward",
    ("reparameterize_kl_backward", "cpu"): "cpu.reparameterize_kl:backward",
    ("iwae_weights", "cpu"): "cpu.iwae_weights:forward",
    ("bce_with_logits", "cpu"): "cpu.bce_with_logits:forward",
    ("adam_step", "cpu"): "cpu.adam:step",
    ("conv2d_forward", "cpu"): "cpu.conv:forward",
    ("conv2d_data_grad", "cpu"): "cpu.conv:data_grad",
    ("conv2d_weight_grad", "cpu"): "cpu.conv:weight_grad",
    ("conv2d_act_forward", "cpu"): "cpu.conv:forward_act",
    ("conv2d_act_backward", "cpu"): "cpu.conv:backward_act",
    ("conv_transpose2d_act_forward", "cpu"): "cpu.conv:transpose_act",
    ("conv_transpose2d_act_backward", "cpu"): "cpu.conv:transpose_backward_act",
    ("philox_words", "cpu"): "cpu.philox:words",
    ("philox_normal", "cpu"): "cpu.philox:normal",
    ("dense_forward", "cuda"): "cuda.dense:forward",
    ("dense_backward", "cuda"): "cuda.dense:backward",
    ("reparameterize_kl_forward", "cuda"): "cuda.reparameterize_kl:forward",
    ("reparameterize_kl_backward", "cuda"): "cuda.reparameterize_kl:backward",
    ("iwae_weights", "cuda"): "cuda.iwae_weights:forward",
    ("bce_with_logits", "cuda"): "cuda.bce_with_logits:forward",
    ("adam_step", "cuda"): "cuda.adam:step",
    ("adam_step_counted", "cuda"): "cuda.adam:step_counted",
    ("conv2d_forward", "cuda"): "cuda.conv:forward",
    ("conv2d_data_grad", "cuda"): "cuda.conv:data_grad",
    ("conv2d_weight_grad", "cuda"): "cuda.conv:weight_grad",
}

# A bad MINIVAE_KERNELS does not stop the import: the first lookup says what is wrong.
_mode = os.environ.get("MINIVAE_KERNELS", "fast")
_loaded = {}


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
    to |x| |W| (fused.cu states the bound). Off by default: fp32 everywhere."""
    global _tf32
    _tf32 = bool(enabled)


def tf32():
    return _tf32


def lookup(op, device):
    if not isinstance(device, str):   # a raw array's .device (CuPy's Device, unhashable): pass Tensors
        raise TypeError(f"kernels.lookup: device must be 'cpu' or 'cuda', got {device!r}; ops take Tensors, "
                        "not raw arrays")
    if _checked_mode() == "reference":
        return None
    key = (op, device)
    if key not in _loaded:
        target = KERNELS.get(key)
        if target is None:
            _loaded[key] = None
        else:
            module, name = target.split(":")
            _loaded[key] = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return _loaded[key]


def kernel_info():
    """What the benchmarks record: the mode and the kernels available."""
    return {"mode": _checked_mode(), "tf32": _tf32, "kernels": sorted(f"{op}@{device}" for op, device in KERNELS)}
