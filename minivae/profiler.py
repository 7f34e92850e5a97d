"""Where the time goes, op by op: ``minivae.profile()`` around any code records each op's
forward and backward pass and each optimizer update run inside it (minivae/trace.py), and
tells for each: calls, total and mean time, what ran it (a Numba or CUDA kernel, NumPy or
CuPy, BLAS, cuBLAS, our GEMM), its FLOPs and bytes from its shapes, the rates achieved,
and their share of the machine's limits (``peaks``: a large GEMM's rate and a large
copy's bandwidth, measured once and cached).

    with minivae.profile() as prof:
        loss = model.loss(x)[0]
        loss.backward()
    print(prof.table())
    prof.save("profile.json")
    prof.roofline("roofline.png")

The roofline (Williams, Waterman and Patterson 2009): an op of arithmetic intensity I =
FLOPs / byte can run at most at min(peak FLOP/s, I x bandwidth); ``of_roof`` is the share
of that bound it reached. Ops run inside another's span (a backward pass written with
ops, a fused op's reference) are part of that span's time and counts. On CUDA the times
are the device's, from events.
"""
import json
import math
import os
import time

import numpy as np

from . import backend, trace
from .atomic import write_text
from .machine import machine
from .philox import drawing_from, seeded
from .train import step_function

LIMITS = ("flops", "bandwidth", "cache_bandwidth")
CACHE_ENV = "MINIVAE_CACHE"   # the folder of cached peaks; else $XDG_CACHE_HOME/minivae, ~/.cache/minivae


class Profile:
    """The spans recorded between ``__enter__`` and ``__exit__``, and what they show."""

    def __init__(self, device="cpu", peaks=None):
        self.device, self._peaks = device, peaks
        self.spans, self.seconds, self.steps = [], 0.0, 1
        self.step_seconds = None   # a step's time unprofiled, where one was measured (profile_training)

    def __enter__(self):
        """Record (again: a profile entered twice adds the second time's spans to the first's)."""
        if trace.active is not None:
            raise RuntimeError("profile: a profile is already recording; profiles do not nest")
        trace.active = self._trace = trace.Trace()
        self._start = trace.mark(self.device)
        return self

    def __exit__(self, *exc):
        end = trace.mark(self.device)
        trace.active = None
        self.spans += self._trace.spans()
        self.seconds += trace.seconds(self._start, end)
        return False

    @property
    def peaks(self):
        if self._peaks is None:
            self._peaks = peaks(self.device)
        return self._peaks

    def rows(self):
        """One row per op, phase, implementation and input shapes, by total time."""
        rows = {}
        for name, phase, impl, shapes, flops, moved, seconds in self.spans:
            row = rows.setdefault((name, phase, impl, shapes), {
                "op": name, "phase": phase, "implementation": impl, "shapes": shapes,
                "calls": 0, "seconds": 0.0, "flops": 0, "bytes": 0})
            row["calls"] += 1
            row["seconds"] += seconds
            row["flops"] += flops
            row["bytes"] += moved
        peak = self.peaks
        for row in rows.values():
            row["mean_seconds"] = row["seconds"] / row["calls"]
            rate = row["flops"] / row["seconds"] if row["seconds"] > 0 else 0.0
            bandwidth = row["bytes"] / row["seconds"] if row["seconds"] > 0 else 0.0
            intensity = row["flops"] / row["bytes"] if row["bytes"] else 0.0
            roof = min(peak["flops"], intensity * peak["bandwidth"])
            row.update(gflops=rate / 1e9, gbytes=bandwidth / 1e9, intensity=intensity,
                       of_peak_flops=rate / peak["flops"], of_bandwidth=bandwidth / peak["bandwidth"],
                       of_roof=rate / roof if roof > 0 else 0.0)
        return sorted(rows.values(), key=lambda r: -r["seconds"])

    def total(self):
        """The seconds of every span together."""
        return sum(span[-1] for span in self.spans)

    def table(self, top=None):
        """The rows as text, longest first, with the spans' sum against the time profiled."""
        rows = self.rows()
        lines = [f"{'op':20s} {'phase':9s} {'ran on':22s} {'calls':>6s} {'ms/step' if self.steps > 1 else 'ms':>9s} {'mean us':>9s} "
                 f"{'GFLOP/s':>8s} {'GB/s':>7s} {'of roof':>7s}  shapes"]
        for r in rows[:top]:
            lines.append(f"{r['op'][:20]:20s} {r['phase']:9s} {r['implementation'][:22]:22s} {r['calls']:6d} "
                         f"{r['seconds'] * 1e3 / self.steps:9.3f} {r['mean_seconds'] * 1e6:9.1f} "
                         f"{r['gflops']:8.2f} {r['gbytes']:7.2f} {r['of_roof']:7.0%}  {r['shapes']}")
        if top is not None and len(rows) > top:
            lines.append(f"... {len(rows) - top} more rows")
        total, peak = self.total(), self.peaks
        per = "a step" if self.steps > 1 else "in all"
        lines.append(f"ops' sum {total * 1e3 / self.steps:.3f} ms {per}, of {self.seconds * 1e3 / self.steps:.3f} ms "
                     f"profiled ({total / self.seconds:.0%}); limits: {peak['flops'] / 1e9:.1f} GFLOP/s, "
                     f"{peak['bandwidth'] / 1e9:.1f} GB/s ({peak['what']})")
        return "\n".join(lines)

    def to_dict(self):
        return {"device": self.device, "steps": self.steps, "seconds": self.seconds, "ops_seconds": self.total(),
                "step_seconds_unprofiled": self.step_seconds,
                "spans": len(self.spans), "peaks": self.peaks, "rows": self.rows()}

    def save(self, path):
        """The profile as JSON (written atomically)."""
        return write_text(path, json.dumps(self.to_dict(), indent=2) + "\n", ".json")

    def roofline(self, path, title=None):
        """A PNG: each row a point (arithmetic intensity, achieved rate), under the two ceilings."""
        from .plot import roofline
        return roofline(self.rows(), self.peaks, path, title or f"roofline, {self.peaks['what']}")


def profile(device="cpu", peaks=None):
    """A context manager recording the ops run inside it: ``with minivae.profile() as p:``,
    then ``p.table()``, ``p.rows()``, ``p.save(path)``, ``p.roofline(path)``. ``device``:
    where its time is read (CUDA events on "cuda"); ``peaks``: the machine's limits as
    ``{"flops", "bandwidth", "what"}``, else measured once and cached (``peaks``)."""
    backend.array_module(device)   # an unavailable device is a ValueError here
    return Profile(device, peaks)


def profile_training(model, x, y=None, batch_size=100, steps=10, rounds=5, lr=1e-3, optimizer="adam", seed=0,
                     peaks=None):
    """A training step of ``model`` as fit takes it (train.step_function, fit's noise), on
    successive batches of ``x`` (and labels ``y``), after a step to compile and warm up:
    ``rounds`` times ``steps`` steps unprofiled, then as many profiled. Returns the Profile
    (``steps`` the number profiled) and the median unprofiled step's seconds."""
    device = model.device
    step, profiled = step_function(model, lr, optimizer), profile(device, peaks)
    model.dataset_size = len(x)
    xs = backend.to_device(np.ascontiguousarray(x, backend.DEFAULT_DTYPE), device)
    starts = [(i * batch_size) % max(len(x) - batch_size + 1, 1) for i in range(steps)]
    batches = [(xs[i:i + batch_size], None if y is None else y[i:i + batch_size]) for i in starts]
    plain = []
    model.train()
    with drawing_from(model, seeded(getattr(model, "generator", None), seed, device)):
        step(*batches[0])
        for _ in range(rounds):
            start = trace.mark(device)
            for xb, yb in batches:
                step(xb, yb)
            plain.append(trace.seconds(start, trace.mark(device)) / steps)
            with profiled:
                for xb, yb in batches:
                    step(xb, yb)
    profiled.steps, profiled.step_seconds = rounds * steps, float(np.median(plain))
    return profiled, profiled.step_seconds


# --- the machine's limits ----------------------------------------------------------------
def peaks(device="cpu", refresh=False):
    """{"flops": float32 GEMM FLOP/s, "bandwidth": memory's bytes/s, "cache_bandwidth": a
    cache-sized copy's, "what": where}: measured on a large product and copies the first
    time, then read from the cache (a file is untrusted: a value that is not a positive
    finite number is measured again)."""
    key = _machine_key(device)
    path = os.path.join(_cache_folder(), "peaks.json")
    cached = _read_cache(path)
    found = cached.get(key)
    if not refresh and isinstance(found, dict) and all(
            isinstance(found.get(k), (int, float)) and math.isfinite(found[k]) and found[k] > 0
            for k in LIMITS):
        return {**{k: float(found[k]) for k in LIMITS}, "what": key}
    measured = {"flops": _gemm_rate(device), "bandwidth": _bandwidth(device),
                "cache_bandwidth": _bandwidth(device, 1 << 19, repeats=50), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    cached[key] = measured
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_text(path, json.dumps(cached, indent=2) + "\n", ".json")
    except OSError:   # an unwritable cache: measured again next time
        pass
    return {**{k: measured[k] for k in LIMITS}, "what": key}


def _cache_folder():
    return os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "minivae")


def _read_cache(path):
    try:
        with open(path) as f:
            cached = json.load(f)
    except (OSError, ValueError):
        return {}
    return cached if isinstance(cached, dict) else {}


def _machine_key(device):
    """What the limits depend on: the CPU and the BLAS threads, or the GPU."""
    if device == "cuda":
        cp = backend.array_module("cuda")
        props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
        return f"cuda: {props['name'].decode() if isinstance(props['name'], bytes) else props['name']}"
    info = machine()
    threads = [p["num_threads"] for p in info.get("threadpools", []) if p["internal_api"] in ("openblas", "mkl")]
    return f"cpu: {info['cpu']}, {info['cores']} cores, BLAS threads {max(threads) if threads else '?'}"


def _gemm_rate(device, n=2048):
    """Float32 FLOP/s of a large square product (cuBLAS without TF32 on CUDA)."""
    xp = backend.array_module(device)
    a = xp.asarray(np.random.default_rng(0).standard_normal((n, n)).astype(np.float32))
    out = xp.empty_like(a)
    return 2 * n ** 3 / _timed(device, lambda: xp.matmul(a, a, out=out), repeats=10)


def _bandwidth(device, n=1 << 26, repeats=5):
    """Bytes/s of a copy of n float32s, 4 n bytes read and 4 n written: 256 MiB each way from
    memory, or 2 MiB, which stay in a CPU's cache (the most the small ops of a step move)."""
    xp = backend.array_module(device)
    src, dst = xp.ones(n, dtype=np.float32), xp.empty(n, dtype=np.float32)
    return 8 * n / _timed(device, lambda: xp.copyto(dst, src), repeats)


def _timed(device, run, repeats=5):
    """The fewest seconds ``run()`` took in ``repeats`` calls after a first, by ``trace``'s
    clock: a limit is what the machine can do, and a shared machine's slow spells only add."""
    run()
    times = []
    for _ in range(repeats):
        start = trace.mark(device)
        run()
        times.append(trace.seconds(start, trace.mark(device)))
    return min(times)
