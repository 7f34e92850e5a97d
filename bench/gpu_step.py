"""The VAE step of bench/vae_step.py on a GPU: minivae on CuPy (fast kernels and reference
path) against PyTorch on CUDA, batch 128 and 4096, with the number of kernel launches per
step. Needs CuPy, PyTorch with CUDA, and a GPU; written for the lent device machine, whose
image has both. Kernel launches are counted with torch.profiler, whose CUPTI tracing sees
every kernel in the process, CuPy's included.

Usage: python bench/gpu_step.py [--batch 128 4096] [--repeats 11] [--steps 20]
Writes bench/results/gpu_step.json (device name, CUDA, CuPy and PyTorch versions).
"""
import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_vae  # noqa: E402
from common import write_result  # noqa: E402
from vae_step import minivae_step, torch_step  # noqa: E402  (the same steps, on "cuda")

import minivae as mv  # noqa: E402


def time_ms(step, sync, repeats, steps):
    import torch
    for _ in range(5):
        step()
    sync()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        sync()
        start.record()
        for _ in range(steps):
            step()
        end.record()
        sync()
        times.append(start.elapsed_time(end) / steps)
    return statistics.median(times)


def launches_per_step(step, sync, steps=5):
    from torch.profiler import ProfilerActivity, profile
    step()
    sync()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        sync()
    kernels = [e for e in prof.events() if e.device_type.name == "CUDA"]
    return len(kernels) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 4096])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    if not mv.cuda_available():
        sys.exit("gpu_step: needs CuPy and a GPU")
    import cupy as cp
    import torch
    rows = []
    for batch in args.batch:
        rng = np.random.default_rng(0)
        params = numpy_vae.init()
        x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
        eps = rng.standard_normal((batch, 20)).astype(np.float32)
        sync_cupy, sync_torch = cp.cuda.get_current_stream().synchronize, torch.cuda.synchronize
        impls = {"minivae": (minivae_step(params, x, eps, "fast", "cuda"), sync_cupy),
                 "minivae_reference": (minivae_step(params, x, eps, "reference", "cuda"), sync_cupy),
                 "pytorch": (torch_step(params, x, eps, "cuda"), sync_torch)}
        losses = {name: float(step()) for name, (step, _) in impls.items()}
        ref = losses["pytorch"]
        assert all(abs(v - ref) <= 1e-3 * abs(ref) for v in losses.values()), losses
        row = {"batch": batch, "median_ms": {}, "kernel_launches_per_step": {}}
        for name, (step, sync) in impls.items():
            row["median_ms"][name] = time_ms(step, sync, args.repeats, args.steps)
            row["kernel_launches_per_step"][name] = launches_per_step(step, sync)
        mv.set_kernels("fast")
        row["ratio_minivae_over_pytorch"] = row["median_ms"]["minivae"] / row["median_ms"]["pytorch"]
        print(f"batch {batch}: " + "  ".join(f"{k} {v:.3f} ms ({row['kernel_launches_per_step'][k]:.0f} launches)"
                                             for k, v in row["median_ms"].items()))
        rows.append(row)
    props = cp.cuda.runtime.getDeviceProperties(0)
    write_result("gpu_step", {"device": props["name"].decode(), "cuda_runtime": cp.cuda.runtime.runtimeGetVersion(),
                              "cupy": cp.__version__, "torch": torch.__version__, "repeats": args.repeats,
                              "steps_per_repeat": args.steps, "statistic": "median", "results": rows})
    print("RATIO minivae/pytorch " + " ".join(f"batch{r['batch']}={r['ratio_minivae_over_pytorch']:.2f}" for r in rows))


if __name__ == "__main__":
    main()
