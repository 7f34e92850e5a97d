"""Every CUDA kernel wrapper (kernels/cuda/*.py) launched against the .cu sources' signatures on
the CPU (tests/fake_cupy.py): argument types of the exact C width, C-contiguous arrays of
the kernel's dtype, no zero-size grid for empty inputs, no cuBLAS inside a capture. Runs
without a GPU; the kernels' results are tested where there is one (the cuda-marked tests)."""
import types

import numpy as np
import pytest
from fake_cupy import forget_kernels, install, signatures

DTYPES = [np.float32, np.float64]


@pytest.fixture
def fake(monkeypatch):
    cp = install(monkeypatch)
    yield cp
    forget_kernels()


def _kernels():
    from minivae.kernels.cuda import adam, bce, conv, dense, gaussian_nll, gemm, iwae, philox, reparameterize_kl, \
        reparameterize_log_ratio
    return types.SimpleNamespace(adam=adam, bce=bce, conv=conv, dense=dense, gaussian_nll=gaussian_nll, gemm=gemm,
                                 iwae=iwae, philox=philox, rkl=reparameterize_kl, rlr=reparameterize_log_ratio)


def _rand(*shape, dtype=np.float32):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


def test_the_module_compiles_every_kernel_the_sources_define(fake):
    """The names are read from the sources, not listed: every __global__ kernel there is
    asked for (the templated ones per dtype, the GEMMs per variant), and the one module holds
    common.cuh once and each subject's file without its include."""
    from minivae.kernels.cuda import module
    defined = signatures()
    assert {"dense_bias_act", "iwae_weights", "adam_step_counted", "im2col", "philox_normal"} <= set(module.KERNELS)
    gemms = {"gemm_bias_act", "gemm_tf32_bias_act"}
    assert set(module.KERNELS) | set(module.PLAIN) | gemms == set(defined)
    module._module()
    (compiled,) = fake.modules
    assert "-std=c++17" in compiled.options   # NVRTC of CUDA 13 drops C++14
    assert {name.partition("<")[0] for name in compiled.names} == set(module.KERNELS) | gemms
    code = module.source()
    assert code.count("#define MINIVAE_COMMON_CUH") == 1 and '#include "common.cuh"' not in code


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("capturing", [False, True])
@pytest.mark.parametrize("n", [0, 1, 37])
def test_dense_launches(fake, dtype, capturing, n):
    k = _kernels()
    x, W, b = _rand(n, 5, dtype=dtype), _rand(5, 3, dtype=dtype), _rand(3, dtype=dtype)
    k.dense.backward(x, W, k.dense.forward(x, W, b, "tanh"), _rand(n, 3, dtype=dtype), "tanh")   # eagerly first
    fake.capturing = capturing
    y = k.dense.forward(x, W, b, "tanh")
    assert y.shape == (n, 3) and y.dtype == dtype
    dx, dw, db = k.dense.backward(x, W, y, _rand(n, 3, dtype=dtype), "tanh")
    assert dx.shape == (n, 5) and dw.shape == (5, 3) and db.shape == (3,)
    if n == 0:   # nothing over the rows to compute; every launch had a grid
        assert "dense_act_grad_bias" not in [launch.name for launch in fake.launches]


@pytest.mark.parametrize("m, n, k", [(0, 4, 3), (4, 0, 3), (4, 3, 0), (65, 130, 17), (400, 20, 16384),
                                     (32, 9, 25088), (5_000_000, 2, 3), (9, 4_200_000, 2)])
@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (False, True), (True, False)])
def test_gemm_launches(fake, m, n, k, trans_a, trans_b):
    from minivae.kernels.cuda.gemm import gemm
    big = m * k > 10 ** 7
    a = np.empty((k, m) if trans_a else (m, k), np.float32) if big else _rand(*((k, m) if trans_a else (m, k)))
    b = _rand(*((n, k) if trans_b else (k, n)))
    for tf32 in (False, True):
        out = gemm(a, b, trans_a, trans_b, bias=_rand(n), activation="relu", tf32=tf32)
        assert out.shape == (m, n)
    if m and n:   # every tile on grid.x: 5M rows, or a convolution's N oh ow columns (4.2M: 65,625 tiles of 64,
        # over grid.y's 65,535), launch
        fp32, tf32 = fake.launches[0], fake.launches[-2 if fake.launches[-1].name == "gemm_split_k_sum" else -1]
        bm, bn = (int(v) for v in fp32_tile(fp32))
        assert fp32.grid[:2] == (-(-m // bm) * -(-n // bn), 1) and fp32.block == (bm * bn // 64,)
        assert tf32.name == "gemm_tf32_bias_act" and tf32.grid[:2] == (-(-m // 128) * -(-n // 128), 1)
        assert tf32.block == (128,)


def fp32_tile(launch):
    """(BM, BN) of a recorded gemm_bias_act launch, read back from its block size and grid."""
    from minivae.kernels.cuda.module import GEMM_TILES
    (m, n) = int(launch.args[4]), int(launch.args[5])
    found = [t for t in GEMM_TILES if t[0] * t[1] // 64 == launch.block[0]
             and -(-m // t[0]) * -(-n // t[1]) == launch.grid[0]]
    assert len(found) == 1, (launch, found)
    return found[0]


@pytest.mark.parametrize("m, n, want", [(4096, 784, (128, 128)), (4096, 400, (128, 64)), (1024, 400, (64, 64)),
                                        (128, 784, (64, 64)), (400, 784, (64, 64))])
def test_the_fp32_gemm_takes_the_biggest_tile_that_still_fills_the_gpu(fake, m, n, want):
    """132 multiprocessors: (4096, 784) has 32 x 7 tiles of 128 x 128; (4096, 400) only 32 x 4
    of them but 32 x 7 of 128 x 64; float64 is 64 x 64 always."""
    from minivae.kernels.cuda.gemm import tile
    assert tile(m, n, np.float32, 132)[:2] == want
    assert tile(m, n, np.float64, 132)[:2] == (64, 64)


def test_a_block_over_the_kernels_launch_bounds_is_refused(fake):
    from minivae.kernels.cuda.module import _module
    y = np.zeros((4, 4), np.float32)
    launch = _module().get_function("gemm_bias_act<float, false, false, 64, 64>")
    with pytest.raises(AssertionError, match="over its __launch_bounds__ of 64"):
        launch((1,), (256,), (y, y, y[0].copy(), y, *(np.int32(4),) * 6, np.int32(0), np.int32(0), np.float32(0)))


def test_block_tickets_are_made_eagerly_and_a_capture_that_needs_new_ones_is_refused(fake):
    """Kernels that find their last block (the bias gradient's column sums, a summed BCE)
    share tickets left at 0; their zero fill must run before any capture that uses them."""
    from minivae.kernels.cuda.module import tickets
    first = tickets(3)
    assert first.dtype == np.uint32 and first.size >= 3 and not first.any()
    assert tickets(2) is first
    fake.capturing = True
    assert tickets(3) is first   # made already: fine inside a capture
    with pytest.raises(RuntimeError, match="run the step once eagerly"):
        tickets(first.size + 1)


def test_gemm_refuses_tf32_below_sm80(monkeypatch):
    install(monkeypatch, compute_capability="75")
    try:
        from minivae.kernels.cuda.gemm import gemm
        with pytest.raises(ValueError, match="TF32 needs a GPU of compute capability 8.0"):
            gemm(_rand(3, 4), _rand(4, 2), tf32=True)
        assert gemm(_rand(3, 4), _rand(4, 2)).shape == (3, 2)   # fp32 is fine there
    finally:
        forget_kernels()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 3])
def test_elementwise_and_row_kernels_launch(fake, dtype, n):
    k = _kernels()
    mu, lv, eps = _rand(n, 4, dtype=dtype), _rand(n, 4, dtype=dtype), _rand(n, 4, dtype=dtype)
    z, kl = k.rkl.forward(mu, lv, eps, -30.0, 20.0)
    assert z.shape == (n, 4) and kl.shape == (n,)
    gmu, glv = k.rkl.backward(mu, lv, eps, _rand(n, 4, dtype=dtype), _rand(n, dtype=dtype), -30.0, 20.0)
    assert gmu.shape == glv.shape == (n, 4)
    eps3 = _rand(2, n, 4, dtype=dtype)
    z, r = k.rlr.forward(mu, lv, eps3, -30.0, 20.0)
    assert z.shape == (2, n, 4) and r.shape == (2, n)
    gmu, glv = k.rlr.backward(mu, lv, eps3, _rand(2, n, 4, dtype=dtype), _rand(2, n, dtype=dtype), -30.0, 20.0)
    assert gmu.shape == glv.shape == (n, 4)
    out, weights = k.iwae.forward(_rand(n, 5, dtype=dtype))
    assert out.shape == (n,) and weights.shape == (n, 5)
    loss, grad = k.bce.forward(_rand(n, 6, dtype=dtype), _rand(n, 6, dtype=dtype), total=True)
    assert grad.shape == (n, 6)
    for draw in (k.philox.normal, k.philox.uniform):
        assert draw((n, 3), 7, np.zeros(1, np.uint64), dtype).shape == (n, 3)


def test_iwae_weights_of_no_samples_are_refused(fake):
    k = _kernels()
    with pytest.raises(ValueError, match="k = 0"):
        k.iwae.forward(np.zeros((3, 0), np.float32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [0, 10])
def test_adam_launches(fake, dtype, size):
    k = _kernels()
    p, g, m, v = (_rand(size, dtype=dtype) for _ in range(4))
    k.adam.step(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 3)
    k.adam.step(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 3, v_max=_rand(size, dtype=dtype))
    step = np.zeros(1, np.uint64)
    k.adam.step_counted(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, step)
    k.adam.step_counted(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, step, gate=np.asarray(dtype(1.5)))
    counted = [launch for launch in fake.launches if launch.name == "adam_step_counted"]
    assert [launch.args[-1] for launch in counted] == ([np.int32(0), np.int32(1)] if size else [])
    assert [launch.args[-1] for launch in fake.launches if launch.name == "advance_step"] == [0, 1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("capturing", [False, True])
def test_conv_launches(fake, dtype, capturing):
    k = _kernels()
    fake.capturing = capturing
    x, w = _rand(2, 4, 9, 8, dtype=dtype), _rand(6, 2, 3, 3, dtype=dtype)
    geometry = ((3, 3), (1, 1), (1, 1), (1, 1))
    y, cols = k.conv.forward(x, w, *geometry, (9, 8), 2)
    assert y.shape == (2, 6, 9, 8)
    assert k.conv.data_grad(y, w, *geometry, x.shape, 2).shape == x.shape
    assert k.conv.weight_grad(x, y, *geometry, 2, rows=cols).shape == w.shape


def test_the_checker_catches_a_python_int_where_the_kernel_takes_an_int(fake):
    from minivae.kernels.cuda.module import kernel
    y = np.zeros((2, 3), np.float32)
    launch = kernel("dense_bias_act", np.float32)
    with pytest.raises(AssertionError, match="int 6 for a long long"):
        launch((1,), (32,), (y, y[0].copy(), 6, np.int32(3), np.int32(0), np.float32(0)))
    with pytest.raises(AssertionError, match="not C-contiguous"):
        launch((1,), (32,), (y.T, y[0].copy(), np.int64(6), np.int32(3), np.int32(0), np.float32(0)))
    with pytest.raises(AssertionError, match="zero-size"):
        launch((0,), (32,), (y, y[0].copy(), np.int64(6), np.int32(3), np.int32(0), np.float32(0)))
    fake.capturing = True
    with pytest.raises(AssertionError, match="cuBLAS"):
        fake.matmul(y, y.T)


@pytest.mark.parametrize("tiles, warps, k", [(7, 2, 16384), (1, 2, 25088), (1, 8, 600), (1, 2, 511),
                                             (1024, 2, 100000), (1, 2, 10 ** 6), (91, 2, 4096), (224, 4, 784),
                                             (112, 2, 784)])
def test_split_k_fills_the_gpu_with_bounded_slices(fake, tiles, warps, k):
    from minivae.kernels.cuda.gemm import WARPS_PER_SM, split_k
    sms = 132
    target = WARPS_PER_SM * sms
    slices, chunk = split_k(tiles, warps, k, sms)
    assert chunk % 16 == 0 or slices == 1
    assert (slices - 1) * chunk < k <= slices * chunk   # every slice has work, all of K is covered
    if tiles >= sms or tiles * warps >= target or k < 512:
        assert slices == 1
    else:
        assert slices > 1 and chunk >= 256 and slices * tiles * warps < target + tiles * warps   # a small workspace
        assert slices * tiles * warps >= min(target, tiles * warps * (k // 256)) * 0.9


def test_a_weight_gradient_with_few_tiles_is_split_and_summed_in_a_second_launch(fake):
    from minivae.kernels.cuda.gemm import gemm
    gemm(_rand(16384, 400), _rand(16384, 20), trans_a=True)   # dW of a 400 x 20 layer at batch 16384
    product, total = fake.launches
    assert product.grid[:2] == (7, 1) and product.grid[2] > 1 and total.name == "gemm_split_k_sum"
    assert total.args[0].shape == (product.grid[2], 400, 20)


def _ld(launch, name):
    from fake_cupy import signatures
    return int(launch.args[signatures()[launch.name][3].index(name)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_reparameterizations_read_the_encoders_halves_in_place_and_write_one_gradient(fake_device, dtype):
    """mu and logvar as the two halves of the encoder's (n, 2d) output: read at their row
    stride, not copied; d mu and d logvar written as the halves of one new (n, 2d) array,
    which the split's backward takes whole; a broadcast d kl read at stride 0."""
    from minivae import backend
    k = _kernels()
    h = fake_device.asarray(_rand(5, 8, dtype=dtype))
    mu, lv = h[:, :4], h[:, 4:]
    eps, eps3 = fake_device.asarray(_rand(5, 4, dtype=dtype)), fake_device.asarray(_rand(3, 5, 4, dtype=dtype))
    gz, gz3, gr = (fake_device.asarray(_rand(*s, dtype=dtype)) for s in ((5, 4), (3, 5, 4), (3, 5)))
    gkl = fake_device.broadcast_to(fake_device.asarray(np.ones((), dtype)), (5,))
    start = len(fake_device.nodes)
    k.rkl.forward(mu, lv, eps, -30.0, 20.0)
    grads = [k.rkl.backward(mu, lv, eps, gz, gkl, -30.0, 20.0)]
    k.rlr.forward(mu, lv, eps3, -30.0, 20.0)
    grads.append(k.rlr.backward(mu, lv, eps3, gz3, gr, -30.0, 20.0))
    assert [kind for kind, _ in fake_device.nodes[start:]] == ["own"] * 4   # no copy, no fill
    for launch in fake_device.launches[-4:]:
        assert _ld(launch, "mu_ld") == _ld(launch, "logvar_ld") == 8
    assert _ld(fake_device.launches[-3], "gkl_ld") == 0 and _ld(fake_device.launches[-3], "gmu_ld") == 8
    for gmu, glv in grads:
        assert backend.joined([gmu, glv], -1) is not None


def test_a_row_stride_that_does_not_match_the_array_is_refused(fake_device):
    from minivae.kernels.cuda.module import kernel
    h = fake_device.asarray(_rand(5, 8))
    z, kl = fake_device.empty((5, 4), np.float32), fake_device.empty(5, np.float32)
    launch = kernel("reparameterize_kl_forward", np.float32)
    args = lambda ld: (h[:, :4], h[:, 4:], z, z, kl, np.int32(5), np.int32(4), np.int32(ld), np.int32(8),
                       np.float32(-30), np.float32(20))
    launch((1,), (256,), args(8))
    with pytest.raises(AssertionError, match="with mu_ld = 4"):
        launch((1,), (256,), args(4))
    with pytest.raises(AssertionError, match="not C-contiguous"):   # eps has no stride parameter
        kernel("reparameterize_kl_forward", np.float32)((1,), (256,), (z, z, h[:, :4], z, kl, np.int32(5),
                                                                       np.int32(4), np.int32(4), np.int32(4),
                                                                       np.float32(-30), np.float32(20)))


@pytest.mark.parametrize("reduction_g, rows_cols", [((), (0, 0)), ((4, 1), (1, 0)), ((4, 6), (6, 1))])
def test_the_bce_backward_reads_its_incoming_gradient_as_a_number_a_row_or_an_element(fake_device, reduction_g, rows_cols):
    k = _kernels()
    grad = fake_device.asarray(_rand(4, 6))
    k.bce.backward(grad, fake_device.asarray(np.ones(reduction_g, np.float32)), 0.5)
    launch = fake_device.launches[-1]
    assert (_ld(launch, "g_rows"), _ld(launch, "g_cols")) == rows_cols


def test_a_bce_summed_per_row_is_one_launch(fake_device):
    k = _kernels()
    logits, target = fake_device.asarray(_rand(5, 70)), fake_device.asarray(np.ones((5, 70), np.float32))
    start = len(fake_device.nodes)
    rows, grad = k.bce.forward(logits, target, rows=True)
    assert rows.shape == (5,) and grad.shape == (5, 70)
    assert fake_device.nodes[start:] == [("own", "bce_with_logits_rows")]
    assert fake_device.launches[-1].grid == (1,)   # 8 rows a block of 256 threads: a warp a row


def test_a_summed_bce_is_one_launch_that_takes_a_ticket(fake_device):
    k = _kernels()
    logits, target = fake_device.asarray(_rand(4, 6)), fake_device.asarray(np.ones((4, 6), np.float32))
    k.bce.forward(logits, target, total=True)   # the first makes the stream's tickets (one fill)
    start = len(fake_device.nodes)
    loss, _ = k.bce.forward(logits, target, total=True)
    assert loss.shape == () and fake_device.nodes[start:] == [("own", "bce_with_logits")]
    assert _ld(fake_device.launches[-1], "store") == 0


def test_the_iwae_weights_read_transposed_log_weights_in_place(fake_device):
    """The bound takes (n, k) log-weights that are the transpose of sample-major (k, n) ones:
    read at strides (1, n), no copy; strides that do not match the array are refused."""
    from minivae.kernels.cuda.module import kernel
    k = _kernels()
    logw = fake_device.asarray(_rand(50, 20)).T   # (n, k) = (20, 50), strides (1, 20) in elements
    start = len(fake_device.nodes)
    out, weights = k.iwae.forward(logw)
    assert fake_device.nodes[start:] == [("own", "iwae_weights")] and weights.shape == (20, 50)
    assert (_ld(fake_device.launches[-1], "logw_rows"), _ld(fake_device.launches[-1], "logw_cols")) == (1, 20)
    with pytest.raises(AssertionError, match="logw_rows = 50, logw_cols = 1"):
        kernel("iwae_weights", np.float32)((20,), (64,), (logw, out, weights, np.int32(50), np.int32(50), np.int32(1),
                                                          np.float32(np.log(50))))


@pytest.mark.parametrize("learned", [True, False])
def test_the_gaussian_likelihood_is_one_launch_each_way(fake_device, learned):
    """A log-variance per dimension (lv_ld 1) or one broadcast value (lv_ld 0); d logvar's
    column sums taken (with their tickets) only where it is wanted."""
    k = _kernels()
    x, mean = fake_device.asarray(_rand(6, 40)), fake_device.asarray(_rand(6, 40))
    lv = (fake_device.asarray(_rand(40)) if learned else
          fake_device.broadcast_to(fake_device.full((1,), 0.3, np.float32), (40,)))
    g = fake_device.asarray(_rand(6))
    k.gaussian_nll.backward(x, mean, lv, g, learned)   # the first makes the stream's tickets
    start = len(fake_device.nodes)
    out = k.gaussian_nll.forward(x, mean, lv)
    gmean, glv = k.gaussian_nll.backward(x, mean, lv, g, learned)
    assert out.shape == (6,) and gmean.shape == (6, 40) and (glv is not None) == learned
    assert fake_device.nodes[start:] == [("own", "gaussian_nll_rows"), ("own", "gaussian_nll_rows_backward")]
    forward, backward = fake_device.launches[-2:]
    assert _ld(forward, "lv_ld") == _ld(backward, "lv_ld") == (1 if learned else 0)
    assert _ld(backward, "want_lv") == int(learned)
