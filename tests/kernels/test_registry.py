import os
import subprocess
import sys

import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from minivae import kernels


def test_switch_selects_the_path():
    x = mv.tensor(np.ones((2, 3)), requires_grad=True)
    W = mv.tensor(np.ones((3, 2)), requires_grad=True)
    mv.set_kernels("reference")
    try:
        assert kernels.on("cpu") is None
        assert F.dense(x, W).creator.name != "dense"      # composite of plain ops
    finally:
        mv.set_kernels("fast")
    assert kernels.on("cpu").dense_forward is not None
    assert F.dense(x, W).creator.name == "dense"
    assert kernels.on("tpu") is None


def test_every_device_has_its_kernels_by_the_same_names():
    """kernels/cuda's names are kernels/cpu's (CUDA has one more, the Adam step that counts
    on the device for CUDA graphs; the CPU has the fused convolutions and Philox)."""
    from minivae.kernels import cpu
    from minivae.kernels.registry import names
    ours = set(names(cpu))
    assert {"dense_forward", "dense_backward", "reparameterize_kl_forward", "iwae_weights", "adam_step"} <= ours
    import ast
    import pathlib
    cuda = ast.parse((pathlib.Path(mv.kernels.registry.__file__).parent / "cuda" / "__init__.py").read_text())
    theirs = {alias.asname or alias.name for node in ast.walk(cuda) if isinstance(node, ast.ImportFrom)
              for alias in node.names}   # read, not imported: CuPy is not here
    assert theirs - ours == {"adam_step_counted"}
    assert ours - theirs == {"conv2d_act_forward", "conv2d_act_backward", "conv_transpose2d_act_forward",
                             "conv_transpose2d_act_backward", "philox_words", "philox_normal"}


def test_bad_mode():
    with pytest.raises(ValueError, match="mode must be one of"):
        mv.set_kernels("turbo")


def _python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_importing_minivae_compiles_nothing():
    out = _python("import sys, minivae; print('numba' in sys.modules)")
    assert out.stdout.strip() == "False", out.stderr


def test_environment_variable():
    out = _python("import minivae.kernels as k; print(k.kernel_mode())", MINIVAE_KERNELS="reference")
    assert out.stdout.strip() == "reference"
    out = _python("import minivae", MINIVAE_KERNELS="warp")   # the import works ...
    assert out.returncode == 0, out.stderr
    out = _python("import minivae.kernels as k; k.on('cpu')", MINIVAE_KERNELS="warp")
    assert out.returncode != 0 and "MINIVAE_KERNELS must be one of fast, reference, got 'warp'" in out.stderr


def test_a_device_that_is_not_a_name_is_refused_clearly():
    from minivae import kernels

    class Device:   # CuPy's Device: compared, never hashed
        __hash__ = None
    with pytest.raises(TypeError, match="ops take Tensors, not raw arrays"):
        kernels.on(Device())
