"""Issue 35, item 2: a file is untrusted input. tests/untrusted_files_job.py mutates a real
checkpoint and a real data file 400 ways each and loads every one as minivae does;
run in a subprocess, so that a crash (a kernel writing past an array) or a hang is caught
too. Each must be refused in one line that names the file, or load exactly. (The suite's
share of time affords 800 files; 10,000 ran clean on the dev machine, 2026-12-07:
python tests/untrusted_files_job.py 5000.)"""
import os
import subprocess
import sys

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "untrusted_files_job.py")


def test_hundreds_of_mutated_files_are_refused_by_name_or_load_exactly():
    out = subprocess.run([sys.executable, JOB, "400"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"})
    assert out.returncode == 0 and out.stdout.startswith("ok 800 "), out.stdout[-3000:] + out.stderr[-3000:]
    loaded, refused = (int(v) for v in out.stdout.split()[3::2])
    assert loaded > 50 and refused > 400, out.stdout   # neither side empty: the check sees both
