"""Optimizers, gradient clipping and learning-rate schedules."""
from .adagrad import Adagrad
from .adam import Adam
from .clip import clip_grad_norm
from .flat import FlatOptimizer
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .schedule import ExponentialLR, Schedule, StagedLR, StepLR, staged_lr
from .sgd import SGD
