"""The one way minivae writes a file: whole or not at all, and durably.

``write_atomically(path, write)`` calls ``write(f)`` on a temporary file that ``mkstemp``
makes in the target's own folder (created exclusively, so never through a link), flushes
and fsyncs it, renames it over the target, and fsyncs the folder so that the rename itself
survives a power loss. A reader sees the old file or the new one, never a part. A target
that is a symbolic link is refused: the write would land wherever the link points, outside
the folder the user named. ``output_folder`` checks a folder before the work that fills it.
"""
import contextlib
import os
import tempfile

import numpy as np

TEMPORARY = ".tmp-"   # the prefix of a write in progress: .tmp-PID-..., cleared by run_folder


def output_folder(folder, what="output folder"):
    """``folder`` (as given) if it is an existing, writable directory (a link to one is the
    user's own choice); else a ValueError that says which it is not."""
    folder = os.fspath(folder) or "."
    if not os.path.exists(folder):
        raise ValueError(f"{what} {folder}: no such folder")
    if not os.path.isdir(folder):
        raise ValueError(f"{what} {folder}: is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {folder}: is not writable")
    return folder


def refuse_link(path):
    """A ValueError when ``path`` is a symbolic link (dangling or not)."""
    if os.path.islink(path):
        raise ValueError(f"{path}: is a symbolic link; minivae does not write through links")


def write_atomically(path, write, suffix=""):
    """Call ``write(file)`` on a temporary file beside ``path``, make it durable, then rename
    it into place; returns ``path``. The file gets the usual permissions (0666 less the
    umask), not mkstemp's private 0600. On any error the temporary is removed and ``path``
    is as it was."""
    def fill(tmp, fd):
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
    return _replace(path, fill, suffix)


def write_atomically_by_name(path, write, suffix=""):
    """``write_atomically`` for a writer that opens the file by its name (a memory map):
    ``write(temporary_path)``."""
    def fill(tmp, fd):
        os.close(fd)
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return _replace(path, fill, suffix)


def _replace(path, fill, suffix):
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    refuse_link(path)
    if not os.path.isdir(folder):
        raise ValueError(f"cannot write {path}: no folder {folder}")
    remove_leftovers(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{TEMPORARY}{os.getpid()}-", suffix=suffix)
    try:
        fill(tmp, fd)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    sync_folder(folder)
    return path


def write_text(path, text, suffix=""):
    return write_atomically(path, lambda f: f.write(text.encode()), suffix)


def is_leftover(name):
    """Whether the file ``name`` in a folder is a temporary whose writer is gone (killed
    mid-write): safe to delete. Another live process's write in progress is not."""
    if not name.startswith(TEMPORARY):
        return False
    pid = name[len(TEMPORARY):].split("-", 1)[0].split(".", 1)[0]
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False   # alive, another user's
    return False


def remove_leftovers(folder):
    """Delete the temporaries in ``folder`` whose writers were killed."""
    for name in os.listdir(folder):
        if is_leftover(name):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(folder, name))


def sync_folder(folder):
    """fsync a folder, so that the names created or renamed in it are on disk."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:   # a platform whose folders cannot be opened (Windows): nothing to sync
        return
    try:
        os.fsync(fd)
    except OSError:   # a file system that does not sync folders
        pass
    finally:
        os.close(fd)


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def save_npz(path, arrays):
    """``np.savez`` that never leaves a half-written file at ``path``."""
    return write_atomically(path, lambda f: np.savez(f, **arrays), ".npz")
