"""Evaluation: log-likelihood estimates (L_k, ELBO, the naive prior estimate, Parzen
windows), active units, the mutual information gap and reconstruction error."""
from .codes import active_units, mutual_information_gap, reconstruction_error
from .likelihood import elbo, log_likelihood, naive_log_likelihood, parzen_log_likelihood
