"""What the cache did: hits, misses, bytes, time, failures — for a whole gocross command.

gocross's own server counts in one store for all of a command's ``go`` children. The stand-alone helper
(``python -m gocross.cacheprog --stats DIR``) writes its counters to a file of its own in ``DIR`` when Go
closes it, and :func:`collect_stats` adds such files up.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CacheStats:
    """Counters over every ``go`` command one gocross command ran (``helpers``: how many talked to it)."""

    local_hits: int = 0
    remote_hits: int = 0
    misses: int = 0
    corrupt: int = 0  # remote bodies whose sha256 or size did not match: treated as misses, never used
    failed: int = 0  # remote lookups that could not be answered (server down, slow or erroring)
    uploads: int = 0
    upload_failures: int = 0  # including uploads dropped because the queue was full or the server down
    bytes_down: int = 0
    bytes_up: int = 0
    seconds: float = 0.0  # spent in remote requests (lookups, downloads, and the uploads in the background)
    helpers: int = 0
    errors: tuple[str, ...] = ()  # the distinct failure reasons, for the one sentence at the end
    prefetched: int = 0  # entries read ahead from a target's list (prefetch.py) before Go asked for them
    prefetch_unused: int = 0  # of those, the ones Go never asked for (a list from an older build)
    local_builds: int = 0  # targets built without the helper: their whole list was in the local GOCACHE

    def __add__(self, other: CacheStats) -> CacheStats:
        merged: dict[str, Any] = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            merged[f.name] = tuple(dict.fromkeys((*a, *b)))[:5] if f.name == "errors" else a + b
        return CacheStats(**merged)

    @property
    def lookups(self) -> int:
        return self.local_hits + self.remote_hits + self.misses

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["errors"] = list(self.errors)
        return data

    def summary(self) -> str:
        """One line for the end of a build: what the cache gave, and (once) how many lookups failed."""
        line = (f"cache: {self.local_hits} local hits, {self.remote_hits} remote hits, {self.misses} misses; "
                f"{_size(self.bytes_down)} down, {_size(self.bytes_up)} up in {self.uploads} uploads; "
                f"{self.seconds:.1f}s in remote requests")
        if self.prefetched:
            line += f"; {self.prefetched} read ahead ({self.prefetch_unused} not used)"
        if self.local_builds:
            line += f"; {self.local_builds} targets found all they needed locally and built without the helper"
        if self.corrupt:
            line += f"; {self.corrupt} corrupt remote entries ignored"
        if self.failed or self.upload_failures:
            why = f" ({'; '.join(self.errors)})" if self.errors else ""
            line += (f"; {self.failed} lookups and {self.upload_failures} uploads failed{why} — "
                     "the build went on with local work")
        return line


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def write_stats(folder: Path, stats: CacheStats) -> None:
    """One helper's counters, in a file created exclusively in ``folder`` (never overwrites another's)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{os.getpid()}-", suffix=".tmp", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(stats.to_json(), handle)
    Path(tmp).replace(tmp.removesuffix(".tmp") + ".json")


def collect_stats(folder: Path) -> CacheStats:
    """The sum of every helper's counters in ``folder``; the files are removed as they are read."""
    total = CacheStats()
    for path in sorted(folder.glob(".*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["errors"] = tuple(data.get("errors", ()))
            total = total + CacheStats(**data)
        except (OSError, ValueError, TypeError):
            continue
        finally:
            path.unlink(missing_ok=True)
    return total
