"""``minivae bench``: the shipped benchmarks run by name into a folder the user names, a
JSON and a chart each; an unknown name is refused with the choices."""
import json
import os
import subprocess
import sys

import pytest

from minivae import benchmarks


def test_an_unknown_benchmark_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ValueError, match="no cpu benchmark nosuch; choose from engine_overhead"):
        benchmarks.run(["nosuch"], out=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "minivae", "bench", "nosuch"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "choose from" in done.stderr
    assert set(benchmarks.names("cpu")) == {"engine_overhead", "kernels", "vae_step", "iwae_step", "conv_step"}


def test_a_quick_run_writes_its_result_and_chart_where_told(tmp_path):
    pytest.importorskip("matplotlib")
    said = []
    charts = benchmarks.run(["engine_overhead"], quick=True, out=str(tmp_path / "results"), say=said.append)
    with open(tmp_path / "results" / "engine_overhead.json") as f:
        result = json.load(f)
    assert result["benchmark"] == "engine_overhead" and result["machine"]["cores"] == os.cpu_count()
    assert [r["batch"] for r in result["vae_784_400_20"]] == [128]       # --quick: one batch size
    assert all(r["minivae_ms"] > 0 and r["numpy_ms"] > 0 for r in result["vae_784_400_20"])
    assert charts == [str(tmp_path / "results" / "engine_overhead.png")] and os.path.exists(charts[0])
    assert said[0] == "== engine_overhead (quick)"
