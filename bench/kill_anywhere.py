"""Kill a training run anywhere, resume it, and get exactly the uninterrupted run's weights.

A reference run trains to the end. Then, ``--kills`` times, the same run starts in a
fresh folder and is killed with SIGKILL: half the kills at an instant drawn uniformly over
the reference run's duration (start-up, epochs, checkpoint writes, exit), the other half
aimed at a checkpoint write (the folder is polled, and the kill sent as soon as the n-th
write's temporary file appears, n drawn at random); it is then resumed with
``--resume`` (or, where it was killed before its first checkpoint, started again with
``--force``) until it completes, and its final checkpoint's parameters are compared with
the reference's, bit for bit. A kill that lands while a checkpoint is being written is
seen afterwards as a ``.tmp-*`` file in the run folder (the atomic write's temporary,
which the resumed run removes): they are counted.

Writes bench/results/kill_anywhere.json.

Usage: python bench/kill_anywhere.py [--kills 20] [--epochs 30] [--seed 0]
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from minivae.benchmarks.common import write_result  # noqa: E402

RUN = [sys.executable, "-m", "minivae.cli", "train", "vae", "--data", "ring", "--hidden", "64,64", "--quiet",
       "--no-pictures", "--threads", "1", "--seed", "0"]


def train(folder, epochs, *flags):
    return subprocess.run(RUN + ["--epochs", str(epochs), "--out", folder, *flags], capture_output=True, text=True)


def weights(folder):
    with np.load(os.path.join(folder, "checkpoint.npz")) as f:
        return {k: f[k] for k in f.files if k.startswith("model/")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    env_note = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    os.environ.update(env_note)
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        done = train(os.path.join(root, "reference"), args.epochs)
        duration = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"the reference run failed: {done.stderr}")
        reference = weights(os.path.join(root, "reference"))
        kills = []
        for i in range(args.kills):
            folder, at = os.path.join(root, f"run{i}"), float(rng.uniform(0, duration))
            aimed = i % 2 == 1   # every other kill waits for the n-th checkpoint write to begin
            write = int(rng.integers(1, args.epochs + 1))
            began = time.perf_counter()
            process = subprocess.Popen(RUN + ["--epochs", str(args.epochs), "--out", folder],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if aimed:
                seen = set()
                while process.poll() is None and len(seen) < write:
                    if os.path.isdir(folder):
                        seen |= {n for n in os.listdir(folder) if n.startswith(".tmp-")}
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
                    finished = result.returncode == 0 or "already holds" in result.stderr
                else:
                    result = train(folder, args.epochs, "--force")
                    finished = result.returncode == 0
                resumes += 1
                if finished or resumes > 3:
                    break
            got = weights(folder)
            same = finished and set(got) == set(reference) and all(np.array_equal(got[k], reference[k])
                                                                   for k in reference)
            kills.append({"at_seconds": round(at, 3), "aimed_at_write": write if aimed else None,
                          "exited_before_the_kill": exited_first,
                          "inside_a_checkpoint_write": bool(left), "checkpoint_before_resume": has_checkpoint,
                          "resumes": resumes, "identical_to_uninterrupted": bool(same)})
            print(f"kill {i + 1:2d} at {at:6.2f} s  inside a write: {bool(left)!s:5}  "
                  f"checkpoint there: {has_checkpoint!s:5}  identical after resuming: {same}", flush=True)
    summary = {"kills": len(kills), "identical": sum(k["identical_to_uninterrupted"] for k in kills),
               "inside_a_checkpoint_write": sum(k["inside_a_checkpoint_write"] for k in kills),
               "before_the_first_checkpoint": sum(not k["checkpoint_before_resume"] for k in kills)}
    print(summary)
    path = write_result("kill_anywhere", {"run": " ".join(RUN[3:]) + f" --epochs {args.epochs}",
                                          "reference_seconds": round(duration, 2), "threads": env_note,
                                          "summary": summary, "kills": kills})
    print(f"wrote {path}")
    if summary["identical"] != summary["kills"]:
        sys.exit("some resumed runs differ from the uninterrupted one")


if __name__ == "__main__":
    main()
