"""The one way gocross writes a file of its own: exclusively created, complete, then renamed into place.

Every manifest, state file, archive and report goes through :func:`atomic_output`, so a reader never sees
half a file, a crash or a full disk leaves no partial file under the final name, a pre-existing name (or a
symlink planted there) is never opened for writing, and the result gets the permissions a normal file would
(0644 under the usual umask) rather than ``tempfile``'s 0600.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from gocross.errors import OutputError


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


# gocross's own names in an output folder: its state, temporaries, probe and lock all start with this.
OWN_PREFIX = ".gocross-"
# A file name gocross itself may create must leave room for its temporary name (OWN_PREFIX, pid, random).
MAX_NAME_BYTES = 200
QUOTE_LIMIT = 80  # characters of a user's value an error message quotes


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` shortened to its first ``limit`` characters (…), for one-line error messages."""
    text = str(value)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} characters)"


def shortened(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``str(value)`` cut to its first ``limit`` characters (…), unquoted, on one line."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit] + "…"


def name_problem(name: str, reserved: frozenset[str] = frozenset()) -> str | None:
    """Why ``name`` cannot be a file directly inside an output folder, or None when it can.

    The one rule for every name gocross puts under ``--out``: a plain, non-empty file name (no folder part,
    so nothing resolves outside the folder or through a linked sub-folder), not ``.``/``..``, not one of
    gocross's own files, and short enough for the temporary it is first written under.
    """
    if not name:
        return "is empty"
    if "/" in name or "\0" in name:
        return "is a path, not a file name (it holds '/' or a NUL byte)"
    if name in (".", ".."):
        return "is not a file name"
    if name in reserved or name.startswith(OWN_PREFIX):
        return "is the name of a file gocross keeps there itself"
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > MAX_NAME_BYTES:
        return f"is {size} bytes long; names are at most {MAX_NAME_BYTES} bytes"
    return None


@contextlib.contextmanager
def folder_lock(folder: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold an exclusive flock on ``folder`` itself for the block: one build into a folder at a time. When
    another process holds it, ``on_wait`` gets one sentence saying what this waits for, then it waits
    (interruptibly: a signal ends the wait as it ends everything else).

    The folder's own descriptor is locked, so no lock file is left in the output (nor can one be planted
    there), and the kernel drops the lock when its holder dies, however it dies.
    """
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise OutputError(f"Cannot open the output folder {folder} ({exc.strerror}); choose another --out.") \
            from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(f"waiting for another gocross build into {folder} to finish (it holds the folder's lock)")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
