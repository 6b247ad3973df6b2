"""One writer at a time: a cross-process lock per library folder (stage 3, library).

A writer holds an exclusive `flock` on `write.lock` in the library folder for the whole of its
work (adding, removing, saving the index). The kernel drops the lock when the process dies,
however it dies, so a killed writer never leaves the library locked. A second writer waits up
to `wait` seconds (saying so once) or fails with one line naming the process that holds it.
Readers never take the lock: the catalog's transactions and the generation-named index files
give them a consistent snapshot.
"""

import errno
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vidtrace.errors import LibraryError

LOCK_FILE = "write.lock"
_POLL_S = 0.1


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return "another process"
    return f"process {pid}" if pid else "another process"


@contextmanager
def write_lock(folder: Path, wait: float = 0.0,
               on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the library's write lock for the `with` block. `wait`: seconds to wait for another
    writer (0: fail at once; inf: wait as long as it takes); `on_wait(message)` is called once
    when waiting starts. LibraryError when the lock cannot be had, or the folder cannot be
    written (a read-only library)."""
    import fcntl

    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise LibraryError(f"{folder}: cannot be written ({e.strerror or e}); make the library "
                           "folder writable to change it (reading it needs no write access)"
                           ) from e
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise LibraryError(f"{path}: cannot lock ({e.strerror or e})") from e
            holder = _holder(path)
            if time.monotonic() >= deadline:
                raise LibraryError(
                    f"{folder}: {holder} is writing to this library; wait for it to finish "
                    "or run again with --wait SECONDS")
            if not told and on_wait is not None:
                on_wait(f"{folder}: waiting for {holder}, which is writing to this library")
                told = True
            time.sleep(_POLL_S)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass  # the pid is only for messages; a full disk must not stop the writer here
        yield
    finally:
        os.close(fd)  # releases the lock
