"""The counter-based generator against Random123's known answers, and its draws."""
import numpy as np
import pytest
from scipy import stats

import minivae as mv
from minivae.philox import Philox, philox4x32

# Random123's kat_vectors: counter (4 words), key (2 words) -> output (4 words)
KAT = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
       ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
       ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_known_answers(counter, key, expected):
    out = philox4x32(np.array([counter], np.uint64), np.array(key, np.uint64))
    assert out.dtype == np.uint32 and tuple(int(v) for v in out[0]) == expected


def test_draws_are_uniform_and_normal():
    g = Philox(seed=7)
    u = g.uniform(200_000).astype(np.float64)
    assert 0 < u.min() and u.max() < 1 and stats.kstest(u, "uniform").pvalue > 1e-3
    z = g.normal((400, 500), dtype=np.float64).ravel()
    assert z.dtype == np.float64 and stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 0.01      # pairs of one Box-Muller step too


def test_a_draw_is_a_function_of_seed_and_offset():
    a, b = Philox(seed=3), Philox(seed=3)
    first = a.normal(9)
    np.testing.assert_array_equal(b.normal(9), first)
    assert not np.array_equal(a.normal(9), first)             # the next offset: fresh noise
    np.testing.assert_array_equal(Philox(seed=3, offset=0).normal(9), first)
    assert not np.array_equal(Philox(seed=4).normal(9), first)
    np.testing.assert_array_equal(Philox(seed=3).normal(5), first[:5])   # a prefix of the same draw
    with pytest.raises(ValueError, match="seed must be in"):
        Philox(seed=-1)


@pytest.mark.cuda
@pytest.mark.skipif(not mv.cuda_available(), reason="needs CuPy and a GPU")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_cuda_kernel_and_the_cupy_reference_draw_the_host_bits(dtype):
    import cupy as cp
    from minivae.kernels.cuda.philox import normal
    host = Philox(seed=11, offset=5)
    expected = [host.normal((37, 3), dtype=dtype) for _ in range(2)]
    offset = cp.asarray([5], dtype=cp.uint64)
    for want in expected:                                       # the kernel bumps its offset
        np.testing.assert_allclose(cp.asnumpy(normal((37, 3), 11, offset, dtype)), want, rtol=1e-6, atol=1e-6)
    assert int(offset[0]) == 7
    np.testing.assert_allclose(Philox(seed=11, device="cuda", offset=5).normal((37, 3), dtype=dtype).get(),
                               expected[0], rtol=1e-6, atol=1e-6)


def test_a_model_trains_with_it_and_resumes_bit_for_bit(tmp_path):
    """A Philox generator stands wherever a backend.Generator does: a model's noise, the
    trainer's per-epoch reseeding, checkpoints."""
    from minivae.data import load_dataset
    from minivae.models import create
    from minivae.train import fit
    data = load_dataset("ring", n=600)

    def run(epochs, out, resume=False):
        mv.manual_seed(0)
        model = create("vae", x_dim=2, z_dim=2, hidden=[8])
        model.generator = Philox(seed=5)   # the model's noise
        fit(model, data.train, valid=data.valid, epochs=epochs, out=str(out), resume=resume, progress=False,
            log=lambda r: None)
        return model

    straight = run(4, tmp_path / "a")
    assert straight.generator.offset > 0   # the noise came from it
    run(2, tmp_path / "b")
    resumed = run(4, tmp_path / "b", resume=True)
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert a.tobytes() == b.tobytes()
    g = Philox(seed=1)
    assert set(np.unique(g.bernoulli(np.full(1000, 0.3)))) == {0.0, 1.0}
    assert sorted(g.permutation(10).tolist()) == list(range(10))
    assert 0 <= g.integers(10) < 10 and g.integers(10, (5,)).shape == (5,)
    state = g.get_state()
    first = g.normal(4)
    g.set_state(state)
    np.testing.assert_array_equal(g.normal(4), first)


@pytest.mark.cuda
@pytest.mark.skipif(not mv.cuda_available(), reason="needs CuPy and a GPU")
def test_the_device_generator_draws_what_the_host_one_draws():
    from minivae.philox import DevicePhilox
    device, host = DevicePhilox(seed=21), Philox(seed=21)
    for _ in range(3):
        np.testing.assert_allclose(device.normal((20, 5)).get(), host.normal((20, 5)), rtol=1e-6, atol=1e-6)
    assert device.get_state() == {"key": 21, "offset": 3}
    device.set_state({"key": 21, "offset": 0})
    np.testing.assert_allclose(device.normal(7).get(), Philox(seed=21).normal(7), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(device.uniform((9, 2)).get(), Philox(seed=21, offset=1).uniform((9, 2)))
    bits = device.bernoulli(cp_array_of(np.full(500, 0.3))).get()
    assert set(np.unique(bits)) == {0.0, 1.0}
    assert sorted(device.permutation(10).get().tolist()) == list(range(10))


def cp_array_of(a):
    import cupy as cp
    return cp.asarray(a)
