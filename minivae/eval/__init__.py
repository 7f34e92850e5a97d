"""Evaluation: log-likelihood estimates (L_k, ELBO, the naive prior estimate, Parzen
windows), active units and reconstruction error."""
from .codes import active_units, reconstruction_error
from .likelihood import elbo, log_likelihood, naive_log_likelihood, parzen_log_likelihood
