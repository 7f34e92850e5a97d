"""Datasets: the lectures' toy data, generated sprites, and MNIST-family files."""
from .datasets import NAMES, Dataset, load_dataset
from .downloader import download
from .files import binarize, read_amat, read_arrays, read_idx
from .sprites import sprites
from .toy import gaussian_bump, mixture, pinwheel, ring, swiss_roll
