"""One run per folder: an exclusive lock on ``FOLDER/.lock`` for as long as a run writes
there. The operating system drops it when the process ends, however it ends (SIGKILL
included), so a lock is never left stale; and while we hold it, any ``.tmp-*`` file in the
folder is the leftover of a write that was killed, safe to delete. A run that ends
(normally or by an exception) removes its ``.lock``; one that is killed leaves it, harmless.

Removing a lock file races with a process that opened it just before: that process would
lock the removed file while a third locks a new one. So a lock counts only if, once taken,
the path still names the file that was locked; else it is taken again."""
import contextlib
import glob
import os

try:
    import fcntl
except ImportError:   # not POSIX: no locking
    fcntl = None


@contextlib.contextmanager
def run_folder(folder):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, ".lock")
    f = _locked(path, folder)
    try:
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        for stale in glob.glob(os.path.join(glob.escape(folder), ".tmp-*")):
            os.unlink(stale)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)   # still ours: removed before the lock is let go
        f.close()


def _locked(path, folder):
    while True:
        f = open(path, "a+")
        if fcntl is None:
            return f
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            owner = f.read().strip() or "another process"
            f.close()
            raise ValueError(f"{folder}: another run is writing there ({owner}); wait for it, "
                             "or choose another folder") from None
        try:
            if os.stat(path).st_ino == os.fstat(f.fileno()).st_ino:
                return f
        except FileNotFoundError:
            pass
        f.close()   # the file was removed by the run that held it: lock the new one
