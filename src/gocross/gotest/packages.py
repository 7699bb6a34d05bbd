"""The packages to test: ``go list -json`` of the patterns, with whether each has test files."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gocross.errors import UsageError
from gocross.toolchain import Toolchain


@dataclass(frozen=True)
class GoPackage:
    import_path: str
    directory: Path
    has_tests: bool


def list_packages(tc: Toolchain, directory: Path, patterns: Sequence[str],
                  build_flags: Sequence[str] = (), *, cgo: bool = False) -> list[GoPackage]:
    """``go list -json`` of the patterns, from ``directory``; a bad pattern or package is a UsageError.

    ``cgo``: list as a cgo build sees the package (test files that import "C" count only then).
    """
    fields = "ImportPath,Dir,TestGoFiles,XTestGoFiles,Error"
    proc = tc.run(["list", "-e", f"-json={fields}", *build_flags, *patterns], cwd=directory,
                  env={"CGO_ENABLED": "1" if cgo else "0"})
    if proc.returncode != 0:
        raise UsageError(f"`go list {' '.join(patterns)}` failed in {directory}: {_last_line(proc.stderr)}; "
                         "pass packages as go test takes them (./..., ./pkg, an import path).")
    found = [_package(entry) for entry in _json_stream(proc.stdout)]
    if not found:
        raise UsageError(f"{' '.join(patterns)} matched no packages in {directory}; "
                         "pass packages as go test takes them (./..., ./pkg, an import path).")
    return found


def _package(entry: Mapping[str, Any]) -> GoPackage:
    error = entry.get("Error")
    has_tests = bool(entry.get("TestGoFiles") or entry.get("XTestGoFiles"))
    if error and "build constraints exclude all Go files" not in str(error.get("Err", "")):
        raise UsageError(f"Package {entry.get('ImportPath')} cannot be loaded: {error.get('Err')}; "
                         "fix the import path or the package.")
    return GoPackage(str(entry["ImportPath"]), Path(str(entry.get("Dir") or ".")), has_tests)


def _json_stream(text: str) -> Iterable[Mapping[str, Any]]:
    """The concatenated JSON objects ``go list -json`` prints."""
    decoder = json.JSONDecoder()
    pos = 0
    while (pos := _skip_space(text, pos)) < len(text):
        value, pos = decoder.raw_decode(text, pos)
        yield value


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
