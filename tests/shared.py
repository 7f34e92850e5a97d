"""The real datasets in ../shared/data beside the project (CI has them; a user's clone may
not): their folder, a mark that skips a test without them, and labelled MNIST binarized."""
import os

import numpy as np
import pytest

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
needs_shared = pytest.mark.skipif(not os.path.exists(os.path.join(SHARED, "binarized_mnist.npz")),
                                  reason="../shared/data is absent")
needs_labelled_mnist = pytest.mark.skipif(not os.path.exists(os.path.join(SHARED, "mnist_test_gray.npz")),
                                          reason="../shared/data/mnist_test_gray.npz is absent")


def labelled_mnist():
    """MNIST's labelled test set through minivae's loader, its pixels thresholded at 1/2:
    (train, y_train, valid, y_valid), 8000 and 2000 images."""
    from minivae.data import load_dataset
    d = load_dataset("mnist", SHARED)
    binary = lambda x: (x > 0.5).astype(np.float32)
    return binary(d.train), d.y_train, binary(d.valid), d.y_valid
