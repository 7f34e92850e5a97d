"""Activation codes shared by the CPU and CUDA dense kernels (kept free of Numba and CuPy)."""
IDENTITY, RELU, TANH, SIGMOID, LEAKY_RELU = 0, 1, 2, 3, 4
CODES = {"identity": IDENTITY, "relu": RELU, "tanh": TANH, "sigmoid": SIGMOID, "leaky_relu": LEAKY_RELU}
