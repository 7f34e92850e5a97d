"""The first lecture's toys: the naive Monte Carlo estimate of p(x) and the 1-D Gaussian
model whose latent integral is done by hand."""

import numpy as np

from .. import backend, plot
from ..data import ring
from ..models import create
from .drawing import Drawn, quiet_fit


def naive_mc_density(path, seed=0):
    """The first lecture: alpha fitted by the naive prior-sampling estimate, then that
    estimate of p(x) along the line y = 0 for N_s = 100, 1000 and 10000 prior samples."""
    backend.manual_seed(seed)
    model = create("naive-mc", x_dim=2, alpha=2.0)
    quiet_fit(model, ring(4000, seed=seed), epochs=5, batch_size=100, lr=0.05, seed=seed)
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
    from ..models.linear_gaussian import LinearGaussian, best_theta, kl_gaussians
    beta, sigmas = 1.0, [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    x = np.random.default_rng(seed).normal(0, beta, (2000, 1)).astype(np.float32)
    spread = float(np.sqrt((x.astype(np.float64) ** 2).mean()))   # the data's own beta
    fitted = []
    for sigma in sigmas:
        backend.manual_seed(seed)
        model = LinearGaussian(theta=0.5, sigma=sigma)
        quiet_fit(model, x, epochs=200, batch_size=len(x), lr=0.05, seed=seed)   # full batch: the exact gradient
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
