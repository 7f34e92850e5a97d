"""The thread policy, measured: BLAS owns the cores and minivae's Numba kernels are serial.

A Numba epilogue after an OpenBLAS GEMM, written three ways: serial (what minivae ships),
and with ``prange`` under Numba's default threading layer, the workqueue layer, and
OpenMP with OMP_WAIT_POLICY=PASSIVE. Each configuration runs in its own process, since a
threading layer and a wait policy are fixed at first use. If someone makes a kernel
parallel, the default-layer row shows what it costs.

Usage: python bench/threads.py        Writes bench/results/threads.json.
"""
import json
import os
import subprocess
import sys

from minivae.benchmarks.common import RESULTS, write_result  # noqa: E402

CHILD = r'''
import json, statistics, sys, time
import numpy as np
import numba
from numba import njit, prange
layer = sys.argv[1]
if layer != "default":
    numba.config.THREADING_LAYER = layer

@njit
def serial(y, b):
    n, m = y.shape
    for i in range(n):
        for j in range(m):
            y[i, j] = max(y[i, j] + b[j], 0.0)

@njit(parallel=True)
def parallel(y, b):
    n, m = y.shape
    for i in prange(n):
        for j in range(m):
            y[i, j] = max(y[i, j] + b[j], 0.0)

def median_us(f):
    for _ in range(5):
        f()
    ts = []
    for _ in range(15):
        s = time.perf_counter()
        for _ in range(20):
            f()
        ts.append((time.perf_counter() - s) / 20)
    return statistics.median(ts) * 1e6

rng = np.random.default_rng(0)
rows = []
for n, k, m in ((128, 784, 400), (1024, 784, 400), (1024, 400, 784)):
    x = rng.standard_normal((n, k)).astype(np.float32)
    W = rng.standard_normal((k, m)).astype(np.float32)
    b = np.zeros(m, np.float32)
    y = np.empty((n, m), np.float32)
    serial(y, b); parallel(y, b)
    rows.append({"shape": [n, k, m],
                 "gemm_us": median_us(lambda: np.matmul(x, W, out=y)),
                 "gemm_serial_us": median_us(lambda: (np.matmul(x, W, out=y), serial(y, b))),
                 "gemm_prange_us": median_us(lambda: (np.matmul(x, W, out=y), parallel(y, b)))})
print(json.dumps({"threading_layer": numba.threading_layer(), "rows": rows}))
'''

CONFIGS = {"default": ("default", {}), "workqueue": ("workqueue", {}),
           "omp_passive": ("omp", {"OMP_WAIT_POLICY": "PASSIVE"})}


def main():
    results = {}
    for name, (layer, env) in CONFIGS.items():
        out = subprocess.run([sys.executable, "-c", CHILD, layer], capture_output=True, text=True,
                             env={**os.environ, **env}, check=True)
        results[name] = json.loads(out.stdout)
        for r in results[name]["rows"]:
            print(f"{name:12s} ({results[name]['threading_layer']:9s}) {str(r['shape']):18s} gemm {r['gemm_us']:8.1f} us"
                  f"  +serial {r['gemm_serial_us']:8.1f} us  +prange {r['gemm_prange_us']:8.1f} us"
                  f"  (prange/serial x{r['gemm_prange_us'] / r['gemm_serial_us']:.1f})")
    print(f"wrote {write_result('threads', {'statistic': 'median of 15', 'configs': results}, out=RESULTS)}")


if __name__ == "__main__":
    main()
