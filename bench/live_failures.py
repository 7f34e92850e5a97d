"""A pytest plugin for runs that may be cut off (a GPU session's suite stage): each failure
is appended to $LIVE_FAILURES as it happens, with the end of its report, so that a run
killed at its time limit still says what failed.

    LIVE_FAILURES=out/failures.txt python -m pytest -p live_failures ...   (bench/ on PYTHONPATH)
"""
import os


def pytest_runtest_logreport(report):
    path = os.environ.get("LIVE_FAILURES")
    if path and report.failed and "PYTEST_XDIST_WORKER" not in os.environ:   # xdist's controller alone
        with open(path, "a") as f:
            f.write(f"FAILED {report.nodeid} ({report.when})\n{report.longreprtext[-2500:]}\n\n")
