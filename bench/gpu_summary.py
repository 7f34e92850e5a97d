"""The summary of a GPU session (bench/gpu_session.sh): each stage's status and time, then
the ratios its results hold, in at most 40 lines.

Usage: python bench/gpu_summary.py OUT   (reads OUT/stages.tsv and OUT/*.json, writes OUT/summary.txt)
"""
import json
import os
import sys

LIMIT = 40
RECORDED = ("minivae_graph", "minivae_graph_cublas", "minivae", "pytorch_graph")


def _load(out, name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _ratios(row, keys):
    ms = row.get("median_ms", {})
    base = ms.get("pytorch")
    return "  ".join(f"{k} {ms[k]:.3f} ms" + (f" ({ms[k] / base:.2f}x)" if base else "") for k in keys if k in ms)


def _left_out(row):
    """The implementations a row timed without (their loss disagreed), named."""
    return f"  (left out: {', '.join(row['error'])})" if isinstance(row.get("error"), dict) else ""


def lines(out):
    result = []
    with open(os.path.join(out, "stages.tsv")) as f:
        for line in f:
            stage, status, seconds, note = (line.rstrip("\n").split("\t") + ["", "", ""])[:4]
            result.append(f"{stage:<8} {status:<10} {seconds:>5} s  {note}".rstrip())
    step = _load(out, "gpu_step.json")
    if step:
        result.append(f"device: {step.get('device')}, CuPy {step.get('cupy')}, torch {step.get('torch')}, "
                      f"jax {step.get('jax', 'absent')}; ratios to PyTorch eager")
        for row in step["results"]:
            if "median_ms" in row:
                result.append(f"VAE b{row['batch']}: " + _ratios(row, RECORDED + ("jax", "pytorch")) + _left_out(row))
            elif "error" in row:
                result.append(f"{row['what']}: FAILED {row['error']}"[:200])
            elif "products" in row:
                result.append(f"GEMM b{row['batch']}: " + "  ".join(
                    f"{k} {v['own_over_cublas']:.2f}x cuBLAS" for k, v in row["products"].items()))
    iwae = _load(out, "iwae_step_gpu.json")
    if iwae:
        for row in iwae["results"]:
            if "median_ms" in row:
                result.append(f"IWAE b{row['batch']} k{row['k']}: " + _ratios(row, RECORDED + ("pytorch",))
                              + _left_out(row))
            else:
                result.append(f"{row['what']}: FAILED {row['error']}"[:200])
    conv = _load(out, "conv_step_gpu.json")
    if conv:
        for what, row in conv.get("results", {}).items():
            ratios = {k[len("ratio_"):-len("_over_pytorch")]: v for k, v in row.items() if k.startswith("ratio_")}
            result.append(f"conv {what}: " + "  ".join(f"{k} {v:.2f}x PyTorch" for k, v in ratios.items()))
    main = _load(out, "main_job.json")
    if main:
        keys = [k for k in main if isinstance(main[k], (int, float))][:6]
        result.append("main job eval: " + "  ".join(f"{k} {main[k]:.4g}" for k in keys))
    if len(result) > LIMIT:
        result = result[:LIMIT - 1] + [f"... {len(result) - LIMIT + 1} more lines in stages.log"]
    return result


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OUT", ".")
    text = "\n".join(lines(out)) + "\n"
    tmp = os.path.join(out, "summary.txt.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(out, "summary.txt"))
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
