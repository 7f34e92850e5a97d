import re
import subprocess
import sys


def _run(*args):
    return subprocess.run([sys.executable, "-m", "minivae.cli", *args], capture_output=True, text=True, timeout=300)


def test_demo_prints_a_falling_negative_elbo():
    out = _run("demo")
    assert out.returncode == 0, out.stderr
    values = [float(v) for v in re.findall(r"-ELBO\s+(-?[\d.]+)", out.stdout)]
    assert len(values) == 30
    assert values[-1] < values[0] - 0.1


def test_bad_argument_is_one_line_exit_2():
    out = _run("demo", "--epochs", "-3")
    assert out.returncode == 2
    assert "must be positive" in out.stderr and "Traceback" not in out.stderr
    out = _run("fly")
    assert out.returncode == 2 and "invalid choice" in out.stderr
