"""The artifact list: what a build produced, one typed entry per target, and its on-disk manifest.

As in goreleaser, one list passes through every step: ``build`` produces it and writes ``artifacts.json``;
``smoke``, ``run`` (and the release and merge steps to come) read it back as the same :class:`Artifact`
objects through :func:`read_manifest`, never as raw dicts. Paths are absolute in memory and relative to the
manifest's folder on disk, so a ``dist/`` can be moved or archived whole.

What an artifact records are build facts: the target, the bytes (size, sha256) and what the file is (its
inspection). Whether *this* host can run it is not a build fact — it changes when qemu is installed — so it
is never stored here; ``inspect``, ``run`` and ``smoke`` work it out when they need it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gocross.errors import OutputError, UsageError
from gocross.safefs import atomic_write, quoted, shortened

if TYPE_CHECKING:
    from gocross.targets import Target

MANIFEST_NAME = "artifacts.json"


class ArtifactStatus(StrEnum):
    """How one target's build ended."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing could be built for it here (e.g. an external-link-only port)
    CANCELLED = "cancelled"  # Ctrl-C came first


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
    status: ArtifactStatus
    error: str | None = None
    relinked: bool | None = None  # False when the existing output was up to date
    cached: bool = False  # True when gocross's record showed no input changed, so go build did not even run
    inspection: Mapping[str, Any] | None = field(default=None, compare=False)  # `gocross inspect --json`

    @classmethod
    def unbuilt(cls, target: Target, status: ArtifactStatus, error: str, seconds: float = 0.0) -> Artifact:
        """A target that produced no file (failed, skipped or cancelled), with the reason."""
        return cls(target.name, target.goos, target.goarch, target.variant, target.variant_var, None, None,
                   None, seconds, status, error)

    @classmethod
    def built(cls, target: Target, path: Path, *, sha256: str, seconds: float, relinked: bool,
              inspection: Mapping[str, Any]) -> Artifact:
        """A target whose file is on disk at ``path``, checked and hashed."""
        return cls(target.name, target.goos, target.goarch, target.variant, target.variant_var, path,
                   path.stat().st_size, sha256, seconds, ArtifactStatus.OK, relinked=relinked,
                   inspection=inspection)

    @property
    def ok(self) -> bool:
        return self.status == ArtifactStatus.OK

    def to_json(self, base: Path | None = None) -> dict[str, Any]:
        """The manifest entry: paths relative to ``base`` (the manifest's folder) when given."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.path is not None:
            data["path"] = os.path.relpath(self.path, base) if base else str(self.path)
        data["status"] = str(self.status)
        data["seconds"] = round(self.seconds, 3)
        data["inspection"] = dict(self.inspection) if self.inspection is not None else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: Path) -> Artifact:
        """A manifest entry back as an Artifact, its path made absolute against ``base``; ValueError if malformed."""
        if not isinstance(data, Mapping):
            raise ValueError(f"an artifact entry is a {type(data).__name__}, not an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown key(s) {quoted(', '.join(map(str, unknown)))}")
        missing = sorted(k for k in _REQUIRED if k not in data)
        if missing:
            raise ValueError(f"an artifact entry lacks {', '.join(missing)}")
        for key, value in data.items():
            if not _KEY_TYPES[key](value):
                raise ValueError(f"{key} of {quoted(data.get('target'))} has the wrong type "
                                 f"({type(value).__name__})")
        kw = dict(data)
        kw["path"] = _inside(base, kw["path"]) if kw.get("path") else None
        kw["status"] = ArtifactStatus(kw["status"])
        return cls(**kw)


def _is(*kinds: type) -> Callable[[Any], bool]:
    """A type test that, as JSON has it, does not count true/false as numbers."""
    return lambda v: isinstance(v, kinds) and (bool in kinds or not isinstance(v, bool))


_STR, _OPT_STR = _is(str), _is(str, type(None))
_KEY_TYPES: dict[str, Callable[[Any], bool]] = {
    "target": _STR, "goos": _STR, "goarch": _STR, "variant": _OPT_STR, "variant_var": _OPT_STR,
    "path": _OPT_STR, "size": _is(int, type(None)), "sha256": _OPT_STR, "seconds": _is(int, float),
    "status": lambda v: v in set(ArtifactStatus), "error": _OPT_STR, "relinked": _is(bool, type(None)),
    "cached": _is(bool), "inspection": _is(dict, type(None)),
}
_REQUIRED = ("target", "goos", "goarch", "path", "status")


def _inside(base: Path, relative: str) -> Path:
    """An entry's path made absolute; it must name a file inside the manifest's folder (no "..", not absolute)."""
    if Path(relative).is_absolute() or ".." in Path(relative).parts or "\0" in relative:
        raise ValueError(f"the path {quoted(relative)} is not inside the manifest's folder")
    return (base / relative).resolve()


class ReleaseKind(StrEnum):
    """What one file ``gocross release`` wrote is."""

    ARCHIVE = "archive"
    CHECKSUMS = "checksums"
    SBOM = "sbom"
    PACKAGE = "package"
    SIGNATURE = "signature"


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release, with the target it came from (None for the checksums file and its signatures).

    ``format`` says which of its kind: "tar.gz"/"zip", "cyclonedx", "deb"/"rpm"/"apk", "gpg"/"ssh", "sha256".
    """

    kind: ReleaseKind
    format: str
    path: Path
    size: int
    sha256: str
    target: str | None

    def to_json(self, base: Path) -> dict[str, Any]:
        return {"kind": str(self.kind), "format": self.format, "path": os.path.relpath(self.path, base),
                "size": self.size, "sha256": self.sha256, "target": self.target}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: Path) -> ReleaseFile:
        """A manifest's release entry back as a ReleaseFile; ValueError/KeyError if malformed."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown release key(s) {', '.join(unknown)}")
        return cls(ReleaseKind(data["kind"]), str(data["format"]), _inside(base, str(data["path"])),
                   int(data["size"]), str(data["sha256"]), data["target"])


@dataclass(frozen=True)
class Manifest:
    """``artifacts.json`` as read back: what built it, and the artifacts in target order."""

    path: Path
    gocross: str
    go: str
    package: str
    cancelled: bool
    artifacts: tuple[Artifact, ...]
    shard: Mapping[str, Any] | None = None  # a partial manifest's slice (gocross.shard.shard_record)
    merged: Mapping[str, Any] | None = None  # what `gocross merge` joined into this one (gocross.merge)
    release: tuple[ReleaseFile, ...] = ()  # what `gocross release` made from the artifacts (none: not released)
    # `release --shard`'s settings (version, name, epoch, signing) that `gocross merge` needs to finish it
    partial_release: Mapping[str, Any] | None = None

    @property
    def built(self) -> tuple[Artifact, ...]:
        """The artifacts whose file exists (status ok)."""
        return tuple(a for a in self.artifacts if a.ok and a.path is not None)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(out_dir: Path, artifacts: Iterable[Artifact], meta: Mapping[str, Any],
                   release: Iterable[ReleaseFile] = ()) -> Path:
    """Write artifacts.json atomically, entries sorted by target so the file is deterministic.

    ``release`` (the files `gocross release` made) is written as a "release" list, sorted by path, only when
    there is one, so a plain build's manifest keeps its shape.
    """
    entries = sorted((a.to_json(out_dir) for a in artifacts), key=lambda e: e["target"])
    document = {**meta, "artifacts": entries}
    released = sorted((r.to_json(out_dir) for r in release), key=lambda e: e["path"])
    if released:
        document["release"] = released
    path = out_dir / MANIFEST_NAME
    try:
        atomic_write(path, json.dumps(document, indent=2) + "\n")
    except OSError as exc:
        raise OutputError(f"Cannot write {path} ({exc.strerror}); choose another --out folder.") from None
    return path


def read_manifest(dist: Path) -> Manifest:
    """DIST/artifacts.json (or that file itself) as a Manifest; one clear sentence when it is missing or bad."""
    path = dist / MANIFEST_NAME if dist.is_dir() else dist
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or not isinstance(document.get("artifacts"), list):
            raise ValueError("it holds no list of artifacts")
        for key, kind in (("gocross", str), ("go", str), ("package", str), ("cancelled", bool)):
            if not isinstance(document.get(key), kind):
                raise ValueError(f"{key!r} is missing or not a {kind.__name__}")
        artifacts = tuple(Artifact.from_json(entry, path.parent) for entry in document["artifacts"])
        if not isinstance(document.get("release", []), list):
            raise ValueError("'release' is not a list")
        release = tuple(ReleaseFile.from_json(entry, path.parent) for entry in document.get("release", ()))
        return Manifest(path.resolve(), document["gocross"], document["go"], document["package"],
                        document["cancelled"], artifacts, document.get("shard"), document.get("merged"), release,
                        document.get("partial_release"))
    except FileNotFoundError:
        raise UsageError(f"No {MANIFEST_NAME} in {dist}; run `gocross build` first or pass its --out folder.") \
            from None
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UsageError(f"{path} is not a gocross manifest ({shortened(exc, 200)}); rebuild with "
                         "`gocross build`.") from None
