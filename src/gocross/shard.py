"""``--shard I/N``: one deterministic, balanced slice of a target matrix, so N CI jobs build it together.

Every job computes the same partition from the same inputs (the selected targets and their expected costs),
with no coordination: targets are taken most expensive first (ties by name) and each goes to the shard with
the least expected work so far (ties to the lowest index) — the longest-processing-time rule.

The cost of a target is what a *cold* runner pays for it. Each target's standard library is compiled on its
own: GOOS, GOARCH and the variant enter every package's action ID, so nothing in one target's GOCACHE serves
another, and the library dominates a cold build (of examples/hello, ≈ 35 CPU-seconds for the library and
≈ 1 for the link on the reference machine). Measured cold builds of examples/hello differ little by
architecture (see ``COLD_COST_NOTE``), so every target that is built costs one unit and a target that is
skipped before building (an external-link-only port without cgo) costs none — the shards get the same
number of real builds. ``release`` calls :func:`select_shard` the same way.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gocross.artifacts import MANIFEST_NAME
from gocross.errors import UsageError
from gocross.targets import Target

COLD_COST_NOTE = ("cold `go build -trimpath` of examples/hello, fresh GOCACHE, go1.27.3, shared 2-core VM: "
                  "linux/amd64 41, linux/arm64 38, windows/amd64 40 CPU-s; the link ≈ 1")

_SKIP_DIRS = {"node_modules", "__pycache__"}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based, as CI matrices count) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "count": self.count}


def parse_shard(spec: str) -> Shard:
    """``"2/3"`` → Shard(2, 3); anything else is one sentence saying what is expected."""
    match = _SPEC.match(spec)
    if match is None:
        raise UsageError(f"--shard {spec!r} is not I/N; pass e.g. --shard 1/3 (shard 1 of 3).")
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"--shard {spec}: the index must be between 1 and the shard count; pass e.g. --shard "
                         f"1/{max(count, 1)} … {max(count, 1)}/{max(count, 1)}.")
    return Shard(index, count)


def expected_cost(target: Target, *, cgo: bool = False) -> float:
    """What a cold runner pays to build ``target``: one unit, none when it is skipped without building."""
    return 0.0 if not cgo and target.external_link_reason() else 1.0


def partition(targets: Sequence[Target], count: int,
              cost: Callable[[Target], float] = expected_cost) -> list[list[Target]]:
    """All ``count`` shards, each in the selection's own order; the same inputs give the same split."""
    order = {t: i for i, t in enumerate(targets)}
    loads = [0.0] * count
    sizes = [0] * count
    shards: list[list[Target]] = [[] for _ in range(count)]
    for target in sorted(dict.fromkeys(targets), key=lambda t: (-cost(t), t.name)):
        best = min(range(count), key=lambda i: (loads[i], sizes[i], i))
        loads[best] += cost(target)
        sizes[best] += 1
        shards[best].append(target)
    return [sorted(s, key=order.__getitem__) for s in shards]


def select_shard(targets: Sequence[Target], shard: Shard | None,
                 cost: Callable[[Target], float] = expected_cost) -> list[Target]:
    """The targets shard ``shard`` builds (all of them when ``shard`` is None)."""
    if shard is None:
        return list(targets)
    return partition(targets, shard.count, cost)[shard.index - 1]


def shard_targets(targets: Sequence[Target], shard: Shard | None, *, cgo: bool = False) -> list[Target]:
    """:func:`select_shard` with the build's cost model; an empty shard is an error, not an empty build."""
    chosen = select_shard(targets, shard, lambda t: expected_cost(t, cgo=cgo))
    if shard is not None and not chosen:
        raise UsageError(f"Shard {shard} has no target: {len(targets)} target(s) cannot fill {shard.count} "
                         f"shards; use at most {len(targets)} shards.")
    return chosen


def shard_record(shard: Shard, selection: Sequence[Target], chosen: Sequence[Target], *, go: str,
                 options: dict[str, Any], package_dir: Path, out_dir: Path) -> dict[str, Any]:
    """The ``shard`` entry of a partial manifest: which slice of which selection, built from what, and how.

    ``merge`` checks that every part agrees on everything but ``index`` and ``targets``.
    """
    return {**shard.to_json(), "targets": [t.name for t in chosen], "selection": [t.name for t in selection],
            "go": go, "options": options, "source": source_identity(package_dir, out_dir)}


def source_identity(package_dir: Path, out_dir: Path) -> dict[str, str | None]:
    """The module's git revision (if any) and a digest of its files' paths and bytes, the same in any folder."""
    from gocross.config import module_root

    root = module_root(package_dir) or package_dir
    digest = hashlib.sha256()
    for path in _module_files(root, out_dir.resolve()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return {"revision": _git_revision(root), "digest": digest.hexdigest(),
            "package": package_dir.resolve().relative_to(root).as_posix()}


def _module_files(root: Path, out_dir: Path) -> list[Path]:
    files: list[Path] = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS
                         and here / d != out_dir and not (here / d / MANIFEST_NAME).exists())
        files.extend(here / n for n in sorted(names) if (here / n).is_file() and not n.startswith("."))
    return files


def _git_revision(root: Path) -> str | None:
    try:
        proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=30, check=False)
    except OSError:
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None
