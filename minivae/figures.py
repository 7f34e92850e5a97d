"""The lectures' figures, each reproduced by one command: ``minivae figure NAME``.

Each figure trains what it needs on generated data with a small budget (seconds on 2 cores),
seeded, and writes one PNG; those that need real data (``NEEDS_DATA``) read it from a data
folder. ``FIGURES`` maps each name to its function, whose docstring says what it shows; it returns
``Drawn``: the PNG's path and ``facts``, the numbers behind the lecture's point measured on
the figure's own run (the command prints them; the tests assert the point on them).
"""
from typing import NamedTuple

import numpy as np

from . import backend, latent, plot
from .core import no_grad
from .data import load_dataset, ring
from .data.toy import gaussian_bump
from .models import create
from .models.denoising_ae import corrupt
from .train import fit


class Drawn(NamedTuple):
    path: str
    facts: dict


def _quiet_fit(model, x, y=None, **kwargs):
    return fit(model, x, y, progress=False, log=lambda record: None, **kwargs)


def naive_mc_density(path, seed=0):
    """The first lecture: alpha fitted by the naive prior-sampling estimate, then that
    estimate of p(x) along the line y = 0 for N_s = 100, 1000 and 10000 prior samples."""
    backend.manual_seed(seed)
    model = create("naive-mc", x_dim=2, alpha=2.0)
    _quiet_fit(model, ring(4000, seed=seed), epochs=5, batch_size=100, lr=0.05, seed=seed)
    line = np.stack([np.linspace(-2.5, 2.5, 201), np.zeros(201)], 1).astype(np.float32)
    plt = plot._pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for n in (100, 1000, 10000):
        ax.plot(line[:, 0], model.density(line, n), label=f"N_s = {n}")
    ax.set(xlabel="x (y = 0)", ylabel="estimated p(x)",
           title=f"naive Monte Carlo, alpha fitted to {model.alpha.numpy()[0]:.3f} (data: 0.5)")
    ax.legend()
    return Drawn(plot._save(fig, path), {})


def gaussian_toy(path, seed=0):
    """The first lecture's 1-D toy: p_data = N(0, beta^2) against p_model = N(0, theta^2 +
    sigma^2), the latent integral done by hand. Left, theta = beta: the model is the data
    only at sigma = 0, and a larger sigma blurs it. Right, theta fitted by maximum
    likelihood for each sigma: it reaches the data while sigma <= beta (theta^2 = beta^2 -
    sigma^2), and past that no theta can (the KL left)."""
    from .models.linear_gaussian import LinearGaussian, best_theta, kl_gaussians
    beta, sigmas = 1.0, [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    x = np.random.default_rng(seed).normal(0, beta, (2000, 1)).astype(np.float32)
    spread = float(np.sqrt((x.astype(np.float64) ** 2).mean()))   # the data's own beta
    fitted = []
    for sigma in sigmas:
        backend.manual_seed(seed)
        model = LinearGaussian(theta=0.5, sigma=sigma)
        _quiet_fit(model, x, epochs=200, batch_size=len(x), lr=0.05, seed=seed)   # full batch: the exact gradient
        fitted.append(abs(float(model.theta.numpy()[0])))
    kl = [kl_gaussians(spread, float(np.hypot(t, s))) for t, s in zip(fitted, sigmas)]
    facts = {"theta_error": max(abs(t - best_theta(spread, s)) for t, s in zip(fitted, sigmas)),
             "kl_within_beta": max(k for k, s in zip(kl, sigmas) if s <= beta),
             "kl_at_sigma_1.5": kl[-1]}
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    grid = np.linspace(-4, 4, 401)
    density = lambda scale: np.exp(-0.5 * (grid / scale) ** 2) / np.sqrt(2 * np.pi * scale ** 2)
    axes[0].plot(grid, density(beta), "k", lw=2.5, label="p_data = N(0, 1)")
    for sigma in (0.1, 0.5, 1.0):
        axes[0].plot(grid, density(np.hypot(beta, sigma)), "--", label=f"p_model, theta = 1, sigma = {sigma}")
    axes[0].set(xlabel="x", title="theta = beta: a larger sigma blurs p_model")
    axes[0].legend(fontsize=8)
    axes[1].plot(sigmas, fitted, "o", label="theta fitted by maximum likelihood")
    fine = np.linspace(0, 1.5, 151)
    axes[1].plot(fine, [best_theta(spread, s) for s in fine], "k-", lw=1, label="sqrt(beta^2 - sigma^2)")
    for s, t, k in zip(sigmas, fitted, kl):
        axes[1].annotate(f"KL {k:.3f}", (s, t), textcoords="offset points", xytext=(4, 6), fontsize=7)
    axes[1].set(xlabel="sigma", ylabel="|theta|", title="fitted theta, and the KL(p_data || p_model) left")
    axes[1].legend(fontsize=8)
    return Drawn(plot._save(fig, path), facts)


def attribute_edit(path, seed=0):
    """Latent arithmetic on the sprites: the 'large' direction (mean code of sprites above
    the median scale minus that of the others) added to and taken from a few codes."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=4000, seed=seed)
    model = create("vae", x_dim=784, z_dim=8, hidden=[400], activation="relu", likelihood="bernoulli")
    _quiet_fit(model, data.train, epochs=8, batch_size=100, lr=2e-3, seed=seed)
    scale = data.factors_train[:, 1]
    vector = latent.attribute_vector(model, data.train, scale > np.median(scale))
    amounts = np.linspace(-1.5, 1.5, 7)
    edits = latent.edit(model, data.valid[:6], vector, amounts)            # (amounts, inputs, 784)
    plt = plot._pyplot()
    fig, axes = plt.subplots(6, len(amounts), figsize=(len(amounts), 6.4))
    for j, a in enumerate(amounts):
        axes[0, j].set_title(f"{a:+.1f}", fontsize=8)
        for i in range(6):
            axes[i, j].imshow(edits[j, i].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[i, j].axis("off")
    fig.suptitle("z + a * (mean z of large sprites - mean z of small ones)")
    return Drawn(plot._save(fig, path), {})


def denoise_before_after(path, seed=0):
    """The denoising autoencoder on the sprites: clean inputs, their blur(x + eps)
    corruption, and what the autoencoder gives back."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=6000, seed=seed)
    model = create("denoising-ae", x_dim=784, z_dim=32, hidden=[512], corruption="gaussian+blur",
                   level=(0.3, 1.0), image_shape=(28, 28), likelihood="bernoulli")
    _quiet_fit(model, data.train, epochs=8, batch_size=100, lr=1e-3, seed=seed)
    clean = data.valid[:8]
    noisy = np.clip(corrupt(clean, "gaussian+blur", (0.3, 1.0), (28, 28), backend.Generator(seed)), 0, 1)
    rows = [(clean, "clean"), (noisy, "blur(x + eps)"), (model.reconstruct(noisy), "denoised")]
    return Drawn(_rows_of_images(rows, path), {})


def ae_vs_vae_codes(path, seed=0):
    """The bump (a Gaussian bump on 32 pixels whose centre is the hidden variable): the 2-D
    codes of a plain autoencoder and of a VAE from two initialisations each, coloured by the
    centre, and their histograms against N(0, 1). The autoencoder's codes have no reasonable
    structure: a curve whose place, size and shape the initialisation decides; the VAE's
    codes, drawn from q(z|x), follow its prior N(0, I) from either start."""
    from scipy import stats
    x, centre = gaussian_bump(3000, seed=seed)
    plt = plot._pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.6))
    facts, grid = {}, np.linspace(-4, 4, 200)
    for row, name in zip(axes, ("ae", "vae")):
        codes = []
        for ax, init in zip(row, (seed, seed + 1)):
            backend.manual_seed(init)
            model = create(name, x_dim=32, z_dim=2, hidden=[64], likelihood="gaussian",
                           **({"activation": "tanh"} if name == "vae" else {}))
            _quiet_fit(model, x, epochs=20, batch_size=100, lr=2e-3, seed=seed)
            codes.append(latent.posterior_codes(model, x, 1, generator=backend.Generator(seed))[:, 0] if name == "vae"
                         else latent.codes(model, x))   # the VAE's: drawn from q(z|x), the aggregate posterior
            ax.scatter(codes[-1][:, 0], codes[-1][:, 1], c=centre, s=3, cmap="viridis")
            ax.set_title(f"{name}, initialisation {init - seed + 1}: codes by the bump's centre", fontsize=9)
            row[2].hist(codes[-1].ravel(), bins=60, density=True, histtype="step",
                        label=f"initialisation {init - seed + 1}")
        # Kolmogorov-Smirnov distances, the worst coordinate: to N(0, 1), and between the two starts
        to_prior = [max(stats.kstest(c, "norm").statistic for c in z.T) for z in codes]
        facts[f"{name}_ks"] = float(min(to_prior) if name == "ae" else max(to_prior))
        facts[f"{name}_inits_ks"] = float(max(stats.ks_2samp(a, b).statistic for a, b in zip(codes[0].T, codes[1].T)))
        row[2].plot(grid, stats.norm.pdf(grid), "k--", lw=1, label="N(0, 1)")
        row[2].set_title(f"{name}: KS to N(0, 1) {'>=' if name == 'ae' else '<='} {facts[name + '_ks']:.2f}, "
                         f"between starts {facts[name + '_inits_ks']:.2f}", fontsize=9)
        row[2].legend(fontsize=8)
    return Drawn(plot._save(fig, path), facts)


def vae_mixture_prior(path, seed=0):
    """A VAE with a learned 8-component Gaussian-mixture prior on the mixture toy data: the
    codes of the data over the prior's components (means and one-sigma circles)."""
    backend.manual_seed(seed)
    data = load_dataset("mixture", n=4000, seed=seed)
    model = create("vae", x_dim=2, z_dim=2, hidden=[64, 64], prior="mixture", prior_components=8, learn_prior=True)
    _quiet_fit(model, data.train, epochs=20, batch_size=100, lr=2e-3, seed=seed)
    codes = latent.codes(model, data.valid)
    means, logvars = model.prior.means.numpy(), model.prior.logvars.numpy()
    plt = plot._pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(codes[:, 0], codes[:, 1], c=data.y_valid, s=3, cmap="tab10")
    angle = np.linspace(0, 2 * np.pi, 60)
    for m, v in zip(means, np.exp(0.5 * logvars)):
        ax.plot(m[0] + v[0] * np.cos(angle), m[1] + v[1] * np.sin(angle), "k-", lw=0.8)
    ax.set(aspect="equal", title="codes and the learned mixture prior")
    return Drawn(plot._save(fig, path), {})


def _aae_codes(path, prior, labels_fraction, seed, title, epochs=20, facts=lambda codes, labels: {}):
    backend.manual_seed(seed)
    data = load_dataset("mixture", n=4000, seed=seed)
    informed = labels_fraction is not None
    model = create("aae", x_dim=2, z_dim=2, hidden=[64, 64], prior=prior,
                   n_classes=int(data.y_train.max()) + 1 if informed else None)
    labels = None
    if informed:   # the rest of the labels are unknown: -1, the discriminator's extra class
        hidden = np.random.default_rng(seed).random(len(data.y_train)) >= labels_fraction
        labels = np.where(hidden, -1, data.y_train)
    _quiet_fit(model, data.train, labels, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
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
    from .models.priors import component_of
    return {"in_own_component": float((component_of(codes) == labels).mean())}


def aae_gaussian(path, seed=0):
    """Makhzani et al.'s Fig. 2a on the sprites: the adversarial autoencoder's 2-D codes of
    held-out images fill its N(0, I) prior, as samples of the prior do; coloured by the
    sprite's shape. 25 epochs (about 30 s on 2 cores): the codes take that long to fill it."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=6000, seed=seed)
    model = create("aae", x_dim=784, z_dim=2, hidden=[256, 256], prior="gaussian", likelihood="bernoulli")
    _quiet_fit(model, data.train, epochs=25, batch_size=100, lr=1e-3, seed=seed)
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
    go to their class's mixture component, and the unlabelled ones follow."""
    return _aae_codes(path, "mixture", 0.1, seed, "codes, 10% of labels given", epochs=60, facts=_in_own_component)


def aae_clustering(path, seed=0):
    """Unsupervised clustering by an adversarial autoencoder on the mixture toy data: each
    point coloured by the cluster its categorical code picks, beside the true clusters, with
    the Hungarian-matched accuracy."""
    from .models.clustering_aae import clustering_accuracy
    backend.manual_seed(seed)
    data = load_dataset("mixture", n=4000, seed=seed)
    model = create("clustering-aae", x_dim=2, n_clusters=int(data.y_train.max()) + 1, z_dim=2, hidden=[64, 64])
    _quiet_fit(model, data.train, epochs=30, batch_size=100, lr=1e-3, seed=seed)
    found = model.cluster(data.valid)
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
    for ax, colours, title in ((axes[0], data.y_valid, "true clusters"),
                               (axes[1], found, f"found, accuracy {clustering_accuracy(found, data.y_valid):.2f}")):
        ax.scatter(data.valid[:, 0], data.valid[:, 1], c=colours, s=3, cmap="tab10")
        ax.set(aspect="equal", title=title)
    return Drawn(plot._save(fig, path), {})


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
    _quiet_fit(model, binary(data.train), data.y_train, epochs=10, batch_size=100, lr=1e-3, seed=seed)
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


def pca_vs_ae(path, seed=0):
    """The first lecture's comparison (Hinton and Salakhutdinov's Fig. 2) on the sprites:
    30-dimensional codes of PCA (the tied linear autoencoder), logistic PCA (a linear code
    decoded through a sigmoid, Bernoulli error) and a deep autoencoder, their
    reconstructions side by side, each row with its mean squared error."""
    data = load_dataset("sprites", n=6000, seed=seed)
    rows = [(data.valid[:10], "input")]
    for name, kwargs, label in (("linear-ae", {}, "PCA (linear AE)"),
                                ("ae", {"hidden": [], "likelihood": "bernoulli"}, "logistic PCA"),
                                ("ae", {"hidden": [512, 128], "likelihood": "bernoulli"}, "deep AE")):
        backend.manual_seed(seed)
        model = create(name, x_dim=784, z_dim=30, **kwargs)
        _quiet_fit(model, data.train, epochs=10, batch_size=100, lr=2e-3, seed=seed)
        error = float(((model.reconstruct(data.valid) - data.valid) ** 2).mean())
        rows.append((model.reconstruct(data.valid[:10]), f"{label}: MSE {error:.4f}"))
    return Drawn(_rows_of_images(rows, path), {})


def mask_inpaint(path, seed=0):
    """The masked autoencoder on the sprites: each input with a block hidden (grey), and the
    hidden block filled in by the model, trained to fill random blocks (mask="blocks")."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=6000, seed=seed)
    model = create("masked-ae", x_dim=784, z_dim=32, hidden=[512], mask_ratio=0.25, mask="blocks",
                   likelihood="bernoulli")
    _quiet_fit(model, data.train, epochs=8, batch_size=100, lr=1e-3, seed=seed)
    x = data.valid[:500]
    visible = np.ones((len(x), 28, 28), np.float32)
    visible[:, 8:20, 14:] = 0.0                                   # the right half of the middle rows
    visible = visible.reshape(len(x), 784)
    hidden, filled = visible == 0, model.inpaint(x, visible)
    facts = {"fill_mse": float(((filled - x)[hidden] ** 2).mean()),   # over the 500 held-out sprites
             "mean_image_fill_mse": float(((data.train.mean(0) - x)[hidden] ** 2).mean())}
    shown = np.where(visible > 0, x, 0.5)
    rows = [(x[:8], "input"), (shown[:8], "hidden block in grey"),
            (filled[:8], f"inpainted: hidden pixels' MSE {facts['fill_mse']:.3f} on 500 held-out sprites "
                         f"(the mean image's {facts['mean_image_fill_mse']:.3f})")]
    return Drawn(_rows_of_images(rows, path), facts)


def iwae_sir(path, seed=0):
    """Burda et al.'s Fig. 3 on the sprites: reconstructions from single draws of q(z|x)
    against sampling-importance-resampling among k = 50 draws (q_IW), for an IWAE."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=6000, seed=seed)
    model = create("iwae", x_dim=784, z_dims=[8], hidden=[[256]], k=5)
    _quiet_fit(model, data.train, epochs=6, batch_size=100, lr=1e-3, seed=seed)
    x = data.valid[:500]
    drawn, resampled = latent.posterior_samples(model, x, 1)[:, 0], model.sir_reconstruct(x, 50)
    facts = {"draw_bce": _bce(drawn, x), "sir_bce": _bce(resampled, x)}   # per image, 500 held-out sprites
    rows = [(x[:8], "input"),
            (drawn[:8], f"a draw from q(z|x): BCE {facts['draw_bce']:.1f} a sprite (500 held out)"),
            (latent.posterior_samples(model, x[:8], 1)[:, 0], "another draw"),
            (resampled[:8], f"SIR among 50 draws: BCE {facts['sir_bce']:.1f}"),
            (model.sir_reconstruct(x[:8], 50), "another resampling")]
    return Drawn(_rows_of_images(rows, path), facts)


def _bce(p, x):
    """The reconstruction error -log p(x|z) of binary images x under means p, per image."""
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return float(-(x * np.log(p) + (1 - x) * np.log1p(-p)).sum(1).mean())


def image_models(path, seed=0, data_dir=None, images=20_000):
    """Larsen et al.'s and Lamb et al.'s point on MNIST (from the data folder): held-out
    digits, their reconstructions and samples, for the plain VAE (MLP and convolutional),
    VAE/GAN, VAE_Disl and DR-VAE, each trained on the same binarized images (``images`` of
    them; DR-VAE's classifier on labelled ones). bench/image_quality.py measures them."""
    from . import image_models as models
    try:
        train, labelled = load_dataset("binarized-mnist", data_dir), load_dataset("mnist", data_dir)
    except ValueError as e:
        raise ValueError(f"image-models needs binarized MNIST and MNIST's labelled images: {e}") from None
    held_out, rows = labelled.valid[:8], []
    for key in models.MODELS:
        label, model, training = models.build(key, seed)
        models.train(model, train.train, training, seed, (labelled.train, labelled.y_train), images=images)
        model.eval()
        backend.manual_seed(seed)
        rows.append((label, held_out, model.reconstruct(held_out), model.sample(8)))
    return Drawn(models.picture(rows, path), {})


def _rows_of_images(rows, path):
    plt = plot._pyplot()
    fig, axes = plt.subplots(len(rows), len(rows[0][0]), figsize=(len(rows[0][0]), 1.15 * len(rows)))
    for r, (images, label) in enumerate(rows):
        axes[r, 0].set_title(label, loc="left", fontsize=9)
        for ax, image in zip(axes[r], images):
            ax.imshow(np.clip(image, 0, 1).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            ax.axis("off")
    return plot._save(fig, path)


FIGURES = {"naive-mc-density": naive_mc_density, "gaussian-toy": gaussian_toy, "ae-vs-vae-codes": ae_vs_vae_codes, "pca-vs-ae": pca_vs_ae,
           "vae-mixture-prior": vae_mixture_prior, "aae-gaussian": aae_gaussian, "aae-mixture": aae_mixture,
           "aae-label-informed": aae_label_informed, "aae-style": aae_style, "aae-clustering": aae_clustering, "attribute-edit": attribute_edit,
           "denoise-before-after": denoise_before_after, "mask-inpaint": mask_inpaint, "iwae-sir": iwae_sir,
           "image-models": image_models}


# the lecture (``../shared/seeds``) and the figure each one reproduces
DIABOLO, MAKHZANI = "Kolasinski, Diabolo Networks", "Kolasinski, Diabolo Networks: Makhzani et al."
SOURCES = {
    "naive-mc-density": f"{DIABOLO}: the naive Monte Carlo toy, p(x) at y = 0 for N_s = 100, 1000, 10000",
    "gaussian-toy": f"{DIABOLO}: the 1-D toy, P_model = N(0, theta^2 + sigma^2)",
    "ae-vs-vae-codes": f"{DIABOLO}: 'What is wrong with autoencoder?', the bump's 2-D codes",
    "pca-vs-ae": f"{DIABOLO}: Hinton and Salakhutdinov 2006, Fig. 2",
    "vae-mixture-prior": f"{MAKHZANI} Fig. 2d, a VAE with a mixture prior",
    "aae-gaussian": f"{MAKHZANI} Fig. 2a",
    "aae-mixture": f"{MAKHZANI} Fig. 2b",
    "aae-label-informed": f"{MAKHZANI} Fig. 4",
    "aae-style": f"{MAKHZANI} Fig. 7",
    "aae-clustering": f"{MAKHZANI}, unsupervised clustering",
    "attribute-edit": "Lecture notes, Generative Networks: latent attribute vectors",
    "denoise-before-after": "CISC 7026, Autoencoders and Generative Models: the denoising deblur loss",
    "mask-inpaint": "CISC 7026, Autoencoders and Generative Models: the masked autoencoder",
    "iwae-sir": f"{DIABOLO}: Burda et al. Fig. 3",
    "image-models": f"{DIABOLO} and Leibe, VAE II: Larsen et al.'s VAE/GAN and VAE_Disl, Lamb et al.",
}

NEEDS_DATA = {"aae-style", "image-models"}


def draw(name, path, seed=0, data_dir=None):
    """Draw the figure ``name`` into ``path``: its ``Drawn`` (path and facts). The data
    folder goes to those that need one."""
    return FIGURES[name](path, seed=seed, **({"data_dir": data_dir} if name in NEEDS_DATA else {}))


def describe():
    """name -> [the lecture and figure it reproduces] the first line of what it shows."""
    return {name: f"[{SOURCES[name]}] " + " ".join(fn.__doc__.split()).split(". ")[0] for name, fn in FIGURES.items()}
