import numpy as np
import pytest

from minivae import backend


def test_generator_is_seeded_and_float32():
    a, b = backend.Generator(7), backend.Generator(7)
    x, y = a.normal((1000,)), b.normal((1000,))
    assert x.dtype == np.float32 and np.array_equal(x, y)
    u = a.uniform((1000,), -2, 3)
    assert u.min() >= -2 and u.max() < 3
    bern = a.bernoulli(0.25, (20000,))
    assert set(np.unique(bern)) <= {0.0, 1.0} and abs(bern.mean() - 0.25) < 0.015


def test_generator_state_round_trip():
    g = backend.Generator(1)
    state = g.get_state()
    first = g.normal((5,))
    g.set_state(state)
    np.testing.assert_array_equal(g.normal((5,)), first)


def test_manual_seed_resets_default_generator():
    backend.manual_seed(3)
    x = backend.default_generator().normal((4,))
    backend.manual_seed(3)
    np.testing.assert_array_equal(backend.default_generator().normal((4,)), x)


def test_devices():
    assert backend.array_module("cpu") is np
    assert backend.device_of(np.ones(1)) == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        backend.array_module("gpu")


def test_scatter_add_sums_repeats():
    t = np.zeros(3)
    backend.scatter_add(t, np.array([0, 0, 2]), np.array([1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(t, [3.0, 0.0, 5.0])


def test_generator_shifts_and_scales_in_the_requested_dtype():
    g = backend.Generator(0)
    for dtype in (np.float32, np.dtype(np.float32), np.float64):
        assert g.normal((3,), mean=1.0, std=2.0, dtype=dtype).dtype == np.dtype(dtype)
        assert g.uniform((3,), -1.0, 4.0, dtype=dtype).dtype == np.dtype(dtype)
    x = g.normal((50000,), mean=3.0, std=0.5)
    assert abs(x.mean() - 3.0) < 0.02 and abs(x.std() - 0.5) < 0.01


def test_tune_malloc_applies_on_glibc():
    import platform
    settings = backend.tune_malloc()
    if platform.libc_ver()[0] == "glibc":
        assert settings == {"M_MMAP_THRESHOLD": 64 << 20, "M_TRIM_THRESHOLD": 256 << 20}
    a = np.ones(1 << 20)   # allocation still works
    assert a.sum() == 1 << 20


def test_parts_side_by_side_in_one_array_join_without_a_copy():
    whole = np.arange(24.0).reshape(4, 6)
    joined = backend.joined([whole[:, :2], whole[:, 2:]], -1)
    assert joined.shape == (4, 6) and np.shares_memory(joined, whole)
    np.testing.assert_array_equal(joined, whole)
    assert np.shares_memory(backend.joined([whole[:1], whole[1:3], whole[3:]], 0), whole)


@pytest.mark.parametrize("parts", [
    lambda w, v: [w[:, 2:], w[:, :2]],      # out of order
    lambda w, v: [w[:, :2], w[:, 3:]],      # a gap
    lambda w, v: [w[:, :2], v[:, 2:]],      # two arrays
    lambda w, v: [w[:2, :3], w[2:, :3]],    # adjacent rows of a column slice: not contiguous as a whole
])
def test_parts_that_do_not_tile_one_array_are_not_joined(parts):
    w, v = np.arange(24.0).reshape(4, 6), np.arange(24.0).reshape(4, 6)
    ps = parts(w, v)
    assert backend.joined(ps, 1 if ps[0].shape[0] == 4 else 0) is None
