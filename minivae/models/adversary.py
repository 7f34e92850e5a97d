"""The adversarial game that matches codes to a prior (Makhzani et al. 2016, Sec. 2), shared
by every adversarial autoencoder: a critic D tells draws of the prior ("real") from codes
("fake"); the encoder, as the generator, learns to fool it.

    critic       -log D(real) - log(1 - D(fake)) [+ (gamma / 2) E_real ||grad_z logit D(z)||^2]
    autoencoder  -log p(x | z) + lambda (-log D(z)),   z = encode(x)

The paper's two phases (reconstruction, then regularization) are one step for the encoder:
the reconstruction and the generator's non-saturating loss, weighed by lambda, descended
together, as Tolstikhin et al.'s WAE-GAN does (2018, Algorithm 2). Two optimizers taking
turns on the same encoder each move it about their learning rate a step, however small
their gradient: once the critic is near chance, its noise moved the codes as far as the
reconstruction did, and the codes churned (docs/quality.md, "the adversarial game"). In one
step the adversary's pull on a code is lambda times the critic's slope there, beside the
reconstruction's. The optional last term of the critic's loss is Mescheder et al.'s R1
penalty (2018, Eq. 9).

The opening: for the first epochs lambda is larger. The codes' layout forms early; an
adversary strong from the first step lays it out as the prior is. At lambda 30 from the
start the reconstruction laid MNIST's codes out first, and the critic could then pull them
into shape only nearby: into N(0, I), but not across the gaps between a mixture's
components, some of which stayed empty (docs/quality.md).
"""
import numpy as np

from .. import functional as F
from ..core import grad, is_grad_enabled
from ..ops import Tensor

# The game's defaults: lambda, the adversary's weight in the encoder's loss (lower, MNIST's
# codes drifted into place too slowly; higher, the reconstruction paid: docs/quality.md);
# R1's weight gamma; what the game needs of the trainer
# (Model.player_steps, Model.player_adam): the critic's steps a batch, and its Adam with the
# momentum halved, as DCGAN's recipe (Radford et al. 2016, Sec. 4) has it.
PRIOR_WEIGHT, GRADIENT_PENALTY, CRITIC_STEPS, BETA1 = 30.0, 0.0, 1, 0.5
OPENING_WEIGHT, OPENING_EPOCHS = 100.0, 2
# A critic of ReLUs can die: every unit off for every input, its output a constant 1/2 that
# no gradient moves again (docs/quality.md). A leaky one always passes a gradient.
ACTIVATION = "leaky_relu"


def _number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float))


def game_settings(name, prior_weight, opening_weight, opening_epochs, gradient_penalty, critic_steps, beta1):
    """(player_steps, player_adam) for a model's arguments, checked."""
    for what, weight in (("prior_weight", prior_weight), ("opening_weight", opening_weight)):
        if not _number(weight) or not 0 < weight < float("inf"):
            raise ValueError(f"{name}: {what} must be a positive number, got {weight!r}")
    if isinstance(opening_epochs, bool) or not isinstance(opening_epochs, int) or opening_epochs < 0:
        raise ValueError(f"{name}: opening_epochs must be a non-negative integer, got {opening_epochs!r}")
    if not _number(gradient_penalty) or not gradient_penalty >= 0:
        raise ValueError(f"{name}: gradient_penalty must be a non-negative number, got {gradient_penalty!r}")
    if isinstance(critic_steps, bool) or not isinstance(critic_steps, int) or critic_steps < 1:
        raise ValueError(f"{name}: critic_steps must be a positive integer, got {critic_steps!r}")
    if not _number(beta1) or not 0 <= beta1 < 1:
        raise ValueError(f"{name}: adversary_beta1 must be a number in [0, 1), got {beta1!r}")
    return {"discriminator": critic_steps}, {"discriminator": {"betas": (float(beta1), 0.999)}}


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


def weight_at(epoch, prior_weight, opening_weight, opening_epochs):
    """lambda in ``epoch`` (from 1): opening_weight for the opening's epochs, then prior_weight."""
    return float(opening_weight if epoch <= opening_epochs else prior_weight)


class Game:
    """What a model that plays the game holds: its settings, checked and declared to the
    trainer, and lambda now (``weight_now``), which fit sets before each epoch."""

    def play(self, prior_weight, opening_weight, opening_epochs, gradient_penalty, critic_steps, beta1):
        self.player_steps, self.player_adam = game_settings(
            type(self).__name__, prior_weight, opening_weight, opening_epochs, gradient_penalty, critic_steps, beta1)
        self.prior_weight, self.opening = prior_weight, (opening_weight, opening_epochs)
        self.gradient_penalty = gradient_penalty
        self.weight_now = float(prior_weight)

    def begin_epoch(self, epoch):
        self.weight_now = weight_at(epoch, self.prior_weight, *self.opening)


def generator_loss(model, critic, fake, weights=None):
    """-log D(fake): the encoder's loss for fooling the critic, its mean over the codes, or
    with ``weights`` (an array, one per code, summing to 1) their weighted sum."""
    target = model.filled((fake.shape[0], 1), 1.0)
    if weights is None:
        return F.bce_with_logits(critic(fake), target)
    return (F.bce_with_logits(critic(fake), target, reduction="none")
            * model.constant(np.asarray(weights, np.float32).reshape(-1, 1))).sum()


def halves(y):
    """Weights that give the labelled codes (y >= 0) and the unlabelled ones (y = -1) half
    each of the generator's loss, whatever their numbers. Labels reach the encoder only
    through the critic; at a plain mean over a batch with a tenth of it labelled, MNIST's
    held-out digits landed in their class's component hardly more often than chance
    (docs/quality.md, "labels"). A batch all of one kind: None, the plain mean."""
    labelled = np.asarray(y) >= 0
    n_labelled = labelled.sum()
    if n_labelled in (0, len(labelled)):
        return None
    return np.where(labelled, 0.5 / n_labelled, 0.5 / (len(labelled) - n_labelled))
