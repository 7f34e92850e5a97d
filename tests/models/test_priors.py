import numpy as np

from minivae.backend import Generator
from minivae.models import AdversarialAutoencoder
from minivae.models.priors import component_of, gaussian, mixture_of_gaussians, swiss_roll


def test_gaussian_prior_moments():
    z = gaussian(20000, Generator(0))
    np.testing.assert_allclose(z.mean(0), 0, atol=0.03)
    np.testing.assert_allclose(np.cov(z.T), np.eye(2), atol=0.05)


def test_mixture_components_and_labels():
    z = mixture_of_gaussians(10000, generator=Generator(0))
    share = np.bincount(component_of(z), minlength=10) / len(z)
    assert np.all(np.abs(share - 0.1) < 0.02)
    labels = np.arange(100) % 10
    z = mixture_of_gaussians(100, generator=Generator(1), labels=labels)
    assert (component_of(z) == labels).mean() > 0.95   # std 0.5 against centres 2.5 apart


def test_swiss_roll_is_a_spiral():
    z = swiss_roll(5000, noise=0.0, generator=Generator(0))
    r, angle = np.linalg.norm(z, axis=1), np.arctan2(z[:, 1], z[:, 0])
    t = r * 5.0   # radius = t / 5 on the noiseless roll
    np.testing.assert_allclose(np.cos(t), np.cos(angle), atol=1e-4)
    assert 0.9 < r.min() and r.max() < 2.9


def test_labelled_swiss_roll_draws_from_each_labels_segment():
    labels = np.arange(2000) % 10
    z = swiss_roll(2000, noise=0.0, generator=Generator(0), labels=labels)
    t = np.linalg.norm(z, axis=1) * 5.0                        # t / 5 is the radius on the roll
    u = (t / (1.5 * np.pi) - 1) / 2                            # t = 1.5 pi (1 + 2 u), u in [0, 1)
    np.testing.assert_array_equal(np.floor(u * 10).astype(int), labels)


def test_aae_with_swiss_roll_prior_draws_from_it():
    model = AdversarialAutoencoder(3, 2, prior="swiss_roll")
    z = model.sample_prior(1000)
    r = np.linalg.norm(z, axis=1)
    assert z.shape == (1000, 2) and 0.8 < r.min() and r.max() < 3.1


def test_the_mixture_prior_density_is_the_mixture_of_its_components():
    import minivae as mv
    from scipy.stats import multivariate_normal
    from minivae.models.priors import MixturePrior
    prior = MixturePrior(3, components=4, generator=Generator(0))
    prior.logits.data[:] = [0.0, 1.0, -1.0, 0.5]
    prior.logvars.data[1] = np.log([0.3, 2.0, 1.0])
    means, variances = prior.means.numpy().astype(np.float64), np.exp(prior.logvars.numpy().astype(np.float64))
    weights = np.exp(prior.logits.numpy()) / np.exp(prior.logits.numpy()).sum()
    z = np.random.default_rng(1).standard_normal((6, 3))
    want = np.log(sum(w * multivariate_normal(m, np.diag(v)).pdf(z) for w, m, v in zip(weights, means, variances)))
    np.testing.assert_allclose(prior.log_prob(mv.tensor(z)).numpy(), want, rtol=1e-5)
    codes, k = prior.sample(40000, Generator(2))
    np.testing.assert_allclose(np.bincount(k, minlength=4) / 40000, weights, atol=0.01)
    np.testing.assert_allclose(codes[k == 1].mean(0), means[1], atol=0.05)
    np.testing.assert_allclose(codes[k == 1].var(0), variances[1], rtol=0.05)
