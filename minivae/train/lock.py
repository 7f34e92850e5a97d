"""One run per folder: an exclusive lock on ``FOLDER/.lock`` for as long as a run writes
there. The operating system drops it when the process ends, however it ends (SIGKILL
included), so a lock is never left stale; and while we hold it, a temporary whose writer is
gone (minivae.atomic.is_leftover) is the leftover of a write that was killed, safe to
delete; a live process's write in progress (a ``sample`` into the folder) is left alone.
A run that ends (normally or by an exception) removes its ``.lock``; one that is killed
leaves it, harmless. A ``.lock`` that is a symbolic link is refused, never opened.

Taken again by the process that holds it (a command that locks the folder before its
checks, then trains), the lock is the one already held.

Removing a lock file races with a process that opened it just before: that process would
lock the removed file while a third locks a new one. So a lock counts only if, once taken,
the path still names the file that was locked; else it is taken again."""
import contextlib
import errno
import os

from ..atomic import remove_leftovers

try:
    import fcntl
except ImportError:   # not POSIX: no locking
    fcntl = None


_HELD = set()   # the folders this process holds locked (their real paths)


@contextlib.contextmanager
def run_folder(folder):
    os.makedirs(folder, exist_ok=True)
    key = os.path.realpath(folder)
    if key in _HELD:
        yield
        return
    path = os.path.join(folder, ".lock")
    f = _locked(path, folder)
    _HELD.add(key)
    try:
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        remove_leftovers(folder)
        yield
    finally:
        _HELD.discard(key)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)   # still ours: removed before the lock is let go
        f.close()


def _open(path):
    """The lock file, created if need be, never through a link."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError as e:
        if e.errno == errno.ELOOP or os.path.islink(path):
            raise ValueError(f"{path}: is a symbolic link, not a lock; remove it") from None
        raise ValueError(f"{path}: cannot be opened ({e.strerror})") from None
    return os.fdopen(fd, "a+")


def _locked(path, folder):
    while True:
        f = _open(path)
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
