"""``gocross merge DIST... --out DIST``: join the partial dists of ``build --shard I/N`` into one.

The parts must be one build split N ways: the same selection of targets, source (git revision and a digest
of the module's files, so copies in other folders agree), Go version and options, every shard from 1 to N
present, no target built twice with different bytes, and every file still what its manifest says. Anything
else is refused with one sentence naming the part and the fix. The result is an ordinary dist — the files
and one ``artifacts.json`` that lists every target — that ``release``, ``smoke`` and ``inspect`` read as if
one machine had built it.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gocross import __version__
from gocross.artifacts import (
    Artifact,
    Manifest,
    ReleaseFile,
    ReleaseKind,
    read_manifest,
    sha256_file,
    write_manifest,
)
from gocross.errors import OutputError, UsageError
from gocross.safefs import atomic_output

_SAME = ("count", "selection", "go", "options", "source")
_WHAT = {"count": "shard count", "selection": "selection of targets", "go": "Go version",
         "options": "build options", "source": "source (revision and files)"}


@dataclass(frozen=True)
class MergeResult:
    out_dir: Path
    manifest: Path
    artifacts: tuple[Artifact, ...]
    shards: int
    parts: tuple[Path, ...]
    release: tuple[ReleaseFile, ...] = ()  # the joined release files (parts of `release --shard`), by name


def merge(dists: Sequence[Path], out_dir: Path) -> MergeResult:
    """Check the parts against each other, copy their files into ``out_dir``, write one manifest."""
    if not dists:
        raise UsageError("Nothing to merge: pass the partial dists, e.g. gocross merge dist-1 dist-2 --out dist.")
    manifests = [_partial(Path(d)) for d in dists]
    first = manifests[0]
    released = _check_release(manifests)  # first: a different version also shows as different build options
    for other in manifests[1:]:
        _check_same(first, other)
    _check_complete(manifests)
    chosen = _choose_artifacts(manifests)
    release_files = _choose_release_files(manifests) if released is not None else []
    out_dir = _prepare(out_dir.resolve(), manifests)
    artifacts = [copy_artifact(a, out_dir) for a in chosen]
    files = [_copy_release_file(f, out_dir) for f in release_files]
    if released is not None:
        files += _finish_release(released, files, out_dir)
    assert first.shard is not None
    shard = first.shard
    meta = {"gocross": __version__, "go": first.go, "package": first.package, "cancelled": False,
            "merged": {"count": shard["count"], "selection": shard["selection"], "options": shard["options"],
                       "source": shard["source"]}}
    manifest = write_manifest(out_dir, artifacts, meta, files)
    order = {name: i for i, name in enumerate(shard["selection"])}
    ordered = tuple(sorted(artifacts, key=lambda a: order.get(a.target, len(order))))
    return MergeResult(out_dir, manifest, ordered, int(shard["count"]), tuple(m.path.parent for m in manifests),
                       tuple(sorted(files, key=lambda f: f.path.name)))


def _check_release(manifests: Sequence[Manifest]) -> Mapping[str, Any] | None:
    """The shards' common release settings (`release --shard`), None if none was released; one sentence if
    only some were released or they differ (version, name, time or signing)."""
    records = [m.partial_release for m in manifests]
    if all(r is None for r in records):
        return None
    plain = next((m for m, r in zip(manifests, records, strict=True) if r is None), None)
    if plain is not None:
        raise UsageError(f"{plain.path.parent} (shard {_label(plain)}) was built but not released, unlike the other "
                         "parts; run `gocross release --shard` for every shard.")
    first = records[0]
    assert first is not None
    for manifest, record in zip(manifests[1:], records[1:], strict=True):
        assert record is not None
        for key in ("version", "name", "epoch", "sign", "key"):
            if record.get(key) != first.get(key):
                raise UsageError(f"{manifest.path.parent} (shard {_label(manifest)}) is release {key} "
                                 f"{record.get(key)!r} but {manifests[0].path.parent} is {first.get(key)!r}; "
                                 "release every shard from the same tag with the same settings.")
    return first


def _choose_release_files(manifests: Sequence[Manifest]) -> list[ReleaseFile]:
    """Each shard's archives, SBOMs and packages, checked on disk; a file in two parts must be the same bytes."""
    chosen: dict[str, tuple[ReleaseFile, Manifest]] = {}
    for manifest in manifests:
        for file in manifest.release:
            if not file.path.is_file() or sha256_file(file.path) != file.sha256:
                raise UsageError(f"{file.path} is not the file {manifest.path} records (missing or changed since "
                                 "it was released); release that shard again.")
            seen = chosen.get(file.path.name)
            if seen is not None and seen[0].sha256 != file.sha256:
                raise UsageError(f"{file.path.name} is in {seen[1].path.parent} and {manifest.path.parent} with "
                                 "different bytes; release one of them again.")
            chosen[file.path.name] = (file, manifest)
    return [file for file, _ in chosen.values()]


def _copy_release_file(file: ReleaseFile, out_dir: Path) -> ReleaseFile:
    target = out_dir / file.path.name
    try:
        with file.path.open("rb") as source, atomic_output(target, mode=0o644) as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
    except OSError as exc:
        raise OutputError(f"Cannot write {target} ({exc.strerror}); choose another --out.") from None
    return replace(file, path=target)


def _finish_release(settings: Mapping[str, Any], files: Sequence[ReleaseFile], out_dir: Path) -> list[ReleaseFile]:
    """The checksums file over every shard's archives and packages, and its signature if the release asked for
    one — what a one-machine release writes last, so the merged release is the same bytes."""
    from gocross.executor import Executor
    from gocross.release import checksums, sign

    name, version = str(settings["name"]), str(settings["version"])
    signer = None
    if settings.get("sign"):
        method = sign.parse_method(str(settings["sign"]))
        key = sign.signing_key(method, settings.get("key"))
        sign.check_key(method, key)
        signer = method, key
    path = out_dir / checksums.checksums_name(name, version)
    listed = [(f.path.name, f.sha256) for f in files if f.kind in checksums.LISTED]
    checksums.write_checksums(path, listed)
    made = [ReleaseFile(ReleaseKind.CHECKSUMS, "sha256", path, path.stat().st_size, sha256_file(path), None)]
    if signer is not None:
        method, key = signer
        out = path.with_name(path.name + sign.SUFFIX[method])
        with Executor(1, name="gocross-merge") as executor:
            sign.sign(executor, method, key, path, out, epoch=int(settings["epoch"]))
        made.append(ReleaseFile(ReleaseKind.SIGNATURE, str(method), out, out.stat().st_size, sha256_file(out), None))
    return made


def _partial(dist: Path) -> Manifest:
    manifest = read_manifest(dist)
    if manifest.shard is None:
        raise UsageError(f"{dist} is not a partial dist (it was built without --shard); merge the dists of "
                         "`gocross build --shard I/N`.")
    if manifest.cancelled:
        raise UsageError(f"{dist} is the dist of a cancelled build (shard {_label(manifest)}); build that "
                         "shard again.")
    return manifest


def _label(manifest: Manifest) -> str:
    shard = manifest.shard or {}
    return f"{shard.get('index')}/{shard.get('count')}"


def _check_same(first: Manifest, other: Manifest) -> None:
    a, b = first.shard or {}, other.shard or {}
    for key in _SAME:
        mine, theirs = _differing(a.get(key), b.get(key)) if key == "options" else (a.get(key), b.get(key))
        if mine != theirs:
            raise UsageError(f"{other.path.parent} (shard {_label(other)}) and {first.path.parent} (shard "
                             f"{_label(first)}) differ in their {_WHAT[key]}: {_show(theirs)} vs "
                             f"{_show(mine)}; build every shard from the same revision with the same "
                             "options.")


def _differing(mine: Any, theirs: Any) -> tuple[Any, Any]:
    """Only the keys two option records disagree on (``program`` = the name the binaries are named after)."""
    if not (isinstance(mine, Mapping) and isinstance(theirs, Mapping)):
        return mine, theirs
    keys = sorted(k for k in {*mine, *theirs} if mine.get(k) != theirs.get(k))
    return ({k: mine.get(k) for k in keys}, {k: theirs.get(k) for k in keys})


def _show(value: Any) -> str:
    if isinstance(value, Mapping) and "digest" in value:
        return f"revision {value.get('revision') or 'none'}, files {str(value.get('digest'))[:12]}"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_complete(manifests: Sequence[Manifest]) -> None:
    count = int((manifests[0].shard or {})["count"])
    have = sorted({int((m.shard or {})["index"]) for m in manifests})
    missing = [i for i in range(1, count + 1) if i not in have]
    if missing:
        names = ", ".join(f"{i}/{count}" for i in missing)
        raise UsageError(f"Shard {names} {'is' if len(missing) == 1 else 'are'} missing (have "
                         f"{', '.join(f'{i}/{count}' for i in have)}); pass every shard's dist.")


def _choose_artifacts(manifests: Sequence[Manifest]) -> list[Artifact]:
    """One artifact per target; a target in two parts must be the same bytes (then either will do)."""
    chosen: dict[str, tuple[Artifact, Manifest]] = {}
    for manifest in manifests:
        for artifact in manifest.artifacts:
            _check_file(artifact, manifest)
            seen = chosen.get(artifact.target)
            if seen is None:
                chosen[artifact.target] = (artifact, manifest)
            elif (seen[0].status, seen[0].sha256) != (artifact.status, artifact.sha256):
                raise UsageError(f"{artifact.target} is in {seen[1].path.parent} and {manifest.path.parent} with "
                                 f"different results ({seen[0].status} {(seen[0].sha256 or '-')[:12]} vs "
                                 f"{artifact.status} {(artifact.sha256 or '-')[:12]}); rebuild one of them.")
    selection = (manifests[0].shard or {})["selection"]
    lost = [t for t in selection if t not in chosen]
    if lost:
        raise UsageError(f"No part has {', '.join(lost)}, though the shards split a selection that includes it; "
                         "build its shard again.")
    return [artifact for artifact, _ in chosen.values()]


def _check_file(artifact: Artifact, manifest: Manifest) -> None:
    if not artifact.ok or artifact.path is None:
        return
    if not artifact.path.is_file() or sha256_file(artifact.path) != artifact.sha256:
        raise UsageError(f"{artifact.path} is not the file {manifest.path} records for {artifact.target} "
                         "(missing or changed since it was built); build that shard again.")


def _prepare(out_dir: Path, manifests: Sequence[Manifest]) -> Path:
    if any(out_dir == m.path.parent for m in manifests):
        raise UsageError(f"--out {out_dir} is one of the parts; merge into a folder of its own.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Cannot create {out_dir} ({exc.strerror}); choose another --out.") from None
    return out_dir


def copy_artifact(artifact: Artifact, out_dir: Path) -> Artifact:
    """The artifact's file copied into ``out_dir`` (exclusively created, then renamed), and its entry there."""
    if not artifact.ok or artifact.path is None:
        return artifact
    target = out_dir / artifact.path.name
    try:
        with artifact.path.open("rb") as source, atomic_output(target, mode=artifact.path.stat().st_mode) as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
    except OSError as exc:
        raise OutputError(f"Cannot write {target} ({exc.strerror}); choose another --out.") from None
    return replace(artifact, path=target)
