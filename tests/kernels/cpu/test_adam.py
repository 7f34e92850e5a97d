import numpy as np
from hypothesis import given, strategies as st

import minivae as mv
from minivae import nn, optim


def _run(mode, p0, grads, dtype, **kw):
    mv.set_kernels(mode)
    try:
        p = nn.Parameter(p0.astype(dtype))
        opt = optim.Adam([p], lr=1e-2, **kw)
        for g in grads:
            p.grad = mv.tensor(g.astype(dtype))
            opt.step()
        state = opt.state[0]
        return (p.numpy(), state["m"], state["v"]) + ((state["v_max"],) if "v_max" in state else ())
    finally:
        mv.set_kernels("fast")


@given(st.integers(1, 300), st.sampled_from([np.float32, np.float64]), st.sampled_from([0.0, 0.1]),
       st.booleans(), st.integers(0, 100))
def test_fused_adam_matches_reference(n, dtype, wd, amsgrad, seed):
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(n)
    grads = [rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3) for _ in range(4)]
    fast = _run("fast", p0, grads, dtype, weight_decay=wd, amsgrad=amsgrad)
    ref = _run("reference", p0, grads, dtype, weight_decay=wd, amsgrad=amsgrad)
    assert len(fast) == len(ref) == (4 if amsgrad else 3)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(fast, ref):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2)


def test_fused_adam_two_dimensional_parameters():
    rng = np.random.default_rng(0)
    params = [nn.Parameter(rng.standard_normal((3, 4)).astype(np.float32)) for _ in range(2)]
    ref = [p.numpy().copy() for p in params]
    opt = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = mv.tensor(np.ones((3, 4), np.float32))
    opt.step()
    for p, r in zip(params, ref):   # first step moves every coordinate by lr * sign(g)
        np.testing.assert_allclose(p.numpy(), r - 0.1, rtol=1e-5)


def test_non_contiguous_parameter_uses_reference_path():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected = base.T - 0.5
    p = nn.Parameter(base.T)   # a transposed view: the flat kernel must not touch it
    opt = optim.Adam([p], lr=0.5)
    p.grad = mv.tensor(np.ones((4, 3), np.float32))
    opt.step()
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-6)
