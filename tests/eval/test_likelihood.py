import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

import minivae as mv
from minivae.eval import elbo, log_likelihood, naive_log_likelihood, parzen_log_likelihood
from minivae.models import VAE


def _linear_gaussian_vae():
    """x = z W + b + 0.5 noise, whose log p(x) and posterior are exact. The encoder gives
    the true posterior mean with a diagonal variance e^0.5 times the true one: a proposal
    wide enough for L_k to converge, wrong enough for the ELBO to fall short."""
    rng = np.random.default_rng(0)
    model = VAE(6, 2, hidden=(), sigma=0.5)
    W, b = rng.standard_normal((2, 6)), rng.standard_normal(6)
    model.decoder[0].weight.data, model.decoder[0].bias.data = W.astype(np.float32), b.astype(np.float32)
    cov = np.linalg.inv(np.eye(2) + W @ W.T / 0.25)              # the posterior covariance
    A = W.T @ cov / 0.25                                          # mean = (x - b) A
    weight = np.zeros((6, 4))
    weight[:, :2] = A
    bias = np.concatenate([-b @ A, np.log(np.diag(cov)) + 0.5])
    model.encoder[0].weight.data, model.encoder[0].bias.data = weight.astype(np.float32), bias.astype(np.float32)
    return model, multivariate_normal(b, W.T @ W + 0.25 * np.eye(6))


def test_chunked_lk_reaches_the_exact_log_likelihood():
    mv.manual_seed(0)
    model, exact = _linear_gaussian_vae()
    x = exact.rvs(20, random_state=1).astype(np.float32)
    lk = log_likelihood(model, x, k=5000, chunk=700)     # chunks that do not divide k
    np.testing.assert_allclose(lk, exact.logpdf(x), atol=0.05)
    assert elbo(model, x) < lk.mean() - 0.05              # the ELBO falls short (0.17 nats here)


def test_chunking_does_not_change_the_estimate():
    model, exact = _linear_gaussian_vae()
    x = exact.rvs(5, random_state=2).astype(np.float32)
    mv.manual_seed(3)
    one = log_likelihood(model, x, k=600, chunk=600)
    mv.manual_seed(3)
    many = log_likelihood(model, x, k=600, chunk=600)
    np.testing.assert_allclose(one, many, rtol=1e-6)
    with pytest.raises(ValueError, match="k must be at least 1"):
        log_likelihood(model, x, k=0)


def test_naive_prior_sampling_is_worse_than_importance_sampling():
    mv.manual_seed(0)
    model, exact = _linear_gaussian_vae()
    x = exact.rvs(10, random_state=4).astype(np.float32)
    naive = np.stack([naive_log_likelihood(model, x, n_samples=50) for _ in range(20)])
    lk = np.stack([log_likelihood(model, x, k=50) for _ in range(20)])
    truth = exact.logpdf(x)
    assert np.abs(naive.mean(0) - truth).mean() > 2 * np.abs(lk.mean(0) - truth).mean()
    assert naive.std(0).mean() > 2 * lk.std(0).mean()


def test_parzen_windows_recover_a_known_density():
    rng = np.random.default_rng(0)
    samples, x = rng.standard_normal((20000, 2)), rng.standard_normal((500, 2))
    estimate = parzen_log_likelihood(samples, x, sigma=0.1)
    np.testing.assert_allclose(estimate.mean(), norm.logpdf(x).sum(1).mean(), atol=0.05)


def test_a_long_evaluation_is_foreseen_after_its_first_batch(monkeypatch):
    """Issue 35: eval at its defaults on binarized MNIST would have taken half an hour and
    said nothing of it. After the first batch the whole is foreseen, and said when it is
    more than a minute (here a minute is made a microsecond)."""
    from minivae.eval import likelihood
    mv.manual_seed(0)
    model = VAE(2, 2, hidden=(8,))
    x = np.random.default_rng(0).normal(size=(30, 2)).astype(np.float32)
    said = []
    likelihood.log_likelihood(model, x, k=4, batch=10, say=said.append)
    assert said == []
    monkeypatch.setattr(likelihood, "LONG", 1e-6)
    likelihood.log_likelihood(model, x, k=4, batch=10, say=said.append)
    assert len(said) == 1 and said[0].startswith("L_4 of 30 examples will take about ") and "first 10 took" in said[0]
