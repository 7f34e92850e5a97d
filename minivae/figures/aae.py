"""Makhzani et al.'s adversarial autoencoders: codes that fill the prior, a mixture prior,
labels, clustering, and style against content."""

import numpy as np

from .. import backend, latent, plot
from ..core import no_grad
from ..data import load_dataset
from ..models import create
from ..eval.prior_match import component_shares, in_component, prior_match
from ..models.priors import mixture_centres, sampler, swiss_roll
from .drawing import Drawn, grid_facts, knn_accuracy, mnist_sets, quiet_fit


def _mnist(name, data_dir):
    """(binarized MNIST's training and held-out images; MNIST's labelled test digits as
    (train, y_train, held-out, y_held_out), binarized by sampling as binarized MNIST was)."""
    train, labelled = mnist_sets(name, data_dir)
    sample = lambda x, seed: (np.random.default_rng(seed).random(x.shape) < x).astype(np.float32)
    return train, (sample(labelled.train, 1), labelled.y_train, sample(labelled.valid, 2), labelled.y_valid)


def _matched(prefix, codes, draw):
    facts = prior_match(codes, draw)
    return {f"{prefix}_energy_ratio": facts["energy_ratio"], f"{prefix}_neighbour_ratio": facts["neighbour_ratio"],
            f"{prefix}_match": facts["match"]}


def _vae(prior, seed):
    backend.manual_seed(seed)
    vae = create("vae", x_dim=784, z_dim=2, hidden=MNIST_HIDDEN, prior=prior, prior_components=10,
                 likelihood="bernoulli")
    if prior == "mixture":   # the AAE's ten Gaussians: radius 4, std 0.5
        vae.prior.means.data[...] *= 4.0 / np.hypot(*vae.prior.means.data[0])
    return vae


MNIST_HIDDEN = [400]   # the command line's default, as its 10 epochs (bench/aae_prior.py)


def _aae_against_vae(path, prior, seed, data_dir, images, epochs, name, panels):
    """Makhzani et al.'s Fig. 2 pair for one prior: an AAE and a VAE, 2-D codes, trained alike
    on ``images`` binarized MNIST digits; each one's codes of held-out labelled digits
    coloured by digit, over grey draws of the prior. The prior match is measured on
    binarized MNIST's own held-out split (2,000 digits): MNIST's test digits, though
    binarized the same way, sit apart from them in an AAE's code space (docs/quality.md)."""
    train, (_, _, shown, digits) = _mnist(name, data_dir)
    backend.manual_seed(seed)
    aae = create("aae", x_dim=784, z_dim=2, hidden=MNIST_HIDDEN, prior=prior, likelihood="bernoulli")
    quiet_fit(aae, train.train[:images], epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    vae = _vae(prior, seed)
    quiet_fit(vae, train.train[:images], epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    held_out = train.valid[:2000]
    draw = sampler(aae.prior)
    code = {"AAE": lambda x: latent.codes(aae, x), "VAE": lambda x: latent.posterior_codes(vae, x, 1)[:, 0]}
    facts = {}
    for model in ("AAE", "VAE"):
        facts.update(_matched(model.lower(), code[model](held_out), draw))
        if prior == "mixture":
            z = code[model](held_out)
            shares = component_shares(z, mixture_centres(), 0.5)
            facts[f"{model.lower()}_in_component"] = float(shares.sum())
            facts[f"{model.lower()}_components_used"] = int((shares >= 0.03).sum())
    prior_samples = draw(len(shown), np.random.default_rng(seed))
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.4), sharex=True, sharey=True)
    for ax, model, panel in zip(axes, ("AAE", "VAE"), panels):
        z = code[model](shown)
        ax.scatter(prior_samples[:, 0], prior_samples[:, 1], s=2, c="0.85")
        art = ax.scatter(z[:, 0], z[:, 1], s=3, c=digits, cmap="tab10", vmin=-0.5, vmax=9.5)
        key = model.lower()
        verdict = "matches" if facts[f"{key}_match"] else "does not match"
        ax.set_title(f"({panel}) {model}: codes of held-out digits", fontsize=10)
        ax.set_xlabel(f"{verdict} p(z): energy {facts[key + '_energy_ratio']:.1f}, neighbours "
                      f"{facts[key + '_neighbour_ratio']:.1f} x chance's 95%"
                      + (f"\n{facts[key + '_in_component']:.0%} within 2 sd of a component, "
                         f"{facts[key + '_components_used']} of 10 hold 3%" if prior == "mixture" else ""), fontsize=8)
        ax.set_aspect("equal")
    fig.colorbar(art, ax=axes, ticks=range(10), shrink=0.8, label="digit")
    return Drawn(plot._save(fig, path), facts)


def aae_gaussian(path, seed=0, data_dir=None, images=50_000, epochs=10):
    """Makhzani et al.'s Fig. 2a against 2c on binarized MNIST (from the data folder): an
    adversarial autoencoder and a VAE with a 2-D N(0, I) prior. The AAE's codes fill the
    prior (its adversary sees their whole spread); the VAE's draws from q(z|x) leave the
    prior's edges thin and crowd its centre, as the KL pulls each posterior in."""
    return _aae_against_vae(path, "gaussian", seed, data_dir, images, epochs, "aae-gaussian", ("a", "c"))


def aae_mixture(path, seed=0, data_dir=None, images=50_000, epochs=10):
    """Makhzani et al.'s Fig. 2b against 2d on binarized MNIST (from the data folder): an
    adversarial autoencoder and a VAE with one prior, ten 2-D Gaussians on a circle. The
    AAE's codes sit in the components, every one of them used; the VAE's draws from q(z|x)
    spread between and across them (its KL asks each posterior to be near the prior, not
    the codes together to be distributed as it)."""
    return _aae_against_vae(path, "mixture", seed, data_dir, images, epochs, "aae-mixture", ("b", "d"))


def _label_informed(path, prior, seed, data_dir, images, epochs, name, title, decoded):
    """The label-informed AAE on binarized MNIST's ``images`` unlabelled digits (label -1,
    the discriminator's extra class) and as many of MNIST's 8,000 labelled test digits as
    make a tenth of all the examples; the 2,000 held-out labelled digits' codes coloured
    by digit, and ``decoded(model)``'s rows of images beside them. With 50,000 unlabelled
    digits, 5,556 labelled ones."""
    train, (labelled, labels, shown, digits) = _mnist(name, data_dir)
    keep = min(len(labelled), round(images / 9))   # a tenth of all the examples keep their label
    x = np.concatenate([train.train[:images], labelled[:keep]])
    y = np.concatenate([np.full(images, -1), labels[:keep]])
    backend.manual_seed(seed)
    model = create("aae", x_dim=784, z_dim=2, hidden=MNIST_HIDDEN, prior=prior, likelihood="bernoulli",
                   n_classes=10)
    quiet_fit(model, x, y, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    codes = latent.codes(model, shown)
    facts = {"labelled_share": keep / len(x)}
    if prior == "mixture":
        facts["in_own_component"] = in_component(codes, mixture_centres(), 0.5, components=digits)
    else:
        facts["on_own_segment"] = on_own_segment(codes, digits)
    facts.update(_matched("aae", latent.codes(model, train.valid[:2000]), sampler(model.prior)))
    rows = decoded(model)
    plt = plot._pyplot()
    fig = plt.figure(figsize=(13, 5.6))
    ax = fig.add_axes([0.03, 0.08, 0.4, 0.84])
    prior_samples = sampler(model.prior)(2000, np.random.default_rng(seed))
    ax.scatter(prior_samples[:, 0], prior_samples[:, 1], s=2, c="0.85")
    art = ax.scatter(codes[:, 0], codes[:, 1], s=3, c=digits, cmap="tab10", vmin=-0.5, vmax=9.5)
    fig.colorbar(art, ax=ax, ticks=range(10), shrink=0.8)
    measure = "in_own_component" if prior == "mixture" else "on_own_segment"
    ax.set(aspect="equal", title=title)
    ax.set_xlabel(f"{facts[measure]:.0%} of held-out digits {measure.replace('_', ' ')} "
                  f"({facts['labelled_share']:.0%} of training labels given)", fontsize=8)
    for r, (images_row, label) in enumerate(rows):
        for c, image in enumerate(images_row):
            sub = fig.add_axes([0.47 + c * 0.5 / len(images_row), 0.92 - (r + 1) * 0.84 / len(rows),
                                0.5 / len(images_row) * 0.95, 0.84 / len(rows) * 0.8])
            sub.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            sub.axis("off")
            if c == 0:
                sub.set_title(label, loc="left", fontsize=8)
    return Drawn(plot._save(fig, path), facts)


def _along_components(model, components=(0, 1, 2), n=10):
    """Fig. 4b: for each of three components, a row decoded at its centre plus its own
    standard deviation times the Gaussian's quantiles along the circle's tangent."""
    from scipy.stats import norm
    centres, rows = mixture_centres(), []
    for k in components:
        tangent = np.array([-centres[k, 1], centres[k, 0]]) / 4.0
        z = centres[k] + 0.5 * norm.ppf(np.linspace(0.05, 0.95, n))[:, None] * tangent
        rows.append((latent.decode(model, z.astype(np.float32)), f"component {k} (digit {k})"))
    return rows


def _along_the_roll(model, rows=3, n=10):
    """Fig. 4d: the roll's main axis walked from its start (digit 0) to its end (digit 9)."""
    u = np.linspace(0.005, 0.995, rows * n)
    t = 1.5 * np.pi * (1 + 2 * u)
    z = (np.stack([t * np.cos(t), t * np.sin(t)], 1) / 5.0).astype(np.float32)
    images = latent.decode(model, z)
    return [(images[r * n:(r + 1) * n], f"along the roll, {r * 100 // rows}% to {(r + 1) * 100 // rows}%")
            for r in range(rows)]


def on_own_segment(codes, labels, tolerance=0.3):
    """The share of codes within ``tolerance`` of the swiss roll, nearest a point of their
    own class's tenth of it (a quarter of the gap between the roll's arms, 1.26)."""
    reference = swiss_roll(5000, noise=0.0, generator=backend.Generator(1), labels=np.arange(5000) % 10)
    reference = np.asarray(backend.to_device(reference, "cpu"), np.float64)
    d = ((np.asarray(codes, np.float64)[:, None] - reference[None]) ** 2).sum(-1)
    nearest = d.argmin(1)
    close = np.sqrt(d[np.arange(len(codes)), nearest]) <= tolerance
    return float((close & ((np.arange(5000) % 10)[nearest] == np.asarray(labels))).mean())


def aae_label_informed(path, seed=0, data_dir=None, images=50_000, epochs=10):
    """Makhzani et al.'s Fig. 4a and 4b on MNIST: the label-informed AAE with a tenth of the
    labels, the rest unknown (the discriminator's extra class); each held-out digit's code
    lands in its class's component of the ten-Gaussian prior, and each component decodes
    to its digit, its style changing along it."""
    return _label_informed(path, "mixture", seed, data_dir, images, epochs, "aae-label-informed",
                           "(a) codes of held-out digits, 10% of labels given", _along_components)


def aae_swiss_roll(path, seed=0, data_dir=None, images=50_000, epochs=10):
    """Makhzani et al.'s Fig. 4c and 4d on MNIST: the label-informed AAE with a tenth of the
    labels and a swiss-roll prior whose tenths belong to the digits in order; held-out
    digits' codes lie on their digit's stretch of the roll, and walking along the roll
    decodes 0s, then 1s, up to 9s."""
    return _label_informed(path, "swiss_roll", seed, data_dir, images, epochs, "aae-swiss-roll",
                           "(c) codes of held-out digits, 10% of labels given", _along_the_roll)


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


def aae_dim_reduction(path, seed=0, data_dir=None, epochs=5, labelled=1000):
    """Makhzani et al.'s dimensionality reduction (the lecture's Fig. 10; the paper's Fig. 11)
    on MNIST's labelled images (from the data folder), trained on 8,000 binarized digits: the
    2,000 held-out digits' 2-D representation r = y H + z (cluster heads kept at least eta = 6
    apart, plus a 2-D style), coloured by digit, the heads as crosses; unsupervised with 16
    clusters, and semi-supervised with ``labelled`` of the labels (10 clusters, a labelled
    digit's cluster its class); beside them the top two principal components and a plain
    2-D autoencoder (784-512-128-2) trained alike. ``*_knn``: how often a digit's 5 nearest
    neighbours name its class."""
    try:
        data = load_dataset("mnist", data_dir)
    except ValueError as e:
        raise ValueError(f"aae-dim-reduction needs MNIST's labelled images: {e}") from None
    binary = lambda x: (x > 0.5).astype(np.float32)
    x, held_out, labels = binary(data.train), binary(data.valid), data.y_valid
    mean = x.mean(0)
    components = np.linalg.svd(x - mean, full_matrices=False)[2][:2]
    some = np.full(len(x), -1)
    shown = np.random.default_rng(seed).permutation(len(x))[:labelled]
    some[shown] = data.y_train[shown]
    codes, heads = {"PCA": (held_out - mean) @ components.T}, {}
    for name, kind, y, kwargs in (
            ("autoencoder", "ae", None, {"hidden": [512, 128]}),
            ("AAE, unsupervised, 16 clusters", "dim-reduction-aae", None, {"n_clusters": 16}),
            (f"AAE, {labelled} labels", "dim-reduction-aae", some, {"n_clusters": 10, "n_classes": 10})):
        backend.manual_seed(seed)
        if kind == "ae":
            model = create(kind, x_dim=784, z_dim=2, likelihood="bernoulli", **kwargs)
        else:
            model = create(kind, x_dim=784, z_dim=2, eta=6.0, hidden=[512, 512], likelihood="bernoulli", **kwargs)
        quiet_fit(model, x, y, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
        codes[name] = latent.codes(model, held_out)
        if kind != "ae":
            heads[name] = model.cluster_heads.numpy()
            clusters_used = len(np.unique(model.cluster(held_out)))
            if y is None:
                unsupervised_clusters = clusters_used
    knn = [knn_accuracy(z, labels) for z in codes.values()]
    facts = {"pca_knn": knn[0], "ae_knn": knn[1], "aae_knn": knn[2], "semi_knn": knn[3],
             "clusters_used": unsupervised_clusters}
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(20, 5))
    for ax, (name, z), accuracy in zip(axes, codes.items(), knn):
        art = ax.scatter(z[:, 0], z[:, 1], c=labels, s=3, cmap="tab10")
        ax.set_title(f"{name}: 5-NN accuracy {accuracy:.2f}", fontsize=9)
        if name in heads:
            ax.scatter(heads[name][:, 0], heads[name][:, 1], c="k", marker="x", s=30, label="cluster heads")
            ax.legend(loc="upper right", fontsize=8)
    fig.colorbar(art, ax=axes[-1])
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
    train, labelled = mnist_sets("aae-manifold", data_dir)
    backend.manual_seed(seed)
    model = create("aae", x_dim=784, z_dim=2, hidden=[512, 512], prior="gaussian", likelihood="bernoulli")
    quiet_fit(model, train.train[:images], epochs=4, batch_size=100, lr=1e-3, seed=seed)
    grid = latent.decoded_grid(model, 15)
    facts = grid_facts(grid, (labelled.train, labelled.y_train))
    return Drawn(plot.grid(grid, path, title=f"AAE decoder over N(0, I)'s quantiles: neighbours "
                                                f"{facts['neighbour_ratio']:.3f} as far apart as any two"), facts)
