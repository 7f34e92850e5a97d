"""bench/gpu_session.sh, the one command a session lent a GPU runs: it must fit its budget
(7 minutes from a bare machine) by construction, refuse cleanly without a GPU, and sum up
what it measured in at most 40 lines."""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "bench", "gpu_session.sh")


def test_the_stages_time_limits_fit_its_budget():
    """Every stage, the suite and the MPI one included, has a limit of its own, and the limits
    with their kill grace fit 7.5 minutes."""
    with open(SCRIPT) as f:
        text = f.read()
    stages = re.findall(r"^\s*(?:\*\) )?stage (\w+) (\d+) ", text, re.M)
    kill_grace = int(re.search(r"timeout -k (\d+)", text).group(1))
    budget = int(re.search(r"GPU_SESSION_SECONDS:-(\d+)", text).group(1))
    assert [name for name, _ in stages] == ["install", "compile", "tests", "main", "step", "iwae", "conv", "mpi",
                                            "suite"]
    assert budget <= 7.5 * 60 and sum(int(n) for _, n in stages) + kill_grace * len(stages) <= budget


def test_results_come_only_from_this_run():
    """A stage that fails before writing its results must not pass off the committed file of
    an earlier run: the stages write into this run's folder, and only that is copied."""
    with open(SCRIPT) as f:
        text = f.read()
    assert not re.search(r"cp bench/results/", text)
    assert re.findall(r'--out "\$results"', text) and "--out bench/results" not in text
    assert re.search(r'keep\(\) \{[^}]*\[ -f "\$results/\$1" \] \|\| return 0', text)


def test_without_a_gpu_it_says_so_in_one_line(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path), "PYTHONPATH": str(tmp_path)}   # no CuPy to import here
    (tmp_path / "cupy.py").write_text("raise ImportError('no CuPy here')\n")
    done = subprocess.run(["bash", SCRIPT], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and done.stderr == "gpu_session: CuPy finds no GPU here\n"


def test_the_summary_holds_each_stage_and_the_ratios_in_forty_lines(tmp_path):
    (tmp_path / "stages.tsv").write_text("tests\tfailed\t61\t2 failed, 140 passed in 58s\n"
                                         "main\tskipped\t0\tno ../shared/data\n")
    row = lambda b: {"batch": b, "median_ms": {"minivae_graph": 0.2, "minivae": 1.5, "pytorch": 0.5}}
    gemm = lambda b: {"batch": b, "products": {"x W1": {"own_over_cublas": 1.7}}}
    (tmp_path / "gpu_step.json").write_text(json.dumps({"device": "NVIDIA H200", "results": [
        row(128), row(1024), {"what": "VAE batch 4096", "error": "TypeError: boom"}] + [gemm(b) for b in (128, 1024)]}))
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gpu_summary.py"), str(tmp_path)], check=True,
                   capture_output=True)
    lines = (tmp_path / "summary.txt").read_text().splitlines()
    assert len(lines) <= 40
    assert lines[0].split()[:3] == ["tests", "failed", "61"] and lines[1].split()[:2] == ["main", "skipped"]
    assert "VAE b128: minivae_graph 0.200 ms (0.40x)" in lines[3]
    assert "VAE batch 4096: FAILED TypeError: boom" in lines[5] and "x W1 1.70x cuBLAS" in lines[6]


def test_keep_copies_what_this_run_wrote_and_nothing_else(tmp_path):
    with open(SCRIPT) as f:
        keep = re.search(r"^keep\(\) \{.*?^\}", f.read(), re.S | re.M).group(0)
    (tmp_path / "results").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "bench" / "results").mkdir(parents=True)
    (tmp_path / "bench" / "results" / "gpu_step.json").write_text("committed")
    (tmp_path / "results" / "gpu_main_job.json").write_text("measured now")
    script = f'results="{tmp_path}/results"; out="{tmp_path}/out"\n{keep}\nkeep gpu_step.json\nkeep gpu_main_job.json main_job.json\n'
    subprocess.run(["bash", "-c", script], check=True, cwd=tmp_path)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["main_job.json"]
    assert (tmp_path / "out" / "main_job.json").read_text() == "measured now"
    assert (tmp_path / "bench" / "results" / "gpu_main_job.json").read_text() == "measured now"
    assert (tmp_path / "bench" / "results" / "gpu_step.json").read_text() == "committed"
