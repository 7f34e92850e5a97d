"""The kernel, op and step benchmarks that ship with minivae: ``minivae bench`` runs them
from an installed package, ``python -m minivae.benchmarks.NAME`` one of them with all its
settings. Each writes OUT/NAME.json (default ./minivae-bench; the machine, library
versions, thread counts and the load average before and after attached) and ``minivae bench`` draws OUT/NAME.png beside it (chart.py). PyTorch and JAX,
the peers, are measured when installed (``pip install 'minivae[bench]'``) and skipped with
a line when not. The long checks (quality, image models, scaling over MPI ranks) stay in a
source checkout's bench/ folder.
"""
import importlib
import json
import os

# name: (full settings, --quick settings); each a module of this package
CPU = {
    "engine_overhead": ([], ["--repeats", "3", "--batch", "128"]),
    "kernels": ([], ["--repeats", "3", "--quick"]),
    "vae_step": ([], ["--batch", "128", "--repeats", "3", "--steps", "2"]),
    "iwae_step": ([], ["--k", "5", "--repeats", "3", "--steps", "1"]),
    "conv_step": ([], ["--repeats", "3", "--steps", "1"]),
}
CUDA = {
    "gpu_step": ([], ["--only", "vae", "gemm", "--batch", "128", "1024", "--repeats", "3", "--steps", "10"]),
    "conv_step": (["--device", "cuda"], ["--device", "cuda", "--repeats", "3", "--steps", "3"]),
}


def names(device="cpu"):
    return list(CPU if device == "cpu" else CUDA)


def check(only, device="cpu"):
    """Refuse a benchmark name ``device`` has not, naming the choices."""
    table = CPU if device == "cpu" else CUDA
    unknown = sorted(set(only or ()) - set(table))
    if unknown:
        raise ValueError(f"no {device} benchmark {', '.join(unknown)}; choose from {', '.join(table)}")


def run(only=None, quick=False, out=None, device="cpu", say=print, threads=None):
    """Run the benchmarks named in ``only`` (default: all of ``device``'s) into ``out``, with
    ``threads`` threads in every library (default: the libraries' own); returns the paths
    of the charts drawn."""
    from . import common
    from .chart import draw
    check(only, device)
    table = CPU if device == "cpu" else CUDA
    out = os.path.abspath(out or common.default_out())
    charts, drawing = [], True
    for name in only or table:
        full, short = table[name]
        say(f"== {name}{' (quick)' if quick else ''}")
        common.LOAD_BEFORE = common.load_average()
        importlib.import_module(f".{name}", __name__).main(
            [*(short if quick else full), "--out", out, *(["--threads", str(threads)] if threads else [])])
        result = name if not (name == "conv_step" and device == "cuda") else "conv_step_gpu"
        if not drawing:
            continue
        with open(os.path.join(out, f"{result}.json")) as f:
            try:
                chart = draw(json.load(f), os.path.join(out, f"{result}.png"))
            except ValueError as e:   # no matplotlib: the numbers still come, without charts
                say(f"no charts: {e}")
                drawing, chart = False, None
        if chart:
            say(f"drew {chart}")
            charts.append(chart)
    return charts
