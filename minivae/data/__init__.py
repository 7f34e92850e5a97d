"""Datasets: the lectures' toy data (more, and real image data, come with the main-job issue)."""
from .toy import ring
