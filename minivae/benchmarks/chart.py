"""One PNG per benchmark result: each case's median time against PyTorch's (ratio 1 is
PyTorch; below is faster), each implementation a bar, the GEMM floor (the case's GEMMs
alone at the measured sgemm rate) a black tick where the result has one. Without PyTorch
the bars are the medians themselves, in ms."""


def cases(result):
    """[(label, {implementation: ms}, floor ms or None)] of a benchmark's JSON."""
    name = result["benchmark"]
    if name in ("vae_step", "iwae_step"):
        return [(f"batch {r['batch']}" + (f", k {r['k']}" if "k" in r else ""), r["median_ms"], r.get("gemm_floor_ms"))
                for r in result["results"]]
    if name.startswith("conv_step"):
        return [(case, r["median_ms"], r["median_ms"].get("gemm_floor")) for case, r in result["results"].items()]
    if name == "kernels":
        return [(f"{r['op']} {r['shapes'][0]}", {k[:-3]: v / 1e3 for k, v in r.items()
                                                 if k.endswith("_us") and v is not None}, None)
                for r in result["ops_forward_backward"]]
    if name == "engine_overhead":
        return [(f"VAE step, batch {r['batch']}", {"minivae": r["minivae_ms"], "numpy": r["numpy_ms"]}, None)
                for r in result["vae_784_400_20"]]
    return []


def draw(result, path):
    """Write the chart of ``result`` (a benchmark's JSON as a dict) to ``path``; returns it,
    or None when the result has no cases to draw."""
    rows = cases(result)
    if not rows:
        return None
    from .. import plot
    plt = plot._pyplot()
    peer = next((p for p in ("pytorch", "torch") if all(p in ms for _, ms, _ in rows)), None)
    impls = [k for k in dict.fromkeys(k for _, ms, _ in rows for k in ms) if k != "gemm_floor"]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(rows) * max(1, len(impls)) * 0.35 + 3), 4))
    width = 0.8 / len(impls)
    for i, impl in enumerate(impls):
        ys = [ms.get(impl, float("nan")) / (ms[peer] if peer else 1.0) for _, ms, _ in rows]
        ax.bar([c + (i - (len(impls) - 1) / 2) * width for c in range(len(rows))], ys, width, label=impl)
    floors = [(c, f / (ms[peer] if peer else 1.0)) for c, (_, ms, f) in enumerate(rows) if f]
    if floors:
        ax.plot(*zip(*floors), "k_", markersize=40, markeredgewidth=2, label="GEMM floor")
    if peer:
        ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xticks(range(len(rows)), [label for label, _, _ in rows], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("median time / PyTorch's" if peer else "median ms (PyTorch not installed)")
    machine = result.get("machine", {})
    ax.set_title(f"{result['benchmark']}: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
                 f"{result.get('date', '')}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return plot._save(fig, path)
