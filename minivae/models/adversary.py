"""The adversarial game that matches codes to a prior (Makhzani et al. 2016, Sec. 2), shared
by every adversarial autoencoder: a critic D tells draws of the prior ("real") from codes
("fake"); the encoder, as the generator, learns to fool it.

    critic      -log D(real) - log(1 - D(fake)) + (gamma / 2) E_real ||grad_z logit D(z)||^2
    generator   -log D(fake)                     (the non-saturating form)

The last term of the critic's loss is Mescheder et al.'s R1 penalty (2018, Eq. 9): without it
the game circles its balance instead of settling there (their Dirac-GAN, Sec. 2.2). What
each of these settings did on MNIST: docs/quality.md, "the adversarial game".
"""
from .. import functional as F
from ..core import grad, is_grad_enabled
from ..ops import Tensor

# The game's defaults: R1's weight gamma; what the game needs of the trainer
# (Model.player_steps, Model.player_adam): the critic stepped several times a batch, both
# players with Adam's momentum halved, as DCGAN's recipe (Radford et al. 2016, Sec. 4) does.
GRADIENT_PENALTY, CRITIC_STEPS, BETA1 = 1.0, 3, 0.5
# A critic of ReLUs can die: every unit off for every input, its output a constant 1/2 that
# no gradient moves again (docs/quality.md). A leaky one always passes a gradient.
ACTIVATION = "leaky_relu"


def game_settings(name, gradient_penalty, critic_steps, beta1):
    """(player_steps, player_adam) for a model's arguments, checked."""
    if isinstance(gradient_penalty, bool) or not isinstance(gradient_penalty, (int, float)) or not gradient_penalty >= 0:
        raise ValueError(f"{name}: gradient_penalty must be a non-negative number, got {gradient_penalty!r}")
    if isinstance(critic_steps, bool) or not isinstance(critic_steps, int) or critic_steps < 1:
        raise ValueError(f"{name}: critic_steps must be a positive integer, got {critic_steps!r}")
    if isinstance(beta1, bool) or not isinstance(beta1, (int, float)) or not 0 <= beta1 < 1:
        raise ValueError(f"{name}: adversary_beta1 must be a number in [0, 1), got {beta1!r}")
    adam = {"betas": (float(beta1), 0.999)}
    return {"discriminator": critic_steps}, {"discriminator": adam, "generator": adam}


def critic_loss(model, critic, real, fake, gradient_penalty=0.0):
    """The critic's loss on prior draws ``real`` (an array) against codes ``fake`` (a
    Tensor, held as a constant here): binary cross-entropy on logits, plus the R1 penalty on
    the real draws, while training (under no_grad, when a loss is only evaluated, there is no
    gradient to penalize). ``model`` makes the constants on its device."""
    penalized = gradient_penalty > 0 and is_grad_enabled()
    real = Tensor(model.constant(real).data, requires_grad=penalized)
    n = real.shape[0]
    logit_real = critic(real)
    loss = (F.bce_with_logits(logit_real, model.filled((n, 1), 1.0))
            + F.bce_with_logits(critic(fake.detach()), model.filled((n, 1), 0.0)))
    if penalized:
        (g,) = grad(logit_real.sum(), [real], create_graph=True)
        loss = loss + (g * g).sum() * (gradient_penalty / (2 * real.shape[0]))
    return loss


def generator_loss(model, critic, fake):
    """-log D(fake): the encoder's loss for fooling the critic."""
    return F.bce_with_logits(critic(fake), model.filled((fake.shape[0], 1), 1.0))
