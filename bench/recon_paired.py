"""Two models' reconstructions of the same 2,000 held-out digits, judged digit by digit
with bench/image_quality.py's judge and split: on how many digits one keeps the class (the
judge's likeliest class, "named"; sure of it at 0.9, "kept") where the other does not, and
the exact McNemar p-value of that split (a two-sided binomial test on the discordant
digits). The models are the weights ``image_quality.py --keep FOLDER`` saved, as
FOLDER/NAME_KEY.npz, rebuilt from ``minivae.image_models``.

Usage: python bench/recon_paired.py FOLDER NAME KEY_A KEY_B [--seeds 0 1 2] [--out-name NAME]
  e.g. python bench/recon_paired.py /tmp/keep image_quality_vaegan_seed{seed} vae vaegan"""
import argparse
import os
import sys

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from image_quality import CACHE, HERE, load   # noqa: E402

import minivae as mv  # noqa: E402
from minivae import image_models  # noqa: E402
from minivae.benchmarks.common import RESULTS, machine, write_result  # noqa: E402
from minivae.eval.digits import DigitJudge  # noqa: E402


def reconstructions(folder, name, key, seed, x):
    _, model, _ = image_models.build(key, seed)
    model.load(os.path.join(folder, f"{name}_{key}.npz"))
    model.eval()
    mv.manual_seed(seed)
    return np.concatenate([model.reconstruct(x[i:i + 500]) for i in range(0, len(x), 500)])


def mcnemar(a, b):
    """(digits only a gets right, only b, the exact two-sided p of that split)."""
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    p = stats.binomtest(only_a, only_a + only_b).pvalue if only_a + only_b else 1.0
    return only_a, only_b, float(p)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("name", help="the runs' name, {seed} standing for the seed")
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data"))
    parser.add_argument("--out-name", default=None)
    args = parser.parse_args()
    _, _, labelled, (x, y) = load(args.data_dir)
    judge = DigitJudge(*labelled, cache=CACHE)
    rows = []
    for seed in args.seeds:
        name = args.name.format(seed=seed)
        got = {key: reconstructions(args.folder, name, key, seed, x) for key in (args.a, args.b)}
        named = {k: judge.probabilities(r).argmax(1) == y for k, r in got.items()}
        kept = {k: judge.digits(r) == y for k, r in got.items()}
        row = {"seed": seed, **{f"named_{k}": float(v.mean()) for k, v in named.items()},
               "named_only": dict(zip(("a", "b", "p"), mcnemar(named[args.a], named[args.b]))),
               **{f"kept_{k}": float(v.mean()) for k, v in kept.items()},
               "kept_only": dict(zip(("a", "b", "p"), mcnemar(kept[args.a], kept[args.b])))}
        rows.append(row)
        print(f"seed {seed}: named {args.a} {row[f'named_{args.a}']:.4f} {args.b} {row[f'named_{args.b}']:.4f} "
              f"(only {args.a} {row['named_only']['a']}, only {args.b} {row['named_only']['b']}, "
              f"p {row['named_only']['p']:.3f}); kept only {args.a} {row['kept_only']['a']}, only {args.b} "
              f"{row['kept_only']['b']}, p {row['kept_only']['p']:.3f}", flush=True)
    out = args.out_name or f"recon_paired_{args.a}_{args.b}"
    print("wrote " + write_result(out, {"benchmark": out, "machine": machine(), "a": args.a, "b": args.b,
                                         "runs": args.name, "held_out": len(y), "seeds": rows}, out=RESULTS))


if __name__ == "__main__":
    main()
