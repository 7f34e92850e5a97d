"""fit's settings as one record, checked once, before any work."""
import dataclasses
import os
from typing import Any, Callable, Optional

from .. import distributed, kernels, optim


def format_record(record):
    return "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items())


def print_record(record):
    print(format_record(record), flush=True)


@dataclasses.dataclass
class Settings:
    """How ``fit`` trains; ``minivae.train.fit`` says what each setting does."""
    epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-3
    seed: int = 0
    out: Optional[str] = None
    resume: bool = False
    patience: Optional[int] = None
    warmup_epochs: int = 0
    schedule: Optional[str] = None
    progress: bool = True
    log: Callable = print_record
    adam: Optional[dict] = None
    force: bool = False
    config: Optional[dict] = None
    graphs: Optional[bool] = None
    optimizer: str = "adam"
    loss_scale: str = "example"
    world: Any = None

    def checked(self, model, x, y, valid, y_valid):
        """These settings for this model and data, the world and the graphs decided; a
        ValueError names the first setting that cannot be."""
        if len(x) == 0:
            raise ValueError("fit: no training data")
        for xs, ys, which in ((x, y, "training"), (valid, y_valid, "validation")):
            if xs is not None and ys is not None and len(ys) != len(xs):
                raise ValueError(f"fit: {len(ys)} labels for {len(xs)} {which} examples")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"fit: epochs and batch_size must be positive, got {self.epochs} and {self.batch_size}")
        if self.schedule not in (None, "staged"):
            raise ValueError(f"fit: schedule must be None or 'staged', got {self.schedule!r}")
        if self.optimizer not in optim.OPTIMIZERS:
            raise ValueError(f"fit: optimizer must be one of {', '.join(optim.OPTIMIZERS)}, got {self.optimizer!r}")
        if self.loss_scale not in ("example", "dataset"):
            raise ValueError(f"fit: loss_scale must be 'example' or 'dataset', got {self.loss_scale!r}")
        if self.patience is not None and not model.loss_ranks:
            raise ValueError(f"fit: {type(model).__name__}'s loss ranks no epoch above another, so it cannot stop "
                             "early by it; leave patience out")
        world = self.world or distributed.World()
        if world.size > 1 and self.graphs:
            raise ValueError("fit: CUDA graphs are not recorded across ranks; use graphs=False")
        if self.batch_size < world.size:
            raise ValueError(f"fit: a batch of {self.batch_size} cannot be shared by {world.size} ranks")
        if self.optimizer != "adam" and self.graphs:
            raise ValueError("fit: CUDA graphs keep Adam's step count on the device; use optimizer='adam' or "
                             "graphs=False")
        graphs = False if self.optimizer != "adam" or world.size > 1 else self._graphs_wanted(model)
        return dataclasses.replace(self, world=world, graphs=graphs)

    def _graphs_wanted(self, model):
        adam = self.adam or {}
        if getattr(model, "skips_updates", False):
            if self.graphs:
                raise ValueError(f"fit: {type(model).__name__} decides on the host whether to skip a player's "
                                 "update, which a step recorded as a CUDA graph cannot; use graphs=False")
            return False
        if self.graphs is None:
            return model.device == "cuda" and kernels.kernel_mode() == "fast" and not adam.get("amsgrad")
        if self.graphs and (model.device != "cuda" or kernels.kernel_mode() != "fast" or adam.get("amsgrad")):
            raise ValueError(f"fit: CUDA graphs need a model on cuda (this one is on {model.device}), the fast "
                             f"kernels (now {kernels.kernel_mode()!r}) and Adam without amsgrad")
        return bool(self.graphs)

    def recorded(self):
        """What a checkpoint keeps of them, and a resumed run must match (unless forced)."""
        return {"seed": self.seed, "batch_size": self.batch_size, "lr": self.lr, "schedule": self.schedule,
                "warmup_epochs": self.warmup_epochs, "optimizer": self.optimizer, "loss_scale": self.loss_scale}

    def agreed(self):
        """What every rank of a world must agree on before anything collective."""
        return {**self.recorded(), "epochs": self.epochs, "patience": self.patience, "resume": bool(self.resume),
                "out": self.out and os.path.abspath(self.out), "force": bool(self.force)}
