"""The lectures' figures, each reproduced by one command: ``minivae figure NAME``.

Each figure trains what it needs on generated data with a small budget (seconds on 2 cores),
seeded, and writes one PNG; those that need real data (``NEEDS_DATA``) read it from a data
folder. ``FIGURES`` maps each name to its function, whose docstring says what it shows; it
returns ``Drawn``: the PNG's path and ``facts``, the numbers behind the lecture's point
measured on the figure's own run. The figures live by subject: toys, autoencoders, vaes,
aae, images.
"""
import re

from .aae import (aae_clustering, aae_dim_reduction, aae_gaussian, aae_label_informed,  # noqa: F401
                  aae_manifold, aae_mixture, aae_style, aae_swiss_roll)
from .autoencoders import (adversarial_ae, ae_as_generator, ae_vs_vae_codes, contractive_tangents, denoise_before_after,
                           mask_inpaint, pca_vs_ae, pca_vs_ae_codes, sparse_ae_codes)
from .drawing import Drawn  # noqa: F401
from .images import image_models
from .toys import gaussian_toy, naive_mc_density
from .vaes import (attribute_edit, beta_tradeoff, cvae_hole_filling, cvae_samples, iwae_sir, latent_traversal,
                   vae_manifold)

FIGURES = {"naive-mc-density": naive_mc_density, "gaussian-toy": gaussian_toy, "ae-vs-vae-codes": ae_vs_vae_codes,
           "sparse-ae-codes": sparse_ae_codes,
           "ae-as-generator": ae_as_generator,
           "pca-vs-ae": pca_vs_ae, "aae-gaussian": aae_gaussian,
           "aae-mixture": aae_mixture, "aae-label-informed": aae_label_informed, "aae-style": aae_style,
           "aae-clustering": aae_clustering, "attribute-edit": attribute_edit,
           "denoise-before-after": denoise_before_after, "mask-inpaint": mask_inpaint, "iwae-sir": iwae_sir,
           "image-models": image_models, "vae-manifold": vae_manifold, "latent-traversal": latent_traversal,
           "beta-tradeoff": beta_tradeoff, "aae-manifold": aae_manifold, "cvae-samples": cvae_samples,
           "cvae-hole-filling": cvae_hole_filling, "adversarial-ae": adversarial_ae,
           "pca-vs-ae-codes": pca_vs_ae_codes, "contractive-tangents": contractive_tangents,
           "aae-swiss-roll": aae_swiss_roll, "aae-dim-reduction": aae_dim_reduction}

# the lecture (``../shared/seeds``) and the figure each one reproduces
DIABOLO, MAKHZANI = "Kolasinski, Diabolo Networks", "Kolasinski, Diabolo Networks: Makhzani et al."
SOURCES = {
    "naive-mc-density": f"{DIABOLO}: the naive Monte Carlo toy, p(x) at y = 0 for N_s = 100, 1000, 10000",
    "gaussian-toy": f"{DIABOLO}: the 1-D toy, P_model = N(0, theta^2 + sigma^2)",
    "ae-vs-vae-codes": f"{DIABOLO}: 'What is wrong with autoencoder?', the bump's 2-D codes",
    "sparse-ae-codes": f"{DIABOLO}: sparse AEs, 'help the model to completely neglect one of the unnecessary "
                       "dimensions' of the bump",
    "ae-as-generator": "Tagaris, VAE: 'can we randomly choose a vector?'; CISC 7026: 'points z + eps decode "
                       "into garbage'",
    "pca-vs-ae": f"{DIABOLO}: Hinton and Salakhutdinov 2006, Fig. 2",
    "aae-gaussian": f"{MAKHZANI} Fig. 2a against 2c, a 2-D Gaussian prior",
    "aae-mixture": f"{MAKHZANI} Fig. 2b against 2d, a mixture of ten 2-D Gaussians",
    "aae-label-informed": f"{MAKHZANI} Fig. 4a and 4b",
    "aae-style": f"{MAKHZANI} Fig. 7",
    "aae-clustering": f"{MAKHZANI}, unsupervised clustering",
    "attribute-edit": "Lecture notes, Generative Networks: latent attribute vectors",
    "denoise-before-after": "CISC 7026, Autoencoders and Generative Models: the denoising deblur loss; Tagaris, "
                            "denoising MNIST",
    "mask-inpaint": "CISC 7026, Autoencoders and Generative Models: the masked autoencoder",
    "iwae-sir": f"{DIABOLO}: Cremer, Morris and Duvenaud 2017, Fig. 3, reconstructions from q(z|x) and q_IW",
    "image-models": f"{DIABOLO} and Leibe, VAE II: Larsen et al.'s VAE/GAN and VAE_Disl, Lamb et al.",
    "vae-manifold": f"{DIABOLO}: Kingma and Welling Fig. 4, the learned MNIST manifold",
    "latent-traversal": "Leibe, VAE II: latent manifolds, one unit moved at a time (a beta-VAE)",
    "beta-tradeoff": "CISC 7026, Autoencoders and Generative Models: beta weighs the KL against the reconstruction",
    "aae-manifold": f"{MAKHZANI} Fig. 2e, the percentile manifold",
    "cvae-samples": f"{DIABOLO}: Conditional VAEs, class dependent object generation",
    "cvae-hole-filling": f"{DIABOLO}: Conditional VAEs (a), hole filling with Q(z|Y,X), P(Y|z,X), P(z|X)",
    "adversarial-ae": f"{DIABOLO}: 'Adversarial examples (the need of probabilistic models)'",
    "pca-vs-ae-codes": f"{DIABOLO}: van der Maaten 2009, MNIST visualized by (a) PCA, (b) an autoencoder, "
                       "(c) parametric t-SNE (here plain t-SNE)",
    "contractive-tangents": f"{DIABOLO}: the contractive AE, 'input point, tangent vectors' (Rifai et al. 2011)",
    "aae-swiss-roll": f"{MAKHZANI} Fig. 4c and 4d, the labelled swiss roll",
    "aae-dim-reduction": f"{MAKHZANI} Fig. 10, dimensionality reduction: cluster heads plus style",
}

NEEDS_DATA = {"ae-as-generator", "iwae-sir", "denoise-before-after", "pca-vs-ae", "beta-tradeoff", "aae-gaussian", "aae-mixture", "aae-label-informed", "aae-swiss-roll", "aae-style", "image-models", "vae-manifold", "aae-manifold", "cvae-samples", "cvae-hole-filling", "pca-vs-ae-codes", "contractive-tangents", "aae-dim-reduction"}


def draw(name, path, seed=0, data_dir=None):
    """Draw the figure ``name`` into ``path``: its ``Drawn`` (path and facts). The data
    folder goes to those that need one.

    With one BLAS thread: a product's sums are then split the same way on a machine of any
    core count, so a seed draws the same figure (with two threads on 2 cores and one, the
    beta-VAE's held-out error once read 43.91 and 44.01). BLAS picks its kernels by CPU
    kind, so a CPU of another kind may still round differently; the facts each figure
    asserts hold either way (tests/test_figures.py)."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        return FIGURES[name](path, seed=seed, **({"data_dir": data_dir} if name in NEEDS_DATA else {}))


def describe():
    """name -> [the lecture and figure it reproduces] the first line of what it shows."""
    return {name: f"[{SOURCES[name]}] " + _first_sentence(" ".join(fn.__doc__.split())) for name, fn in FIGURES.items()}


def _first_sentence(text):
    """Up to the first full stop that ends a sentence, not one of "Fig. 2", "et al.", "e.g.", "i.e."."""
    return re.split(r"(?<!Fig)(?<!\bal)(?<!e\.g)(?<!i\.e)\.\s+(?=[A-Z(])", text)[0].rstrip(".")
