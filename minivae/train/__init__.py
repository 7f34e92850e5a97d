"""Training loop, checkpoints and progress display."""
from ..checkpoint import load_model, read_checkpoint, read_header, save_checkpoint
from .trainer import TrainingDiverged, fit, step_function
