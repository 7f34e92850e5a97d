import numpy as np
import pytest

from minivae.data import NAMES, load_dataset
from shared import SHARED, needs_shared


@pytest.mark.parametrize("name", ["ring", "bump", "swiss-roll", "mixture", "pinwheel", "sprites"])
def test_generated_datasets(name):
    d = load_dataset(name, n=500)
    assert d.train.shape[0] == 450 and d.valid.shape[0] == 50 and d.train.dtype == np.float32
    assert np.isfinite(d.train).all()


def test_unknown_name_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'cifar'.*ring"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="no such file"):
        load_dataset(str(tmp_path / "nothing.npz"))
    with pytest.raises(ValueError, match=r"binarized-mnist: neither .*binarized_mnist.npz"):
        load_dataset("binarized-mnist", str(tmp_path))


def test_npz_path_with_train_valid(tmp_path):
    path = tmp_path / "mine.npz"
    np.savez(path, train=np.ones((10, 4)), valid=np.zeros((3, 4)))
    d = load_dataset(str(path))
    assert d.train.shape == (10, 4) and d.valid.shape == (3, 4) and d.binary
    np.savez(path, x=np.array([[1.0, np.nan]] * 4))
    with pytest.raises(ValueError, match="NaN or infinite"):
        load_dataset(str(path))


def test_environment_variable_names_the_folder(tmp_path, monkeypatch):
    np.savez(tmp_path / "binarized_mnist.npz", train=np.ones((4, 784)), valid=np.ones((2, 784)))
    monkeypatch.setenv("MINIVAE_DATA", str(tmp_path))
    assert load_dataset("binarized-mnist").train.shape == (4, 784)


@needs_shared
def test_shared_binarized_mnist():
    d = load_dataset("binarized-mnist", SHARED)
    assert d.train.shape == (50000, 784) and d.valid.shape == (10000, 784) and d.binary
    assert set(np.unique(d.train[:100])) == {0.0, 1.0}


@needs_shared
def test_shared_labeled_mnist():
    d = load_dataset("mnist", SHARED)
    assert d.train.shape[1] == 784 and 0 <= d.train.min() and d.train.max() <= 1
    assert set(np.unique(d.y_train)) == set(range(10))


def test_names_listed():
    assert {"ring", "sprites", "binarized-mnist", "mnist", "fashion-mnist"} <= set(NAMES)


def test_binary_data_is_detected_from_every_row(tmp_path):
    """The first 100 rows 0/1 and the rest grey levels is not binary data."""
    from minivae.data import load_dataset
    x = np.zeros((300, 8), np.float32)
    x[:100] = np.random.default_rng(0).integers(0, 2, (100, 8))
    x[100:] = np.random.default_rng(1).integers(0, 256, (200, 8))
    path = tmp_path / "mixed.npz"
    np.savez(path, x=x)
    assert not load_dataset(str(path)).binary
    np.savez(path, x=x[:100])
    assert load_dataset(str(path)).binary
