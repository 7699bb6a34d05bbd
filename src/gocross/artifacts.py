"""The artifact list: what a build produced, one entry per target, and its on-disk manifest.

``artifacts.json`` is the hand-off between commands: ``build`` writes it, ``smoke``/``test``/``package`` read
it. Paths in it are relative to the folder that holds it, so a ``dist/`` can be moved or archived whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from gocross.errors import OutputError, UsageError

MANIFEST_NAME = "artifacts.json"
Status = Literal["ok", "failed", "skipped", "cancelled"]


@dataclass(frozen=True)
class Artifact:
    """One target's outcome. ``path`` is absolute in memory and relative to the manifest on disk."""

    target: str
    goos: str
    goarch: str
    variant: str | None
    variant_var: str | None
    path: Path | None
    size: int | None
    sha256: str | None
    seconds: float
    status: Status
    error: str | None = None
    relinked: bool | None = None  # False when the existing output was up to date
    cached: bool = False  # True when gocross's record showed no input changed, so go build did not even run
    inspection: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self, base: Path | None = None) -> dict[str, Any]:
        data = asdict(self)
        if self.path is not None:
            data["path"] = os.path.relpath(self.path, base) if base else str(self.path)
        data["seconds"] = round(self.seconds, 3)
        data["inspection"] = dict(self.inspection) if self.inspection is not None else None
        return data


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(out_dir: Path, artifacts: Iterable[Artifact], meta: Mapping[str, Any]) -> Path:
    """Write artifacts.json atomically, entries sorted by target so the file is deterministic."""
    entries = sorted((a.to_json(out_dir) for a in artifacts), key=lambda e: e["target"])
    document = {**meta, "artifacts": entries}
    path = out_dir / MANIFEST_NAME
    try:
        fd, tmp = tempfile.mkstemp(prefix=".artifacts-", suffix=".json.tmp", dir=out_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
        Path(tmp).replace(path)
    except OSError as exc:
        raise OutputError(f"Cannot write {path} ({exc.strerror}); choose another --out folder.") from None
    return path


def read_manifest(dist: Path) -> list[dict[str, Any]]:
    """The raw entries of DIST/artifacts.json with absolute paths; a clear error when there is none."""
    path = dist / MANIFEST_NAME if dist.is_dir() else dist
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries: list[dict[str, Any]] = list(document["artifacts"])
    except FileNotFoundError:
        raise UsageError(f"No {MANIFEST_NAME} in {dist}; run `gocross build` first or pass its --out folder.") \
            from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is not a gocross manifest ({exc}); rebuild with `gocross build`.") from None
    for entry in entries:
        if entry.get("path"):
            entry["path"] = str((path.parent / entry["path"]).resolve())
    return entries
