"""The parent's side: which cache a command uses, the ``GOCACHEPROG`` value for its ``go`` children, and the
counters summed once the command is over.

The cache is chosen by ``--cache URL``, else gocross.toml's ``cache = "…"``, else ``GOCROSS_CACHE``; ``off``
(or empty) turns it off. A URL is ``http://`` / ``https://`` (a Bazel remote-cache HTTP server, optionally
with a path prefix and ``user:password@``), ``file:///folder`` or an absolute folder path (a shared folder).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from gocross.cacheprog.stats import CacheStats, collect_stats
from gocross.errors import UsageError
from gocross.toolchain import go_field

ENV_VAR = "GOCROSS_CACHE"
STATS_DIR = ".gocross-cache-stats"
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


def helper_command(url: str, stats_dir: Path) -> str:
    """The GOCACHEPROG value: this Python running the helper, each word quoted as Go's ``quoted.Split`` reads
    it (a word in '…' or "…", no escapes inside).

    ``python -S`` with gocross's own folder put on the path: the helper needs only the standard library and
    this package, and Go starts one per ``go`` command, so the site-packages' start-up hooks (a ``.pth`` that
    imports certifi took 38 ms here) would be paid per target; it is ``python -m gocross.cacheprog`` otherwise.
    """
    import gocross

    home = os.path.dirname(os.path.dirname(gocross.__file__))  # noqa: PTH120 (the folder holding gocross/)
    boot = f"import sys; sys.path.insert(0, {home!r}); from gocross.cacheprog.__main__ import main; sys.exit(main())"
    argv = [sys.executable, "-S", "-c", boot, "--remote", url, "--stats", str(stats_dir)]
    return " ".join(_go_quote(a) for a in argv)


def _go_quote(word: str) -> str:
    try:
        return go_field(word)
    except ValueError:
        raise UsageError(f"{word!r} holds both kinds of quote, which Go cannot read in GOCACHEPROG; use a folder "
                         "(or cache URL) without quotes.") from None


@dataclass(frozen=True)
class CacheSession:
    """One command's use of the shared cache: the environment for its ``go`` children, its counters."""

    url: str
    stats_dir: Path

    @property
    def env(self) -> dict[str, str]:
        return {"GOCACHEPROG": helper_command(self.url, self.stats_dir)}

    def stats(self) -> CacheStats:
        return collect_stats(self.stats_dir)


def cache_session(url: str, stats_dir: Path, go_version: tuple[int, int, int]) -> CacheSession:
    """Prepare ``stats_dir`` (old counters removed) and check this Go can run a GOCACHEPROG helper."""
    if go_version[:2] < MIN_GO:
        raise UsageError(f"--cache needs Go {MIN_GO[0]}.{MIN_GO[1]} or newer (GOCACHEPROG); this toolchain is "
                         f"go{'.'.join(map(str, go_version))}; install a newer Go or drop --cache.")
    stats_dir.mkdir(parents=True, exist_ok=True)
    collect_stats(stats_dir)
    return CacheSession(url, stats_dir)
