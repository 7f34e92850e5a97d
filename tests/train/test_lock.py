import os

import pytest

from minivae.train import lock


def test_a_planted_link_is_never_opened_as_the_lock(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("the user's")
    run = tmp_path / "run"
    run.mkdir()
    (run / ".lock").symlink_to(outside)
    with pytest.raises(ValueError, match="symbolic link"):
        with lock.run_folder(str(run)):
            pass
    assert outside.read_text() == "the user's" and os.path.islink(run / ".lock")


def test_the_holder_may_take_its_own_lock_again_and_another_write_in_progress_is_kept(tmp_path):
    """A command locks the folder before its checks and then trains, which locks it again:
    the same lock. Cleaning up leftovers spares a live process's temporary (a ``sample``
    written into the folder as the run starts), and removes a killed writer's."""
    run = tmp_path / "run"
    run.mkdir()
    live, dead = run / f".tmp-{os.getpid()}-x.png", run / ".tmp-999999999-y.npz"
    live.write_text("")
    dead.write_text("")
    with lock.run_folder(str(run)):
        with lock.run_folder(str(run)):
            assert (run / ".lock").exists()
        assert (run / ".lock").exists()   # still held by the outer
    assert live.exists() and not dead.exists() and not (run / ".lock").exists()
