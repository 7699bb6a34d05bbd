"""Byte-reproducible archives: the same inputs give the same bytes, whoever builds them, wherever, whenever.

Everything that usually leaks the machine into an archive is pinned: entries are sorted, every mtime is the
release's (commit time or SOURCE_DATE_EPOCH), owners are uid/gid 0 with empty names, modes are 0755 for the
binary and 0644 for the rest, and the gzip header carries no time and no file name. The standard library's
tarfile/gzip/zipfile suffice for that; compression runs in zlib, which releases the GIL, so archives are
written in parallel threads.
"""

from __future__ import annotations

import gzip
import string
import tarfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from gocross.errors import UsageError
from gocross.safefs import atomic_output

DEFAULT_NAME = "{name}_{version}_{os}_{arch}{variant}"
NAME_FIELDS = {"name", "version", "os", "arch", "variant", "target"}
DEFAULT_FILES = ("README*", "LICENSE*", "CHANGELOG*")
COMPRESSION_LEVEL = 6  # gzip's and zip's own default: the level `tar czf` and `zip` use
_CHUNK = 1 << 20
_ZIP_EARLIEST = 315532800  # zip's DOS timestamps start in 1980


class ArchiveFormat(StrEnum):
    TAR_GZ = "tar.gz"
    ZIP = "zip"


DEFAULT_FORMATS = {"windows": ArchiveFormat.ZIP}  # as goreleaser's format_overrides; else tar.gz


@dataclass(frozen=True)
class Entry:
    """One file inside an archive: its name there, where its bytes are, and whether it is executable."""

    name: str
    source: Path
    executable: bool = False


def archive_format(goos: str, overrides: dict[str, str]) -> ArchiveFormat:
    """The format for ``goos``: the [release] formats override, else zip for windows, else tar.gz."""
    chosen = overrides.get(goos)
    if chosen is None:
        return DEFAULT_FORMATS.get(goos, ArchiveFormat.TAR_GZ)
    try:
        return ArchiveFormat(chosen)
    except ValueError:
        raise UsageError(f"gocross.toml [release] formats gives {goos} the format {chosen!r}; use "
                         f"{' or '.join(repr(str(f)) for f in ArchiveFormat)}.") from None


def render_name(template: str, *, name: str, version: str, goos: str, goarch: str, variant_token: str,
                target: str) -> str:
    """The archive's base name (no extension) from the template; UsageError for an unknown field."""
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    unknown = sorted(set(fields) - NAME_FIELDS)
    if unknown:
        raise UsageError(f"The release name template {template!r} uses unknown field(s) {', '.join(unknown)}; "
                         f"use {', '.join(sorted(NAME_FIELDS))}.")
    rendered = template.format(name=name, version=version, os=goos, arch=goarch, target=target.replace("/", "_"),
                               variant=f"_{variant_token}" if variant_token else "")
    if not rendered or "/" in rendered or rendered.startswith("."):
        raise UsageError(f"The release name template {template!r} gives {rendered!r}, not a file name; "
                         "fix the template.")
    return rendered


def extra_files(module_dir: Path, patterns: Sequence[str]) -> tuple[Path, ...]:
    """The regular files next to go.mod matching the globs (README*, …), sorted; symlinks are not followed."""
    found: set[Path] = set()
    for pattern in patterns:
        if "/" in pattern or pattern.startswith(".."):
            raise UsageError(f"gocross.toml [release] files: {pattern!r} must be a file name glob next to go.mod.")
        found.update(p for p in module_dir.glob(pattern) if p.is_file() and not p.is_symlink())
    return tuple(sorted(found))


def write_archive(path: Path, fmt: ArchiveFormat, entries: Sequence[Entry], *, epoch: int,
                  prefix: str = "") -> None:
    """Write ``entries`` (sorted by name here) to ``path`` through atomic_output, reproducibly."""
    ordered = sorted(entries, key=lambda e: e.name)
    with atomic_output(path) as out:
        if fmt == ArchiveFormat.ZIP:
            _zip(out, ordered, epoch, prefix)
        else:
            _tar_gz(out, ordered, epoch, prefix)


def _tar_gz(out: BinaryIO, entries: Sequence[Entry], epoch: int, prefix: str) -> None:
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=COMPRESSION_LEVEL) as gz, \
            tarfile.TarFile(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT, copybufsize=_CHUNK) as tar:
        if prefix:
            tar.addfile(_tarinfo(prefix.rstrip("/"), 0, 0o755, epoch, tarfile.DIRTYPE))
        for entry in entries:
            with entry.source.open("rb") as data:
                size = entry.source.stat().st_size
                tar.addfile(_tarinfo(prefix + entry.name, size, 0o755 if entry.executable else 0o644, epoch), data)


def _tarinfo(name: str, size: int, mode: int, epoch: int, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime, info.type = size, mode, epoch, kind
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _zip(out: BinaryIO, entries: Sequence[Entry], epoch: int, prefix: str) -> None:
    stamp = time.gmtime(max(epoch, _ZIP_EARLIEST))[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION_LEVEL) as zf:
        if prefix:
            folder = zipfile.ZipInfo(prefix, date_time=stamp)
            folder.create_system = 3
            folder.external_attr = (0o040755 << 16) | 0x10
            zf.writestr(folder, b"")
        for entry in entries:
            info = zipfile.ZipInfo(prefix + entry.name, date_time=stamp)
            info.create_system = 3  # unix, so the mode below is honoured by unzip
            info.external_attr = (0o100755 if entry.executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with entry.source.open("rb") as data, zf.open(info, "w", force_zip64=False) as member:
                while chunk := data.read(_CHUNK):
                    member.write(chunk)
