import numpy as np
import pytest

import minivae as mv
import minivae.functional as F
from minivae.models import HoleFillingCVAE
from minivae.data import load_dataset


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_the_loss_is_the_hidden_parts_error_plus_the_kl_to_the_learned_prior():
    """-log P(Y|z,X) over the hole's pixels only, z ~ Q(z|Y,X), + KL(Q(z|Y,X) || P(z|X)),
    written out in NumPy from the model's own networks."""
    mv.manual_seed(0)
    model = HoleFillingCVAE(16, z_dim=2, hidden=(5,), hole=(2, 4, 1, 3))
    x = (np.random.default_rng(0).random((6, 16)) > 0.5).astype(np.float32)
    mv.manual_seed(1)
    loss, terms = model.loss(x)
    hidden = np.zeros((4, 4), bool)
    hidden[2:4, 1:3] = True
    hidden = hidden.ravel()
    with mv.no_grad():
        mu_q, lv_q = (t.numpy() for t in model.encode(mv.tensor(x)))
        mu_p, lv_p = (t.numpy() for t in model.prior_of(mv.tensor(x[:, ~hidden])))
        mv.manual_seed(1)
        eps = model.generator.normal(mu_q.shape)
        z = mu_q + np.exp(lv_q / 2) * np.asarray(eps)
        logits = model.generate(mv.tensor(z), mv.tensor(x[:, ~hidden])).numpy()
    y = x[:, hidden]
    p = _sigmoid(logits)
    recon = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(1).mean()
    kl = 0.5 * (lv_p - lv_q + (np.exp(lv_q) + (mu_q - mu_p) ** 2) / np.exp(lv_p) - 1).sum(1).mean()
    np.testing.assert_allclose(terms["recon"].item(), recon, rtol=1e-4)
    np.testing.assert_allclose(terms["kl"].item(), kl, rtol=1e-4)
    np.testing.assert_allclose(loss.item(), recon + kl, rtol=1e-4)


def test_a_fill_keeps_what_was_seen_and_draws_differ_in_the_hole():
    mv.manual_seed(0)
    model = HoleFillingCVAE(784, z_dim=4, hidden=(32,))
    x = load_dataset("sprites", n=200).train[:5]
    fills = model.fill(x, 3, generator=mv.backend.Generator(0))
    assert fills.shape == (5, 3, 784)
    np.testing.assert_array_equal(fills[:, :, model.seen_index], np.repeat(x[:, None, model.seen_index], 3, 1))
    assert np.abs(fills[:, 0, model.hidden_index] - fills[:, 1, model.hidden_index]).max() > 1e-3
    assert len(model.hidden_index) == 14 * 28   # the bottom half by default


def test_the_prior_learns_where_the_recognition_network_puts_the_code():
    """P(z|X) from the seen half ends much closer to Q(z|Y,X) than N(0, I) is: the KL the
    lecture's bound pays is to a prior that knows X."""
    from training import train
    mv.manual_seed(0)
    x = load_dataset("sprites", n=2000).train
    model = train(HoleFillingCVAE(784, z_dim=4, hidden=(64,)), x, steps=300, lr=2e-3)
    with mv.no_grad():
        xt = model.as_input(x[:300])
        mu_q, lv_q = model.encode(xt)
        mu_p, lv_p = model.prior_of(model.parts(xt)[0])
        to_prior = F.kl_normals(mu_q, lv_q, mu_p, lv_p).numpy().mean()
        to_standard = F.kl_normal(mu_q, lv_q).numpy().mean()
    assert to_prior < 0.5 * to_standard, (to_prior, to_standard)


@pytest.mark.parametrize("hole", [(0, 28, 0, 28), (20, 10, 0, 5), (0, 30, 0, 5)])
def test_a_hole_must_hide_part_of_the_image(hole):
    with pytest.raises(ValueError, match="hole must be"):
        HoleFillingCVAE(784, hole=hole)
