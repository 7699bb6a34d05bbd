"""The parent's side: which cache a command uses, and the server that answers its ``go`` children.

The cache is chosen by ``--cache URL``, else gocross.toml's ``cache = "…"``, else ``GOCROSS_CACHE``; ``off``
(or empty) turns it off. A URL is ``http://`` / ``https://`` (a Bazel remote-cache HTTP server, optionally
with a path prefix and ``user:password@``), ``file:///folder`` or an absolute folder path (a shared folder).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gocross.errors import UsageError
from gocross.toolchain import Toolchain, go_fields

if TYPE_CHECKING:
    from gocross.cacheprog.server import CacheServer

ENV_VAR = "GOCROSS_CACHE"
MIN_GO = (1, 24)  # GOCACHEPROG left GOEXPERIMENT in Go 1.24


def resolve_cache_url(option: str | None, configured: str | None) -> str | None:
    """The cache URL in force (None = no shared cache), checked so a typo fails before any build."""
    url = option if option is not None else configured if configured is not None else os.environ.get(ENV_VAR)
    if url is None or url.strip() in ("", "off"):
        return None
    url = url.strip()
    if url.startswith(("http://", "https://")):
        return url
    path = url.removeprefix("file://") if url.startswith("file://") else url
    if not Path(path).is_absolute():
        raise UsageError(f"The cache {url!r} is neither an http(s):// URL nor an absolute folder; pass e.g. "
                         "--cache http://cache.example:8080 or --cache /mnt/shared/gocache.")
    return url


def go_command_line(argv: list[str]) -> str:
    """A GOCACHEPROG value: each word quoted as Go's ``quoted.Split`` reads it (in '…' or "…", no escapes)."""
    try:
        return go_fields(argv)
    except ValueError:
        raise UsageError("A path in GOCACHEPROG (Python, gocross or the temporary folder) holds both kinds of "
                         "quote, which Go cannot read; use a TMPDIR and an install folder without quotes.") from None


@dataclass(frozen=True)
class CacheSession:
    """One command's use of the shared cache, as planned: the URL, and the Go whose children use it (it also
    compiles the helper they start, native.py). :func:`serving` runs it."""

    url: str
    toolchain: Toolchain


def cache_session(url: str, toolchain: Toolchain) -> CacheSession:
    """The session for ``url``, once this Go is known to run a GOCACHEPROG helper."""
    go_version = toolchain.version_tuple
    if go_version[:2] < MIN_GO:
        raise UsageError(f"--cache needs Go {MIN_GO[0]}.{MIN_GO[1]} or newer (GOCACHEPROG); this toolchain is "
                         f"go{'.'.join(map(str, go_version))}; install a newer Go or drop --cache.")
    return CacheSession(url, toolchain)


@contextlib.contextmanager
def serving(session: CacheSession | None) -> Iterator[CacheServer | None]:
    """The command's cache server while the block runs (None without a session); closed on the way out.

    ``server.close()`` inside the block gives the counters after the last uploads; on an exception (Ctrl-C)
    the uploads still queued are abandoned rather than waited for.
    """
    if session is None:
        yield None
        return
    from gocross.cacheprog.native import HelperBuild
    from gocross.cacheprog.server import CacheServer

    helper = HelperBuild(session.toolchain)  # the compiled helper if built before; else the relay, this time
    try:
        server = CacheServer(session.url, helper=helper.ready)
        try:
            yield server
        finally:
            if not server.closed:
                server.close(wait=0.0)
    finally:
        helper.stop()
