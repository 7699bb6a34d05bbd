"""Issue 12, "a manifest that never lies": an output edited in place, two builds at once into one folder,
an empty selection, --version as one value, and wrong-typed JSON in artifacts.json or the state file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import write_module
from tests.helpers import assert_clean_error, gocross
from tests.test_hardening_signals import slow_arm64_source

from gocross.artifacts import read_manifest, sha256_file
from gocross.builder import build
from gocross.incremental import STATE_NAME
from gocross.plan import BuildOptions

HELLO = """
package main

import "fmt"

var version = "dev"
var other = "unset"

func main() { fmt.Printf("hello %s|%s\\n", version, other) }
"""


def _mod(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    return write_module(tmp_path / "m", {"main.go": HELLO, **(extra or {})})


def test_an_output_edited_in_place_is_hashed_again(tmp_path: Path) -> None:
    """Same inode, same size, Go's build ID intact, even the mtime put back: not "up to date" with the old
    sha256 — the manifest's hash is the file's."""
    mod = _mod(tmp_path)
    opts = BuildOptions(package_dir=mod, targets=("linux/amd64",))
    first = build(opts)
    (artifact,) = first.built
    assert artifact.path is not None
    output = artifact.path
    st = output.stat()
    data = output.read_bytes()
    at = data.index(b"hello %s")
    with output.open("r+b") as handle:  # in place: same inode, same size
        handle.seek(at)
        handle.write(b"jello")
    os.utime(output, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the mtime set back
    assert (output.stat().st_ino, output.stat().st_size, output.stat().st_mtime_ns) == \
        (st.st_ino, st.st_size, st.st_mtime_ns)
    again = build(opts)
    (entry,) = read_manifest(mod / "dist").built
    assert entry.sha256 == sha256_file(output) != artifact.sha256
    assert again.built[0].sha256 == entry.sha256


@pytest.mark.slow  # two real builds, one of them compiling a large file (≈10 s on the reference machine)
def test_two_builds_into_one_folder_take_turns(tmp_path: Path) -> None:
    mod = _mod(tmp_path, {"slow_arm64.go": slow_arm64_source(600)})
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "gocross", "build", str(mod), "-o", str(out), "-t", "linux/amd64,linux/arm64"]
    first = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert first.stderr is not None
    line = first.stderr.readline()  # the first build is under way (and holds the folder)
    assert "linux/" in line, line
    second = subprocess.run([*argv, "--force"], capture_output=True, text=True, timeout=600, check=False)
    _, rest = first.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, (rest, second.stderr)
    assert f"waiting for another gocross build into {out}" in second.stderr
    manifest = read_manifest(out)
    assert sorted(a.target for a in manifest.built) == ["linux/amd64", "linux/arm64"]
    for artifact in manifest.built:
        assert artifact.path is not None and artifact.sha256 == sha256_file(artifact.path)


def test_an_empty_selection_is_an_error_and_keeps_the_manifest(tmp_path: Path) -> None:
    mod = _mod(tmp_path)
    build(BuildOptions(package_dir=mod, targets=("linux/amd64",)))
    before = (mod / "dist" / "artifacts.json").read_bytes()
    assert_clean_error(gocross("build", mod, "--target", ""), 2, "target selection is empty")
    assert_clean_error(gocross("build", mod, "--target", " , "), 2, "target selection is empty")
    (mod / "gocross.toml").write_text('targets = [""]\n')
    assert_clean_error(gocross("build", mod), 2, "target selection is empty")
    assert (mod / "dist" / "artifacts.json").read_bytes() == before


def test_version_is_one_value(tmp_path: Path) -> None:
    mod = _mod(tmp_path)
    for version in ("1.0 -X main.other=1", "it's 2", 'say "hi"'):
        result = build(BuildOptions(package_dir=mod, targets=("linux/amd64",), version=version))
        assert result.ok, [a.error for a in result.failed]
        (artifact,) = result.built
        assert artifact.path is not None
        out = subprocess.run([artifact.path], capture_output=True, text=True, check=True).stdout
        assert out == f"hello {version}|unset\n"
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64", "--version", "a'b\"c"), 2, "both quote")
    assert_clean_error(gocross("build", mod, "-t", "linux/amd64", "--version", "a\nb"), 2, "control characters")


@pytest.mark.parametrize("document", [
    [1, 2],
    {"artifacts": 5},
    {"gocross": "0.1", "go": "go1", "package": "p", "cancelled": False, "artifacts": [1]},
    {"gocross": "0.1", "go": "go1", "package": "p", "cancelled": False, "artifacts": [{"target": "x"}]},
    {"gocross": 1, "go": "go1", "package": "p", "cancelled": False, "artifacts": []},
    {"gocross": "0.1", "go": "go1", "package": "p", "cancelled": False, "artifacts": [
        {"target": "linux/amd64", "goos": "linux", "goarch": "amd64", "path": "x", "status": "ok",
         "size": "big", "seconds": 1}]},
    {"gocross": "0.1", "go": "go1", "package": "p", "cancelled": False, "artifacts": [
        {"target": "linux/amd64", "goos": "linux", "goarch": "amd64", "path": "../../bin/sh", "status": "ok",
         "seconds": 1}]},
])
def test_a_wrong_typed_manifest_is_one_line(tmp_path: Path, document: object) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "artifacts.json").write_text(json.dumps(document))
    assert_clean_error(gocross("smoke", dist), 2, "is not a gocross manifest")


def test_a_wrong_typed_state_file_is_a_discarded_cache(tmp_path: Path) -> None:
    mod = _mod(tmp_path)
    opts = BuildOptions(package_dir=mod, targets=("linux/amd64",))
    build(opts)
    state = mod / "dist" / STATE_NAME
    for garbage in ("5", "[1]", '{"m_linux_amd64": 7}', '{"m_linux_amd64": {"key": 1, "output": "x"}}',
                    '{"m_linux_amd64": {"key": "k", "output": [1, 2, 3, 4], "artifact": []}}', "[" * 100000):
        state.write_text(garbage)
        result = build(opts)
        assert result.ok and not result.built[0].cached
        assert result.built[0].sha256 == sha256_file(mod / "dist" / "m_linux_amd64")
