"""Tools for checking gradients: ``gradcheck`` and ``gradgradcheck``."""
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
