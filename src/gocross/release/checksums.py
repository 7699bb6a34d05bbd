"""The checksums file: ``sha256sum``'s own format, sorted by file name, so ``sha256sum -c`` checks it.

It lists every file a user downloads: archives, packages and the SBOMs (so a signed checksums file vouches
for the SBOMs too), not itself or its signature.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gocross.artifacts import ReleaseKind
from gocross.safefs import atomic_write

LISTED = (ReleaseKind.ARCHIVE, ReleaseKind.PACKAGE, ReleaseKind.SBOM)


def checksums_name(name: str, version: str) -> str:
    return f"{name}_{version}_checksums.txt"


def write_checksums(path: Path, files: Iterable[tuple[str, str]]) -> None:
    """``files`` as (file name, sha256 hex); one ``HASH  NAME`` line each (two spaces: text mode), sorted."""
    lines = [f"{digest}  {name}\n" for name, digest in sorted(files)]
    atomic_write(path, "".join(lines))
