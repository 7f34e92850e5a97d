import numpy as np

import minivae as mv
from minivae.models import ContractiveAutoencoder
from minivae.testing import gradcheck


def _finite_difference_jacobian_norm(model, x, h=1e-3):
    out = np.zeros(len(x))
    with mv.no_grad():
        for i in range(x.shape[1]):
            plus, minus = x.copy(), x.copy()
            plus[:, i] += h
            minus[:, i] -= h
            d = (model.encode(mv.tensor(plus, dtype=np.float64)).numpy()
                 - model.encode(mv.tensor(minus, dtype=np.float64)).numpy()) / (2 * h)
            out += (d ** 2).sum(1)
    return out


def _model64(hidden=()):
    mv.manual_seed(0)
    model = ContractiveAutoencoder(5, 3, hidden=hidden)
    for p in model.parameters():
        p.data = p.data.astype(np.float64) * 2
    return model


def test_penalty_equals_finite_difference_jacobian():
    x = np.random.default_rng(0).standard_normal((4, 5))
    for hidden in ((), (6,)):
        model = _model64(hidden)
        penalty = model.jacobian_penalty(mv.tensor(x, dtype=np.float64)).numpy()
        np.testing.assert_allclose(penalty, _finite_difference_jacobian_norm(model, x), rtol=1e-5)


def test_closed_form_for_one_sigmoid_layer():
    x = mv.tensor(np.random.default_rng(1).standard_normal((4, 5)), dtype=np.float64)
    model = _model64()
    np.testing.assert_allclose(model.jacobian_penalty(x).numpy(), model.closed_form_penalty(x).numpy(), rtol=1e-10)


def test_penalty_gradient_through_double_backward():
    model = _model64()
    layer = model.encoder[0]
    x = mv.tensor(np.random.default_rng(2).standard_normal((3, 5)), dtype=np.float64)

    def _closed(w):
        import minivae.functional as F
        z = F.sigmoid(x @ w + layer.bias)
        s = z * (1.0 - z)
        return (s * s * (w * w).sum(0)).sum()

    w0 = layer.weight.numpy().copy()
    assert gradcheck(_closed, w0)
    w = mv.tensor(w0, requires_grad=True, dtype=np.float64)
    layer.weight = mv.nn.Parameter(w0.copy())
    loss = model.jacobian_penalty(x).sum()
    loss.backward()
    (g,) = mv.grad(_closed(w), w)
    np.testing.assert_allclose(layer.weight.grad.numpy(), g.numpy(), rtol=1e-8)


def test_contractive_autoencoder_lowers_its_loss_and_its_contraction():
    from minivae.data import ring
    from training import mean_loss, train
    mv.manual_seed(0)
    x = ring(2000)
    model = ContractiveAutoencoder(2, 4, hidden=(), lam=0.5)
    before = mean_loss(model, x)
    train(model, x, steps=400, lr=1e-2)
    assert mean_loss(model, x) < before
    strong = train(ContractiveAutoencoder(2, 4, hidden=(), lam=5.0), x, steps=400, lr=1e-2)
    xt = mv.tensor(x[:200])
    assert strong.jacobian_penalty(xt).numpy().mean() < model.jacobian_penalty(xt).numpy().mean()


def _finite_difference_decoder_jacobian_norm(model, z, h=1e-4):
    g = lambda v: model.data_mean(model.decode(mv.tensor(v, dtype=np.float64))).numpy()
    out = np.zeros(len(z))
    with mv.no_grad():
        for k in range(z.shape[1]):
            plus, minus = z.copy(), z.copy()
            plus[:, k] += h
            minus[:, k] -= h
            out += (((g(plus) - g(minus)) / (2 * h)) ** 2).sum(1)
    return out


def test_decoder_penalty_equals_finite_difference_jacobian():
    z = np.random.default_rng(3).standard_normal((4, 3))
    for hidden, likelihood in (((), "gaussian"), ((6,), "bernoulli")):
        mv.manual_seed(0)
        model = ContractiveAutoencoder(5, 3, hidden=hidden, likelihood=likelihood, jacobian="decoder")
        for p in model.parameters():
            p.data = p.data.astype(np.float64) * 2
        penalty = model.decoder_jacobian_penalty(mv.tensor(z, dtype=np.float64)).numpy()
        np.testing.assert_allclose(penalty, _finite_difference_decoder_jacobian_norm(model, z), rtol=1e-6)


def test_decoder_penalty_gradient_matches_finite_differences():
    mv.manual_seed(1)
    model = ContractiveAutoencoder(4, 2, hidden=(3,), jacobian="decoder")
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    x = mv.tensor(np.random.default_rng(4).standard_normal((5, 4)), dtype=np.float64)
    model.zero_grad()
    model.decoder_jacobian_penalty(model.encode(x)).sum().backward()
    for p in (model.encoder[0].weight, model.decoder[0].weight):
        analytic, h = p.grad.numpy().copy(), 1e-6
        numeric = np.zeros_like(analytic)
        for i in np.ndindex(analytic.shape):
            value = p.data[i]
            with mv.no_grad():
                p.data[i] = value + h
                up = model.decoder_jacobian_penalty(model.encode(x)).numpy().sum()
                p.data[i] = value - h
                down = model.decoder_jacobian_penalty(model.encode(x)).numpy().sum()
            p.data[i] = value
            numeric[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)


def test_the_decoder_penalty_flattens_the_decoder_where_the_encoder_penalty_does_not():
    from minivae.data import ring
    from training import train
    x = ring(2000)
    models = {}
    for jacobian in ("encoder", "decoder"):
        mv.manual_seed(0)
        models[jacobian] = train(ContractiveAutoencoder(2, 4, hidden=(), lam=0.5, jacobian=jacobian), x, steps=400,
                                 lr=1e-2)
    xt = mv.tensor(x[:200])
    flatness = {k: m.decoder_jacobian_penalty(m.encode(xt)).numpy().mean() for k, m in models.items()}
    contraction = {k: m.jacobian_penalty(xt).numpy().mean() for k, m in models.items()}
    assert flatness["decoder"] < 0.5 * flatness["encoder"], flatness
    assert contraction["encoder"] < contraction["decoder"], contraction


def test_jacobian_must_name_a_network():
    import pytest
    with pytest.raises(ValueError, match="jacobian must be"):
        ContractiveAutoencoder(4, 2, jacobian="code")


def test_tangents_are_the_leading_singular_vectors_of_the_codes_jacobian():
    """Rifai et al.'s tangents: the closed form of a one-layer sigmoid encoder agrees with
    the Jacobian built a row at a time by backward passes, and with finite differences."""
    mv.manual_seed(0)
    model = ContractiveAutoencoder(12, 5, lam=0.1)
    x = np.random.default_rng(0).random(12).astype(np.float32)
    vectors, values = model.tangents(x, 3)
    model.one_sigmoid_layer = False
    rows, row_values = model.tangents(x, 3)
    np.testing.assert_allclose(values, row_values, rtol=1e-4)
    np.testing.assert_allclose(np.abs((vectors * rows).sum(1)), 1.0, atol=1e-4)   # each up to its sign
    h = 1e-3
    codes = lambda a: model.encode(mv.tensor(a[None].astype(np.float32))).numpy()[0].astype(np.float64)
    J = np.stack([(codes(x + h * e) - codes(x - h * e)) / (2 * h) for e in np.eye(12)], 1)
    np.testing.assert_allclose(np.linalg.svd(J, compute_uv=False)[:3], values, rtol=2e-2)
