"""``gocross merge``: partial dists joined into one, and every way the parts can disagree refused plainly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import HELLO
from tests.helpers import assert_clean_error, gocross

from gocross.artifacts import read_manifest, sha256_file

TARGETS = "linux/amd64,linux/arm64"


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """examples/hello for two (warm) targets as shards 1/2 and 2/2."""
    root = tmp_path_factory.mktemp("parts")
    for i in (1, 2):
        proc = gocross("build", HELLO, "-t", TARGETS, "-o", root / f"dist-{i}", "--shard", f"{i}/2")
        assert proc.returncode == 0, proc.stderr
    return root / "dist-1", root / "dist-2"


def test_merge_joins_the_shards(parts: tuple[Path, Path], tmp_path: Path) -> None:
    proc = gocross("merge", *parts, "--out", tmp_path / "dist", "--json")
    assert proc.returncode == 0, proc.stderr
    merged = read_manifest(tmp_path / "dist")
    assert [a.target for a in merged.artifacts] == ["linux/amd64", "linux/arm64"]
    assert merged.shard is None and merged.merged is not None and merged.merged["count"] == 2
    for artifact in merged.artifacts:
        assert artifact.path is not None and artifact.path.parent == tmp_path / "dist"
        assert sha256_file(artifact.path) == artifact.sha256
        assert artifact.path.stat().st_mode & 0o111  # still executable
    printed = json.loads(proc.stdout)
    assert [a["sha256"] for a in printed["artifacts"]] == [a.sha256 for a in merged.artifacts]


def test_a_missing_shard_is_refused(parts: tuple[Path, Path], tmp_path: Path) -> None:
    assert_clean_error(gocross("merge", parts[0], "--out", tmp_path / "d"), 2, "Shard 2/2 is missing")


def test_a_full_build_is_not_a_part(parts: tuple[Path, Path], hello_dist: Path, tmp_path: Path) -> None:
    assert_clean_error(gocross("merge", parts[0], hello_dist, "--out", tmp_path / "d"), 2,
                       "is not a partial dist")


@pytest.mark.slow  # one more build (≈ 5 s here)
def test_parts_with_other_options_are_refused(parts: tuple[Path, Path], tmp_path: Path) -> None:
    proc = gocross("build", HELLO, "-t", TARGETS, "-o", tmp_path / "stripped", "--shard", "2/2", "--strip")
    assert proc.returncode == 0, proc.stderr
    assert_clean_error(gocross("merge", parts[0], tmp_path / "stripped", "--out", tmp_path / "d"), 2,
                       "differ in their build options")


@pytest.mark.slow  # one more build (≈ 5 s here)
def test_parts_whose_binaries_have_other_names_are_refused(parts: tuple[Path, Path], tmp_path: Path) -> None:
    """The same source in a folder of another name names its binaries after that folder: merging such a part
    would give a dist of mixed names, so it is refused like other options."""
    other = tmp_path / "server"
    shutil.copytree(HELLO, other, ignore=shutil.ignore_patterns("dist"))
    proc = gocross("build", other, "-t", TARGETS, "-o", tmp_path / "renamed", "--shard", "2/2")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "renamed" / "server_linux_arm64").is_file()
    assert_clean_error(gocross("merge", parts[0], tmp_path / "renamed", "--out", tmp_path / "d"), 2,
                       "differ in their build options", "program")
    assert not (tmp_path / "d").exists()


@pytest.mark.slow  # one more build (≈ 5 s here)
def test_parts_from_other_sources_are_refused(parts: tuple[Path, Path], tmp_path: Path) -> None:
    copy = tmp_path / "hello"
    shutil.copytree(HELLO, copy, ignore=shutil.ignore_patterns("dist"))
    (copy / "extra.go").write_text("package main\n\nvar extra = 1\n")
    proc = gocross("build", copy, "-t", TARGETS, "-o", tmp_path / "other", "--shard", "2/2")
    assert proc.returncode == 0, proc.stderr
    assert_clean_error(gocross("merge", parts[0], tmp_path / "other", "--out", tmp_path / "d"), 2,
                       "differ in their source")


def test_an_overlap_that_differs_is_refused(parts: tuple[Path, Path], tmp_path: Path) -> None:
    # Two builds of one shard that disagree cannot be made on purpose (the build is reproducible), so one
    # part's binary is replaced, and its manifest updated to match, as a non-reproducible build would leave it.
    again = tmp_path / "again"
    shutil.copytree(parts[0], again)
    manifest = json.loads((again / "artifacts.json").read_text())
    entry = manifest["artifacts"][0]
    binary = again / entry["path"]
    binary.write_bytes(binary.read_bytes() + b"\0")
    entry["sha256"] = sha256_file(binary)
    (again / "artifacts.json").write_text(json.dumps(manifest))
    assert_clean_error(gocross("merge", parts[0], again, parts[1], "--out", tmp_path / "d"), 2,
                       f"{entry['target']} is in", "with different results")


def test_a_changed_file_is_refused(parts: tuple[Path, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(parts[1], copy)
    victim = next(p for p in copy.iterdir() if p.name.startswith("hello_"))
    victim.write_bytes(b"not the binary")
    assert_clean_error(gocross("merge", parts[0], copy, "--out", tmp_path / "d"), 2,
                       "is not the file", "build that shard again")


def test_the_same_part_twice_is_harmless(parts: tuple[Path, Path], tmp_path: Path) -> None:
    proc = gocross("merge", parts[0], parts[0], parts[1], "--out", tmp_path / "dist")
    assert proc.returncode == 0, proc.stderr
