"""Each fused kernel against its reference path and, when installed, the equivalent torch op.

For every op, forward + backward through the engine (what a user's training step pays),
at the VAE's sizes and at large sizes, with achieved GB/s (elementwise ops) or GFLOP/s
(dense) next to ceilings measured in the same run: a large array copy for bandwidth, a
large sgemm for FLOP/s. Also the dense layer's epilogue cost over the bare GEMM, and each
kernel's first-call compile time (Numba's cache is pointed at an empty folder first).

Usage: python -m minivae.benchmarks.kernels [--repeats 9]      Writes OUT/kernels.json.
"""
import argparse
import os
import tempfile
import time

os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="minivae-numba-")  # measure compiles

import numpy as np

from .common import add_out, add_threads, limited_threads, median_time, write_result

import minivae as mv
import minivae.functional as F

try:
    import torch
except ImportError:
    torch = None


def ceilings():
    a = np.ones(64 << 20, np.float32)   # 256 MB
    b = np.empty_like(a)
    copy_s = median_time(lambda: np.copyto(b, a), 5)
    m = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    gemm_s = median_time(lambda: m @ m, 5)
    return {"copy_GBps": 2 * a.nbytes / copy_s / 1e9, "sgemm_GFLOPs": 2 * 2048 ** 3 / gemm_s / 1e9}


def step_of(fn, arrays):
    """A closure that runs fn forward and backward on fresh leaves of ``arrays``. The output
    is weighted by a fixed random array before summing, so that the op's backward receives
    a dense gradient, as it does inside a loss (a plain .sum() sends a broadcast one)."""
    weight = {}

    def run():
        xs = [mv.tensor(a, requires_grad=True) for a in arrays]
        outs = fn(*xs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        total = 0
        for y in outs:
            if y.requires_grad:
                w = weight.setdefault(y.shape, np.random.default_rng(1).random(y.shape, np.float32))
                total = (y * w).sum() + total
        total.backward()
    return run


def torch_step_of(fn, arrays):
    weight = {}

    def run():
        xs = [torch.tensor(a, requires_grad=True) for a in arrays]
        outs = fn(*xs)
        total = 0
        for y in (outs if isinstance(outs, tuple) else (outs,)):
            w = weight.setdefault(tuple(y.shape), torch.from_numpy(
                np.random.default_rng(1).random(tuple(y.shape), np.float32)))
            total = (y * w).sum() + total
        total.backward()
    return run


def compare(name, fn, torch_fn, arrays, repeats, bytes_moved=None, flops=None):
    row = {"op": name, "shapes": [list(a.shape) for a in arrays]}
    for mode in ("fast", "reference"):
        mv.set_kernels(mode)
        row[f"{mode}_us"] = median_time(step_of(fn, arrays), repeats, number=5) * 1e6
    mv.set_kernels("fast")
    if torch is not None and torch_fn is not None:
        row["torch_us"] = median_time(torch_step_of(torch_fn, arrays), repeats, number=5) * 1e6
    row["speedup_over_reference"] = row["reference_us"] / row["fast_us"]
    if bytes_moved:
        row["fast_GBps"] = bytes_moved / row["fast_us"] / 1e3
    if flops:
        row["fast_GFLOPs"] = flops / row["fast_us"] / 1e3
    extra = f"  torch {row['torch_us']:9.1f} us" if "torch_us" in row else ""
    print(f"{name:18s} {str(row['shapes']):34s} fast {row['fast_us']:9.1f} us  reference "
          f"{row['reference_us']:9.1f} us  x{row['speedup_over_reference']:4.2f}{extra}")
    return row


def first_call_seconds():
    """Compile time of each kernel: its first call in this process, with an empty cache."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 8)).astype(np.float32)
    calls = {
        "dense": lambda: step_of(lambda a, w, b: F.dense(a, w, b, "relu"), [x, x, x[0]])(),
        "reparameterize_kl": lambda: step_of(F.reparameterize_kl, [x, x, x])(),
        "iwae_weights": lambda: step_of(F.iwae_bound, [x])(),
        "bce_with_logits": lambda: step_of(lambda l, t: F.bce_with_logits(l, t), [x, np.abs(x) / 4])(),
        "adam": lambda: _adam_once(x),
    }
    out = {}
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        out[name] = time.perf_counter() - start
    return out


def _adam_once(x):
    p = mv.nn.Parameter(x.copy())
    p.grad = mv.tensor(x)
    mv.optim.Adam([p]).step()


def adam_rows(repeats, cut=lambda cases: cases):
    rows = []
    for n in cut((650_000, 16_000_000)):
        rng = np.random.default_rng(0)
        p0, g = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
        row = {"op": "adam_step", "shapes": [[n]]}
        for mode in ("fast", "reference"):
            mv.set_kernels(mode)
            p = mv.nn.Parameter(p0.copy())
            p.grad = mv.tensor(g)
            opt = mv.optim.Adam([p])
            row[f"{mode}_us"] = median_time(opt.step, repeats, number=3) * 1e6
        mv.set_kernels("fast")
        if torch is not None:
            tp = torch.tensor(p0, requires_grad=True)
            tp.grad = torch.tensor(g)
            topt = torch.optim.Adam([tp])
            row["torch_us"] = median_time(topt.step, repeats, number=3) * 1e6
        row["speedup_over_reference"] = row["reference_us"] / row["fast_us"]
        row["fast_GBps"] = 7 * 4 * n / row["fast_us"] / 1e3   # read p, g, m, v; write p, m, v
        print(f"adam_step          {n:>34d} fast {row['fast_us']:9.1f} us  reference {row['reference_us']:9.1f} us"
              f"  x{row['speedup_over_reference']:4.2f}" + (f"  torch {row['torch_us']:9.1f} us" if "torch_us" in row else ""))
        rows.append(row)
    return rows


def epilogue_rows(repeats, cut=lambda cases: cases):
    """The dense forward against its bare GEMM: what bias + activation add."""
    from minivae.kernels.cpu import dense
    rows = []
    rng = np.random.default_rng(0)
    for n, k, m in cut(((128, 784, 400), (1024, 784, 400), (4096, 1024, 1024))):
        x, W, b = (rng.standard_normal(s).astype(np.float32) for s in ((n, k), (k, m), (m,)))
        y = np.empty((n, m), np.float32)
        gemm = median_time(lambda: np.matmul(x, W, out=y), repeats, number=5)
        fused = median_time(lambda: dense.forward(x, W, b, "relu"), repeats, number=5)
        rows.append({"shape": [n, k, m], "gemm_us": gemm * 1e6, "dense_relu_us": fused * 1e6,
                     "epilogue_overhead": fused / gemm - 1})
        print(f"dense epilogue     {str((n, k, m)):34s} gemm {gemm * 1e6:9.1f} us  gemm+bias+relu "
              f"{fused * 1e6:9.1f} us  (+{100 * (fused / gemm - 1):.1f}%)")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="each op at its smallest shape only")
    add_out(parser)
    add_threads(parser)
    args = parser.parse_args(argv)
    with limited_threads(args.threads):
        _measure(args)


def _measure(args):
    mv.backend.tune_malloc()
    compile_s = first_call_seconds()
    print("first call (compile) seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in compile_s.items()))
    ceil = ceilings()
    print(f"ceilings: copy {ceil['copy_GBps']:.1f} GB/s, sgemm {ceil['sgemm_GFLOPs']:.0f} GFLOP/s")
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)
    tf = torch.nn.functional if torch is not None else None
    rows = []
    cut = (lambda cases: cases[:1]) if args.quick else (lambda cases: cases)
    for n, k, m in cut(((128, 784, 400), (1024, 784, 400), (4096, 1024, 1024))):
        x, W, b = f32(n, k), f32(k, m) / np.float32(np.sqrt(k)), f32(m)
        rows.append(compare("dense relu", lambda x, W, b: F.dense(x, W, b, "relu"),
                            (lambda x, W, b: torch.relu(x @ W + b)) if torch else None,
                            [x, W, b], args.repeats, flops=3 * 2 * n * k * m))
    for n, d in cut(((128, 20), (1024, 20), (65536, 64))):
        mu, lv, e = f32(n, d), f32(n, d), f32(n, d)
        rows.append(compare("reparameterize_kl", F.reparameterize_kl,
                            (lambda m, l, e: (m + torch.exp(0.5 * l) * e, 0.5 * (l.exp() + m * m - 1 - l).sum(1)))
                            if torch else None, [mu, lv, e], args.repeats, bytes_moved=4 * n * d * 4 * 2))
    for n, k in cut(((128, 5), (128, 50), (1024, 50), (4096, 5000))):
        lw = f32(n, k) * 3
        rows.append(compare("iwae_bound", F.iwae_bound,
                            (lambda l: torch.logsumexp(l, 1) - np.log(k)) if torch else None,
                            [lw], args.repeats, bytes_moved=3 * 4 * n * k))
    for n in cut((128, 1024, 8192)):
        l, t = f32(n, 784), (rng.random((n, 784)) < 0.3).astype(np.float32)
        rows.append(compare("bce_with_logits", lambda l, t: F.bce_with_logits(l, t, "sum"),
                            (lambda l, t: tf.binary_cross_entropy_with_logits(l, t, reduction="sum")) if torch else None,
                            [l, t], args.repeats, bytes_moved=4 * 4 * n * 784))
    rows += adam_rows(args.repeats, cut)
    path = write_result("kernels", out=args.out, payload={"repeats": args.repeats, "statistic": "median",
                                    "compile_seconds_first_call": compile_s, "ceilings": ceil, "quick": args.quick,
                                    "ops_forward_backward": rows, "dense_epilogue": epilogue_rows(args.repeats, cut),
                                    "torch": torch.__version__ if torch else None,
                                    "torch_threads": torch.get_num_threads() if torch else None,
                                    "numba": _numba_info()})
    print(f"wrote {path}")


def _numba_info():
    import numba
    from numba.misc.numba_sysinfo import get_sysinfo
    info = get_sysinfo()
    return {"version": numba.__version__, "svml_operational": info.get("SVML Operational"),
            "threading_layer_default": numba.config.THREADING_LAYER,
            "num_threads": numba.config.NUMBA_NUM_THREADS}


if __name__ == "__main__":
    main()
