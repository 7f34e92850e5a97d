"""Training: epochs of shuffled minibatches, each player of the model updated in turn.

Reproducible: every random draw of epoch e (the shuffle, the model's noise, dropout) comes
from generators reseeded from (seed, e), so training 5 epochs, stopping, and resuming for
5 more gives the parameters of 10 epochs in one go, bit for bit, on the CPU.
"""
import contextlib
import json
import math
import os
import time

import numpy as np

from .. import backend, distributed, kernels, nn, optim
from ..atomic import refuse_link, write_text
from ..core import no_grad
from ..models.vae import kl_warmup
from ..philox import DevicePhilox, drawing_from, seeded
from . import resume as resuming
from .checkpoint import read_checkpoint, read_header, save_checkpoint
from .graphs import StepGraphs
from .lock import run_folder
from .progress import Progress


class TrainingDiverged(ValueError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


def _epoch_seed(seed, epoch):
    return (seed * 1_000_003 + epoch) % 2 ** 32


def _evaluate(model, x, y, batch_size):
    totals, n = {}, 0
    with no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], None if y is None else y[start:start + batch_size]
            loss, terms = model.loss(xb, yb)
            for k, v in (("loss", loss), *terms.items()):
                totals[k] = totals.get(k, 0.0) + v.item() * len(xb)
            n += len(xb)
    return {k: v / n for k, v in totals.items()}


DEVICE_DATA_LIMIT = 2 ** 30   # bytes of training data copied to the device once


def _on_device(device, x, y):
    """(x, y, index) for minibatches: on a GPU the training data moves to the device once,
    as C-contiguous float32, when it is there already or small enough, and a batch is
    gathered there; otherwise each batch moves (Model.as_input). Labels stay on the host,
    where models make their one-hot codes."""
    if device == "cpu" or (backend.device_of(x) != device and x.nbytes > DEVICE_DATA_LIMIT):
        return x, y, lambda idx: idx
    if backend.device_of(x) != device:   # cast on the host: no float64 copy on the device
        x = backend.to_device(np.ascontiguousarray(x, backend.DEFAULT_DTYPE), device)
    x = backend.array_module(device).ascontiguousarray(x, dtype=backend.DEFAULT_DTYPE)
    return x, y, lambda idx: backend.to_device(idx, device)


READ_EVERY = 32   # replayed steps between reads of their losses (each read waits for the GPU)


RUN_FILES = ("checkpoint.npz", "best.npz", "metrics.jsonl", "config.json")


def write_metrics(out, history):
    """out/metrics.jsonl: a line per epoch of ``history``, rewritten whole (minivae.atomic),
    so that it always agrees with the checkpoint written before it, a resumed run's included."""
    text = "".join(json.dumps(record, allow_nan=False) + "\n" for record in history)
    write_text(os.path.join(out, "metrics.jsonl"), text, ".jsonl")


def format_record(record):
    return "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items())


def fit(model, x, y=None, valid=None, y_valid=None, *, epochs=10, batch_size=100, lr=1e-3, seed=0,
        out=None, resume=False, patience=None, warmup_epochs=0, schedule=None, progress=True,
        log=lambda record: print(format_record(record), flush=True), adam=None, force=False, config=None,
        graphs=None, optimizer="adam", loss_scale="example", world=None):
    """Train ``model`` and return the history (a dict per epoch).

    out            folder for checkpoint.npz, best.npz and metrics.jsonl (none: keep nothing)
    resume         continue from out/checkpoint.npz
    patience       stop when the validation loss has not improved for this many epochs
    warmup_epochs  raise the KL weight (model.beta) linearly from 0 over these epochs
    schedule       None, or "staged" for the IWAE paper's 3^i epochs at lr 10^(-i/7)
    log            called with each epoch's record (a dict)
    optimizer      "adam" (default), or "sgd" or "adagrad", which AEVB's Algorithm 1 names
    loss_scale     "example": each step descends the batch's mean loss; "dataset": N/M times the
                   batch's sum, AEVB's estimate of the whole data set's bound (Eq. 8, N examples
                   in batches of M), which sets the step size of SGD and Adagrad as Algorithm 1
                   does (Adam's steps hardly change). The losses logged are per example either way.
    adam           other settings of the optimizer, e.g. {"eps": 1e-4} for Adam as in the IWAE paper
    force          resume although seed, batch_size, lr, schedule or warm-up differ from the
                   run's (the continuation is then no longer the uninterrupted run)

    config         the run's settings, saved in each checkpoint (see minivae.config)
    graphs         on a GPU, record each player's step as a CUDA graph and replay it
                   (train/graphs.py); None: where the model is on cuda with the fast kernels
    world          the processes training this model together (minivae.distributed): each
                   takes its share of every batch, the gradients are summed over them, and
                   rank 0 alone writes ``out`` and calls ``log``; a last batch smaller than
                   the world is left out. None: this process alone.

    While it runs, ``out`` is locked: a second run into the same folder is refused.
    """
    if len(x) == 0:
        raise ValueError("fit: no training data")
    for xs, ys, which in ((x, y, "training"), (valid, y_valid, "validation")):
        if xs is not None and ys is not None and len(ys) != len(xs):
            raise ValueError(f"fit: {len(ys)} labels for {len(xs)} {which} examples")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"fit: epochs and batch_size must be positive, got {epochs} and {batch_size}")
    if schedule not in (None, "staged"):
        raise ValueError(f"fit: schedule must be None or 'staged', got {schedule!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"fit: optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if loss_scale not in ("example", "dataset"):
        raise ValueError(f"fit: loss_scale must be 'example' or 'dataset', got {loss_scale!r}")
    world = world or distributed.World()
    if world.size > 1 and graphs:
        raise ValueError("fit: CUDA graphs are not recorded across ranks; use graphs=False")
    if batch_size < world.size:
        raise ValueError(f"fit: a batch of {batch_size} cannot be shared by {world.size} ranks")
    if optimizer != "adam" and graphs:
        raise ValueError("fit: CUDA graphs keep Adam's step count on the device; use optimizer='adam' or graphs=False")
    graphs = False if optimizer != "adam" or world.size > 1 else _graphs_wanted(graphs, model, adam)
    noise = getattr(model, "generator", None)
    with drawing_from(model, None if noise is None else _training_noise(noise, model.device, seed, graphs)), \
            run_folder(out) if out and world.rank == 0 else contextlib.nullcontext(), \
            _shared_draws(model, world) as shards, _shared_statistics(model, world):
        return _fit(model, x, y, valid, y_valid, epochs, batch_size, lr, seed, out, resume, patience,
                    warmup_epochs, schedule, progress, log, adam, force, config, graphs, optimizer,
                    loss_scale, world, shards)


def _training_noise(noise, device, seed, graphs):
    """The generator a fit draws the model's noise from (philox.seeded); a recorded step
    draws inside the graph, which only the device-side Philox can do."""
    if graphs and not isinstance(noise, DevicePhilox):
        return DevicePhilox(seed)
    return seeded(noise, seed, device)


@contextlib.contextmanager
def _shared_draws(model, world):
    """Across ranks, the model's and the default generators become ShardedGenerators (each
    draw made for the global batch and cut to this rank's rows); alone, nothing changes."""
    noise = getattr(model, "generator", None)
    if world.size == 1:
        yield []
        return
    shards = [distributed.ShardedGenerator(backend.default_generator(model.device))]
    if noise is not None and noise is not shards[0].inner:
        shards.append(distributed.ShardedGenerator(noise))
    with drawing_from(model, shards[-1]), backend.default_generator_replaced(shards[0], model.device):
        yield shards


@contextlib.contextmanager
def _shared_statistics(model, world):
    """Across ranks, batch normalization takes the global batch's statistics, as one
    process would: its layers sum over the world (nn/batchnorm.py)."""
    norms = [m for _, m in model.named_modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))] \
        if world.size > 1 else []
    for m in norms:
        m.world = world
    try:
        yield
    finally:
        for m in norms:
            m.world = None


def _graphs_wanted(graphs, model, adam):
    if getattr(model, "skips_updates", False):
        if graphs:
            raise ValueError(f"fit: {type(model).__name__} decides on the host whether to skip a player's "
                             "update, which a step recorded as a CUDA graph cannot; use graphs=False")
        return False
    if graphs is None:
        return model.device == "cuda" and kernels.kernel_mode() == "fast" and not (adam or {}).get("amsgrad")
    if graphs and (model.device != "cuda" or kernels.kernel_mode() != "fast" or (adam or {}).get("amsgrad")):
        raise ValueError(f"fit: CUDA graphs need a model on cuda (this one is on {model.device}), the fast "
                         f"kernels (now {kernels.kernel_mode()!r}) and Adam without amsgrad")
    return bool(graphs)


OPTIMIZERS = {"adam": optim.Adam, "sgd": optim.SGD, "adagrad": optim.Adagrad, "rmsprop": optim.RMSprop}


def _optimizers(model, lr, adam, graphs, optimizer="adam"):
    """The optimizer per player; Adam for CUDA graphs, with its step count on the device and
    over one flat buffer of the player's parameters when no parameter belongs to two players."""
    players = model.players()
    own = lambda name: {**(model.player_adam.get(name, {}) if optimizer == "adam" else {}), **(adam or {})}
    if not graphs:
        return {name: OPTIMIZERS[optimizer](params, lr=lr, **own(name)) for name, params in players.items()}
    ids = [id(p) for params in players.values() for p in params]
    if len(ids) == len(set(ids)):
        return {name: optim.FlatOptimizer(params, optim.Adam, lr=lr, device_steps=True, **own(name))
                for name, params in players.items()}
    return {name: optim.Adam(params, lr=lr, device_steps=True, **own(name)) for name, params in players.items()}


def _from_rank_0(world, read):
    """``read()`` on rank 0, its result (or its error) on every rank."""
    if world.size == 1:
        return read()
    result = None
    if world.rank == 0:
        try:
            result = ("ok", read())
        except (ValueError, OSError) as e:
            result = ("error", str(e))
    kind, value = world.broadcast(result)
    if kind == "error":
        raise ValueError(value)
    return value


def _same_start(model, x, y, valid, settings, world):
    """Refuse a world whose ranks were given other models, data or settings (before any
    step), then start every rank from rank 0's parameters and buffers. The validation set
    too: every rank scores it, and the ranks must agree on when to stop."""
    spec = json.loads(json.dumps(getattr(model, "spec", None) or {"class": type(model).__name__}))
    world.check_same("models", spec)
    world.check_same("training settings", settings)
    world.check_same("training data", (np.shape(x), distributed.digest([x])))
    world.check_same("labels", None if y is None else distributed.digest([np.asarray(y)]))
    world.check_same("validation data", None if valid is None else (np.shape(valid), distributed.digest([valid])))
    state = world.broadcast(model.state_dict() if world.rank == 0 else None)
    if world.rank != 0:
        model.load_state_dict(state)


class _NonFinite(Exception):
    def __init__(self, name, value):
        self.name, self.value = name, value


@contextlib.contextmanager
def _held(params):
    """``params`` (the other players') as constants for one player's step: its backward
    then computes no gradient that its optimizer would not use."""
    held = [p for p in params if p.requires_grad]
    for p in held:
        p.requires_grad = False
    try:
        yield
    finally:
        for p in held:
            p.requires_grad = True


def _step(model, opt, name, recording=lambda: False, scale=1.0, world=None, params=None, others=()):
    """One player's step, descending ``scale`` times its mean loss over the batch, the other
    players' parameters held as constants (``others``). A loss that
    is NaN or infinite stops it before the update, so the model keeps its last good
    parameters; a step being recorded as a CUDA graph cannot read its loss, so its update is
    gated on the device instead (skipped where the loss is not finite), and the trainer
    reads the replays' losses every READ_EVERY steps. Across ranks, each weighs its share of
    the batch by its size (``share``), and the gradients and the loss are summed over the
    world before the update (and checked after the sum: a rank stopping alone would leave
    the others waiting).
    Returns the loss as the float it read, or, while recording, the Tensor a replay fills."""
    ranks = world is not None and world.size > 1

    def step(xb, yb, share=1.0):
        with _held(others):
            return _update(xb, yb, share)

    def _update(xb, yb, share):
        terms = model.losses(xb, yb, player=name)
        loss = terms[name]
        value = None if recording() else loss.item()
        if not ranks and value is not None and not math.isfinite(value):
            raise _NonFinite(name, value)
        skip = terms.get("skip", False)
        if ranks:   # rank 0 decides for all: a rank skipping alone would leave the others waiting
            skip = world.broadcast(skip)
        if skip:
            return world.total(value * share) if ranks else value
        model.zero_grad()
        weight = scale * share
        (loss * weight if weight != 1.0 else loss).backward()
        if ranks:
            value = world.sum_gradients(params, value * share)
            if not math.isfinite(value):
                raise _NonFinite(name, value)
        if value is None:
            opt.step(gate=loss.data)
            return loss
        opt.step()
        return value
    return step


def _diverged(model, record):
    """What became NaN or infinite by the end of an epoch (a validation loss, or parameters
    after the epoch's last update, whose loss no step read); None when all is finite."""
    for key, value in record.items():
        if isinstance(value, float) and not math.isfinite(value):
            return f"the {key.replace('_', ' ')} became {value}"
    broken = [name for name, p in model.named_parameters() if not bool(backend.array_module(p.device).isfinite(p.data).all())]
    if broken:
        return f"parameters {', '.join(broken[:3])}{' and more' if len(broken) > 3 else ''} became NaN or infinite"
    return None


def _last_good(checkpoint):
    if checkpoint and os.path.exists(checkpoint):
        with contextlib.suppress(ValueError, KeyError):
            return f"the last good checkpoint is {checkpoint} (epoch {read_header(checkpoint)[0]['epoch']})"
        return f"the last good checkpoint is {checkpoint}"
    return "nothing was saved"


def _fit(model, x, y, valid, y_valid, epochs, batch_size, lr, seed, out, resume, patience,
         warmup_epochs, schedule, progress, log, adam, force, config, graphs, optimizer, loss_scale, world, shards):
    settings = {"seed": seed, "batch_size": batch_size, "lr": lr, "schedule": schedule,
                "warmup_epochs": warmup_epochs, "optimizer": optimizer, "loss_scale": loss_scale}
    if world.size > 1:   # before anything collective: ranks that disagree here would wait for each other for ever
        world.check_same("run settings", {**settings, "epochs": epochs, "patience": patience, "resume": bool(resume),
                                          "out": out and os.path.abspath(out), "force": bool(force)})
    opts = _optimizers(model, lr, adam, graphs, optimizer)
    recorder = StepGraphs(say=lambda line: print(line, flush=True)) if graphs else None
    scale = float(len(x)) if loss_scale == "dataset" else 1.0   # N/M times the sum = N times the mean
    model.dataset_size = len(x)   # Model.dataset_size: N, for a loss that weighs its terms by it
    players = model.players()
    mine = {name: {id(p) for p in params} for name, params in players.items()}
    steps = {name: _step(model, opt, name, lambda: recorder is not None and recorder.recording, scale, world,
                         players[name], [p for p in model.parameters() if id(p) not in mine[name]])
             for name, opt in opts.items()}
    writes = bool(out) and world.rank == 0
    if writes:   # refused before any work: a write would land where a planted link points
        for name in RUN_FILES:
            refuse_link(os.path.join(out, name))
    beta = getattr(model, "beta", None)
    history, start_epoch, best, stale = [], 1, math.inf, 0
    checkpoint = os.path.join(out, "checkpoint.npz") if out else None
    if out:
        settings["data"] = resuming.data_identity(x, y, valid, y_valid)
        settings["adam"] = adam or {}
    if resume:
        resumed = resuming.check(checkpoint, model, opts, settings, epochs, force,
                                lambda path: _from_rank_0(world, lambda: read_checkpoint(path, model)), patience)
        resuming.restore(resumed, model, opts, checkpoint)
        history, start_epoch, best, stale = resumed.history, resumed.epoch + 1, resumed.best, resumed.stale
    if writes:   # every check passed: the run's record, then its metrics as the checkpoint has them
        if config is not None:
            write_text(os.path.join(out, "config.json"), json.dumps(config, indent=2) + "\n", ".json")
        if resume:
            write_metrics(out, history)
        elif os.path.exists(os.path.join(out, "metrics.jsonl")):   # a fresh run: a fresh log, the old one kept
            i = 1
            while os.path.exists(os.path.join(out, f"metrics-previous-{i}.jsonl")):
                i += 1
            os.replace(os.path.join(out, "metrics.jsonl"), os.path.join(out, f"metrics-previous-{i}.jsonl"))
    if not resume and getattr(model, "first_stage", None):   # a stage trained first (Model.first_stage)
        model.before_fit(x, y, lambda stage, data, epochs, labels=None: fit(
            stage.to(model.device), data, labels, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
            progress=progress, log=lambda record: log({"stage": type(stage).__name__, **record}), adam=adam,
            graphs=graphs, optimizer=optimizer, loss_scale=loss_scale, world=world))
    if world.size > 1:
        _same_start(model, x, y, valid, settings, world)
    x_all, y_all, to_batch = _on_device(model.device, x, y)
    generators = {id(g): g for g in (backend.default_generator(), getattr(model, "generator", None)) if g}
    for epoch in range(start_epoch, epochs + 1):
        for g in generators.values():
            g.seed(_epoch_seed(seed, epoch))
        if beta is not None and warmup_epochs:
            model.beta = kl_warmup(epoch - 1, warmup_epochs, beta)
        model.begin_epoch(epoch)
        for opt in opts.values():
            opt.lr = optim.staged_lr(epoch - 1, lr) if schedule == "staged" else lr
        order = np.random.default_rng(_epoch_seed(seed, epoch)).permutation(len(x))
        batches = [order[i:i + batch_size] for i in range(0, len(x), batch_size)]
        if world.size > 1:   # a last batch the ranks cannot all share is left out
            batches = [idx for idx in batches if len(idx) >= world.size]
        bar = Progress(len(batches), f"epoch {epoch}/{epochs}", progress and world.rank == 0)
        totals, seen, start = {}, 0, time.perf_counter()
        unread = {}   # player -> the device sum of replayed losses x batch sizes, not yet read
        model.train()
        if recorder:
            recorder.forget()
        with recorder.running() if recorder else contextlib.nullcontext():
            for i, idx in enumerate(batches, 1):
                batch, share = len(idx), 1.0
                if world.size > 1:   # this rank's rows, weighted by their share of the batch
                    part = world.share(batch)
                    share = (part.stop - part.start) / batch
                    for g in shards:
                        g.shard(part, batch)
                    idx = idx[part]
                xb, yb = x_all[to_batch(idx)], None if y_all is None else y_all[idx]
                try:
                    for name, opt in opts.items():
                        repeats = model.player_steps.get(name, 1)   # its mean over them is logged
                        for _ in range(repeats):
                            loss = recorder.step(name, steps[name], opt, xb, yb) if recorder else \
                                steps[name](xb, yb, share)
                            if isinstance(loss, float):   # checked before its update
                                totals[name] = totals.get(name, 0.0) + loss * batch / repeats
                            else:                         # a replay's: summed on the device, read below
                                part = loss.data * (batch / repeats)
                                unread[name] = part if name not in unread else unread[name] + part
                    if unread and (i % READ_EVERY == 0 or i == len(batches)):
                        for name, total in unread.items():
                            value = float(total)
                            if not math.isfinite(value):
                                raise _NonFinite(name, value)
                            totals[name] = totals.get(name, 0.0) + value
                        unread = {}
                except _NonFinite as bad:
                    bar.close()
                    raise TrainingDiverged(f"the {bad.name} loss became {bad.value} in epoch {epoch}; "
                                           + _last_good(checkpoint)) from None
                seen += batch
                bar.update(batch, {k: v / seen for k, v in totals.items()})
        bar.close()
        model.eval()
        for g in shards:   # validation: every rank alike, on the whole set
            g.shard(None, None)
        if world.size > 1:
            world.check_same(f"parameters after epoch {epoch}", distributed.digest(
                [p.data for p in model.parameters()]))
        record = {"epoch": epoch, **{f"train_{k}": v / seen for k, v in totals.items()},
                  "seconds": time.perf_counter() - start, "lr": next(iter(opts.values())).lr}
        if beta is not None:
            record["beta"] = model.beta
        if valid is not None:
            record.update({f"valid_{k}": v for k, v in _evaluate(model, valid, y_valid, batch_size).items()})
        broken = _diverged(model, record)
        if broken:   # caught before it is saved: the checkpoint on disk stays the last good one
            raise TrainingDiverged(f"{broken} after epoch {epoch}; " + _last_good(checkpoint))
        history.append(record)
        if world.rank == 0:
            log(record)
        if writes:
            meta = {"model": getattr(model, "spec", None), "epoch": epoch, "history": history, "seed": seed,
                    "settings": settings, **({"config": config} if config else {}),
                    "generators": [str(g.get_state()) for g in generators.values()]}
            # best.npz before the checkpoint: killed between the two, the run resumes from the
            # epoch before, does this one again and writes the same best.npz
            if record.get("valid_loss", math.inf) < best:
                save_checkpoint(os.path.join(out, "best.npz"), model, opts, meta)
            save_checkpoint(checkpoint, model, opts, meta)
            write_metrics(out, history)
        if "valid_loss" in record:
            if record["valid_loss"] < best:
                best, stale = record["valid_loss"], 0
            else:
                stale += 1
            # Rank 0 decides for all: a rank that stopped alone would leave the others
            # waiting in the next step's sum for ever.
            if world.broadcast(patience is not None and stale >= patience):
                if world.rank == 0:
                    print(f"early stopping: no improvement in {patience} epochs (best {best:.4f})", flush=True)
                break
    if beta is not None:
        model.beta = beta
    return history
