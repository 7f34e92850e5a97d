"""Figures of the VAE family: latent arithmetic, a mixture prior, and IWAE's
sampling-importance-resampling."""

import numpy as np

from .. import backend, latent, plot
from ..core import no_grad
from ..data import load_dataset
from ..models import create
from .drawing import Drawn, digit_judge, grid_facts, held_out_digits, mnist_sets, quiet_fit, rows_of_images


def attribute_edit(path, seed=0):
    """Latent arithmetic on the sprites: the 'large' direction (mean code of sprites above
    the median scale minus that of the others) added to and taken from a few codes."""
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=4000, seed=seed)
    model = create("vae", x_dim=784, z_dim=8, hidden=[400], activation="relu", likelihood="bernoulli")
    quiet_fit(model, data.train, epochs=8, batch_size=100, lr=2e-3, seed=seed)
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


def iwae_sir(path, seed=0, data_dir=None, images=50_000, epochs=10, iw_images=10_000):
    """Cremer, Morris and Duvenaud's Fig. 3 (2017) on binarized MNIST (from the data folder):
    held-out digits reconstructed from single draws of q(z|x) against sampling-importance-
    resampling among 50 draws (q_IW), for an IWAE with a 2-D code (784-200-200-2) trained
    with k = 50. Trained for the IWAE bound, q need not fit the posterior and grows wide:
    single draws land on other digits, and resampling by the importance weights brings them
    back. To afford it, the model first trains as a VAE (k = 1, ``epochs`` of ``images``),
    then an epoch of ``iw_images`` with k = 50; ``vae_*`` are measured between the two, where
    draws and resampling still agree. Judged by a digit classifier that never saw the data
    (``*_kept``) and by -log p(x|z) (``*_bce``, nats an image), on 2,000 held-out digits."""
    train, labelled = mnist_sets("iwae-sir", data_dir)
    judge = digit_judge(data_dir)
    x, y = held_out_digits(labelled)
    backend.manual_seed(seed)
    model = create("iwae", x_dim=784, z_dims=[2], hidden=[[200, 200]], k=1)
    facts = {}
    for k, part, n_epochs, tag in ((1, images, epochs, "vae_"), (50, iw_images, 1, "")):
        model.k = k
        quiet_fit(model, train.train[:part], epochs=n_epochs, batch_size=100, lr=1e-3, seed=seed)
        drawn, resampled = latent.posterior_samples(model, x, 1)[:, 0], model.sir_reconstruct(x, 50)
        facts.update({f"{tag}draw_bce": _bce(drawn, x), f"{tag}sir_bce": _bce(resampled, x),
                      f"{tag}draw_kept": judge.kept(drawn, y), f"{tag}sir_kept": judge.kept(resampled, y)})
    rows = [(x[:10], f"held-out digits; trained with k = 1, draws and SIR kept {facts['vae_draw_kept']:.0%} and "
                     f"{facts['vae_sir_kept']:.0%} of them"),
            (drawn[:10], f"then with k = 50, a draw from q(z|x): {facts['draw_kept']:.0%} of 2,000 still the digit, "
                         f"-log p(x|z) {facts['draw_bce']:.0f} nats"),
            (latent.posterior_samples(model, x[:10], 1)[:, 0], "another draw"),
            (resampled[:10], f"SIR among 50 draws (q_IW): {facts['sir_kept']:.0%} still the digit, "
                             f"{facts['sir_bce']:.0f} nats"),
            (model.sir_reconstruct(x[:10], 50), "another resampling")]
    return Drawn(rows_of_images(rows, path), facts)


def _bce(p, x):
    """The reconstruction error -log p(x|z) of binary images x under means p, per image."""
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return float(-(x * np.log(p) + (1 - x) * np.log1p(-p)).sum(1).mean())


def beta_tradeoff(path, seed=0, data_dir=None, images=10_000, betas=(0.01, 0.1, 1.0, 4.0, 16.0, 64.0)):
    """beta weighs the KL against the reconstruction (CISC 7026; the Diabolo lecture's "effect of
    the KL regularization"), on binarized MNIST (from the data folder): one VAE per beta
    (784-400-16, 5 epochs of ``images``), its held-out KL against its reconstruction error,
    and its reconstructions. Both ends the lecture names: too weak a KL and the model
    converges to a plain autoencoder, its posterior sigma falling towards 0; too strong and
    q(z|x) becomes N(0, I), the KL near 0 nats and every digit given back as the same blur.
    Measured on 2,000 held-out digits: -E_q log p(x|z) and KL (nats), the posterior sigma
    (the mean over units and digits), and ``kept``, the share a digit classifier that never
    saw the data is sure still shows the digit."""
    train, labelled = mnist_sets("beta-tradeoff", data_dir)
    judge = digit_judge(data_dir)
    x, y = held_out_digits(labelled)
    facts = {"betas": list(betas), "recon": [], "kl": [], "sigma": [], "kept": []}
    rows = [(x[:8], "held-out digits")]
    for beta in betas:
        backend.manual_seed(seed)
        model = create("beta-vae", x_dim=784, z_dim=16, hidden=[400], activation="relu", likelihood="bernoulli",
                       beta=beta)
        quiet_fit(model, train.train[:images], epochs=5, batch_size=100, lr=1e-3, seed=seed)
        backend.manual_seed(seed)
        r, k = elbo_terms(model, x)
        with no_grad():
            logvar = model.encode(model.as_input(x))[1].numpy()
        out = model.reconstruct(x)
        for key, value in (("recon", r), ("kl", k), ("sigma", float(np.exp(0.5 * logvar).mean())),
                           ("kept", judge.kept(out, y))):
            facts[key].append(value)
        rows.append((out[:8], f"beta {beta:g}: -log p(x|z) {r:.0f}, KL {k:.1f} nats, sigma {facts['sigma'][-1]:.2f}, "
                              f"{facts['kept'][-1]:.0%} kept"))
    plt = plot._pyplot()
    fig = plt.figure(figsize=(13, 6.4))
    ax = fig.add_axes([0.06, 0.1, 0.3, 0.8])
    ax.plot(facts["kl"], facts["recon"], "o-")
    for b, k, r in zip(betas, facts["kl"], facts["recon"]):
        ax.annotate(f"beta {b:g}", (k, r), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set(xlabel="KL(q(z|x) || p(z)), nats (rate)", ylabel="-E_q log p(x|z), nats (distortion)",
           title="held-out digits, one VAE per beta")
    for r, (images_, label) in enumerate(rows):
        for c, image in enumerate(images_):
            cell = fig.add_axes([0.42 + c * 0.072, 0.9 - (r + 1) * 0.118, 0.062, 0.095])
            cell.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            cell.axis("off")
            if c == 0:
                cell.set_title(label, loc="left", fontsize=8)
    return Drawn(plot._save(fig, path), facts)


def elbo_terms(model, x):
    """(-E_q log p(x|z), KL) of a VAE, each averaged over x (one draw of z each)."""
    with no_grad():
        r, k = model.elbo_terms(model.as_input(x))
    return float(r.numpy().mean()), float(k.numpy().mean())


def latent_traversal(path, seed=0, images=20_000, epochs=20, beta=16.0):
    """Latent traversals of a beta-VAE (``beta`` 16, 10 units, 784-400-10, ``epochs`` of
    ``images`` sprites): each row moves one unit from -2.5 to 2.5 around a held-out sprite's
    code, the others fixed, captioned with its KL and the generating factor it carries most
    information about. Three units stay active: the scale lives in a unit of its own, and the
    position in two others; whether those two are x and y one each (one unit, one factor: on
    seeds 1 and 2) or x and y turned (seed 0) the training decides, as Locatello et al.
    (2019) found for disentanglement at large. The shape and the rotation are lost. ``{x,y,scale}_share``: the top unit's
    mutual information with the factor over the factor's entropy, ``*_next`` the next
    unit's; ``*_unit_dx``, ``*_unit_dy``: how far (pixels) the x and y units' traversals move
    the decoded sprite's centre of mass across and down, mean of 20 held-out sprites."""
    from ..eval.codes import mutual_information_gap
    backend.manual_seed(seed)
    data = load_dataset("sprites", n=images * 5 // 4, seed=seed)
    model = create("beta-vae", x_dim=784, z_dim=10, hidden=[400], activation="relu", likelihood="bernoulli",
                   beta=beta)
    quiet_fit(model, data.train, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    with no_grad():
        mu, logvar = (t.numpy() for t in model.encode(model.as_input(data.valid)))
    kl = (0.5 * (mu ** 2 + np.exp(logvar) - logvar - 1)).mean(0)                  # nats, per unit
    factors = data.factors_valid
    _, info = mutual_information_gap(mu, factors)
    entropy = np.array([mutual_information_gap(factors[:, [k]], factors[:, [k]])[1][0, 0]
                        for k in range(factors.shape[1])])
    share = info / entropy                                                        # (units, factors)
    facts, units = {"active_units": int((kl > 0.1).sum())}, {}
    for name in ("x", "y", "scale"):
        k = data.factor_names.index(name)
        order = np.argsort(share[:, k])[::-1]
        units[name] = int(order[0])
        facts.update({f"{name}_unit": units[name], f"{name}_share": float(share[order[0], k]),
                      f"{name}_next": float(share[order[1], k])})
    for name in ("x", "y"):
        rows = np.stack([latent.traversal(model, s, span=2.5, steps=9, units=[units[name]])[0]
                         for s in data.valid[:20]])                               # (20, steps, 784)
        centre = _centres(rows)                                                   # (20, steps, 2): x, y
        facts[f"{name}_unit_dx"], facts[f"{name}_unit_dy"] = (float(np.ptp(centre[..., i], axis=1).mean())
                                                              for i in (0, 1))
    shown = sorted(set(np.flatnonzero(kl > 0.1)) | {int(np.argmin(kl))})
    labels = [f"z{u}, KL {kl[u]:.2f}: " + (data.factor_names[int(np.argmax(share[u]))] +
                                           f" ({share[u].max():.0%})" if kl[u] > 0.1 else "off") for u in shown]
    plot.traversal(model, data.valid[0], path, units=shown, labels=labels)
    return Drawn(path, facts)


def _centres(images):
    """The centre of mass (x, y), in pixels, of each 28 x 28 image (..., 784)."""
    grid = np.arange(28, dtype=np.float64)
    p = images.reshape(*images.shape[:-1], 28, 28).astype(np.float64)
    mass = p.sum((-1, -2)) + 1e-9
    return np.stack([(p.sum(-2) * grid).sum(-1) / mass, (p.sum(-1) * grid).sum(-1) / mass], -1)


def vae_manifold(path, seed=0, data_dir=None, images=50_000):
    """Kingma & Welling's Fig. 4 on binarized MNIST (from the data folder): a VAE with a
    2-D code, its decoder over a 15 x 15 grid of the prior's quantiles. The digits change
    smoothly into one another across the grid. 4 epochs of ``images`` (50,000: about 30 s
    on 2 cores; fewer leave more of the grid to one digit)."""
    train, labelled = mnist_sets("vae-manifold", data_dir)
    backend.manual_seed(seed)
    model = create("vae", x_dim=784, z_dim=2, hidden=[400], activation="relu", likelihood="bernoulli")
    quiet_fit(model, train.train[:images], epochs=4, batch_size=100, lr=1e-3, seed=seed)
    grid = latent.decoded_grid(model, 15)
    facts = grid_facts(grid, (labelled.train, labelled.y_train))
    return Drawn(plot.grid(grid, path, title=f"VAE decoder over N(0, I)'s quantiles: neighbours "
                                                f"{facts['neighbour_ratio']:.3f} as far apart as any two"), facts)


def cvae_hole_filling(path, seed=0, data_dir=None, images=20_000, epochs=10):
    """The Diabolo lecture's CVAE for hole filling, on binarized MNIST (from the data
    folder): X the top half of a digit, Y the bottom half, the prior P(z|X) learned. Each
    column: a held-out digit, what the model sees, three completions from z ~ P(z|X), and
    the completion from P(z|X)'s mean. ``epochs`` of ``images``."""
    train, _ = mnist_sets("cvae-hole-filling", data_dir)
    backend.manual_seed(seed)
    model = create("hole-filling-cvae", x_dim=784, z_dim=8, hidden=[400])
    quiet_fit(model, train.train[:images], epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    x, hole = train.valid[:1000], model.hidden_index
    fills = model.fill(x, 3, generator=backend.Generator(seed))
    best = model.reconstruct(x)
    with no_grad():   # the same generator fed codes of N(0, I): the prior it did not learn
        seen = model.parts(model.as_input(x))[0]
        z = model.constant(backend.Generator(seed).normal((len(x), model.z_dim)))
        blind = model.data_mean(model.generate(z, seen)).numpy()
    mse = lambda filled: float(((filled - x[:, hole]) ** 2).mean())
    facts = {"prior_mean_fill_mse": mse(best[:, hole]), "prior_sample_fill_mse": mse(fills[:, 0, hole]),
             "standard_normal_fill_mse": mse(blind), "mean_image_fill_mse": mse(train.train.mean(0)[hole]),
             "spread": float(fills[:, :, hole].std(1).mean())}
    shown = x[:8].copy()
    shown[:, hole] = 0.5
    rows = [(x[:8], "held-out digits"), (shown, "X: what the model sees (Y in grey)")]
    rows += [(fills[:8, i], f"z ~ P(z|X), draw {i + 1}") for i in range(3)]
    rows.append((best[:8], f"z = mean of P(z|X): MSE on Y {facts['prior_mean_fill_mse']:.3f} over 1,000 held out "
                           f"(a draw: {facts['prior_sample_fill_mse']:.3f}; z ~ N(0, I): "
                           f"{facts['standard_normal_fill_mse']:.3f}; the mean image: {facts['mean_image_fill_mse']:.3f})"))
    return Drawn(rows_of_images(rows, path), facts)


def cvae_samples(path, seed=0, data_dir=None, epochs=10):
    """The class-conditional CVAE on MNIST's labelled images (from the data folder; its first
    8,000, binarized): one row per label y, each image decoded from a different z ~ N(0, I)
    with that y. The label draws the digit, z its style. ``label_kept``: the share of 1,000
    samples that a digit classifier trained on the other 2,000 labelled images is sure show
    the digit they were drawn with (``real_kept``: the same of the 8,000 real digits). A 2-D
    code: a wide one holds the digit itself and leaves the label little to say."""
    _, labelled = mnist_sets("cvae-samples", data_dir)
    judge = digit_judge(data_dir, "valid")
    backend.manual_seed(seed)
    binary = (labelled.train > 0.5).astype(np.float32)
    model = create("cvae", x_dim=784, n_classes=10, z_dim=2, hidden=[400], activation="relu", likelihood="bernoulli")
    quiet_fit(model, binary, labelled.y_train, epochs=epochs, batch_size=100, lr=1e-3, seed=seed)
    backend.manual_seed(seed)
    wanted = np.repeat(np.arange(10), 100)
    samples = model.sample(len(wanted), wanted)
    facts = {"label_kept": judge.kept(samples, wanted), "real_kept": judge.kept(binary, labelled.y_train)}
    rows = [(samples[wanted == k][:10], f"y = {k}" + (f"; {facts['label_kept']:.0%} of 1,000 samples surely their "
                                                      f"digit (real digits: {facts['real_kept']:.0%})" if k == 0 else ""))
            for k in range(10)]
    return Drawn(rows_of_images(rows, path), facts)
