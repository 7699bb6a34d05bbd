"""Where test binaries are kept between runs, and the lock that keeps two runs from sharing a folder."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

from gocross.caches import cache_dir
from gocross.config import module_root
from gocross.log import logger


def binaries_dir(directory: Path) -> Path:
    """Where this module's test binaries are kept between runs, one folder per module.

    Keeping them lets ``go test -c`` find its previous output, see from the build ID that it is up to date
    and skip the link — the most expensive part of rebuilding an unchanged test binary.
    """
    cache = cache_dir("test-binaries")
    root = module_root(directory) or directory
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return cache / f"{root.name}-{key}"


@contextlib.contextmanager
def binaries_scratch(shared: Path) -> Iterator[Path]:
    """The module's shared test-binary folder, or a private one while another run holds it.

    Two runs writing the same ``pkg.test`` would collide: Linux refuses to overwrite a binary that is
    running ("text file busy"). The first run takes an exclusive lock on ``shared/.lock``; a concurrent run
    builds in a fresh folder next to it (losing only the relink savings) and removes it afterwards.
    """
    import shutil
    import tempfile

    shared.mkdir(parents=True, exist_ok=True)
    with (shared / ".lock").open("a") as lock:  # the lock goes with the file's closing
        if _try_lock(lock.fileno()):
            yield shared
            return
    private = Path(tempfile.mkdtemp(prefix=f"{shared.name}-", dir=shared.parent))
    logger.info("another gocross test is using %s; building in %s", shared, private)
    try:
        yield private
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _try_lock(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
