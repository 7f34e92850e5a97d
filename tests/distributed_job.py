"""What tests/test_distributed.py runs under ``mpiexec -n N``: a few epochs of a model on
the ring (or, with ``eval``, L_k of an untrained VAE), rank 0 writing the result to OUT.npz.

    python distributed_job.py train MODEL [RANK_WITH_OTHER_DATA [valid]] OUT.npz
        (with "valid", that rank's validation data differ, not its training data)
    python distributed_job.py eval OUT.npz
    python distributed_job.py drift RANK OUT.npz   (training, RANK's parameters nudged once)
    python distributed_job.py stop RANK OUT.npz    (early stopping, RANK's validation worsening)
    python distributed_job.py epochs RANK OUT.npz  (RANK asked for one epoch more than the others)
    python distributed_job.py fail RANK STEP raise|kill minivae train ...
        (the command line, whose rank RANK raises, or is killed, at its step STEP)
    python distributed_job.py rows minivae train ...
        (the command line; then each rank prints on stderr how many rows its DR-VAE
        classifier's loss saw, into <out>/classifier-rows-R)
"""
import os
import sys

import numpy as np

import minivae as mv
from minivae import distributed
from minivae.data import load_dataset
from minivae.eval import log_likelihood
from minivae.models import create
from minivae.train import fit

MODELS = {"vae": dict(x_dim=2, z_dim=2, hidden=(16,)),
          "aae": dict(x_dim=2, z_dim=2, hidden=(16,), prior="mixture", opening_epochs=0),
          "masked-ae": dict(x_dim=2, z_dim=2, hidden=(16,), mask_ratio=0.3),
          "clustering-aae": dict(x_dim=2, z_dim=2, hidden=(16,), n_clusters=3),
          "vae-32-draws": dict(x_dim=2, z_dim=2, hidden=(16,), n_samples=32)}   # as many as a rank's rows
REGISTERED_AS = {"vae-32-draws": "vae"}
# Batch norm follows Linear layers with biases, whose gradient is zero but for the float
# noise of the sums; Adam divides by its size and steps by lr whatever it is, so the order
# of the sums (one process or several) would move those biases apart. SGD leaves them be.
OPTIMIZERS = {"clustering-aae": "sgd"}
# The AAE without its opening (lambda 100 for two epochs): at lr 1e-2 those steps made the
# float noise of the sums' order 1e-3 in the critic's weights within 38 steps.


def run(mode, *args, world=None):
    """The job: its result, the same in one process (world None) as across ranks."""
    world = world or distributed.World()
    data = load_dataset("ring", n=1200)
    mv.manual_seed(0)
    if mode == "eval":
        model = create("vae", x_dim=2, z_dim=2, hidden=(16,))
        return {"L_k": log_likelihood(model, data.valid, k=20, batch=16, seed=3, world=world)}
    name, other_data_on = args[0], (int(args[1]) if len(args) > 1 else None)
    which = args[2] if len(args) > 2 else "train"
    shift = {which: 1.0 if world.rank == other_data_on else 0.0}
    x, valid = data.train + shift.get("train", 0.0), data.valid + shift.get("valid", 0.0)
    model = create(REGISTERED_AS.get(name, name), **MODELS[name])
    fit(model, x, valid=valid, epochs=2, batch_size=64, lr=1e-2, seed=0, progress=False, log=lambda r: None,
        world=world, optimizer=OPTIMIZERS.get(name, "adam"))
    return {k: np.asarray(v) for k, v in model.state_dict().items()}


def stop(rank):
    """Early stopping with patience 1, where ``rank`` sees its validation loss grow and the
    others see theirs fall."""
    from minivae.train import trainer
    evaluate, world = trainer._evaluate, distributed.world()
    epochs = iter(range(1, 100))
    sign = 1.0 if world.rank == rank else -1.0
    trainer._evaluate = lambda *args: {**evaluate(*args), "loss": sign * next(epochs)}
    data = load_dataset("ring", n=1200)
    mv.manual_seed(0)
    model = create("vae", **MODELS["vae"])
    history = fit(model, data.train, valid=data.valid, epochs=4, batch_size=64, lr=1e-2, seed=0, patience=1,
                  progress=False, log=lambda r: None, world=world)
    return {"epochs": len(history)}


def more_epochs(rank):
    """Training in which ``rank`` alone is asked for one more epoch."""
    world = distributed.world()
    data = load_dataset("ring", n=1200)
    mv.manual_seed(0)
    model = create("vae", **MODELS["vae"])
    fit(model, data.train, epochs=2 + (world.rank == rank), batch_size=64, progress=False, log=lambda r: None,
        world=world)
    return {k: np.asarray(v) for k, v in model.state_dict().items()}


def drift(rank):
    """Training in which ``rank`` alone nudges a weight after its fifth update."""
    from minivae.optim import Adam
    step, calls = Adam.step, []

    def nudged(self):
        step(self)
        calls.append(1)
        if distributed.world().rank == rank and len(calls) == 5:
            self.params[0].data[...] += 1e-3
    Adam.step = nudged
    return run("train", "vae", world=distributed.world())


def fail(rank, step, how, argv):
    """The command line ``argv``, in which ``rank`` raises (``how`` "raise") or is killed by
    SIGKILL, saying nothing ("kill"), at its step ``step``."""
    import os
    import signal
    from minivae import cli
    from minivae.models.vae import VAE
    losses, calls = VAE.losses, []

    def failing(self, *args, **kwargs):
        calls.append(1)
        if distributed.world().rank == rank and len(calls) == step:
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f"rank {rank} broke at step {step}")
        return losses(self, *args, **kwargs)
    VAE.losses = failing
    return cli.main(argv)


def classifier_rows(argv):
    from minivae import cli
    from minivae.models.classifier import ConvClassifier
    loss, rows = ConvClassifier.loss, []

    def counted(self, x, y=None):
        rows.append(len(x))
        return loss(self, x, y)
    ConvClassifier.loss = counted
    status = cli.main(argv)
    # a file per rank: two ranks' last lines on one forwarded stderr were seen to arrive as one
    out = argv[argv.index("--out") + 1]
    with open(os.path.join(out, f"classifier-rows-{distributed.world().rank}"), "w") as f:
        f.write(str(sum(rows)))
    return status


if __name__ == "__main__":
    if sys.argv[1] == "rows":
        sys.exit(classifier_rows(sys.argv[3:]))
    if sys.argv[1] == "fail":
        sys.exit(fail(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[6:]))
    mode, out, rest = sys.argv[1], sys.argv[-1], sys.argv[2:-1]
    world = distributed.world()
    result = drift(int(rest[0])) if mode == "drift" else stop(int(rest[0])) if mode == "stop" else \
        more_epochs(int(rest[0])) if mode == "epochs" else run(mode, *rest, world=world)
    if world.rank == 0:
        np.savez(out, **result)
