"""Optimizers, gradient clipping and learning-rate schedules."""
from .adagrad import Adagrad
from .adam import Adam
from .clip import clip_grad_norm
from .flat import FlatOptimizer
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .schedule import ExponentialLR, Schedule, StagedLR, StepLR, kl_warmup, staged_lr
from .sgd import SGD

# the optimizers a run may name, by name (the trainer builds them, config checks the name)
OPTIMIZERS = {"adam": Adam, "sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop}
