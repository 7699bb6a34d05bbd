"""The one way gocross writes a file of its own: exclusively created, complete, then renamed into place.

Every manifest, state file, archive and report goes through :func:`atomic_output`, so a reader never sees
half a file, a crash or a full disk leaves no partial file under the final name, a pre-existing name (or a
symlink planted there) is never opened for writing, and the result gets the permissions a normal file would
(0644 under the usual umask) rather than ``tempfile``'s 0600.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` can only be read by setting it, racily)."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


@contextlib.contextmanager
def atomic_output(path: Path, *, mode: int = 0o666) -> Iterator[BinaryIO]:
    """A binary file object for ``path``'s new content; it replaces ``path`` only if the block completes.

    The temporary is created with O_EXCL in ``path``'s own folder (same filesystem, so the rename is atomic)
    and removed on any failure, KeyboardInterrupt included. ``mode`` is masked by the umask, as open(2) does.
    If ``path`` is a symlink, the link itself is replaced; what it pointed to is never touched.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fchmod(handle.fileno(), mode & ~_umask())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def atomic_write(path: Path, data: bytes | str, *, mode: int = 0o666) -> None:
    """Write ``data`` (str is UTF-8 encoded) to ``path`` through :func:`atomic_output`."""
    with atomic_output(path, mode=mode) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
