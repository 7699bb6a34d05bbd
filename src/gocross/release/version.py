"""Which version a release is, and of what source: the git tag at HEAD, the commit time, a clean tree.

A release is only reproducible from a known commit, so a dirty tree is refused (unless the user says
otherwise) and every timestamp inside the archives is the commit's, or ``SOURCE_DATE_EPOCH``'s — never now.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gocross.errors import UsageError
from gocross.executor import execute

# The earliest time a zip header can hold; used when there is neither git nor SOURCE_DATE_EPOCH.
FALLBACK_EPOCH = 315532800  # 1980-01-01T00:00:00Z
_TAG = re.compile(r"^v?(\d+\.\d+\.\d+.*)$")


@dataclass(frozen=True)
class Source:
    """What is being released: its version (no leading v), commit (None outside git), timestamp, dirt."""

    version: str
    commit: str | None
    epoch: int  # seconds since 1970: every mtime in the archives and packages
    dirty: tuple[str, ...] = ()  # changed files, relative to the repository (outside the output folder)


def _git(args: list[str], cwd: Path) -> str | None:
    done = execute(["git", *args], env=os.environ, timeout=60, cwd=cwd)
    if done.returncode != 0 or done.stdout is None:
        return None
    return done.stdout.decode("utf-8", "replace")


def _tag_version(cwd: Path) -> str | None:
    """The highest version-like tag pointing at HEAD, without its leading v."""
    out = _git(["tag", "--points-at", "HEAD", "--sort=-version:refname"], cwd)
    for tag in (out or "").split():
        match = _TAG.match(tag)
        if match:
            return match.group(1)
    return None


def _dirty(cwd: Path, ignore: Path) -> tuple[str, ...]:
    """Changed or untracked files, leaving out the output folder (dist/ is usually inside the checkout)."""
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    status = _git(["status", "--porcelain", "-z"], cwd)
    if top is None or status is None:
        return ()
    root = Path(top.strip())
    changed = []
    for entry in status.split("\0"):
        if len(entry) < 4:
            continue
        path = (root / entry[3:]).resolve()
        if not path.is_relative_to(ignore):
            changed.append(entry[3:])
    return tuple(changed)


def _epoch(cwd: Path, commit: str | None) -> int:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw:
        if not raw.isdigit():
            raise UsageError(f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds; unset it or fix it.")
        return int(raw)
    when = _git(["log", "-1", "--format=%ct"], cwd) if commit else None
    return int(when) if when and when.strip().isdigit() else FALLBACK_EPOCH


def resolve_source(package_dir: Path, out_dir: Path, explicit: str | None, *, allow_dirty: bool) -> Source:
    """The release's version and timestamps; UsageError for no version or a dirty tree."""
    head = _git(["rev-parse", "HEAD"], package_dir)
    commit = head.strip() if head else None
    dirty = _dirty(package_dir, out_dir.resolve()) if commit else ()
    if dirty and not allow_dirty:
        shown = ", ".join(dirty[:3]) + (" …" if len(dirty) > 3 else "")
        raise UsageError(f"The working tree has uncommitted changes ({shown}); commit or stash them, or pass "
                         "--allow-dirty.")
    if explicit is not None:
        version = explicit.removeprefix("v") if _TAG.match(explicit) else explicit
        if not version or any(c.isspace() or c == "/" for c in version):
            raise UsageError(f"--version {explicit!r} is not a version; give one like 1.2.3.")
    else:
        found = _tag_version(package_dir) if commit else None
        if found is None:
            raise UsageError("No version: HEAD has no tag like v1.2.3 (or this is not a git checkout); tag the "
                             "commit (`git tag v1.2.3`) or pass --version.")
        version = found
    return Source(version, commit, _epoch(package_dir, commit), dirty)
