import numpy as np
from scipy.linalg import subspace_angles

import minivae as mv
from minivae.models import LinearAutoencoder
from training import train


def test_tied_linear_autoencoder_spans_the_pca_subspace():
    """Baldi & Hornik (1989): its optimum spans the top-k principal subspace."""
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((8, 8)))[0]
    scales = np.array([3.0, 2.5, 2.0, 0.6, 0.5, 0.4, 0.3, 0.2])
    x = (rng.standard_normal((4000, 8)) * scales @ basis.T + 1.5).astype(np.float32)
    mv.manual_seed(0)
    model = train(LinearAutoencoder(8, 3), x, steps=3000, lr=1e-2, batch=256)
    top = np.linalg.eigh(np.cov(x.T))[1][:, -3:]
    angles = subspace_angles(model.W.numpy(), top)
    assert angles.max() < 0.05, angles
    # x' = P x + (I - P) b: only b's part off the subspace matters, and it must be the mean's
    q = np.linalg.qr(model.W.numpy())[0]
    off = (np.eye(8) - q @ q.T) @ (model.b.numpy() - x.mean(0))
    assert np.abs(off).max() < 0.05
