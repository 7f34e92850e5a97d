"""Figures of the deterministic autoencoders: PCA against a deep autoencoder, what is
wrong with an autoencoder's codes, denoising and masking."""

import numpy as np

from .. import backend, latent, plot
from ..core import no_grad
from ..data import load_dataset
from ..data.toy import gaussian_bump
from ..models import create
from ..models.denoising_ae import corrupt
from .drawing import Drawn, digit_judge, held_out_digits, knn_accuracy, mnist_sets, quiet_fit, rows_of_images


def pca_vs_ae(path, seed=0, data_dir=None, images=20_000, epochs=10, lr=1e-3):
    """Hinton and Salakhutdinov's Fig. 2 (2006) on binarized MNIST (from the data folder):
    held-out digits given back from 30-dimensional codes by PCA (the top 30 principal
    components, what a linear autoencoder learns), logistic PCA (a linear code decoded
    through a sigmoid, Bernoulli error) and a deep autoencoder (784-512-128-30), the last
    two trained ``epochs`` on ``images`` digits. Each row with its mean squared error on
    2,000 held-out digits: the deep autoencoder's is the smallest, then logistic PCA's,
    then PCA's, the paper's order."""
    train, labelled = mnist_sets("pca-vs-ae", data_dir)
    x, held_out = train.train[:images], held_out_digits(labelled)[0]
    mean = x.mean(0)
    components = np.linalg.svd(x - mean, full_matrices=False)[2][:30]
    out = {"pca": (held_out - mean) @ components.T @ components + mean}
    for key, hidden in (("logistic_pca", []), ("deep_ae", [512, 128])):
        backend.manual_seed(seed)
        model = create("ae", x_dim=784, z_dim=30, hidden=hidden, likelihood="bernoulli")
        quiet_fit(model, x, epochs=epochs, batch_size=100, lr=lr, seed=seed)
        out[key] = model.reconstruct(held_out)
    facts = {f"{key}_mse": float(((r - held_out) ** 2).mean()) for key, r in out.items()}
    labels = {"pca": "30-D PCA", "logistic_pca": "30-D logistic PCA", "deep_ae": "30-D deep autoencoder"}
    rows = [(held_out[:10], "held-out digits")] + [
        (out[key][:10], f"{labels[key]}: MSE {facts[key + '_mse']:.4f} on 2,000 held out") for key in labels]
    return Drawn(rows_of_images(rows, path), facts)


def ae_vs_vae_codes(path, seed=0, sigma=0.3, epochs=100):
    """"What is wrong with autoencoder?" on the Diabolo lecture's toy, a Gaussian bump on 32
    pixels whose centre is the one hidden variable, coded in 2-D by a plain autoencoder and
    by a VAE (32-128-2 both, ``epochs`` of 3,000 bumps; the VAE's p(x|z) Gaussian with ``sigma``), each from two
    initialisations. Both reconstruct the bump; the autoencoder's codes lie where its
    initialisation put them, at a place, scale and shape of its own (drawn on shared axes,
    coloured by the centre), and follow no distribution; the VAE's means trace the centre
    inside N(0, I) from either start, and its draws from q(z|x) follow N(0, 1). The right
    column: each code unit, and the VAE's sigma (dashed), against the centre (the lecture's
    "mean and sigma outputs activations")."""
    from scipy import stats
    x, centre = gaussian_bump(3000, seed=seed)
    plt = plot._pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(17, 7.6))
    facts, grid, order = {}, np.linspace(-4, 4, 200), np.argsort(centre)
    label = {"ae": "AE", "vae": "VAE"}
    for row, name in zip(axes, ("ae", "vae")):
        codes, draws = [], []
        for ax, init in zip(row, (seed, seed + 1)):
            backend.manual_seed(init)
            model = create(name, x_dim=32, z_dim=2, hidden=[128], likelihood="gaussian",
                           **({"activation": "tanh", "sigma": sigma} if name == "vae" else {}))
            quiet_fit(model, x, epochs=epochs, batch_size=100, lr=2e-3, seed=seed)
            codes.append(latent.codes(model, x))                      # the VAE's: the means of q(z|x)
            draws.append(latent.posterior_codes(model, x, 1, generator=backend.Generator(seed))[:, 0]
                         if name == "vae" else codes[-1])
            ax.scatter(codes[-1][:, 0], codes[-1][:, 1], c=centre, s=3, cmap="viridis")
            ax.set_title(f"{label[name]}, start {init - seed + 1}: " + ("means of q(z|x)" if name == "vae" else
                         "codes") + " by the centre", fontsize=9)
            row[2].hist(draws[-1].ravel(), bins=60, density=True, histtype="step",
                        label=f"start {init - seed + 1}")
            if init == seed:
                facts[f"{name}_peak"] = float(model.reconstruct(x).max(1).mean())   # the bump's is 1
                _units_by_centre(row[3], model, name, x, centre[order], codes[-1][order], order)
                row[3].set_title(f"{label[name]}, start 1: " + ("means, sigmas" if name == "vae" else "units")
                                 + f" by the centre (peak {facts[name + '_peak']:.2f})", fontsize=9)
        limits = np.concatenate(codes)
        pad = 0.05 * np.ptp(limits, 0)
        for ax in row[:2]:   # shared axes: the two starts' places and scales side by side
            ax.set_xlim(limits[:, 0].min() - pad[0], limits[:, 0].max() + pad[0])
            ax.set_ylim(limits[:, 1].min() - pad[1], limits[:, 1].max() + pad[1])
        # Kolmogorov-Smirnov distances, the worst coordinate: to N(0, 1), and between the two starts
        to_prior = [max(stats.kstest(c, "norm").statistic for c in z.T) for z in draws]
        facts[f"{name}_ks"] = float(min(to_prior) if name == "ae" else max(to_prior))
        facts[f"{name}_inits_ks"] = float(max(stats.ks_2samp(a, b).statistic for a, b in zip(draws[0].T, draws[1].T)))
        row[2].plot(grid, stats.norm.pdf(grid), "k--", lw=1, label="N(0, 1)")
        row[2].set_title(f"{label[name]}" + (" draws" if name == "vae" else "") +
                         f": KS to N(0, 1) {'>=' if name == 'ae' else '<='} {facts[name + '_ks']:.2f}, "
                         f"starts apart {facts[name + '_inits_ks']:.2f}", fontsize=9)
        row[2].legend(fontsize=8)
    return Drawn(plot._save(fig, path), facts)


def _units_by_centre(ax, model, name, x, centre, codes, order):
    """ae_vs_vae_codes' right column: each code unit (the VAE's means, and its sigmas dashed)
    against the bump's centre, both in the centre's ``order``."""
    for j, style in ((0, "C0"), (1, "C1")):
        ax.plot(centre, codes[:, j], style, lw=1, label=f"z{j + 1}" + (" mean" if name == "vae" else ""))
    if name == "vae":
        with no_grad():
            spread = np.exp(0.5 * model.encode(model.as_input(x))[1].numpy())[order]
        for j, style in ((0, "C0--"), (1, "C1--")):
            ax.plot(centre, spread[:, j], style, lw=1, label=f"z{j + 1} sigma")
        ax.set(xlabel="the bump's centre")
    ax.legend(fontsize=8)


def sparse_ae_codes(path, seed=0, epochs=60):
    """The sparse autoencoder on the Diabolo lecture's bump with a 2-D code, measured against
    its claim ("this would help the model to completely neglect one of the unnecessary
    dimensions"). Three autoencoders of one shape (32-64-2, ``epochs`` of 3,000 bumps):
    plain; with the lecture's L1 penalty lam sum_j |z_j| (lam 0.1); and with a penalty on how
    many units carry the code's size (``penalty="units"``, lam 0.3). Top row: the codes,
    coloured by the bump's centre; bottom row: each unit against the centre. The L1 penalty
    shrinks both units alike (the decoder makes up the scale); the units penalty leaves one
    unit at a few per cent of the other's size, by growing the other. In all three the
    decoder still reads the smaller unit: holding it at its mean ruins the reconstruction.
    A penalty on the code's size cannot switch a unit off, since a decoder reads a unit at
    any scale. ``*_ratio``: the smaller unit's root mean square over the larger's; ``*_size``:
    sum_j |z_j| per bump; ``*_err``: the squared error per bump; ``*_ablated_err``: the same
    with the smaller unit held at its mean (sizes by root mean square)."""
    x, centre = gaussian_bump(3000, seed=seed)
    plt = plot._pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    facts, order = {}, np.argsort(centre)
    for column, (key, label, kwargs) in zip(axes.T, (
            ("ae", "plain autoencoder", dict(lam=0.0)),
            ("l1", "L1 penalty, lam 0.1", dict(lam=0.1, penalty="l1")),
            ("units", "units penalty, lam 0.3", dict(lam=0.3, penalty="units")))):
        backend.manual_seed(seed)
        model = create("sparse-ae", x_dim=32, z_dim=2, hidden=[64], likelihood="gaussian", **kwargs)
        quiet_fit(model, x, epochs=epochs, batch_size=100, lr=2e-3, seed=seed)
        z = latent.codes(model, x)
        rms = np.sqrt((z ** 2).mean(0))
        weak = int(np.argmin(rms))
        held = z.copy()
        held[:, weak] = z[:, weak].mean()
        error = lambda out: float(((out - x) ** 2).sum(1).mean())
        facts[f"{key}_ratio"] = float(rms[weak] / rms.max())
        facts[f"{key}_size"] = float(np.abs(z).sum(1).mean())
        facts[f"{key}_err"] = error(latent.decode(model, z))
        facts[f"{key}_ablated_err"] = error(latent.decode(model, held))
        column[0].scatter(z[:, 0], z[:, 1], c=centre, s=3, cmap="viridis")
        column[0].set_aspect("equal", adjustable="datalim")
        column[0].set_title(f"{label}: codes by the centre\nsum |z_j| {facts[key + '_size']:.2f}; smaller unit "
                            f"{facts[key + '_ratio']:.0%} of the larger", fontsize=9)
        for j, style in ((0, "C0"), (1, "C1")):
            column[1].plot(centre[order], z[order, j], style, lw=1, label=f"z{j + 1}")
        column[1].set(xlabel="the bump's centre")
        column[1].set_title(f"squared error {facts[key + '_err']:.3f} per bump; {facts[key + '_ablated_err']:.2f}"
                            f"\nwith the smaller unit held at its mean", fontsize=9)
        column[1].legend(fontsize=8)
    return Drawn(plot._save(fig, path), facts)


def ae_as_generator(path, seed=0, data_dir=None, images=20_000, z_dim=64, noise=1.5):
    """An autoencoder is no generator: codes moved a little, or chosen at random, decode into
    garbage, where a VAE's decode into digits ("can we randomly choose a vector? we can't";
    "points z + eps decode into garbage"). A plain autoencoder and a VAE of the same shape (784-400-``z_dim``,
    5 epochs of ``images`` binarized digits), each decoding a held-out digit's code moved by
    noise ``noise`` times as wide as its codes' own spread, and codes chosen at random: from
    N(0, I), and for the autoencoder also from a Gaussian fitted to its codes' means and
    variances. The autoencoder's decoder learnt only at its training codes, and between them
    it draws no digit; the VAE's prior and posterior noise make the region around and
    between codes decode to digits. Each row is judged by a digit classifier trained on
    labelled digits neither model saw (``eval/digits.py``): ``*_kept``, the share of moved
    codes that still show the held-out digit's class; ``*_digits``, the share of random
    codes that show a digit the classifier is sure of."""
    train, labelled = mnist_sets("ae-as-generator", data_dir)
    judge = digit_judge(data_dir)
    x, y = held_out_digits(labelled)
    facts, shown, rng = {"real_kept": judge.kept(x, y)}, {}, np.random.default_rng(seed)
    for name in ("ae", "vae"):
        backend.manual_seed(seed)
        model = create(name, x_dim=784, z_dim=z_dim, hidden=[400], activation="relu", likelihood="bernoulli")
        quiet_fit(model, train.train[:images], epochs=5, batch_size=100, lr=1e-3, seed=seed)
        z = latent.codes(model, x)
        spread = float(np.sqrt(z.var(0).mean()))       # the codes' width, averaged over the units
        moved = latent.decode(model, z + noise * spread * rng.standard_normal(z.shape))
        prior = latent.decode(model, rng.standard_normal((1000, z_dim)))
        facts[f"{name}_kept"], facts[f"{name}_prior_digits"] = judge.kept(moved, y), judge.confident(prior)
        shown[name] = moved[:10], prior[:10]
        if name == "ae":
            fitted = latent.decode(model, z.mean(0) + z.std(0) * rng.standard_normal((1000, z_dim)))
            facts["ae_fitted_digits"] = judge.confident(fitted)
            shown["fitted"] = fitted[:10]
    rows = [(x[:10], f"held-out digits ({facts['real_kept']:.0%} of 2,000 named right and sure by the judge)"),
            (shown["ae"][0], f"autoencoder, z(x) + noise {noise} x its codes' spread: {facts['ae_kept']:.0%} "
                             "still the digit"),
            (shown["vae"][0], f"VAE, z(x) + the same relative noise: {facts['vae_kept']:.0%} still the digit"),
            (shown["ae"][1], f"autoencoder, z ~ N(0, I): {facts['ae_prior_digits']:.0%} of 1,000 a digit"),
            (shown["fitted"], f"autoencoder, z ~ N(its codes' mean, variances): {facts['ae_fitted_digits']:.0%}"),
            (shown["vae"][1], f"VAE, z ~ N(0, I): {facts['vae_prior_digits']:.0%} a digit")]
    return Drawn(rows_of_images(rows, path), facts)


def denoise_before_after(path, seed=0, data_dir=None, images=20_000):
    """The denoising deblur loss (CISC 7026; Tagaris's MNIST demo) on binarized MNIST (from the
    data folder): held-out digits, their corruption blur(x + eps) (eps of sd 0.5, a blur of
    one pixel), and what two autoencoders of one shape (784-512-64, 5 epochs of ``images``)
    give back: a plain one trained on clean digits, and a denoising one trained on corrupted
    digits to give back the clean ones. Judged by the mean squared error to the clean digit
    (``*_mse``) and by a digit classifier that never saw the data (``*_kept``: the share it
    is sure still shows the digit), on 2,000 held-out digits."""
    train, labelled = mnist_sets("denoise-before-after", data_dir)
    judge, level = digit_judge(data_dir), (0.5, 1.0)
    x, y = held_out_digits(labelled)
    noisy = np.clip(corrupt(x, "gaussian+blur", level, (28, 28), backend.Generator(seed)), 0, 1)
    mse = lambda a: float(((a - x) ** 2).mean())
    facts = {"noisy_mse": mse(noisy), "noisy_kept": judge.kept(noisy, y)}
    rows = [(x[:10], "held-out digits"),
            (noisy[:10], f"blur(x + eps): MSE {facts['noisy_mse']:.3f}, {facts['noisy_kept']:.0%} of 2,000 still "
                         "a sure digit")]
    for name, key, label, kwargs in (
            ("ae", "ae", "plain autoencoder (trained on clean digits)", {}),
            ("denoising-ae", "denoising", "denoising autoencoder",
             dict(corruption="gaussian+blur", level=level, image_shape=(28, 28)))):
        backend.manual_seed(seed)
        model = create(name, x_dim=784, z_dim=64, hidden=[512], likelihood="bernoulli", **kwargs)
        quiet_fit(model, train.train[:images], epochs=5, batch_size=100, lr=1e-3, seed=seed)
        out = model.reconstruct(noisy)
        facts[f"{key}_mse"], facts[f"{key}_kept"] = mse(out), judge.kept(out, y)
        rows.append((out[:10], f"{label}: MSE {facts[key + '_mse']:.3f}, {facts[key + '_kept']:.0%}"))
    return Drawn(rows_of_images(rows, path), facts)


def mask_inpaint(path, seed=0):
    """The masked autoencoder on the sprites: each input with a block hidden (grey), and the
    hidden block filled in by the model, trained to fill random blocks (mask="blocks")."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=6000, seed=seed)
    model = create("masked-ae", x_dim=784, z_dim=32, hidden=[512], mask_ratio=0.25, mask="blocks",
                   likelihood="bernoulli")
    quiet_fit(model, data.train, epochs=8, batch_size=100, lr=1e-3, seed=seed)
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
    return Drawn(rows_of_images(rows, path), facts)


def adversarial_ae(path, seed=0, epochs=100):
    """The Diabolo lecture's "adversarial examples (the need of probabilistic models)" on
    the bump: a move of the input of length 0.1 (a bump's own length is about 1.9), chosen
    against each model by gradient ascent, moves the plain autoencoder's reconstruction about
    six times as far; a VAE's (posterior mean) that reconstructs the bump as sharply moves
    about half as far, and a contractive AE's less than the move itself, bought with blur.
    Left, one input and its perturbed copy; right, each model's reconstructions of the two.
    ``*_gain``: the reconstruction's move over the input's, mean of 200 inputs; ``*_peak``:
    the reconstructions' mean peak (the bump's is 1): a blurred model is calm for free (the
    VAE's p(x|z) is Gaussian with sigma 0.3, as in ``ae-vs-vae-codes``)."""
    from ..eval.adversarial import moved_by, reconstruction_attack
    x, _ = gaussian_bump(3000, seed=seed)
    shown, epsilon = x[:200], 0.1
    direction = np.random.default_rng(seed).standard_normal(shown.shape).astype(np.float32)
    direction *= epsilon / np.linalg.norm(direction, axis=1, keepdims=True)
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    facts = {}
    for ax, (name, label, settings) in zip(axes[1:], (
            ("ae", "autoencoder", dict(hidden=[128])),
            ("vae", "VAE", dict(hidden=[128], activation="tanh", sigma=0.3)),
            ("contractive-ae", "contractive AE (lam 0.1)", dict(hidden=[128], lam=0.1)))):
        backend.manual_seed(seed)
        model = create(name, x_dim=32, z_dim=2, likelihood="gaussian", **settings)
        quiet_fit(model, x, epochs=epochs, batch_size=100, lr=2e-3, seed=seed)
        delta, moved = reconstruction_attack(model, shown, epsilon, steps=20, seed=seed)
        key = name.split("-")[0]
        facts[f"{key}_gain"] = float(moved.mean() / epsilon)
        facts[f"{key}_random_gain"] = float(moved_by(model, shown, direction).mean() / epsilon)
        facts[f"{key}_peak"] = float(model.reconstruct(shown).max(1).mean())
        before, after = model.reconstruct(shown[:1]), model.reconstruct(shown[:1] + delta[:1])
        ax.plot(before[0], "k-", label="r(x)")
        ax.plot(after[0], "r--", label="r(x + delta)")
        ax.set_title(f"{label}: gain {facts[key + '_gain']:.2f} (a random delta: {facts[key + '_random_gain']:.2f})",
                     fontsize=9)
        ax.legend(fontsize=8)
        if name == "ae":
            axes[0].plot(shown[0], "k-", label="x")
            axes[0].plot(shown[0] + delta[0], "r--", label="x + delta, ||delta|| = 0.1 (against the AE)")
            axes[0].set_title("the input, moved a little", fontsize=9)
            axes[0].legend(fontsize=8)
    return Drawn(plot._save(fig, path), facts)


def pca_vs_ae_codes(path, seed=0, data_dir=None, tsne=True, epochs=15):
    """The Diabolo lecture's three panels from van der Maaten (2009), "visualization by PCA, by
    an autoencoder, by parametric t-SNE", on MNIST's labelled images (from the data folder):
    2-D codes of 2,000 held-out digits, coloured by digit, from PCA (the top two principal
    components) and from a deep autoencoder (784-512-128-2) trained on the other 8,000; with
    scikit-learn installed, t-SNE's embedding beside them (it has no encoder: it places only
    the points it is given). ``*_knn``: how often a digit's 5 nearest neighbours among the
    other codes (a majority) name its class; the autoencoder's codes keep the classes apart
    far better than PCA's."""
    try:
        data = load_dataset("mnist", data_dir)
    except ValueError as e:
        raise ValueError(f"pca-vs-ae-codes needs MNIST's labelled images: {e}") from None
    x, held_out, labels = data.train, data.valid, data.y_valid
    mean = x.mean(0)
    components = np.linalg.svd(x - mean, full_matrices=False)[2][:2]
    codes = {"PCA": (held_out - mean) @ components.T}
    backend.manual_seed(seed)
    model = create("ae", x_dim=784, z_dim=2, hidden=[512, 128], likelihood="bernoulli")
    quiet_fit(model, x, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    codes["autoencoder"] = latent.codes(model, held_out)
    if tsne:
        try:
            from sklearn.manifold import TSNE
            codes["t-SNE"] = TSNE(2, init="pca", random_state=seed).fit_transform(held_out)
        except ImportError:
            pass
    facts = {f"{name.lower().replace('-', '')}_knn": knn_accuracy(z, labels) for name, z in codes.items()}
    plt = plot._pyplot()
    fig, axes = plt.subplots(1, len(codes), figsize=(5 * len(codes), 5), squeeze=False)
    for ax, (name, z) in zip(axes[0], codes.items()):
        art = ax.scatter(z[:, 0], z[:, 1], c=labels, s=3, cmap="tab10")
        ax.set_title(f"{name}: 5-NN accuracy {facts[name.lower().replace('-', '') + '_knn']:.2f}", fontsize=9)
    fig.colorbar(art, ax=axes[0, -1])
    return Drawn(plot._save(fig, path), facts)


def contractive_tangents(path, seed=0, data_dir=None, z_dim=100, lam=1.0, epochs=15):
    """Rifai et al.'s tangents, as the Diabolo lecture shows them (an input point and the
    leading singular vectors of the Jacobian dh/dx of its code), on MNIST's labelled images
    (from the data folder): a contractive autoencoder (one sigmoid layer of ``z_dim`` units,
    ``lam``, ``epochs`` of 8,000 digits) beside the same autoencoder without the penalty. The
    contractive AE's tangents are smooth deformations around the digit's strokes, the plain
    one's speckle over the whole frame. ``*_local``: how much of the five leading tangents
    lies in the span of the five main directions from a held-out digit to its 20 nearest
    training digits (the data's own local directions), mean over 50 digits; a random
    direction's share is 5/784. Red and blue: the two ways a pixel moves, white none."""
    try:
        data = load_dataset("mnist", data_dir)
    except ValueError as e:
        raise ValueError(f"contractive-tangents needs MNIST's labelled images: {e}") from None
    x, held_out = data.train, data.valid[:50]
    models = {}
    for name, weight in (("contractive", lam), ("plain", 0.0)):
        backend.manual_seed(seed)
        models[name] = create("contractive-ae", x_dim=784, z_dim=z_dim, lam=weight, likelihood="bernoulli")
        quiet_fit(models[name], x, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    facts, shown = {}, {}
    for name, model in models.items():
        shares = []
        for i, point in enumerate(held_out):
            tangents, _ = model.tangents(point, 5)
            shares.append(float(((tangents @ _local_directions(x, point).T) ** 2).sum(1).mean()))
            if i == 0:
                shown[name] = tangents
        facts[f"{name}_local"] = float(np.mean(shares))
    plt = plot._pyplot()
    fig, axes = plt.subplots(2, 6, figsize=(9, 3.4))
    for row, name in zip(axes, ("contractive", "plain")):
        row[0].imshow(held_out[0].reshape(28, 28), cmap="gray")
        row[0].set_title("input", fontsize=8)
        for ax, t in zip(row[1:], shown[name]):
            edge = np.abs(t).max()   # centred on zero: red and blue are the two ways the pixels move
            ax.imshow(t.reshape(28, 28), cmap="RdBu", vmin=-edge, vmax=edge)
        row[1].set_title(f"{name} AE: tangents, {facts[name + '_local']:.0%} local", loc="left", fontsize=8)
        for ax in row:
            ax.axis("off")
    return Drawn(plot._save(fig, path), facts)


def _local_directions(x, point, neighbours=20, k=5):
    """The k main directions (orthonormal rows) from ``point`` to its nearest rows of x."""
    nearest = x[np.argsort(((x - point) ** 2).sum(1))[:neighbours]] - point
    return np.linalg.svd(nearest, full_matrices=False)[2][:k]
