"""Hand-written kernels: Numba on the CPU, CUDA through CuPy on the GPU.

Installed as ``minivae.kernels``. Every kernel here has a NumPy/CuPy reference path in
``minivae.ops`` that computes the same function; the kernels issue fills this package and
the registry that selects between the two.
"""
