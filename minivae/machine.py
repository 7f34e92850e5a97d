"""Where and with what a number was measured: the CPU, its cores, the Python, NumPy and
BLAS builds and their threads. Every benchmark's result and the profiler's cached limits
name it."""
import os
import platform
import sys

import numpy as np


def machine():
    """Where and with what a number was measured."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    info = {
        "cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
        "python": sys.version.split()[0], "numpy": np.__version__,
        "blas": f"{blas.get('name')} {blas.get('version')}",
        "threads_env": {k: os.environ.get(k) for k in
                        ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")},
    }
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p[k] for k in ("internal_api", "num_threads", "version")}
                               for p in threadpool_info()]
    except ImportError:
        pass
    return info
