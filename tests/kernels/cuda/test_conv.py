"""The CUDA convolution kernels (im2col/col2im feeding GEMMs) against the CPU results and
the CuPy reference path, and recorded in a CUDA graph. Needs a GPU."""
import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from cuda_graph import recorded

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not mv.cuda_available(), reason="needs CuPy and a GPU")]

CASES = [((3, 4, 11, 10), (6, 2, 3, 4), (2, 1), (1, 2), (1, 2), 2),
         ((2, 1, 28, 28), (8, 1, 4, 4), 2, 1, 1, 1),
         ((2, 8, 7, 7), (4, 8, 3, 3), 1, 1, 2, 1)]


def _run(device, x, w, b, wt, stride, padding, dilation, groups, seed=0):
    xs = [mv.tensor(a, requires_grad=True, device=device) for a in (x, w, b, wt)]
    y = F.conv2d(xs[0], xs[1], xs[2], stride, padding, dilation, groups, activation="relu")
    z = F.conv_transpose2d(y, xs[3], None, stride, padding, 0, groups, dilation)
    r = np.random.default_rng(seed).standard_normal(z.shape).astype(x.dtype)
    (z * mv.tensor(r, device=device)).sum().backward()
    return [mv.backend.to_device(a, "cpu") for a in [y.data, z.data] + [t.grad.data for t in xs]]


@pytest.mark.parametrize("xshape, wshape, stride, padding, dilation, groups", CASES)
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-4), (np.float64, 1e-10)])
def test_the_gpu_kernels_agree_with_the_cpu_and_the_reference(xshape, wshape, stride, padding, dilation, groups,
                                                              dtype, rtol):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xshape).astype(dtype)
    w, b = (rng.standard_normal(wshape) / 3).astype(dtype), rng.standard_normal(wshape[0]).astype(dtype)
    wt = (rng.standard_normal((wshape[0], xshape[1] // groups) + wshape[2:]) / 3).astype(dtype)
    args = (x, w, b, wt, stride, padding, dilation, groups)
    cpu = _run("cpu", *args)
    mv.set_kernels("reference")
    try:
        reference = _run("cuda", *args)
    finally:
        mv.set_kernels("fast")
    for got, want, ref in zip(_run("cuda", *args), cpu, reference):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol)


def test_a_convolution_recorded_in_a_cuda_graph_matches_eager():
    import cupy as cp
    rng = np.random.default_rng(2)
    x, w, gy = (cp.asarray(rng.standard_normal(s).astype(np.float32)) for s in ((4, 3, 12, 12), (5, 3, 3, 3),
                                                                                 (4, 5, 6, 6)))

    def run():
        xs, ws = mv.Tensor(x, requires_grad=True), mv.Tensor(w, requires_grad=True)
        y = F.conv2d(xs, ws, None, 2, 1)
        y.backward(mv.Tensor(gy))
        return y.data, xs.grad.data, ws.grad.data
    eager = [a.copy() for a in run()]
    graph, stream, replayed = recorded(run)
    graph.launch(stream)
    stream.synchronize()
    for got, want in zip(replayed, eager):
        np.testing.assert_allclose(cp.asnumpy(got), cp.asnumpy(want), rtol=1e-4, atol=1e-4)
