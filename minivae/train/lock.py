"""One run per folder: an exclusive lock on ``FOLDER/.lock`` for as long as a run writes
there. The operating system drops it when the process ends, however it ends (SIGKILL
included), so a lock is never left stale; and while we hold it, any ``.tmp-*`` file in the
folder is the leftover of a write that was killed, safe to delete."""
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
    with open(path, "a+") as f:
        if fcntl is not None:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                owner = f.read().strip() or "another process"
                raise ValueError(f"{folder}: another run is writing there ({owner}); wait for it, "
                                 "or choose another folder") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        for stale in glob.glob(os.path.join(glob.escape(folder), ".tmp-*")):
            os.unlink(stale)
        yield
