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


def test_every_split_of_a_file_is_read_alike_with_its_labels(tmp_path):
    """Issue 35, row 14: a file's valid and test splits are scaled, checked and named as its
    train split is, and their labels read."""
    rng = np.random.default_rng(0)
    path = str(tmp_path / "d.npz")
    grey = lambda n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    np.savez(path, train=grey(30), valid=grey(10), test=grey(5), y_train=np.arange(30) % 3,
             y_valid=np.arange(10) % 3, y_test=np.arange(5) % 3)
    d = load_dataset(path)
    for split in (d.train, d.valid, d.test):
        assert split.dtype == np.float32 and split.shape[1] == 784 and 0 <= split.min() and split.max() <= 1
    assert d.image_shape == (28, 28) and d.y_valid.tolist() == (np.arange(10) % 3).tolist()
    assert d.y_train.dtype == np.int64 and len(d.y_test) == 5
    bad = {"valid": np.full((10, 784), np.nan, np.float32)}
    for change, message in ((bad, "d.npz: valid holds NaN or infinite values"),
                            ({"valid": np.zeros((10, 5))}, "valid has 5 features per example, train has 784"),
                            ({"y_valid": np.arange(9)}, "y_valid has shape \\(9,\\); the valid split has 10"),
                            ({"y_train": np.linspace(0, 1, 30)}, "y_train holds float64 values; labels are integers")):
        arrays = {"train": grey(30), "valid": grey(10), **change}
        np.savez(path, **arrays)
        with pytest.raises(ValueError, match=message):
            load_dataset(path)


@pytest.mark.parametrize("shape, image", [((40, 28, 28), (28, 28)), ((40, 784), (28, 28)), ((40, 16, 20), (16, 20)),
                                          ((40, 10), None), ((40, 2), None), ((40, 49), None)])
def test_image_shaped_data_is_known_as_images(tmp_path, shape, image):
    path = str(tmp_path / "x.npy")
    np.save(path, np.random.default_rng(0).random(shape).astype(np.float32))
    assert load_dataset(path).image_shape == image


def test_a_limit_reads_only_the_first_rows_of_each_split(tmp_path):
    """Issue 35, row 20: eval --limit 10 once read and converted a whole 254 MB file. An
    .npy is memory-mapped, and only each split's first ``limit`` rows are read."""
    from minivae.data import files
    path = str(tmp_path / "x.npy")
    x = np.random.default_rng(0).random((1000, 6)).astype(np.float32)
    np.save(path, x)
    assert isinstance(files.read_arrays(path, memory_map=True)["x"], np.memmap)
    whole, first = load_dataset(path), load_dataset(path, limit=10)
    assert first.valid.shape == (10, 6) and not isinstance(first.valid, np.memmap)
    np.testing.assert_array_equal(first.valid, whole.valid[:10])
    np.testing.assert_array_equal(first.train, whole.train[:10])
    np.testing.assert_array_equal(whole.valid, x[900:])
