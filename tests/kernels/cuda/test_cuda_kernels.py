"""Each CUDA kernel against the CuPy reference path and the CPU result. Needs a GPU."""
import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from cuda_graph import recorded

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not mv.cuda_available(), reason="needs CuPy and a GPU")]


def run(fn, arrays, device, mode):
    """Outputs and input gradients of fn (weighted sum of its differentiable outputs)."""
    mv.set_kernels(mode)
    try:
        xs = [mv.tensor(a, requires_grad=True, dtype=a.dtype, device=device) for a in arrays]
        outs = fn(*xs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        rng = np.random.default_rng(0)
        total = None
        for y in outs:
            if y.requires_grad:
                w = mv.tensor(rng.standard_normal(y.shape).astype(y.dtype), device=device)
                total = (y * w).sum() if total is None else total + (y * w).sum()
        total.backward()
        return [y.numpy() for y in outs] + [x.grad.numpy() for x in xs if x.grad is not None]
    finally:
        mv.set_kernels("fast")


def agree(fn, arrays, rtol):
    gpu_fast = run(fn, arrays, "cuda", "fast")
    for other in (run(fn, arrays, "cuda", "reference"), run(fn, arrays, "cpu", "reference")):
        for a, b in zip(gpu_fast, other):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


DTYPES = [(np.float32, 2e-4), (np.float64, 1e-10)]


@pytest.mark.parametrize("dtype,rtol", DTYPES)
@pytest.mark.parametrize("act", ["identity", "relu", "tanh", "sigmoid", "leaky_relu"])
@pytest.mark.parametrize("shape", [(1, 3, 5), (37, 33, 65), (1024, 784, 400)])
def test_dense(dtype, rtol, act, shape):
    n, k, m = shape
    rng = np.random.default_rng(1)
    x, W, b = (rng.standard_normal(s).astype(dtype) for s in ((n, k), (k, m), (m,)))
    W /= np.sqrt(k)
    agree(lambda x, W, b: F.dense(x, W, b, act, 0.1), [x, W, b], rtol * 10)


@pytest.mark.parametrize("dtype,rtol", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (5, 33), (1024, 20)])
def test_reparameterize_kl(dtype, rtol, shape):
    rng = np.random.default_rng(2)
    mu, lv, eps = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    lv[0, 0] = 100.0   # clamped: finite outputs, zero gradient
    agree(F.reparameterize_kl, [mu, lv, eps], rtol)


@pytest.mark.parametrize("dtype,rtol", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (5, 33), (1024, 20)])
def test_the_reparameterizations_of_the_encoders_two_halves(dtype, rtol, shape):
    """mu and logvar split off one (n, 2d) array: read in place at its row stride, their
    gradients written as the halves of one array and joined without a copy."""
    rng = np.random.default_rng(2)
    n, d = shape
    h, eps, eps3 = (rng.standard_normal(s).astype(dtype) for s in ((n, 2 * d), (n, d), (3, n, d)))
    agree(lambda h, eps: F.reparameterize_kl(*F.split(h, 2, axis=-1), eps), [h, eps], rtol)
    agree(lambda h, eps: F.reparameterize_log_ratio(*F.split(h, 2, axis=-1), eps), [h, eps3], rtol * 10)


@pytest.mark.parametrize("dtype,rtol", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 5, 33), (5, 128, 50)])
def test_reparameterize_log_ratio(dtype, rtol, shape):
    rng = np.random.default_rng(3)
    eps = rng.standard_normal(shape).astype(dtype)
    mu, lv = (rng.standard_normal(shape[1:]).astype(dtype) for _ in range(2))
    lv[0, 0] = 100.0
    agree(F.reparameterize_log_ratio, [mu, lv, eps], rtol * 10)


@pytest.mark.parametrize("dtype,rtol", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (128, 50), (3, 5000)])
def test_iwae_bound(dtype, rtol, shape):
    logw = np.random.default_rng(3).standard_normal(shape).astype(dtype) * 5 + 1000
    agree(F.iwae_bound, [logw], rtol)


def test_iwae_minus_inf_row():
    logw = mv.tensor([[-np.inf, -np.inf], [0.0, -np.inf]], device="cuda")
    bound, w = F.iwae_bound(logw)
    assert bound.numpy()[0] == -np.inf and np.all(w.numpy()[0] == 0)
    np.testing.assert_allclose(w.numpy()[1], [1.0, 0.0])


@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_bce_with_logits(dtype, rtol):
    rng = np.random.default_rng(4)
    l = (rng.standard_normal((64, 784)) * 10).astype(dtype)
    l[0, :4] = [1e4, -1e4, 1e4, -1e4]
    t = (rng.random((64, 784)) < 0.3).astype(dtype)
    agree(lambda l, t: F.bce_with_logits(l, t, "none"), [l, t], rtol)


@pytest.mark.parametrize("dtype,rtol", DTYPES)
@pytest.mark.parametrize("reduction", ["sum", "mean", "rows"])
@pytest.mark.parametrize("shape", [(1, 1), (64, 784), (3000, 784)])
def test_bce_with_logits_reduced_in_its_kernel(dtype, rtol, reduction, shape):
    """A sum or mean added up by the kernel's last block (3000 x 784: the grid's 8,192
    blocks each loop), the rows by CuPy; the backward scaled in one kernel."""
    rng = np.random.default_rng(5)
    l = (rng.standard_normal(shape) * 3).astype(dtype)
    t = (rng.random(shape) < 0.3).astype(dtype)
    agree(lambda l, t: F.bce_with_logits(l, t, reduction), [l, t], rtol * 10)


@pytest.mark.parametrize("dtype,rtol", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (37, 65), (4096, 784)])
def test_gaussian_nll_rows(dtype, rtol, shape):
    """A learned log-variance per dimension (its column sums added by the last block) and a
    fixed one."""
    rng = np.random.default_rng(8)
    x, mean = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    lv = (rng.standard_normal(shape[1]) * 0.5).astype(dtype)
    agree(lambda x, m, lv: F.gaussian_nll(x, m, lv, "rows"), [x, mean, lv], rtol * 10)
    agree(lambda x, m: F.gaussian_nll(x, m, 0.3, "rows"), [x, mean], rtol * 10)


def test_the_bias_gradient_is_the_same_on_every_run():
    """Its column sums are added in block order by the last block, not by atomics."""
    rng = np.random.default_rng(6)
    x, W, b = (rng.standard_normal(s).astype(np.float32) for s in ((4096, 50), (50, 400), (400,)))
    grads = []
    for _ in range(3):
        bt = mv.tensor(b, requires_grad=True, device="cuda")
        F.dense(mv.tensor(x, device="cuda"), mv.tensor(W, device="cuda"), bt, "tanh").sum().backward()
        grads.append(bt.grad.numpy())
    assert all(np.array_equal(grads[0], g) for g in grads[1:])


def test_a_dense_layer_writes_its_gradients_into_the_slots_offered():
    import cupy as cp
    rng = np.random.default_rng(7)
    x = mv.tensor(rng.standard_normal((300, 70)).astype(np.float32), device="cuda")
    W = mv.tensor(rng.standard_normal((70, 40)).astype(np.float32), requires_grad=True, device="cuda")
    b = mv.tensor(rng.standard_normal(40).astype(np.float32), requires_grad=True, device="cuda")
    W.grad_slot, b.grad_slot = cp.full((70, 40), cp.nan, cp.float32), cp.full(40, cp.nan, cp.float32)
    F.dense(x, W, b, "relu").sum().backward()
    assert W.grad.data is W.grad_slot and b.grad.data is b.grad_slot
    Wc, bc = (mv.tensor(t.numpy(), requires_grad=True) for t in (W, b))
    F.dense(mv.tensor(x.numpy()), Wc, bc, "relu").sum().backward()
    np.testing.assert_allclose(W.grad.numpy(), Wc.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.grad.numpy(), bc.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_adam(dtype, rtol, amsgrad):
    rng = np.random.default_rng(5)
    p0, g = rng.standard_normal(10001).astype(dtype), rng.standard_normal(10001).astype(dtype)
    results = []
    for device, mode in (("cuda", "fast"), ("cpu", "reference")):
        mv.set_kernels(mode)
        p = mv.nn.Parameter(mv.tensor(p0, dtype=dtype, device=device).data)
        opt = mv.optim.Adam([p], lr=1e-2, weight_decay=0.01, amsgrad=amsgrad)
        for scale in (3.0, 1.0, 0.1):   # shrinking gradients: AMSGrad's v_max matters
            p.grad = mv.tensor(g * scale, device=device)
            opt.step()
        results.append(p.numpy())
    mv.set_kernels("fast")
    np.testing.assert_allclose(results[0], results[1], rtol=rtol * 10, atol=rtol)


@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_edge_values_match_the_cpu(dtype, rtol):
    """The edge cases of the hardening issue, on the GPU kernels: the clamp's bounds, a
    negative leaky slope, +inf log-weights, infinite logits."""
    lv = np.array([[-30.0, 30.0, 0.5]], dtype)
    agree(F.reparameterize_kl, [np.zeros_like(lv), lv, np.ones_like(lv)], rtol)
    rng = np.random.default_rng(7)
    x, W, b = rng.standard_normal((9, 4)).astype(dtype), rng.standard_normal((4, 3)).astype(dtype), np.zeros(3, dtype)
    agree(lambda x, W, b: F.dense(x, W, b, "leaky_relu", -0.5), [x, W, b], rtol * 10)
    logw = np.array([[np.inf, 0.0, np.inf], [0.0, 1.0, 2.0]], dtype)
    agree(F.iwae_bound, [logw], rtol)
    agree(lambda l, t: F.bce_with_logits(l, t, "none"),
          [np.array([[np.inf, -np.inf, 2.0]], dtype), np.array([[0.0, 1.0, 0.5]], dtype)], rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_epilogue_keeps_both_tails(dtype):
    from scipy.special import expit
    x = np.linspace(-80.0, 30.0, 221).astype(dtype)[:, None]
    y = F.dense(mv.tensor(x, device="cuda"), mv.tensor(np.eye(1, dtype=dtype), device="cuda"),
                None, "sigmoid").numpy()
    np.testing.assert_allclose(y, expit(x.astype(np.float64)), rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_vae_step_on_gpu_matches_cpu():
    from minivae.models import VAE
    x = (np.random.default_rng(6).random((64, 784)) < 0.3).astype(np.float32)
    losses = []
    for device in ("cpu", "cuda"):
        mv.manual_seed(0)
        model = VAE(784, 20, hidden=(400,), activation="relu", likelihood="bernoulli")
        model.generator = mv.backend.Generator(0, "cpu")
        model.to(device)
        eps = model.generator.normal((64, 20))
        model.generator = type("Fixed", (), {"normal": staticmethod(
            lambda shape, dtype=np.float32: mv.backend.to_device(eps.astype(dtype), device))})()
        opt = mv.optim.Adam(model.parameters())
        for _ in range(3):
            loss, _ = model.loss(mv.tensor(x, device=device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss.item())
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)


def _host_adam(p, grads, lr=1e-2, b1=0.9, b2=0.999, eps=1e-8):
    m = v = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p


def test_adam_with_its_step_count_on_the_device():
    import cupy as cp
    from minivae.kernels.cuda.adam import step_counted
    rng = np.random.default_rng(8)
    p0, grads = rng.standard_normal(1001), [rng.standard_normal(1001) for _ in range(3)]
    p, m, v, step = cp.asarray(p0), cp.zeros(1001), cp.zeros(1001), cp.zeros(1, cp.uint64)
    for g in grads:
        step_counted(p, cp.asarray(g), m, v, 1e-2, 0.9, 0.999, 1e-8, 0.0, step)
    assert int(step[0]) == 3
    np.testing.assert_allclose(cp.asnumpy(p), _host_adam(p0, grads), rtol=1e-12)


def test_a_captured_step_draws_fresh_noise_and_counts_its_steps():
    """Philox noise as the gradient of an Adam step, both captured in one CUDA graph and
    replayed: each replay must draw the next offset's noise and apply the next step's bias
    corrections, as the same launches made eagerly do."""
    import cupy as cp
    from minivae.kernels.cuda.adam import step_counted
    from minivae.kernels.cuda.philox import normal
    from minivae.philox import Philox
    p0 = np.random.default_rng(9).standard_normal(300)
    p, m, v = cp.asarray(p0), cp.zeros(300), cp.zeros(300)
    step, offset = cp.zeros(1, cp.uint64), cp.zeros(1, cp.uint64)
    normal((300,), 1, cp.zeros(1, cp.uint64), np.float64)                    # load the module outside the capture
    graph, stream, _ = recorded(lambda: step_counted(p, normal((300,), 1, offset, np.float64), m, v, 1e-2, 0.9,
                                                     0.999, 1e-8, 0.0, step))
    for _ in range(3):
        graph.launch(stream)
    stream.synchronize()
    host = Philox(seed=1)
    expected = _host_adam(p0, [host.normal(300, dtype=np.float64) for _ in range(3)])
    assert int(step[0]) == 3 and int(offset[0]) == 3
    np.testing.assert_allclose(cp.asnumpy(p), expected, rtol=1e-10, atol=1e-12)


def test_a_gated_adam_step_changes_nothing_where_its_loss_is_not_finite():
    import cupy as cp
    from minivae.kernels.cuda.adam import step_counted
    rng = np.random.default_rng(10)
    p0, grads = rng.standard_normal(257), [rng.standard_normal(257) for _ in range(3)]
    p, m, v, step = cp.asarray(p0), cp.zeros(257), cp.zeros(257), cp.zeros(1, cp.uint64)
    losses = [1.0, float("nan"), 2.0]
    grad, gate = cp.zeros(257), cp.zeros((), cp.float64)
    graph, stream, _ = recorded(lambda: step_counted(p, grad, m, v, 1e-2, 0.9, 0.999, 1e-8, 0.0, step, gate=gate))
    for g, loss in zip(grads, losses):
        grad[...] = cp.asarray(g)
        gate[...] = loss
        graph.launch(stream)
    stream.synchronize()
    assert int(step[0]) == 2   # the NaN step neither counted nor moved p, m, v
    np.testing.assert_allclose(cp.asnumpy(p), _host_adam(p0, [grads[0], grads[2]]), rtol=1e-12)


@pytest.mark.parametrize("m, n, k", [(400, 20, 16384), (32, 9, 25088), (3, 5, 700)])
def test_split_k_gemm_matches_cublas(m, n, k):
    import cupy as cp
    from minivae.kernels.cuda.gemm import gemm, split_k, tile
    sms = cp.cuda.Device().attributes["MultiProcessorCount"]
    bm, bn, threads = tile(m, n, np.float64, sms)
    assert split_k(-(-m // bm) * -(-n // bn), threads // 32, k, sms)[0] > 1
    rng = np.random.default_rng(11)
    a, b = cp.asarray(rng.standard_normal((k, m))), cp.asarray(rng.standard_normal((k, n)))
    bias = cp.asarray(rng.standard_normal(n))
    got = gemm(a, b, trans_a=True, bias=bias, activation="relu")
    np.testing.assert_allclose(cp.asnumpy(got), cp.asnumpy(cp.maximum(a.T @ b + bias, 0)), rtol=1e-10, atol=1e-9)


def test_a_gemm_with_more_row_tiles_than_grid_y_allows():
    import cupy as cp
    from minivae.kernels.cuda.gemm import gemm
    a, b = cp.ones((65536 * 64 + 5, 2), cp.float32), cp.full((2, 3), 0.5, cp.float32)
    out = gemm(a, b)
    assert float(out.min()) == float(out.max()) == 1.0


def test_empty_inputs_launch_nothing_and_give_empty_results():
    import cupy as cp
    e = mv.tensor(np.zeros((0, 4), np.float32), device="cuda", requires_grad=True)
    W = mv.tensor(np.ones((4, 3), np.float32), device="cuda", requires_grad=True)
    y = F.dense(e, W, activation="tanh")
    y.sum().backward()
    assert y.shape == (0, 3) and float(cp.abs(W.grad.data).max()) == 0.0
    z, kl = F.reparameterize_kl(e, e, cp.zeros((0, 4), cp.float32))
    assert z.shape == (0, 4) and kl.shape == (0,)


def test_a_model_moved_to_the_gpu_draws_its_noise_there():
    from minivae.models import create
    model = create("vae", x_dim=3, z_dim=2, hidden=[4]).to("cuda")
    assert model.generator.device == "cuda"
    assert mv.backend.device_of(model.generator.normal((2, 2))) == "cuda"
