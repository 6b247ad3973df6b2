"""Files written so that a crash, a kill or a full disk never leaves half of one.

Used by every stage that writes: the library (manifest, index, descriptor state), the ground
truth and benchmark reports. Only the standard library.
"""

import os
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (no-op where folders cannot be
    opened, e.g. on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old or the new file, never a partial one.

    The bytes go to a temporary file beside `path` (flushed and fsynced), which then replaces
    `path`, and the folder is fsynced. On any error (a full disk, no permission) the temporary
    file is removed, `path` keeps its old content, and the OSError is raised."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, hex (a reference's content hash)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
