"""Training steps on a GPU, side by side in one process: minivae eager (CuPy), minivae with
its step recorded as a CUDA graph and replayed (the trainer's machinery), PyTorch eager,
PyTorch with its step captured in a CUDA graph, and JAX jit (when installed; its default
fp32 matmul precision on this GPU, and "highest").

- the VAE step of bench/vae_step.py at batch 128, 1024, 4096, 16384;
- the IWAE paper's model (bench/iwae_step.py) at batch 20 with k = 5 and k = 50;
- L_5000 of 10k binarized-MNIST-sized images through IWAE.log_weights in chunks;
- kernel launches per step (torch.profiler's CUPTI trace sees CuPy's kernels too).

Host-timed: each timed block of steps is followed by a device synchronize; medians over
interleaved repeats. fp32 everywhere except where a row says TF32.

Usage: python bench/gpu_step.py [--batch 128 1024 4096 16384] [--k 5 50] [--repeats 7]
       [--steps 50] [--l5000 10000]
Writes bench/results/gpu_step.json (device, CUDA, CuPy, PyTorch and JAX versions, precision
of each implementation).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iwae_step  # noqa: E402
import numpy_vae  # noqa: E402
from common import time_interleaved, write_result  # noqa: E402
from vae_step import jax_step, minivae_step, torch_step  # noqa: E402

import minivae as mv  # noqa: E402

PRECISION = {"minivae": "fp32 (cuBLAS)", "minivae_graph": "fp32 (own GEMM)",
             "minivae_graph_tf32": "TF32 inputs, fp32 sums (own mma.sync GEMM)", "pytorch": "fp32 (TF32 off)",
             "pytorch_graph": "fp32 (TF32 off)", "jax": "JAX default (TF32 matmuls on this GPU)",
             "jax_fp32": "fp32 (precision highest)"}


def torch_graph_step(make_step):
    """PyTorch's recipe: warm up on a side stream, capture forward + backward + Adam
    (capturable) into a CUDAGraph, replay it."""
    import torch
    step = make_step()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        loss = step()

    def replay():
        graph.replay()
        return loss
    return replay


def jax_fp32(params, x, eps):
    import jax
    with jax.default_matmul_precision("highest"):
        step = jax_step(params, x, eps)
        step()   # traced and compiled under "highest"
    return step


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


def _value(loss):
    return float(loss.item()) if hasattr(loss, "item") else float(loss)


def compare(impls, sync, repeats, steps, what):
    first = {name: _value(step()) for name, step in impls.items()}
    ref = first["pytorch"]
    for name, loss in first.items():   # the same model and math everywhere (a step or two in)
        assert abs(loss - ref) <= 2e-2 * abs(ref), (what, name, loss, ref)
    ms = {name: t * 1e3 for name, t in time_interleaved(impls, repeats, steps, pause=0.05, sync=sync).items()}
    launches = {name: launches_per_step(step, sync) for name, step in impls.items() if not name.startswith("jax")}
    print(f"{what}: " + "  ".join(f"{k} {v:.3f} ms" + (f" ({launches[k]:.0f} launches)" if k in launches else "")
                                  for k, v in ms.items()), flush=True)
    return {"median_ms": ms, "kernel_launches_per_step": launches,
            "ratios_to_pytorch": {k: v / ms["pytorch"] for k, v in ms.items()}}


def vae_row(batch, sync, repeats, steps):
    rng = np.random.default_rng(0)
    params = numpy_vae.init()
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((batch, 20)).astype(np.float32)
    impls = {"minivae": minivae_step(params, x, eps, "fast", "cuda"),
             "minivae_graph": minivae_step(params, x, eps, "fast", "cuda", graphs=True),
             "minivae_graph_tf32": minivae_step(params, x, eps, "fast", "cuda", graphs=True, tf32=True),
             "pytorch": torch_step(params, x, eps, "cuda"),
             "pytorch_graph": torch_graph_step(lambda: torch_step(params, x, eps, "cuda", capturable=True))}
    try:
        impls["jax"], impls["jax_fp32"] = jax_step(params, x, eps), jax_fp32(params, x, eps)
    except ImportError:
        pass
    return {"model": "vae 784-400-20", "batch": batch, **compare(impls, sync, repeats, steps, f"VAE batch {batch}")}


def iwae_row(batch, k, sync, repeats, steps):
    rng = np.random.default_rng(0)
    params = iwae_step.init()
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((batch, k, 50)).astype(np.float32)
    impls = {"minivae": iwae_step.minivae_step(params, x, eps, "fast", "cuda"),
             "minivae_graph": iwae_step.minivae_step(params, x, eps, "fast", "cuda", graphs=True),
             "pytorch": iwae_step.torch_step(params, x, eps, "cuda"),
             "pytorch_graph": torch_graph_step(lambda: iwae_step.torch_step(params, x, eps, "cuda", capturable=True))}
    return {"model": "iwae 784-200-200-50", "batch": batch, "k": k,
            **compare(impls, sync, repeats, steps, f"IWAE batch {batch} k={k}")}


def l5000_row(n, sync):
    """L_5000 (Burda et al.'s test bound) of n images with the paper's model on the GPU."""
    from minivae.eval import log_likelihood
    from minivae.models import create
    x = (np.random.default_rng(1).random((n, 784)) < 0.3).astype(np.float32)
    mv.manual_seed(0)
    model = create("iwae", x_dim=784, z_dims=[50], hidden=[[200, 200]], activation="tanh", k=50).to("cuda")
    log_likelihood(model, x[:100], k=5000)          # compile, warm the pool
    sync()
    start = time.perf_counter()
    value = log_likelihood(model, x, k=5000)
    sync()
    seconds = time.perf_counter() - start
    print(f"L_5000 of {n} images: {seconds:.2f} s (mean {float(np.mean(value)):.2f})", flush=True)
    return {"what": "L_5000", "images": n, "seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 1024, 4096, 16384])
    parser.add_argument("--k", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--l5000", type=int, default=10000, help="images for L_5000 (0: skip)")
    args = parser.parse_args()
    if not mv.cuda_available():
        sys.exit("gpu_step: needs CuPy and a GPU")
    import cupy as cp
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    sync = cp.cuda.Device().synchronize
    rows = [vae_row(b, sync, args.repeats, args.steps) for b in args.batch]
    rows += [iwae_row(20, k, sync, args.repeats, args.steps) for k in args.k]
    if args.l5000:
        rows.append(l5000_row(args.l5000, sync))
    versions = {"cuda_runtime": cp.cuda.runtime.runtimeGetVersion(), "cupy": cp.__version__, "torch": torch.__version__}
    try:
        import jax
        versions["jax"] = jax.__version__
    except ImportError:
        pass
    props = cp.cuda.runtime.getDeviceProperties(0)
    path = write_result("gpu_step", {"device": props["name"].decode(), **versions, "precision": PRECISION,
                                     "repeats": args.repeats, "steps_per_repeat": args.steps,
                                     "statistic": "median, host-timed with a device synchronize", "results": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
