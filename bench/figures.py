"""The seed standard: a figure's point counts when it holds on seeds 0, 1 and 2 at the
figure's own settings. This draws each named figure on each seed, measures its facts,
judges its point (minivae.figures.points.POINTS, or OPEN for those not yet holding) and records all of it, with the machine
and each seed's time, in bench/results/figures.json (one entry per figure, replaced when
the figure is drawn again; the other entries are kept).

Usage: python bench/figures.py NAME [NAME ...] [--seeds 0 1 2] [--data-dir ../shared/data]
       [--pictures FOLDER] [--jobs 2]
--pictures keeps each seed's PNG (NAME-seedS.png) there; by default they go to a temporary
folder. --jobs draws that many seeds at once, each in its own process with one BLAS thread
(figures draw with one BLAS thread either way, so the facts do not depend on it).
--rejudge draws nothing: it judges the facts already recorded for NAME by the points as they
are now (after a point is stated anew), keeping the date and machine of the measurement.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

from minivae import figures
from minivae.benchmarks.common import RESULTS, machine
from minivae.figures.points import OPEN, POINTS
from minivae.atomic import write_text

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def draw_one(name, seed, folder, data_dir):
    """One seed of one figure, in a child process (its own interpreter: no state shared
    between seeds): its facts and seconds."""
    path = os.path.join(folder, f"{name}-seed{seed}.png")
    code = ("import json, sys, time; from minivae import figures; t = time.perf_counter(); "
            f"d = figures.draw({name!r}, {path!r}, seed={seed}, data_dir={data_dir!r}); "
            "print(json.dumps({'facts': d.facts, 'seconds': time.perf_counter() - t}, default=float))")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{name} on seed {seed} failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"seed": seed, **judged(name, result["facts"]), "seconds": round(result["seconds"], 1),
            "facts": result["facts"]}


def judged(name, facts):
    """Whether the figure's asserted point (POINTS) and its open one (OPEN) hold on ``facts``."""
    judge = lambda points: bool(points[name](facts)) if name in points else None
    return {"holds": judge(POINTS), "open_point_holds": judge(OPEN)}


def verdicts(name, runs):
    return {"point_holds_on_every_seed": None if name not in POINTS else all(r["holds"] for r in runs),
            "open_point_holds_on_every_seed": None if name not in OPEN else all(r["open_point_holds"] for r in runs)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", choices=sorted(figures.FIGURES), metavar="NAME")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data-dir", default=SHARED)
    parser.add_argument("--pictures", help="keep each seed's PNG in this folder")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(RESULTS, "figures.json"))
    parser.add_argument("--rejudge", action="store_true", help="judge the recorded facts again, drawing nothing")
    args = parser.parse_args()
    if args.rejudge:
        with open(args.out) as f:
            entries = json.load(f)
        missing = [name for name in args.names if name not in entries]
        if missing:
            parser.error(f"{args.out} holds no facts for {', '.join(missing)}; draw them first")
        for name in args.names:
            entry = entries[name]
            for run in entry["seeds"]:
                run.update(judged(name, run["facts"]))
            entry.update(verdicts(name, entry["seeds"]), source=figures.SOURCES[name])
            record(args.out, name, {k: entry[k] for k in ("date", "machine", "source", "point_holds_on_every_seed",
                                                          "open_point_holds_on_every_seed", "seeds")})
            print(f"{name}: point {entry['point_holds_on_every_seed']}, open point "
                  f"{entry['open_point_holds_on_every_seed']} on every seed")
        return
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.setdefault("MINIVAE_CACHE", os.path.join(scratch, "cache"))   # the digit judge, trained once
        folder = args.pictures or scratch
        os.makedirs(folder, exist_ok=True)
        for name in args.names:
            start = time.strftime("%Y-%m-%d %H:%M:%S %Z")
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                runs = list(pool.map(lambda s: draw_one(name, s, folder, args.data_dir), args.seeds))
            entry = {"date": start, "machine": machine(), "source": figures.SOURCES[name], **verdicts(name, runs),
                     "seeds": runs}
            record(args.out, name, entry)
            for run in runs:
                verdict = {True: "holds", False: "FAILS", None: "none"}
                print(f"{name} seed {run['seed']}: point {verdict[run['holds']]}, open point "
                      f"{verdict[run['open_point_holds']]}, {run['seconds']} s, "
                      + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                  for k, v in run["facts"].items() if not isinstance(v, list)), flush=True)


def record(path, name, entry):
    """Replace ``name``'s entry in the JSON file at ``path``, keeping the others."""
    entries = {}
    if os.path.exists(path):
        with open(path) as f:
            entries = json.load(f)
    entries[name] = entry
    text = json.dumps(dict(sorted(entries.items())), indent=1, default=float) + "\n"
    write_text(path, text, ".json")


if __name__ == "__main__":
    main()
