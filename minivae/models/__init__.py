"""Models of the autoencoder / VAE family."""
from .vae import VAE
