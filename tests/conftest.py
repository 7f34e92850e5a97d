import os

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Workers share the cores: one BLAS and one Numba thread each, set before NumPy and
    # Numba start their pools (two workers of two threads on 2 cores oversubscribe them).
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(name, "1")

if not os.environ.get("PYTEST_XDIST_WORKER") and not os.environ.get("MINIVAE_CACHE"):
    # One folder for the run, made before the workers start (they inherit it), where the
    # digit judge the figures share is kept once trained (minivae.figures.drawing.digit_judge);
    # removed when the run ends.
    import tempfile
    os.environ["MINIVAE_CACHE"] = _RUN_CACHE = tempfile.mkdtemp(prefix="minivae-test-cache-")

from hypothesis import HealthCheck, settings  # noqa: E402

# Gradient checks are slow per example; a few dozen examples per op keep the suite short.
settings.register_profile("default", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# The slowest tests first: with -n auto the workers start on them and the short tests fill
# in at the end. In collection order the lecture figures came last, and one worker was left
# running the longest of them alone for minutes (2026-12-07: 618 s on 2 cores).
FIRST = ("tests/test_figures.py::test_each_figure_writes_a_png", "tests/test_distributed.py",
         "tests/models/test_clustering_aae.py", "tests/models/test_aae.py", "tests/test_every_model.py")


def pytest_collection_modifyitems(items):
    rank = lambda item: next((i for i, prefix in enumerate(FIRST) if item.nodeid.startswith(prefix)), len(FIRST))
    items.sort(key=rank)   # stable: the order within each group stays


def pytest_sessionfinish(session):
    if "_RUN_CACHE" in globals():
        import shutil
        shutil.rmtree(_RUN_CACHE, ignore_errors=True)


@pytest.fixture
def fake_device(monkeypatch):
    """The stand-in CuPy with device arrays (tests/fake_cupy.py) as minivae's CuPy: device="cuda"
    runs on the CPU, and every launch, ours and CuPy's, is counted in ``nodes``."""
    from fake_cupy import forget_kernels, install
    cp = install(monkeypatch, arrays=True)
    yield cp
    forget_kernels()
