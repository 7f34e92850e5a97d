"""Estimates of log p(x) and the quantities papers report next to them."""
import math
import time

import numpy as np

from .. import backend, functional as F
from ..core import no_grad
from ..philox import drawing_from, seeded


CHUNK, BATCH = 500, 100   # draws and examples scored at a time


LONG = 60.0   # seconds: an estimate longer than this is said before the rest of the work


def log_likelihood(model, x, k=5000, chunk=CHUNK, batch=BATCH, y=None, progress=False, seed=None, world=None,
                   say=None):
    """L_k per example (Burda et al. 2016): logsumexp over k importance samples of
    log p(x, z) - log q(z|x), minus log k; it approaches log p(x) from below as k grows.
    The k samples are drawn ``chunk`` at a time and combined by a running log-sum-exp, so
    k = 5000 fits in memory. ``progress``: a progress line on a terminal.

    ``seed``: the draws for each batch of ``batch`` examples come from the generators
    reseeded from (seed, the batch's index), so that an example's estimate does not depend
    on which process scores it. ``world`` (minivae.distributed): each rank scores a
    contiguous share of the batches, and every rank gets all the estimates, in order.
    Seeded, a model that draws from the default generator draws from a counter-based
    Philox instead (philox.seeded), so the estimates are those of the other device too.
    ``say``: told, once the first batch is done, how long the whole will take, when that is
    more than a minute."""
    if k < 1:
        raise ValueError(f"log_likelihood: k must be at least 1, got {k}")
    if not hasattr(model, "log_weights"):
        raise ValueError(f"log_likelihood: {type(model).__name__} has no importance weights "
                         "(use parzen_log_likelihood for models that only sample)")
    starts = list(range(0, len(x), batch))
    if world is not None and world.size > 1:
        if seed is None:
            raise ValueError("log_likelihood: scoring across ranks needs a seed (each batch's draws come from it)")
        starts = starts[world.share(len(starts))]
    noise = getattr(model, "generator", None)
    with drawing_from(model, None if noise is None or seed is None else seeded(noise, seed, model.device)):
        return _log_likelihood(model, x, k, chunk, batch, y, progress, seed, world, starts, say)


def _log_likelihood(model, x, k, chunk, batch, y, progress, seed, world, starts, say=None):
    from ..progress import Progress
    generators = {id(g): g for g in (backend.default_generator(model.device), getattr(model, "generator", None)) if g}
    out, summed, seen = [], 0.0, 0
    xp = backend.array_module(model.device)   # the chunks are combined where they are computed
    chunks = -(-k // chunk)   # the bar moves by chunks of draws: with a large k one batch takes long
    bar = Progress(len(starts) * chunks, f"L_{k}", progress and (world is None or world.rank == 0))
    began = time.perf_counter()
    with no_grad():
        for start in starts:
            if say and len(starts) > 1 and start == starts[1]:   # the first batch timed: the whole foreseen
                first = time.perf_counter() - began
                if first * len(starts) > LONG:
                    say(f"L_{k} of {len(x)} examples will take about {_duration(first * len(starts))} here (the first "
                        f"{batch} took {first:.1f} s); a smaller --k or --limit takes less")
            if seed is not None:
                for g in generators.values():
                    g.seed((seed * 1_000_003 + start // batch) % 2 ** 32)
            xb = model.as_input(x[start:start + batch])
            yb = None if y is None else y[start:start + batch]
            total = xp.full(len(xb), -np.inf)
            for done in range(0, k, chunk):
                logw = model.log_weights(xb, min(chunk, k - done), y=yb)
                logw = (logw[0] if isinstance(logw, tuple) else logw).data.astype(np.float64)
                total = xp.logaddexp(total, _logsumexp(xp, logw))
                bar.update(len(xb) * logw.shape[1], {"mean L_k": summed / seen} if seen else {})
            out.append(backend.to_device(total, "cpu") - math.log(k))
            summed, seen = summed + float(out[-1].sum()), seen + len(xb)
    bar.close()
    out = np.concatenate(out) if out else np.empty(0)
    return np.concatenate(world.allgather(out)) if world is not None and world.size > 1 else out


def _duration(seconds):
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.0f} min" if seconds >= 90 else \
        f"{seconds:.0f} s"


def _logsumexp(xp, a):
    m = a.max(1)
    m = xp.where(xp.isfinite(m), m, 0.0)
    return m + xp.log(xp.exp(a - m[:, None]).sum(1))


def elbo(model, x, y=None, batch=100):
    """The ELBO per example, averaged over the data (one draw of z per example). For a model
    with importance weights but no separate terms (IWAE) it is L_1."""
    if not hasattr(model, "elbo_terms"):
        return float(log_likelihood(model, x, k=1, y=y, batch=batch).mean())
    values = []
    with no_grad():
        for start in range(0, len(x), batch):
            xb = model.as_input(x[start:start + batch])
            recon, kl = model.elbo_terms(xb, None if y is None else y[start:start + batch])
            values.append(-(recon + kl).numpy())
    return float(np.concatenate(values).mean())


def naive_log_likelihood(model, x, n_samples=1000, batch=100):
    """log p(x) ~= log (1/S) sum_s p(x | z_s), z_s ~ p(z): sampling the prior instead of the
    posterior. For any realistic model almost no z_s explains x, so this estimate sits far
    below the truth and varies wildly: why the VAE's encoder (importance sampling) is needed."""
    out = np.empty(len(x))
    with no_grad():
        for start in range(0, len(x), batch):
            xb = model.as_input(x[start:start + batch])
            n = xb.shape[0]
            z = model.constant(backend.default_generator().normal((n_samples * n, model.z_dim)))
            logp = model.likelihood.log_prob(F.concat([xb] * n_samples, axis=0), model.decode(z))
            logp = logp.numpy().reshape(n_samples, n).T.astype(np.float64)
            out[start:start + n] = _logsumexp(np, logp) - math.log(n_samples)
    return out


def parzen_log_likelihood(samples, x, sigma, batch=100):
    """A Parzen-window (Gaussian kernel density) estimate of log p(x) from model samples, for
    models that can sample but not score (Breuleux et al.; as in the GAN papers). It is
    biased and sensitive to sigma, which should be chosen on validation data."""
    samples = np.asarray(samples, np.float64)
    d = samples.shape[1]
    out = np.empty(len(x))
    for start in range(0, len(x), batch):
        xb = np.asarray(x[start:start + batch], np.float64)
        sq = ((xb[:, None, :] - samples[None]) ** 2).sum(-1) / (2 * sigma ** 2)
        out[start:start + len(xb)] = (_logsumexp(np, -sq) - math.log(len(samples))
                                      - d * math.log(sigma) - 0.5 * d * math.log(2 * math.pi))
    return out
