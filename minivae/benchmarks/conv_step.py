"""Convolutions on the CPU against PyTorch eager (its oneDNN convolutions), side by side in
one process, interleaved rounds, medians:

- one training step of conv-vae (28 x 28 x 1 -> conv 4x4/2 to 32 -> conv 4x4/2 to 64 ->
  Linear to 2 x 16; the decoder mirrored with resize-convolutions (nearest x2, conv 3x3); Bernoulli decoder
  on logits, sum-reduced negative ELBO, Adam lr 1e-3, float32), batch 128, the same
  weights and noise in both (the first losses must agree);
- each convolution of that model alone, forward + backward (conv2d 1->32 and 32->64,
  conv_transpose2d 64->32 and 32->1, which the resize-convolutions run as), and beside it the floor of a lowering design: the
  op's three products alone, as GEMMs on already-lowered rows in preallocated buffers
  (rows @ W, gy @ W^T, rows^T @ gy);
- minivae's reference path (NCHW im2col) for the step, to show what the kernels buy.

On a GPU (--device cuda: CuPy, PyTorch with CUDA) the same, both on the device, each timed
block ending with a device synchronize.

Usage: python -m minivae.benchmarks.conv_step [--batch 128] [--repeats 9] [--steps 3] [--device cpu|cuda]
Writes OUT/conv_step.json; the last line printed is
RATIO minivae/pytorch step=<x> conv1=<.> conv2=<.> convT1=<.> convT2=<.>
"""
import argparse
import sys

import numpy as np

from .common import add_out, add_threads, limited_threads, peer, time_interleaved, write_result

import minivae as mv
import minivae.functional as F
from minivae.models import create

Z = 16


def minivae_step(x, eps, kernels, device="cpu"):
    mv.manual_seed(0)
    model = create("conv-vae", x_dim=784, z_dim=Z, channels=(32, 64)).to(device)
    noise = mv.backend.to_device(eps, device)
    model.noise = lambda shape: noise.reshape(shape)
    opt = mv.optim.Adam(model.parameters(), lr=1e-3)
    xt = mv.tensor(x, device=device)

    def step():
        mv.set_kernels(kernels)
        recon, kl = model.elbo_terms(xt)
        loss = recon.sum() + kl.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return model, step


def torch_step(model, x, eps, device="cpu"):
    """The same network in PyTorch, with minivae's initial weights."""
    import torch
    nn = torch.nn
    enc = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(),
                        nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(64 * 49, 2 * Z))
    dec = nn.Sequential(nn.Linear(Z, 64 * 49), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                        nn.Upsample(scale_factor=2), nn.Conv2d(64, 32, 3, 1, 1), nn.ReLU(),
                        nn.Upsample(scale_factor=2), nn.Conv2d(32, 1, 3, 1, 1), nn.Flatten())
    ours = [m for m in list(model.encoder) + list(model.decoder) if hasattr(m, "weight")]
    theirs = [m for m in list(enc) + list(dec) if hasattr(m, "weight")]
    with torch.no_grad():
        for a, b in zip(ours, theirs):
            w = a.weight.numpy()
            b.weight.copy_(torch.from_numpy(w.T.copy() if w.ndim == 2 else w))   # Linear keeps W as (in, out)
            b.bias.copy_(torch.from_numpy(a.bias.numpy()))
    enc.to(device)
    dec.to(device)
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    xt, et = torch.tensor(x, device=device), torch.tensor(eps, device=device)
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def step():
        mu, logvar = enc(xt).chunk(2, 1)
        z = mu + torch.exp(0.5 * logvar) * et
        loss = bce(dec(z), xt, reduction="sum") + 0.5 * (logvar.exp() + mu * mu - 1 - logvar).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def op_cases(batch, rng):
    """(name, input shape, weight shape, transposed) of the model's four convolutions."""
    return [("conv1", (batch, 1, 28, 28), (32, 1, 4, 4), False), ("conv2", (batch, 32, 14, 14), (64, 32, 4, 4), False),
            ("convT1", (batch, 64, 7, 7), (64, 32, 4, 4), True), ("convT2", (batch, 32, 14, 14), (32, 1, 4, 4), True)]


def op_impls(xshape, wshape, transposed, rng, device="cpu"):
    import torch
    x = rng.standard_normal(xshape).astype(np.float32)
    w = (rng.standard_normal(wshape) * 0.05).astype(np.float32)
    ours = F.conv_transpose2d if transposed else F.conv2d
    theirs = torch.nn.functional.conv_transpose2d if transposed else torch.nn.functional.conv2d

    xd, wd = mv.backend.to_device(x, device), mv.backend.to_device(w, device)

    def minivae_op():
        xt, wt = mv.Tensor(xd, requires_grad=True), mv.Tensor(wd, requires_grad=True)
        y = ours(xt, wt, None, 2, 1)
        (y * y).sum().backward()
        return y

    xg, wg = torch.tensor(x, device=device), torch.tensor(w, device=device)

    def torch_op():
        xt, wt = xg.clone().requires_grad_(), wg.clone().requires_grad_()
        y = theirs(xt, wt, None, 2, 1)
        (y * y).sum().backward()
        return y
    return {"minivae": minivae_op, "pytorch": torch_op, "gemm_floor": gemm_floor(xshape, wshape, transposed, rng, device)}


def gemm_floor(xshape, wshape, transposed, rng, device):
    """The op's three products on lowered rows: (M, K) @ (K, O) and its two adjoints, where
    the rows are the image on the many-pixel side (the input of conv2d, the output of
    conv_transpose2d) and O the channels on the other side."""
    n, c, h, w = xshape
    small, big = wshape[:2]   # (out, in) for conv2d, (in, out) for conv_transpose2d
    pixels = n * (h // 2) * (w // 2) if not transposed else n * h * w
    k = wshape[2] * wshape[3] * big
    xp = np if device == "cpu" else __import__("cupy")
    f32 = lambda *shape: xp.asarray(rng.standard_normal(shape).astype(np.float32))
    rows, weight, gy = f32(pixels, k), f32(k, small), f32(pixels, small)
    y, grows, gw = xp.empty((pixels, small), xp.float32), xp.empty((pixels, k), xp.float32), xp.empty((k, small), xp.float32)

    def products():
        xp.matmul(rows, weight, out=y)
        xp.matmul(gy, weight.T, out=grows)
        xp.matmul(rows.T, gy, out=gw)
    return products


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    add_out(parser)
    add_threads(parser)
    args = parser.parse_args(argv)
    with limited_threads(args.threads):
        _measure(args)


def _measure(args):
    sync = lambda: None
    if args.device == "cuda":
        if not mv.cuda_available():
            sys.exit("conv_step: --device cuda needs CuPy and a GPU")
        import cupy as cp
        import torch
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False   # fp32 against fp32
        sync = cp.cuda.Device().synchronize
    torch = peer("torch", "conv_step")
    allocator = mv.backend.tune_malloc()
    rng = np.random.default_rng(0)
    x = (rng.random((args.batch, 784)) < 0.3).astype(np.float32)
    eps = rng.standard_normal((args.batch, Z)).astype(np.float32)
    _, fast = minivae_step(x, eps, "fast", args.device)
    _, reference = minivae_step(x, eps, "reference", args.device)
    impls = {"minivae": fast, "minivae_reference": reference}
    if torch:
        twin, _ = minivae_step(x, eps, "fast")   # the same initial weights on the host, for PyTorch's copy
        impls["pytorch"] = torch_step(twin, x, eps, args.device)
    first = {name: float(step().item()) for name, step in impls.items()}
    base = first.get("pytorch", first["minivae_reference"])
    for name, loss in first.items():   # the same model, weights and noise everywhere
        assert abs(loss - base) <= 1e-4 * abs(base), first
    ms = {k: v * 1e3 for k, v in time_interleaved(impls, args.repeats, args.steps, sync=sync).items()}
    mv.set_kernels("fast")
    print(f"conv-vae step, batch {args.batch}: " + "  ".join(f"{k} {v:.2f} ms" for k, v in ms.items()), flush=True)
    rows = {"step": {"median_ms": ms, **({"ratio_minivae_over_pytorch": ms["minivae"] / ms["pytorch"]} if torch else {})}}
    for name, xshape, wshape, transposed in op_cases(args.batch, rng) if torch else []:   # each against PyTorch's
        t = {k: v * 1e3 for k, v in time_interleaved(op_impls(xshape, wshape, transposed, rng, args.device),
                                                     args.repeats, args.steps, sync=sync).items()}
        rows[name] = {"input": xshape, "weight": wshape, "transposed": transposed, "median_ms": t,
                      "ratio_minivae_over_pytorch": t["minivae"] / t["pytorch"],
                      "ratio_gemm_floor_over_pytorch": t["gemm_floor"] / t["pytorch"]}
        print(f"{name} {xshape} forward + backward: " + "  ".join(f"{k} {v:.2f} ms" for k, v in t.items()), flush=True)
    path = write_result("conv_step" if args.device == "cpu" else "conv_step_gpu", out=args.out, payload={
        "device": args.device, "batch": args.batch, "repeats": args.repeats, "steps_per_repeat": args.steps,
        "statistic": "median", "allocator": allocator, "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None, "results": rows})
    print(f"wrote {path}")
    if torch:
        print("RATIO minivae/pytorch " + " ".join(f"{k}={v['ratio_minivae_over_pytorch']:.2f}" for k, v in rows.items()))


if __name__ == "__main__":
    main()
