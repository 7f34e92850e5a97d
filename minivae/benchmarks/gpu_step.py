"""Training steps on a GPU, side by side in one process: minivae eager (CuPy), minivae with
its step recorded as a CUDA graph and replayed (the trainer's machinery), PyTorch eager,
PyTorch with its step captured in a CUDA graph, and JAX jit (when installed; its default
fp32 matmul precision on this GPU, and "highest").

- vae: the VAE step of bench/vae_step.py at each --batch, recorded twice: with our GEMM for
  every product inside the graph, and with cuBLAS (through ctypes) for the large ones;
- iwae: the IWAE paper's model (bench/iwae_step.py) at each --iwae-batch and --k;
- gemm: our GEMM (what every product inside a recorded step uses) against cuBLAS on the
  VAE step's five big products at each --batch, fp32 and TF32 each against cuBLAS's own;
- l5000: L_5000 of --l5000 binarized-MNIST-sized images through IWAE.log_weights in chunks;
- kernel launches per step (torch.profiler's CUPTI trace sees CuPy's kernels too).

Steps are host-timed: each timed block of steps ends with a device synchronize (and, for
JAX, a wait on its last loss, never a host read per step); medians over interleaved repeats.
The GEMM rows are device-timed: CUDA events around back-to-back launches. fp32 everywhere
except where a row says TF32. The PyTorch-graph peer keeps its step (inputs, parameters, Adam
state) alive as long as its graph, and its first replay must give the loss of an eager twin's
second step (the warm-up before the capture is the first) to be timed. A row that fails is
recorded with its error and the others still run; the results file is written after every
row, so a run cut off keeps what it measured. --profile stores, for the recorded steps and
JAX, the kernels that took the most device time.

Usage: python -m minivae.benchmarks.gpu_step [--only vae iwae gemm l5000] [--batch 128 1024 4096 16384]
       [--iwae-batch 20] [--k 5 50] [--repeats 7] [--steps 50] [--l5000 10000] [--name gpu_step] [--profile]
Writes OUT/<name>.json (device, CUDA, CuPy, PyTorch and JAX versions, precision
of each implementation).
"""
import argparse
import os
import statistics
import sys
import time
import traceback

import numpy as np

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")   # JAX would take 75% of the GPU at import
from . import iwae_step
from . import numpy_vae
from .common import add_out, add_threads, time_interleaved, write_result
from .vae_step import jax_step, minivae_step, torch_step

import minivae as mv

PRECISION = {"minivae": "fp32 (cuBLAS)", "minivae_graph": "fp32 (own GEMM)",
             "minivae_graph_cublas": "fp32 (cuBLAS through ctypes inside the graph for products of 0.5 GFLOP "
                                     "or more, own GEMM below)",
             "minivae_graph_tf32": "TF32 inputs, fp32 sums (own mma.sync GEMM)", "pytorch": "fp32 (TF32 off)",
             "pytorch_graph": "fp32 (TF32 off)", "jax": "JAX default (TF32 matmuls on this GPU)",
             "jax_fp32": "fp32 (precision highest)"}


def torch_graph_step(make_step):
    """PyTorch's recipe (the CUDA graphs section of its notes): warm up on a side stream (one
    step makes Adam's state), set the grads to None, then capture forward + backward + Adam
    (capturable) into a CUDAGraph, so that backward allocates the grads from the graph's
    pool and every replay writes them afresh; replay it."""
    import torch
    step = make_step()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        step.optimizer.zero_grad(set_to_none=True)
        step()
    torch.cuda.current_stream().wait_stream(side)
    step.optimizer.zero_grad(set_to_none=True)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        loss = step()

    def replay():
        graph.replay()
        return loss
    replay.step = step   # the graph reads the step's inputs, parameters and Adam state in place
    return replay


def graph_against_eager(make_step, rtol=1e-6):
    """(the replay of a captured step, {"replay": loss, "eager": loss}): the first replay is
    the step after the warm-up, so its loss is an eager twin's second from the same start."""
    replay = torch_graph_step(make_step)
    twin = make_step()
    twin()
    losses = {"eager": _value(twin()), "replay": _value(replay())}
    losses["agree"] = abs(losses["replay"] - losses["eager"]) <= rtol * abs(losses["eager"])
    return replay, losses


def jax_fp32(params, x, eps):
    import jax
    with jax.default_matmul_precision("highest"):
        step = jax_step(params, x, eps)
        step()   # traced and compiled under "highest"
    return step


PROFILED_STEPS = 5   # steps under torch.profiler for the launch counts and the top kernels


def device_kernels(step, sync, steps=PROFILED_STEPS):
    """The kernels ``steps`` steps ran on the device, as torch.profiler's CUPTI trace sees
    them (CuPy's and JAX's too): a list of (name, device microseconds)."""
    from torch.profiler import ProfilerActivity, profile
    step()
    sync()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        sync()
    return [(e.name, e.time_range.elapsed_us()) for e in prof.events() if e.device_type.name == "CUDA"]


def top_kernels(kernels, steps, top=10):
    """The ``top`` kernels by device time a step: name, launches and microseconds a step."""
    totals = {}
    for name, us in kernels:
        calls, total = totals.get(name, (0, 0.0))
        totals[name] = (calls + 1, total + us)
    ranked = sorted(totals.items(), key=lambda item: -item[1][1])[:top]
    return [{"kernel": name[:120], "launches_per_step": calls / steps, "us_per_step": total / steps}
            for name, (calls, total) in ranked]


def device_ms(impls, repeats, launches):
    """Median milliseconds a call of each, from CUDA events around ``launches`` back-to-back
    calls (no host time between them), rounds interleaved."""
    import cupy as cp
    times = {name: [] for name in impls}
    for _ in range(repeats):
        for name, call in impls.items():
            call()
            start, end = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            for _ in range(launches):
                call()
            end.record()
            end.synchronize()
            times[name].append(cp.cuda.get_elapsed_time(start, end) / launches)
    return {name: statistics.median(t) for name, t in times.items()}


def _value(loss):
    return float(loss.item()) if hasattr(loss, "item") else float(loss)


def compare(impls, sync, repeats, steps, what, graph_check=None, profile=False):
    """Times the implementations whose loss agrees with PyTorch eager's a step or two in (the
    same model and math everywhere), and the PyTorch graph only where its replay agreed with
    eager exactly (``graph_check``, from graph_against_eager); one left out has its reason
    recorded as the row's error, and the row still comes back. ``profile``: the top kernels
    of the recorded steps and JAX."""
    first = {name: _value(step()) for name, step in impls.items()}
    ref = first["pytorch"]
    # 5%: a graph's or a jit's first loss is a step or two later than eager's first (its
    # warm-up steps train), 2-3% lower on these models
    wrong = {name: f"loss {loss!r} against PyTorch eager's {ref!r}" for name, loss in first.items()
             if not abs(loss - ref) <= 5e-2 * abs(ref)}
    if graph_check and not graph_check["agree"]:
        wrong["pytorch_graph"] = (f"its first replay's loss {graph_check['replay']!r} against an eager twin's "
                                  f"{graph_check['eager']!r}")
    for name, why in wrong.items():
        print(f"{what}: {name} left out: {why}", flush=True)
    impls = {name: step for name, step in impls.items() if name not in wrong}
    ms = {name: t * 1e3 for name, t in time_interleaved(impls, repeats, steps, pause=0.05, sync=sync).items()}
    kernels = {name: device_kernels(step, sync) for name, step in impls.items()}
    launches = {name: len(k) / PROFILED_STEPS for name, k in kernels.items() if not name.startswith("jax")}
    print(f"{what}: " + "  ".join(f"{k} {v:.3f} ms" + (f" ({launches[k]:.0f} launches)" if k in launches else "")
                                  for k, v in ms.items()), flush=True)
    row = {"median_ms": ms, "kernel_launches_per_step": launches,
           "ratios_to_pytorch": {k: v / ms["pytorch"] for k, v in ms.items()}}
    if graph_check:
        row["pytorch_graph_replay_against_eager"] = graph_check
    if profile:
        row["top_kernels"] = {name: top_kernels(k, PROFILED_STEPS) for name, k in kernels.items()
                              if name.startswith(("minivae_graph", "jax"))}
    return {**row, "error": wrong} if wrong else row


def vae_row(batch, sync, repeats, steps, profile=False):
    rng = np.random.default_rng(0)
    params = numpy_vae.init()
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((batch, 20)).astype(np.float32)
    impls = {"minivae": minivae_step(params, x, eps, "fast", "cuda"),
             "minivae_graph": minivae_step(params, x, eps, "fast", "cuda", graphs=True),
             "minivae_graph_cublas": minivae_step(params, x, eps, "fast", "cuda", graphs=True, graph_gemm="cublas"),
             "minivae_graph_tf32": minivae_step(params, x, eps, "fast", "cuda", graphs=True, tf32=True),
             "pytorch": torch_step(params, x, eps, "cuda")}
    impls["pytorch_graph"], check = graph_against_eager(lambda: torch_step(params, x, eps, "cuda", capturable=True))
    try:
        impls["jax"], impls["jax_fp32"] = jax_step(params, x, eps), jax_fp32(params, x, eps)
    except ImportError:
        pass
    return {"model": "vae 784-400-20", "batch": batch,
            **compare(impls, sync, repeats, steps, f"VAE batch {batch}", check, profile)}


def iwae_row(batch, k, sync, repeats, steps, profile=False):
    rng = np.random.default_rng(0)
    params = iwae_step.init()
    x = (rng.random((batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((k, batch, 50)).astype(np.float32)   # sample-major, as iwae_step's
    impls = {"minivae": iwae_step.minivae_step(params, x, eps, "fast", "cuda"),
             "minivae_graph": iwae_step.minivae_step(params, x, eps, "fast", "cuda", graphs=True),
             "minivae_graph_cublas": iwae_step.minivae_step(params, x, eps, "fast", "cuda", graphs=True,
                                                            graph_gemm="cublas"),
             "pytorch": iwae_step.torch_step(params, x, eps, "cuda")}
    impls["pytorch_graph"], check = graph_against_eager(
        lambda: iwae_step.torch_step(params, x, eps, "cuda", capturable=True))
    return {"model": "iwae 784-200-200-50", "batch": batch, "k": k,
            **compare(impls, sync, repeats, steps, f"IWAE batch {batch} k={k}", check, profile)}


def vae_products(batch):
    """The VAE step's five big products (784-400-20: layers 1 and 4) as (A shape, B shape,
    trans_a, trans_b): both forwards, both weight gradients, layer 4's data gradient."""
    return {"x W1": ((batch, 784), (784, 400), False, False),
            "h W4": ((batch, 400), (400, 784), False, False),
            "x^T g1 (dW1)": ((batch, 784), (batch, 400), True, False),
            "h^T g4 (dW4)": ((batch, 400), (batch, 784), True, False),
            "g4 W4^T (dh)": ((batch, 784), (400, 784), False, True)}


def gemm_row(batch, sync, repeats, steps):
    """Our GEMM (gemm.cu, split K where tiles are few) against cuBLAS on the VAE step's five
    big products, fp32 against cuBLAS's fp32 and TF32 against cuBLAS's TF32 math (through
    ctypes, kernels/cuda/cublas.py)."""
    import cupy as cp
    from minivae.kernels.cuda import cublas
    from minivae.kernels.cuda.gemm import gemm
    rng = np.random.default_rng(0)
    out = {}
    for what, (a_shape, b_shape, ta, tb) in vae_products(batch).items():
        a, b = (cp.asarray(rng.standard_normal(s, dtype=np.float32)) for s in (a_shape, b_shape))
        exact = (a.T if ta else a) @ (b.T if tb else b)
        scale = float(cp.abs(exact).max())
        for precision, tf32 in (("fp32", False), ("tf32", True)):
            ours = lambda: gemm(a, b, ta, tb, tf32=tf32)
            theirs = lambda: cublas.gemm(a, b, ta, tb, tf32=tf32)
            diff = {name: float(cp.abs(call() - exact).max()) / scale for name, call in (("own", ours),
                                                                                        ("cublas", theirs))}
            ms = device_ms({"own_gemm": ours, "cublas": theirs}, repeats, steps)
            out[f"{what} {precision}"] = {"median_ms": ms, "own_over_cublas": ms["own_gemm"] / ms["cublas"],
                                          "max_rel_diff": diff}
    print(f"GEMM batch {batch}: " + "  ".join(f"{k} {v['own_over_cublas']:.2f}x" for k, v in out.items()), flush=True)
    return {"what": "own GEMM vs cuBLAS (same precision)", "batch": batch,
            "timing": "CUDA events around back-to-back launches", "products": out}


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


def _row(make, what):
    """A row, or its error: one failing row must not cost the others (GPU time is scarce)."""
    try:
        return make()
    except Exception as error:  # noqa: BLE001
        traceback.print_exc()
        print(f"{what}: FAILED: {type(error).__name__}: {error}", flush=True)
        return {"what": what, "error": f"{type(error).__name__}: {error}"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=["vae", "iwae", "gemm", "l5000"],
                        default=["vae", "iwae", "gemm", "l5000"])
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 1024, 4096, 16384])
    parser.add_argument("--iwae-batch", type=int, nargs="+", default=[20])
    parser.add_argument("--k", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--l5000", type=int, default=10000, help="images for L_5000")
    parser.add_argument("--name", default="gpu_step", help="results file: bench/results/NAME.json")
    parser.add_argument("--profile", action="store_true",
                        help="store the top kernels by device time of the recorded steps and JAX")
    add_out(parser)
    add_threads(parser)   # the host's libraries; the steps run on the GPU
    args = parser.parse_args(argv)
    if not mv.cuda_available():
        sys.exit("gpu_step: needs CuPy and a GPU")
    import cupy as cp
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    sync = cp.cuda.Device().synchronize
    versions = {"cuda_runtime": cp.cuda.runtime.runtimeGetVersion(), "cupy": cp.__version__, "torch": torch.__version__}
    try:
        import jax
        versions["jax"] = jax.__version__
    except ImportError:
        pass
    header = {"device": cp.cuda.runtime.getDeviceProperties(0)["name"].decode(), **versions, "precision": PRECISION,
              "repeats": args.repeats, "steps_per_repeat": args.steps,
              "statistic": "median; steps host-timed with a device synchronize, GEMMs by CUDA events"}
    tasks = []
    if "vae" in args.only:
        tasks += [(lambda b=b: vae_row(b, sync, args.repeats, args.steps, args.profile), f"VAE batch {b}")
                  for b in args.batch]
    if "iwae" in args.only:
        tasks += [(lambda b=b, k=k: iwae_row(b, k, sync, args.repeats, args.steps, args.profile), f"IWAE batch {b} k={k}")
                  for b in args.iwae_batch for k in args.k]
    if "gemm" in args.only:
        tasks += [(lambda b=b: gemm_row(b, sync, args.repeats, args.steps), f"GEMM batch {b}") for b in args.batch]
    if "l5000" in args.only:
        tasks.append((lambda: l5000_row(args.l5000, sync), "L_5000"))
    rows = run_rows(tasks, lambda rows, complete: write_result(
        args.name, out=args.out, payload={**header, "complete": complete, "results": rows}))
    if any("error" in row for row in rows):
        sys.exit(1)


def run_rows(tasks, write):
    """Each (make, what) task's row, or its error, in order; ``write(rows, complete)`` after
    every row (a run cut off keeps what it measured) and once more at the end."""
    rows = []
    for make, what in tasks:
        rows.append(_row(make, what))
        write(rows, False)
    path = write(rows, True)
    print(f"wrote {path}")
    return rows

if __name__ == "__main__":
    main()
