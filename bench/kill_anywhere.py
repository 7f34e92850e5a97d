"""Kill a training run anywhere, resume it, and get exactly the uninterrupted run: its
weights, its best.npz, its metrics.jsonl and the epoch it stopped at.

A reference run trains to the end (with validation and --patience, so that best.npz and
early stopping are part of what must come out the same). Then, ``--kills`` times, the same
run starts in a fresh folder and is killed with SIGKILL, the kills taking turns: at an
instant drawn uniformly over the reference run's duration (start-up, epochs, writes, exit);
aimed inside a write (the folder is polled, and the kill sent as soon as the n-th write's
temporary file appears, n drawn at random); aimed just after the n-th rename of
checkpoint.npz (before that epoch's metrics and best.npz are written). It is then resumed
with ``--resume`` (or, where it was killed before its first checkpoint, started again
with ``--force``) until it completes, and compared with the reference: the final
checkpoint's and best.npz's parameters bit for bit, and metrics.jsonl line for line (less
each epoch's seconds), which says where it stopped. A kill that lands while a file is
being written is seen afterwards as a ``.tmp-*`` file in the run folder (the atomic
write's temporary, which the resumed run removes): they are counted.

Writes bench/results/kill_anywhere.json.

Usage: python bench/kill_anywhere.py [--kills 21] [--epochs 30] [--patience 3] [--seed 0]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from minivae.benchmarks.common import RESULTS, write_result  # noqa: E402

RUN = [sys.executable, "-m", "minivae.cli", "train", "vae", "--data", "ring", "--hidden", "64,64", "--quiet",
       "--no-pictures", "--threads", "1", "--seed", "0"]


def train(folder, epochs, *flags):
    return subprocess.run(RUN + ["--epochs", str(epochs), "--out", folder, *flags], capture_output=True, text=True)


def weights(folder, name="checkpoint.npz"):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return {}
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k.startswith("model/")}


def metrics(folder):
    """metrics.jsonl's records, less the seconds each epoch took."""
    path = os.path.join(folder, "metrics.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in f]


def same(a, b):
    return set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=21)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    env_note = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    os.environ.update(env_note)
    RUN.extend(["--patience", str(args.patience)])
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        done = train(os.path.join(root, "reference"), args.epochs)
        duration = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"the reference run failed: {done.stderr}")
        reference = weights(os.path.join(root, "reference"))
        reference_best = weights(os.path.join(root, "reference"), "best.npz")
        reference_metrics = metrics(os.path.join(root, "reference"))
        kills = []
        for i in range(args.kills):
            folder, at = os.path.join(root, f"run{i}"), float(rng.uniform(0, duration))
            kind = ("uniform", "inside a write", "after a rename")[i % 3]
            write = int(rng.integers(1, len(reference_metrics) + 1))
            began = time.perf_counter()
            process = subprocess.Popen(RUN + ["--epochs", str(args.epochs), "--out", folder],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if kind == "inside a write":   # the n-th temporary file to appear
                seen = set()
                while process.poll() is None and len(seen) < write:
                    if os.path.isdir(folder):
                        seen |= {n for n in os.listdir(folder) if n.startswith(".tmp-")}
                at = time.perf_counter() - began
            elif kind == "after a rename":   # the n-th checkpoint.npz to be renamed into place
                inodes, path = set(), os.path.join(folder, "checkpoint.npz")
                while process.poll() is None and len(inodes) < write:
                    try:
                        inodes.add(os.stat(path).st_ino)
                    except FileNotFoundError:
                        pass
                at = time.perf_counter() - began
            else:
                time.sleep(at)
            exited_first = process.poll() is not None
            process.send_signal(signal.SIGKILL)
            process.wait()
            left = sorted(n for n in os.listdir(folder) if n.startswith(".tmp-")) if os.path.isdir(folder) else []
            has_checkpoint = os.path.exists(os.path.join(folder, "checkpoint.npz"))
            resumes = 0
            while True:
                if os.path.exists(os.path.join(folder, "checkpoint.npz")):
                    result = train(folder, args.epochs, "--resume")
                    finished = result.returncode == 0 or "already holds" in result.stderr \
                        or "stopped early" in result.stderr
                else:
                    result = train(folder, args.epochs, "--force")
                    finished = result.returncode == 0
                resumes += 1
                if finished or resumes > 3:
                    break
            checks = {"weights": same(weights(folder), reference), "best": same(weights(folder, "best.npz"), reference_best),
                      "metrics": metrics(folder) == reference_metrics}
            identical = finished and all(checks.values())
            kills.append({"kind": kind, "at_seconds": round(at, 3), "aimed_at": write if kind != "uniform" else None,
                          "weights_identical": checks["weights"], "best_identical": checks["best"],
                          "metrics_identical": checks["metrics"], "stopped_at_epoch": len(metrics(folder)),
                          "exited_before_the_kill": exited_first,
                          "inside_a_checkpoint_write": bool(left), "checkpoint_before_resume": has_checkpoint,
                          "resumes": resumes, "identical_to_uninterrupted": bool(identical)})
            print(f"kill {i + 1:2d} ({kind:14s}) at {at:6.2f} s  inside a write: {bool(left)!s:5}  "
                  f"checkpoint there: {has_checkpoint!s:5}  identical after resuming: {identical} "
                  f"({', '.join(k for k, v in checks.items() if not v) or 'all'}"
                  f"{'' if all(checks.values()) else ' differ'})", flush=True)
    summary = {"kills": len(kills), "identical": sum(k["identical_to_uninterrupted"] for k in kills),
               "reference_stopped_at_epoch": len(reference_metrics),
               **{f"{what}_identical": sum(k[f"{what}_identical"] for k in kills) for what in ("weights", "best", "metrics")},
               "inside_a_checkpoint_write": sum(k["inside_a_checkpoint_write"] for k in kills),
               "before_the_first_checkpoint": sum(not k["checkpoint_before_resume"] for k in kills)}
    print(summary)
    path = write_result("kill_anywhere", {"run": " ".join(RUN[3:]) + f" --epochs {args.epochs}",
                                          "reference_seconds": round(duration, 2), "threads": env_note,
                                          "summary": summary, "kills": kills}, out=RESULTS)
    print(f"wrote {path}")
    if summary["identical"] != summary["kills"]:
        sys.exit("some resumed runs differ from the uninterrupted one")


if __name__ == "__main__":
    main()
