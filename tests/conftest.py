import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Workers share the cores: one BLAS and one Numba thread each, set before NumPy and
    # Numba start their pools (two workers of two threads on 2 cores oversubscribe them).
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(name, "1")

from hypothesis import HealthCheck, settings  # noqa: E402

# Gradient checks are slow per example; a few dozen examples per op keep the suite short.
settings.register_profile("default", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
