"""The files a VAE's gradient passes through, down to the kernels: every source file of
minivae and kernels/ whose code runs during one loss and its backward pass (a Bernoulli VAE
784-64-8 on 32 binary vectors, CPU, kernels on), found by a profile hook, not by reading;
and the longest function in minivae/. Writes bench/results/gradient_walk.json.

Usage: python bench/gradient_walk.py [--out FOLDER]"""
import argparse
import ast
import os
import sys

import numpy as np

import minivae as mv
from minivae.benchmarks.common import RESULTS, add_out, machine, write_result
from minivae.models import create

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(mv.__file__)))


def walked():
    mv.manual_seed(0)
    model = create("vae", x_dim=784, z_dim=8, hidden=[64], likelihood="bernoulli")
    x = (np.random.default_rng(0).random((32, 784)) > 0.5).astype(np.float32)
    model.loss(x)[0].backward()   # imports and Numba's compiles before the count
    files = set()

    def hook(frame, event, arg):
        path = os.path.realpath(frame.f_code.co_filename)
        if path.startswith(ROOT + os.sep) and os.path.relpath(path, ROOT).split(os.sep)[0] in ("minivae", "kernels"):
            files.add(os.path.relpath(path, ROOT))
    sys.setprofile(hook)
    try:
        loss, _ = model.loss(x)
        loss.backward()
    finally:
        sys.setprofile(None)
    return sorted(files)


def longest_functions(top=5):
    found = []
    for folder, _, names in os.walk(os.path.join(ROOT, "minivae")):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path) as f:
                    tree = ast.parse(f.read())
                found += [(n.end_lineno - n.lineno + 1, f"{os.path.relpath(path, ROOT)}:{n.name}")
                          for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return [{"lines": lines, "function": where} for lines, where in sorted(found, reverse=True)[:top]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_out(parser)
    args = parser.parse_args()
    files = walked()
    payload = {"benchmark": "gradient_walk", "machine": machine(), "kernels": mv.kernel_info()["mode"],
               "files": files, "count": len(files), "longest_functions": longest_functions()}
    write_result("gradient_walk", payload, args.out or RESULTS)
    print(f"{len(files)} files:\n  " + "\n  ".join(files))
    print("longest: " + ", ".join(f"{f['function']} {f['lines']}" for f in payload["longest_functions"]))


if __name__ == "__main__":
    main()
