"""The image models that fix the VAE's blur, on MNIST."""

from .. import backend
from ..data import load_dataset
from .drawing import Drawn


def image_models(path, seed=0, data_dir=None, images=20_000):
    """Larsen et al.'s and Lamb et al.'s point on MNIST (from the data folder): held-out
    digits, their reconstructions and samples, for the plain VAE (MLP and convolutional),
    VAE/GAN, VAE_Disl and DR-VAE, each trained on the same binarized images (``images`` of
    them; DR-VAE's classifier on as many labelled ones, up to MNIST's 8,000).
    bench/image_quality.py measures them."""
    from .. import image_models as models
    try:
        train, labelled = load_dataset("binarized-mnist", data_dir), load_dataset("mnist", data_dir)
    except ValueError as e:
        raise ValueError(f"image-models needs binarized MNIST and MNIST's labelled images: {e}") from None
    held_out, rows = labelled.valid[:8], []
    for key in models.SETUPS:
        label, model, training = models.build(key, seed)
        models.train(model, train.train[:images], training, seed, (labelled.train[:images], labelled.y_train[:images]),
                     images=images)
        model.eval()
        backend.manual_seed(seed)
        rows.append((label, held_out, model.reconstruct(held_out), model.sample(8)))
    return Drawn(models.picture(rows, path), {})
