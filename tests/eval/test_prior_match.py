"""The prior-match measures refuse what is not the prior: a centred blob and a ring fail,
a sample of the prior itself passes."""
import numpy as np
import pytest

from minivae.eval.prior_match import component_shares, energy_distance, in_component, prior_match
from minivae.models.priors import mixture_centres, sampler as _draw


def _ring(n, radius, rng, width=0.1):
    angle = rng.uniform(0, 2 * np.pi, n)
    r = radius + width * rng.standard_normal(n)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], 1)


@pytest.mark.parametrize("prior, blob_std, ring_radius", [("gaussian", 0.5, 1.25), ("mixture", 1.0, 4.0),
                                                            ("swiss_roll", 0.5, 1.5)])
def test_energy_ratio_refuses_a_blob_and_a_ring_and_passes_the_prior(prior, blob_std, ring_radius):
    """The ring is at the prior's own typical radius (for the mixture: through every
    component's centre, where the energy distance alone is fooled: its ratio stays below 1;
    the neighbour statistic is not)."""
    rng = np.random.default_rng(1)
    n = 1000
    sample, blob, ring = _draw(prior)(n, rng), blob_std * rng.standard_normal((n, 2)), _ring(n, ring_radius, rng)
    passed = prior_match(sample, _draw(prior), repeats=10)
    assert passed["match"] and passed["energy_ratio"] < 2.5 and passed["neighbour_ratio"] < 2.5, passed
    for refused in (blob, ring):
        facts = prior_match(refused, _draw(prior), repeats=10)
        assert not facts["match"], facts
    if prior == "mixture":
        assert prior_match(ring, _draw(prior), repeats=10)["energy_ratio"] < 1.5


def test_energy_distance_is_zero_for_one_sample_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 2))
    assert abs(energy_distance(a, a)) < 1e-12
    shifts = [energy_distance(a, a + [s, 0]) for s in (0.1, 0.5, 2.0)]
    assert 0 < shifts[0] < shifts[1] < shifts[2]
    with pytest.raises(ValueError, match="energy_distance"):
        energy_distance(a, a[:, :1])


def test_component_share_refuses_a_blob_and_a_ring_between_the_components():
    """Within two standard deviations of a component: the prior's own draws score 1 - e^-2;
    a centred blob and a ring inside the circle of centres score 0. (A thin ring through
    the centres scores 0.8 here: the energy ratio is what refuses that one.)"""
    rng = np.random.default_rng(0)
    centres, std = mixture_centres(), 0.5
    sample = _draw("mixture")(5000, rng)
    assert abs(in_component(sample, centres, std) - (1 - np.exp(-2))) < 0.02
    assert in_component(0.5 * rng.standard_normal((5000, 2)), centres, std) == 0
    assert in_component(_ring(5000, 2.0, rng), centres, std) == 0
    shares = component_shares(sample, centres, std)
    assert shares.shape == (10,) and abs(shares.sum() - in_component(sample, centres, std)) < 1e-12
    assert shares.min() > 0.07


def test_own_component_counts_only_codes_near_their_own_centre():
    centres = mixture_centres()
    codes = centres[[0, 1, 2]] + 0.1
    assert in_component(codes, centres, 0.5, components=[0, 1, 2]) == 1
    assert in_component(codes, centres, 0.5, components=[1, 2, 3]) == 0
