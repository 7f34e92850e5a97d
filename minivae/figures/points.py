"""Each figure's point: what the lecture's figure shows, as a claim on the numbers the
figure's own run measured (its ``facts``). A point counts when it holds on seeds 0, 1 and 2
at the figure's settings (``bench/figures.py`` records each seed's facts in
bench/results/figures.json); the test suite asserts it on a seed other than the drawn one, at
a size CI affords (tests/test_figures.py)."""
import numpy as np


POINTS = {
    # the 1-D toy: maximum likelihood finds theta^2 = beta^2 - sigma^2 and the data while
    # sigma <= beta; a wider sigma leaves the model blurred whatever theta is
    "gaussian-toy": lambda f: f["theta_error"] < 0.02 and f["kl_within_beta"] < 1e-3 and f["kl_at_sigma_1.5"] > 0.1,
    # the denoising AE gives back digits nearer the clean ones than its corrupted input and
    # than a plain AE's reconstruction of it, and keeps the digit more often than either
    "denoise-before-after": lambda f: (f["denoising_mse"] < 0.8 * min(f["ae_mse"], f["noisy_mse"])
                                       and f["denoising_kept"] > f["ae_kept"] + 0.03 and f["ae_kept"] > f["noisy_kept"]),
    # the masked AE fills a hidden block with the shape's missing part, far better than the mean image
    "mask-inpaint": lambda f: f["fill_mse"] < 0.6 * f["mean_image_fill_mse"],
    # Cremer et al. Fig. 3: trained with k = 50, q's single draws lose the digit where
    # resampling among 50 by their weights keeps it; trained with k = 1 the two agreed
    "iwae-sir": lambda f: (f["sir_kept"] > f["draw_kept"] + 0.1 and f["sir_bce"] < f["draw_bce"] - 15
                           and f["vae_sir_kept"] < f["vae_draw_kept"] + 0.05),
    # the AE's codes are no distribution in particular; the VAE's draws are near N(0, I) from
    # either start (KS under half the AE's; seeds 0, 1, 2: 0.09 to 0.12 against 0.25 to 0.30),
    # and the AE's two initialisations disagree where the VAE's agree; both reconstruct the bump
    "ae-vs-vae-codes": lambda f: (f["ae_ks"] > 0.2 and f["vae_ks"] < min(0.15, 0.5 * f["ae_ks"])
                                  and f["ae_inits_ks"] > 2 * f["vae_inits_ks"] and min(f["ae_peak"], f["vae_peak"]) > 0.8),
    # the Diabolo lecture's sparse AE, measured against its claim: the L1 penalty shrinks the
    # code (to under half the plain code's size) and keeps both units near one size; the
    # units penalty makes one unit small (under a tenth of the other's root mean square); in
    # all three the decoder still reads the smaller unit, so that holding it at its mean ruins
    # the reconstruction (seeds 0, 1, 2: errors 0.004 to 0.028 against 1.9 to 3.9)
    "sparse-ae-codes": lambda f: (f["units_ratio"] < 0.1 and min(f["ae_ratio"], f["l1_ratio"]) > 0.5
                                  and f["l1_size"] < 0.5 * f["ae_size"]
                                  and all(f[k + "_ablated_err"] > 20 * f[k + "_err"] for k in ("ae", "l1", "units"))
                                  and max(f[k + "_err"] for k in ("ae", "l1", "units")) < 0.05),
    # Tagaris, CISC 7026: an autoencoder's codes, moved or chosen at random, decode into no
    # digit; a VAE's moved codes keep their digit far more often, and its N(0, I) codes beat
    # even a Gaussian fitted to the autoencoder's codes (seeds 0, 1, 2: kept 0.52 to 0.55
    # against 0.30 to 0.31; N(0, I) 0.22 to 0.27 against 0.001 to 0.006, fitted 0.12 to 0.16)
    "ae-as-generator": lambda f: (f["vae_kept"] > f["ae_kept"] + 0.15 and f["ae_prior_digits"] < 0.02
                                  and f["vae_prior_digits"] > max(10 * f["ae_prior_digits"], f["ae_fitted_digits"])),
    # the beta-VAE: a larger beta buys a smaller KL with a worse reconstruction, at every
    # step; at the weak end the posterior sigma falls towards 0 (a plain autoencoder), at the
    # strong end q(z|x) is N(0, I): no nats, no digit given back
    "beta-tradeoff": lambda f: (all(np.diff(f["kl"]) < 0) and all(np.diff(f["recon"]) > 0)
                                and f["sigma"][0] < 0.05 and f["sigma"][-1] > 0.95 and f["kl"][-1] < 0.1
                                and f["kept"][f["betas"].index(1.0)] > 0.7 and f["kept"][-1] < 0.05),
    # three units active: the scale in a unit of its own, holding several times what any other
    # unit holds (seeds 0, 1, 2: 0.36 to 0.38 of its entropy against 0.06 to 0.09), x and y
    # most in the other two
    "latent-traversal": lambda f: (f["active_units"] == 3 and f["scale_share"] > 3 * f["scale_next"]
                                   and len({f["x_unit"], f["y_unit"], f["scale_unit"]}) == 3),
    # Kingma & Welling Fig. 4, Makhzani Fig. 2e (on 10,000 images here): a smooth map of
    # several digits; a decoder blind to z shows one, a broken grid is as rough as random pairs
    "vae-manifold": lambda f: f["neighbour_ratio"] < 0.1 and f["classes_shown"] >= 5,
    "aae-manifold": lambda f: f["neighbour_ratio"] < 0.1 and f["classes_shown"] >= 4,
    # the class-conditional CVAE: the label draws the digit (chance: 10%)
    "cvae-samples": lambda f: f["label_kept"] > 0.75,
    # the lecture's CVAE fills the hidden half far better than the mean image, the learned
    # P(z|X) better than N(0, I) codes would, and its draws differ (seeds 0, 1, 2 at 10 epochs:
    # a draw 0.081 to 0.082 against 0.090 to 0.093; at 5 epochs seed 1's was 0.96 of it)
    "cvae-hole-filling": lambda f: (f["prior_mean_fill_mse"] < 0.85 * f["mean_image_fill_mse"]
                                    and f["prior_sample_fill_mse"] < 0.95 * f["standard_normal_fill_mse"]
                                    and f["spread"] > 0.02),
    # a small move chosen against the plain AE moves its reconstruction several times as
    # far; a VAE's that reconstructs as sharply, clearly less; the contractive AE's least (it
    # blurs: its peak is not asserted); a random move of the same length moves the AE little
    "adversarial-ae": lambda f: (f["ae_gain"] > 1.4 * f["vae_gain"] > 1.4 * f["contractive_gain"]
                                 and f["ae_gain"] > 2 * f["ae_random_gain"] and min(f["ae_peak"], f["vae_peak"]) > 0.8),
    # Hinton and Salakhutdinov Fig. 2: from 30-D codes, deep AE < logistic PCA < PCA in squared error
    "pca-vs-ae": lambda f: f["deep_ae_mse"] < 0.8 * f["logistic_pca_mse"] and f["logistic_pca_mse"] < 0.95 * f["pca_mse"],
    # van der Maaten 2009 (a), (b): a deep autoencoder's 2-D codes keep the digits apart, PCA's mix them
    "pca-vs-ae-codes": lambda f: f["autoencoder_knn"] > f["pca_knn"] + 0.1,
    # Rifai et al.: the contractive AE's tangents follow the data's local directions more than
    # the plain AE's (a random direction: 5/784 of its length there)
    "contractive-tangents": lambda f: f["contractive_local"] > 1.5 * f["plain_local"] > 5 * 5 / 784,
    # Makhzani Fig. 10 (the paper's 11): with a thousand labels, r = y H + z keeps MNIST's
    # digits apart far better than PCA's two components and a plain 2-D autoencoder trained
    # alike; unsupervised, better than PCA, its codes spread over many of the 16 heads
    "aae-dim-reduction": lambda f: (f["semi_knn"] > max(f["ae_knn"], f["pca_knn"]) + 0.1
                                    and f["aae_knn"] > f["pca_knn"] + 0.05 and f["clusters_used"] >= 8),
    # aae-clustering's point (9 of 10 clusters, accuracy 0.90) is asserted at the figure's own
    # settings by tests/models/test_clustering_aae.py
    # Makhzani Fig. 2a against 2c: the AAE's held-out codes match N(0, I) by both statistics
    # (prior_match), the VAE's do not and are further from it by the energy distance
    # (seeds 0, 1, 2: energy ratio 1.5, 2.0, 0.9 against 19, 23, 32)
    "aae-gaussian": lambda f: f["aae_match"] and not f["vae_match"] and f["aae_energy_ratio"] < f["vae_energy_ratio"],
    # Makhzani Fig. 2b against 2d: with one ten-Gaussian prior, the AAE's held-out codes reach
    # every component (3% or more of them within two standard deviations of each), more of
    # them lie in a component than the VAE's, and they are nearer the prior than the VAE's by
    # both statistics, ten times by the energy distance, twice by the neighbours (a thin ring
    # through the centres reaches every component too, and scores 51 by neighbours); the
    # VAE's crowd into a few (seeds 0, 1, 2: 10 against 4 components, 67 to 68% against 40 to
    # 45% within 2 sd, energy ratio 7.5 to 9.3 against 125 to 139, neighbours 13 to 15
    # against 65 to 68). That they match the prior in full is open, below.
    "aae-mixture": lambda f: (f["aae_components_used"] == 10 and f["vae_components_used"] <= 6
                              and f["aae_in_component"] > f["vae_in_component"]
                              and f["aae_energy_ratio"] < 0.1 * f["vae_energy_ratio"]
                              and f["aae_neighbour_ratio"] < 0.5 * f["vae_neighbour_ratio"]),
}

# The lecture's points, or their stronger forms, that do not yet hold on seeds 0, 1 and 2 at
# the figure's settings: bench/figures.py judges and records them beside the others; the
# test suite asserts none of them (a figure with no point in POINTS is drawn there after one
# epoch). What stands between them and the lecture: docs/quality.md, "the adversarial game".
OPEN = {
    # Fig. 2b/2d: the AAE's codes match the ten Gaussians, most of them within two standard
    # deviations of a component (a draw of the prior: 86%) and every component used; the VAE's do not match
    "aae-mixture": lambda f: (f["aae_match"] and f["aae_in_component"] > 0.7 and f["aae_components_used"] == 10
                              and not f["vae_match"] and f["vae_in_component"] < f["aae_in_component"]),
    # Fig. 4a: with a tenth of the labels, most held-out digits within two standard deviations
    # of their own class's component (chance: under a tenth; seeds 0, 1, 2: 55, 50 and 40%;
    # from 20,000 unlabelled digits, seed 1: 26%)
    "aae-label-informed": lambda f: f["in_own_component"] > 0.7,
    # Fig. 4c: most held-out digits on their own tenth of the swiss roll, near it (chance:
    # under a tenth; seeds 0, 1, 2: 54, 54 and 57%; from 20,000, seed 1: 21%)
    "aae-swiss-roll": lambda f: f["on_own_segment"] > 0.6,
    # Leibe's "one unit, one factor": x and y each in a unit of its own, several times what the
    # next unit holds, each traversal moving the sprite one way (seeds 1, 2: 0.38 to 0.40
    # against 0.09 to 0.14, moves 11 px against 3 to 4; on seed 0 the two position units hold
    # x and y turned, 0.15 against 0.14, at 20 epochs and at 40; at beta 24 seeds 0, 1, 2 hold
    # it and 3, 4 turn: a draw of the seed, docs/quality.md)
    "latent-traversal": lambda f: (all(f[k + "_share"] > 2.5 * f[k + "_next"] for k in ("x", "y"))
                                   and f["x_unit_dx"] > 2.5 * f["x_unit_dy"] and f["y_unit_dy"] > 2.5 * f["y_unit_dx"]),
    # unsupervised, above the plain autoencoder at any length of training (at the figure's 5
    # epochs on seeds 0, 1, 2; at 10, the autoencoder caught up on seed 2: docs/quality.md)
    "aae-dim-reduction": lambda f: f["aae_knn"] > f["ae_knn"],
}
