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


PEERS = '''
import os


def env_step(variable):
    """A step whose loss is a number its process's environment holds."""
    return lambda: float(os.environ.get(variable, "-1"))


def needs_a_missing_library():
    import no_such_library_for_minivae   # noqa: F401
'''


def test_each_implementation_runs_in_its_own_process_with_the_threads_asked(tmp_path, monkeypatch):
    """Built and timed in processes of their own (one library's threads cannot slow another's);
    --threads reaches each process's libraries through its environment; a peer whose library
    is missing is left out with a line."""
    from minivae.benchmarks import common
    (tmp_path / "peers_for_test.py").write_text(PEERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    builders = {"a": ("peers_for_test", "env_step", ("OMP_NUM_THREADS",)),
                "b": ("peers_for_test", "env_step", ("NUMBA_NUM_THREADS",)),
                "gone": ("peers_for_test", "needs_a_missing_library", ())}
    seconds, first, allocator = common.time_in_processes(builders, repeats=2, steps=3, pause=0.0, threads=1)
    assert set(seconds) == {"a", "b"} and all(t > 0 for t in seconds.values())
    assert first == {"a": 1.0, "b": 1.0}
    import os as _os
    assert _os.environ["OMP_NUM_THREADS"] == "7"   # this process's environment is left as it was
    seconds, first, _ = common.time_in_processes({"a": builders["a"]}, repeats=1, steps=1, pause=0.0)
    assert first == {"a": 7.0}
    # the allocator setting is per process: each process applies it, and says what it applied
    from minivae import backend
    assert allocator == backend.tune_malloc()


def test_limited_threads_sets_numba_and_blas_and_gives_them_back():
    import numba
    from threadpoolctl import threadpool_info
    from minivae.benchmarks.common import limited_threads
    before = numba.get_num_threads()
    with limited_threads(1):
        assert numba.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    assert numba.get_num_threads() == before


def test_bench_refuses_a_bad_thread_count():
    done = subprocess.run([sys.executable, "-m", "minivae", "bench", "--threads", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "--threads" in done.stderr and "Traceback" not in done.stderr
