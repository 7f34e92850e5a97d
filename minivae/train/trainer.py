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

from .. import backend, distributed, nn, optim
from ..atomic import refuse_link, write_text
from ..core import no_grad
from ..philox import DevicePhilox, drawing_from, seeded
from . import resume as resuming
from ..checkpoint import read_checkpoint, read_header, save_checkpoint
from .graphs import StepGraphs
from .lock import run_folder
from ..progress import Progress
from .settings import Settings, print_record


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


def fit(model, x, y=None, valid=None, y_valid=None, *, epochs=10, batch_size=100, lr=1e-3, seed=0,
        out=None, resume=False, patience=None, warmup_epochs=0, schedule=None, progress=True,
        log=print_record, adam=None, force=False, config=None,
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
    s = Settings(epochs, batch_size, lr, seed, out, resume, patience, warmup_epochs, schedule, progress, log, adam,
                 force, config, graphs, optimizer, loss_scale, world).checked(model, x, y, valid, y_valid)
    noise = getattr(model, "generator", None)
    with drawing_from(model, None if noise is None else _training_noise(noise, model.device, s.seed, s.graphs)), \
            run_folder(s.out) if s.out and s.world.rank == 0 else contextlib.nullcontext(), \
            _shared_draws(model, s.world) as shards, _shared_statistics(model, s.world):
        return _fit(model, x, y, valid, y_valid, s, shards)


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


def _optimizers(model, lr, adam, graphs, optimizer="adam"):
    """The optimizer per player; Adam for CUDA graphs, with its step count on the device and
    over one flat buffer of the player's parameters when no parameter belongs to two players."""
    players = model.players()
    own = lambda name: {**(model.player_adam.get(name, {}) if optimizer == "adam" else {}), **(adam or {})}
    if not graphs:
        return {name: optim.OPTIMIZERS[optimizer](params, lr=lr, **own(name)) for name, params in players.items()}
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


def _player_steps(model, opts, recording=lambda: False, scale=1.0, world=None):
    """Each player's ``_step``, the others' parameters held as constants."""
    players = model.players()
    mine = {name: {id(p) for p in params} for name, params in players.items()}
    return {name: _step(model, opt, name, recording, scale, world, players[name],
                        [p for p in model.parameters() if id(p) not in mine[name]])
            for name, opt in opts.items()}


def step_function(model, lr=1e-3, optimizer="adam", adam=None):
    """``step(x, y=None)``: one training step of every player on a batch, as fit takes it
    (each player's optimizer, its steps per batch, the others held), in one process without
    CUDA graphs: what a profile or a benchmark times."""
    opts = _optimizers(model, lr, adam, False, optimizer)
    steps = _player_steps(model, opts)

    def step(x, y=None):
        for name in opts:
            for _ in range(model.player_steps.get(name, 1)):
                steps[name](x, y)
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


def _fit(model, x, y, valid, y_valid, s, shards):
    """The loop: each epoch, the players step in turn on every batch; then the epoch's
    record, its checkpoint and the early stop (_Run holds what the loop carries)."""
    run = _Run(model, x, y, valid, y_valid, s)
    x_all, y_all, to_batch = _on_device(model.device, x, y)
    for epoch in range(run.start_epoch, s.epochs + 1):
        batches = run.begin_epoch(epoch, len(x))
        bar = Progress(len(batches), f"epoch {epoch}/{s.epochs}", s.progress and s.world.rank == 0)
        totals, seen, start = {}, 0, time.perf_counter()
        model.train()
        with run.replaying():
            for i, idx in enumerate(batches, 1):
                batch, (idx, share) = len(idx), _my_share(s.world, shards, idx)
                xb, yb = x_all[to_batch(idx)], None if y_all is None else y_all[idx]
                try:
                    run.step_players(xb, yb, batch, share, totals)
                    if i % READ_EVERY == 0 or i == len(batches):
                        run.read_replays(totals)
                except _NonFinite as bad:
                    bar.close()
                    raise TrainingDiverged(f"the {bad.name} loss became {bad.value} in epoch {epoch}; "
                                           + _last_good(run.checkpoint)) from None
                seen += batch
                bar.update(batch, {k: v / seen for k, v in totals.items()})
        bar.close()
        if run.end_epoch(epoch, {k: v / seen for k, v in totals.items()}, time.perf_counter() - start, shards):
            break
    run.finish()
    return run.history


def _my_share(world, shards, idx):
    """This rank's rows of a batch, and their share of it; alone, all of it."""
    if world.size == 1:
        return idx, 1.0
    batch, part = len(idx), world.share(len(idx))
    for g in shards:
        g.shard(part, batch)
    return idx[part], (part.stop - part.start) / batch


class _Run:
    """What one fit carries from epoch to epoch: the optimizers and steps of the players, the
    history and the best validation loss (restored on a resume), the run folder's files."""

    def __init__(self, model, x, y, valid, y_valid, s):
        self.model, self.s, self.valid, self.y_valid = model, s, valid, y_valid
        self.settings = s.recorded()
        if s.world.size > 1:   # before anything collective: ranks that disagree here would wait for ever
            s.world.check_same("run settings", s.agreed())
        self.opts = _optimizers(model, s.lr, s.adam, s.graphs, s.optimizer)
        self.recorder = StepGraphs(say=lambda line: print(line, flush=True)) if s.graphs else None
        scale = float(len(x)) if s.loss_scale == "dataset" else 1.0   # N/M times the sum = N times the mean
        model.dataset_size = len(x)   # Model.dataset_size: N, for a loss that weighs its terms by it
        self.steps = _player_steps(model, self.opts, lambda: self.recorder is not None and self.recorder.recording,
                                   scale, s.world)
        self.writes = bool(s.out) and s.world.rank == 0
        if self.writes:   # refused before any work: a write would land where a planted link points
            for name in RUN_FILES:
                refuse_link(os.path.join(s.out, name))
        self.beta = getattr(model, "beta", None)
        self.history, self.start_epoch, self.best, self.stale = [], 1, math.inf, 0
        self.checkpoint = os.path.join(s.out, "checkpoint.npz") if s.out else None
        if s.out:
            self.settings["data"] = resuming.data_identity(x, y, valid, y_valid)
            self.settings["adam"] = s.adam or {}
        if s.resume:
            resumed = resuming.check(self.checkpoint, model, self.opts, self.settings, s.epochs, s.force,
                                     lambda path: _from_rank_0(s.world, lambda: read_checkpoint(path, model)),
                                     s.patience)
            resuming.restore(resumed, model, self.opts, self.checkpoint)
            self.history, self.start_epoch = resumed.history, resumed.epoch + 1
            self.best, self.stale = resumed.best, resumed.stale
        if self.writes:
            self._open_folder()
        if not s.resume and getattr(model, "first_stage", None):   # a stage trained first (Model.first_stage)
            model.before_fit(x, y, lambda stage, data, epochs, labels=None: fit(
                stage.to(model.device), data, labels, epochs=epochs, batch_size=s.batch_size, lr=s.lr, seed=s.seed,
                progress=s.progress, log=lambda record: s.log({"stage": type(stage).__name__, **record}),
                adam=s.adam, graphs=s.graphs, optimizer=s.optimizer, loss_scale=s.loss_scale, world=s.world))
        if s.world.size > 1:
            _same_start(model, x, y, valid, self.settings, s.world)
        self.generators = {id(g): g for g in (backend.default_generator(), getattr(model, "generator", None)) if g}
        self.unread = {}   # player -> the device sum of replayed losses x batch sizes, not yet read

    def _open_folder(self):
        """Every check passed: the run's record, then its metrics as the checkpoint has them; a
        fresh run's log starts afresh, the old one kept beside it."""
        out = self.s.out
        if self.s.config is not None:
            write_text(os.path.join(out, "config.json"), json.dumps(self.s.config, indent=2) + "\n", ".json")
        if self.s.resume:
            write_metrics(out, self.history)
        elif os.path.exists(os.path.join(out, "metrics.jsonl")):
            i = 1
            while os.path.exists(os.path.join(out, f"metrics-previous-{i}.jsonl")):
                i += 1
            os.replace(os.path.join(out, "metrics.jsonl"), os.path.join(out, f"metrics-previous-{i}.jsonl"))

    def begin_epoch(self, epoch, n):
        """Reseed every generator from (seed, epoch), set the KL weight and learning rate,
        and return the epoch's batches of shuffled indices."""
        s, model = self.s, self.model
        for g in self.generators.values():
            g.seed(_epoch_seed(s.seed, epoch))
        if self.beta is not None and s.warmup_epochs:
            model.beta = optim.kl_warmup(epoch - 1, s.warmup_epochs, self.beta)
        model.begin_epoch(epoch)
        for opt in self.opts.values():
            opt.lr = optim.staged_lr(epoch - 1, s.lr) if s.schedule == "staged" else s.lr
        order = np.random.default_rng(_epoch_seed(s.seed, epoch)).permutation(n)
        batches = [order[i:i + s.batch_size] for i in range(0, n, s.batch_size)]
        self.unread = {}
        if s.world.size > 1:   # a last batch the ranks cannot all share is left out
            batches = [idx for idx in batches if len(idx) >= s.world.size]
        return batches

    @contextlib.contextmanager
    def replaying(self):
        """On a GPU with graphs, each player's step is recorded once and replayed after."""
        if not self.recorder:
            yield
            return
        self.recorder.forget()
        with self.recorder.running():
            yield

    def step_players(self, xb, yb, batch, share, totals):
        """Each player's steps on one batch, their losses summed into ``totals`` (times the
        batch's size; a replay's stay on the device until read_replays)."""
        for name, opt in self.opts.items():
            repeats = self.model.player_steps.get(name, 1)   # its mean over them is logged
            for _ in range(repeats):
                loss = self.recorder.step(name, self.steps[name], opt, xb, yb) if self.recorder else \
                    self.steps[name](xb, yb, share)
                if isinstance(loss, float):   # checked before its update
                    totals[name] = totals.get(name, 0.0) + loss * batch / repeats
                else:                         # a replay's: summed on the device, read below
                    part = loss.data * (batch / repeats)
                    self.unread[name] = part if name not in self.unread else self.unread[name] + part

    def read_replays(self, totals):
        for name, total in self.unread.items():
            value = float(total)
            if not math.isfinite(value):
                raise _NonFinite(name, value)
            totals[name] = totals.get(name, 0.0) + value
        self.unread = {}

    def end_epoch(self, epoch, train, seconds, shards):
        """The epoch's record (training losses ``train``, validation), checked, logged and
        saved; True when the early stop ends the run."""
        s, model = self.s, self.model
        model.eval()
        for g in shards:   # validation: every rank alike, on the whole set
            g.shard(None, None)
        if s.world.size > 1:
            s.world.check_same(f"parameters after epoch {epoch}", distributed.digest(
                [p.data for p in model.parameters()]))
        record = {"epoch": epoch, **{f"train_{k}": v for k, v in train.items()},
                  "seconds": seconds, "lr": next(iter(self.opts.values())).lr}
        if self.beta is not None:
            record["beta"] = model.beta
        if self.valid is not None:
            record.update({f"valid_{k}": v for k, v in _evaluate(model, self.valid, self.y_valid,
                                                                  s.batch_size).items()})
        broken = _diverged(model, record)
        if broken:   # caught before it is saved: the checkpoint on disk stays the last good one
            raise TrainingDiverged(f"{broken} after epoch {epoch}; " + _last_good(self.checkpoint))
        self.history.append(record)
        if s.world.rank == 0:
            s.log(record)
        if self.writes:
            self._save(epoch, record)
        return "valid_loss" in record and self.model.loss_ranks and self._stops(record["valid_loss"])

    def _save(self, epoch, record):
        meta = {"model": getattr(self.model, "spec", None), "epoch": epoch, "history": self.history,
                "seed": self.s.seed, "settings": self.settings, **({"config": self.s.config} if self.s.config else {}),
                "generators": [str(g.get_state()) for g in self.generators.values()]}
        # best.npz before the checkpoint: killed between the two, the run resumes from the
        # epoch before, does this one again and writes the same best.npz
        if self.model.loss_ranks and record.get("valid_loss", math.inf) < self.best:
            save_checkpoint(os.path.join(self.s.out, "best.npz"), self.model, self.opts, meta)
        save_checkpoint(self.checkpoint, self.model, self.opts, meta)
        write_metrics(self.s.out, self.history)

    def _stops(self, loss):
        if loss < self.best:
            self.best, self.stale = loss, 0
        else:
            self.stale += 1
        # Rank 0 decides for all: a rank that stopped alone would leave the others waiting in
        # the next step's sum for ever.
        patience = self.s.patience
        if self.s.world.broadcast(patience is not None and self.stale >= patience):
            if self.s.world.rank == 0:
                print(f"early stopping: no improvement in {patience} epochs (best {self.best:.4f})", flush=True)
            return True
        return False

    def finish(self):
        if self.beta is not None:
            self.model.beta = self.beta
