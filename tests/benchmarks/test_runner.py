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


def test_results_go_to_the_current_folder_unless_named_and_carry_the_load(tmp_path, monkeypatch):
    """Run from anywhere without --out, the committed bench/results of a checkout stay as they
    are: the default is ./minivae-bench. Each result records the load average before and after,
    and a busy machine is said on stderr."""
    from minivae.benchmarks import common
    monkeypatch.chdir(tmp_path)
    assert common.default_out() == str(tmp_path / "minivae-bench")
    monkeypatch.setattr(common, "LOAD_BEFORE", 1000.0)
    path = common.write_result("probe", {"x": 1})
    assert path == str(tmp_path / "minivae-bench" / "probe.json")
    with open(path) as f:
        load = json.load(f)["load_average"]
    assert load["before"] == 1000.0 and load["cores"] == os.cpu_count()


def test_without_matplotlib_the_numbers_come_and_one_line_says_no_charts(tmp_path, monkeypatch, capsys):
    from minivae.benchmarks import chart

    def refuse(result, path):
        raise ValueError("pictures need matplotlib: pip install 'minivae[plot]'")
    monkeypatch.setattr(chart, "draw", refuse)
    said = []
    charts = benchmarks.run(["engine_overhead", "kernels"], quick=True, out=str(tmp_path), say=said.append)
    assert charts == [] and (tmp_path / "engine_overhead.json").exists() and (tmp_path / "kernels.json").exists()
    assert [s for s in said if s.startswith("no charts")] == ["no charts: pictures need matplotlib: pip install "
                                                              "'minivae[plot]'"]
