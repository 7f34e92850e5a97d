"""Layers: ``Module`` and the building blocks of encoders and decoders."""
from . import init
from .activation import Activation, Identity, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleList, Sequential
from .conv import Conv2d, ConvTranspose2d, ResizeConv2d
from .dropout import Dropout
from .linear import Linear
from .mlp import MLP
from .module import Module
from .parameter import Parameter
from .pool import AvgPool2d, MaxPool2d
from .shape import Flatten, Unflatten
