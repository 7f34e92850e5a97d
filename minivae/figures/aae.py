"""Makhzani et al.'s adversarial autoencoders: codes that fill the prior, a mixture prior,
labels, clustering, and style against content."""

import numpy as np

from .. import backend, latent, plot
from ..core import no_grad
from ..data import load_dataset
from ..models import create
from .drawing import Drawn, grid_facts, knn_accuracy, quiet_fit


def _aae_codes(path, prior, labels_fraction, seed, title, epochs=20, facts=lambda codes, labels: {}, first=0):
    backend.manual_seed(seed)
    data = load_dataset("mixture", n=4000, seed=seed)
    informed = labels_fraction is not None
    model = create("aae", x_dim=2, z_dim=2, hidden=[64, 64], prior=prior,
                   n_classes=int(data.y_train.max()) + 1 if informed else None)
    labels = None
    if informed:   # the rest of the labels are unknown: -1, the discriminator's extra class
        hidden = np.random.default_rng(seed).random(len(data.y_train)) >= labels_fraction
        labels = np.where(hidden, -1, data.y_train)
        if first:   # the labelled points alone first (see aae_label_informed)
            quiet_fit(model, data.train[~hidden], labels[~hidden], epochs=first, batch_size=100, lr=1e-3, seed=seed)
    quiet_fit(model, data.train, labels, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    codes = latent.codes(model, data.valid)
    prior_samples = model.sample_prior(len(codes))
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
    axes[0].scatter(prior_samples[:, 0], prior_samples[:, 1], s=2, c="gray")
    axes[0].set_title("samples of p(z)")
    axes[1].scatter(codes[:, 0], codes[:, 1], s=2, c=data.y_valid, cmap="tab10")
    axes[1].set_title(title)
    for ax in axes:
        ax.set_aspect("equal")
    measured = facts(codes, data.y_valid)
    if measured:
        axes[1].set_xlabel(", ".join(f"{k.replace('_', ' ')} {v:.3g}" for k, v in measured.items()), fontsize=8)
    return Drawn(plot._save(fig, path), measured)


def _fills_a_gaussian(codes):
    """How far the codes are from N(0, I) in distribution, not only in their first two
    moments: Kolmogorov-Smirnov distances of their radii from the chi distribution with 2
    degrees of freedom (a ring, or a blob too tight, is far) and of their angles from
    uniform (a crescent is far)."""
    from scipy import stats
    return {"radius_ks": float(stats.kstest(np.hypot(*codes.T), stats.chi(2).cdf).statistic),
            "angle_ks": float(stats.kstest(np.arctan2(codes[:, 1], codes[:, 0]), stats.uniform(-np.pi, 2 * np.pi).cdf
                                           ).statistic)}


def _in_own_component(codes, labels):
    """The fraction of codes nearest to their class's component of the 10-Gaussian prior."""
    from ..models.priors import component_of
    return {"in_own_component": float((component_of(codes) == labels).mean())}


def _on_own_segment(codes, labels):
    """The fraction of codes nearest to a point of their class's tenth of the swiss roll."""
    from ..models.priors import swiss_roll
    reference = swiss_roll(5000, noise=0.0, generator=backend.Generator(1), labels=np.arange(5000) % 10)
    reference = np.asarray(backend.to_device(reference, "cpu"))
    nearest = ((codes[:, None] - reference[None]) ** 2).sum(-1).argmin(1)
    return {"on_own_segment": float(((np.arange(5000) % 10)[nearest] == labels).mean())}


def aae_gaussian(path, seed=0):
    """Makhzani et al.'s Fig. 2a on the sprites: the adversarial autoencoder's 2-D codes of
    held-out images fill its N(0, I) prior, as samples of the prior do; coloured by the
    sprite's shape. 25 epochs (about 30 s on 2 cores): the codes take that long to fill it."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=6000, seed=seed)
    model = create("aae", x_dim=784, z_dim=2, hidden=[256, 256], prior="gaussian", likelihood="bernoulli")
    quiet_fit(model, data.train, epochs=25, batch_size=100, lr=1e-3, seed=seed)
    codes = latent.codes(model, data.valid)
    facts = _fills_a_gaussian(codes)
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), sharex=True, sharey=True)
    prior_samples = model.sample_prior(len(codes))
    axes[0].scatter(prior_samples[:, 0], prior_samples[:, 1], s=3, c="gray")
    axes[0].set_title("samples of p(z) = N(0, I)")
    axes[1].scatter(codes[:, 0], codes[:, 1], s=3, c=data.factors_valid[:, 0], cmap="viridis")
    axes[1].set_title("codes of held-out sprites, by shape")
    axes[1].set_xlabel(f"Kolmogorov-Smirnov distance to N(0, I): radius {facts['radius_ks']:.3f}, "
                       f"angle {facts['angle_ks']:.3f}", fontsize=8)
    for ax in axes:
        ax.set_aspect("equal")
    return Drawn(plot._save(fig, path), facts)


def aae_mixture(path, seed=0):
    """The adversarial autoencoder with a 10-Gaussian mixture prior, on the mixture toy data:
    its codes against samples of the prior it was pushed to."""
    return _aae_codes(path, "mixture", None, seed, "codes of the data, by cluster")


def aae_label_informed(path, seed=0):
    """The label-informed AAE with a tenth of the labels (the rest unknown): labelled codes
    go to their class's mixture component, and the unlabelled ones follow. The toy's ten
    clusters lie on a circle, as the prior's components do, and a smooth encoder can match
    one circle to the other turned either way; trained on all points at once, the unlabelled
    majority settled it first, reflected (class c in component 3 - c: 4% in their own), and
    no continuous change of the encoder undoes a reflection. So the 400 labelled points
    train alone first (200 epochs of 4 batches), which sets the turn, then all 4,000 (40
    epochs)."""
    return _aae_codes(path, "mixture", 0.1, seed, "codes, 10% of labels given", epochs=40, facts=_in_own_component,
                      first=200)


def aae_swiss_roll(path, seed=0):
    """Makhzani et al.'s labelled swiss roll (Fig. 4c): the label-informed AAE on the mixture
    toy with a tenth of the labels, its prior a swiss roll whose tenths belong to the ten
    classes; each class's codes go to its own stretch of the roll. As in aae-label-informed,
    the labelled points train alone first."""
    return _aae_codes(path, "swiss_roll", 0.1, seed, "codes, 10% of labels given", epochs=40, facts=_on_own_segment,
                      first=200)


def aae_clustering(path, seed=0):
    """Unsupervised clustering by an adversarial autoencoder on the mixture toy data: each
    point coloured by the cluster its categorical code picks, beside the true clusters, with
    the Hungarian-matched accuracy. Nearly the lecture's result: 9 of the 10 clusters found
    (accuracy 0.90), two neighbours still sharing one."""
    from ..models.clustering_aae import clustering_accuracy
    backend.manual_seed(seed)
    data = load_dataset("mixture", n=4000, seed=seed)
    model = create("clustering-aae", x_dim=2, n_clusters=int(data.y_train.max()) + 1, z_dim=2, hidden=[64, 64])
    quiet_fit(model, data.train, epochs=30, batch_size=100, lr=1e-3, seed=seed)
    found = model.cluster(data.valid)
    facts = {"accuracy": clustering_accuracy(found, data.y_valid), "clusters_used": len(np.unique(found))}
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
    for ax, colours, title in ((axes[0], data.y_valid, "true clusters"),
                               (axes[1], found, f"found: {facts['clusters_used']} clusters, accuracy "
                                                f"{facts['accuracy']:.2f}")):
        ax.scatter(data.valid[:, 0], data.valid[:, 1], c=colours, s=3, cmap="tab10")
        ax.set(aspect="equal", title=title)
    return Drawn(plot._save(fig, path), facts)


def aae_dim_reduction(path, seed=0, data_dir=None, epochs=5):
    """Makhzani et al.'s dimensionality reduction (Fig. 10) on MNIST's labelled images (from
    the data folder): 16 cluster heads plus a 2-D style, r = y H + z, the heads kept at least
    eta = 6 apart, trained on 8,000 binarized digits; the 2,000 held-out digits' r coloured
    by digit (the heads as crosses) beside their top two principal components. ``*_knn``: how
    often a digit's 5 nearest neighbours name its class."""
    try:
        data = load_dataset("mnist", data_dir)
    except ValueError as e:
        raise ValueError(f"aae-dim-reduction needs MNIST's labelled images: {e}") from None
    binary = lambda x: (x > 0.5).astype(np.float32)
    x, held_out, labels = binary(data.train), binary(data.valid), data.y_valid
    mean = x.mean(0)
    components = np.linalg.svd(x - mean, full_matrices=False)[2][:2]
    backend.manual_seed(seed)
    model = create("dim-reduction-aae", x_dim=784, n_clusters=16, z_dim=2, eta=6.0, hidden=[512, 512],
                   likelihood="bernoulli")
    quiet_fit(model, x, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    codes = {"PCA": (held_out - mean) @ components.T, "AAE, r = y H + z": latent.codes(model, held_out)}
    knn = [knn_accuracy(z, labels) for z in codes.values()]
    facts = {"pca_knn": knn[0], "aae_knn": knn[1], "clusters_used": len(np.unique(model.cluster(held_out)))}
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    for ax, (name, z), accuracy in zip(axes, codes.items(), knn):
        art = ax.scatter(z[:, 0], z[:, 1], c=labels, s=3, cmap="tab10")
        ax.set_title(f"{name}: 5-NN accuracy {accuracy:.2f}", fontsize=9)
    heads = model.cluster_heads.numpy()
    axes[1].scatter(heads[:, 0], heads[:, 1], c="k", marker="x", s=30, label="cluster heads")
    axes[1].legend(loc="upper right", fontsize=8)
    fig.colorbar(art, ax=axes[1])
    return Drawn(plot._save(fig, path), facts)


def aae_style(path, seed=0, data_dir=None):
    """Makhzani et al.'s Fig. 7 on labelled MNIST (from the data folder): style and content.
    The label goes to the decoder beside a 2-D code matched to N(0, I); each row decodes one
    input's code with each of the ten labels: the label draws the digit, the code its style."""
    backend.manual_seed(seed)
    try:
        data = load_dataset("mnist", data_dir)
    except ValueError as e:
        raise ValueError(f"aae-style needs MNIST's labelled images: {e}") from None
    binary = lambda x: (x > 0.5).astype(np.float32)
    model = create("aae", x_dim=784, z_dim=2, hidden=[512, 512], likelihood="bernoulli", n_classes=10,
                   label_to_decoder=True)
    quiet_fit(model, binary(data.train), data.y_train, epochs=10, batch_size=100, lr=1e-3, seed=seed)
    x = binary(data.valid[:6])
    with no_grad():
        z = model.code(model.as_input(x))
        drawn = [model.data_mean(model.decode(z, np.full(len(x), k))).numpy() for k in range(10)]
    plt = plot._pyplot()
    fig, axes = plt.subplots(len(x), 11, figsize=(11, 1.1 * len(x) + 0.4))
    for i in range(len(x)):
        for j, image in enumerate([x[i]] + [d[i] for d in drawn]):
            axes[i, j].imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[i, j].axis("off")
    for j, title in enumerate(["input"] + [f"y = {k}" for k in range(10)]):
        axes[0, j].set_title(title, fontsize=9)
    fig.suptitle("one code (the style) decoded with each label (the content)")
    return Drawn(plot._save(fig, path), {})


def aae_manifold(path, seed=0, data_dir=None, images=50_000):
    """Makhzani et al.'s Fig. 2e on binarized MNIST (from the data folder): an adversarial
    autoencoder whose 2-D codes are matched to N(0, I), its decoder over a 15 x 15 grid of
    the prior's quantiles (the percentile manifold). Because the codes fill the prior, the
    whole grid decodes to digits that change smoothly. 4 epochs of ``images`` (50,000:
    about 75 s on 2 cores, a longer budget than the other figures')."""
    from .vaes import mnist_sets
    train, labelled = mnist_sets("aae-manifold", data_dir)
    backend.manual_seed(seed)
    model = create("aae", x_dim=784, z_dim=2, hidden=[512, 512], prior="gaussian", likelihood="bernoulli")
    quiet_fit(model, train.train[:images], epochs=4, batch_size=100, lr=1e-3, seed=seed)
    grid = latent.decoded_grid(model, 15)
    facts = grid_facts(grid, (labelled.train, labelled.y_train))
    return Drawn(plot.grid(grid, path, title=f"AAE decoder over N(0, I)'s quantiles: neighbours "
                                                f"{facts['neighbour_ratio']:.3f} as far apart as any two"), facts)
