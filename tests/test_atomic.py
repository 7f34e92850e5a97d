import os
import subprocess
import sys

import pytest

from minivae import atomic


def test_a_write_is_whole_durable_and_leaves_no_temporary(tmp_path, monkeypatch):
    """The temporary is fsynced before the rename, the folder after it: the new name
    survives a power loss, and a reader sees the old file or the new one."""
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (calls.append("rename"), real_replace(a, b))[1])
    path = tmp_path / "a.json"
    assert atomic.write_text(path, "one") == str(path)
    assert path.read_text() == "one" and calls == ["fsync", "rename", "fsync"]
    atomic.write_text(path, "two")
    assert path.read_text() == "two" and os.listdir(tmp_path) == ["a.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("kept")

    def broken(f):
        f.write(b"half")
        raise OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        atomic.write_atomically(path, broken)
    assert path.read_text() == "kept" and os.listdir(tmp_path) == ["a.txt"]


def test_it_never_writes_through_a_link(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("the user's")
    (tmp_path / "run").mkdir()
    link = tmp_path / "run" / "metrics.jsonl"
    link.symlink_to(outside)
    with pytest.raises(ValueError, match="symbolic link"):
        atomic.write_text(link, "x")
    dangling = tmp_path / "run" / "best.npz"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="symbolic link"):
        atomic.write_text(dangling, "x")
    assert outside.read_text() == "the user's" and not (tmp_path / "nowhere").exists()
    assert sorted(os.listdir(tmp_path / "run")) == ["best.npz", "metrics.jsonl"]
    with pytest.raises(ValueError, match="no folder"):
        atomic.write_text(tmp_path / "missing" / "a.txt", "x")


def test_an_output_folder_must_exist_be_a_folder_and_be_writable(tmp_path):
    assert atomic.output_folder(tmp_path) == str(tmp_path)
    with pytest.raises(ValueError, match="no such folder"):
        atomic.output_folder(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is not a folder"):
        atomic.output_folder(tmp_path / "file")
    (tmp_path / "linked").symlink_to(tmp_path)   # a link to a folder is the user's choice
    assert atomic.output_folder(tmp_path / "linked")
    if os.geteuid() != 0:   # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ValueError, match="not writable"):
            atomic.output_folder(locked)


def test_a_leftover_is_a_temporary_whose_writer_is_gone():
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert atomic.is_leftover(f".tmp-{gone}-abc.npz")
    assert not atomic.is_leftover(f".tmp-{os.getpid()}-abc.npz")   # a live write in progress
    assert atomic.is_leftover(".tmp-abc.npz")                       # the old naming, no writer named
    assert not atomic.is_leftover("checkpoint.npz")
