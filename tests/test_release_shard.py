"""`gocross release --shard I/N` + `gocross merge`: the joined release is the monolithic one, byte for byte.

Real go, real nfpm, real ssh-keygen signature; six targets whose standard libraries the rest of the suite
already has in the shared test GOCACHE (so each release costs only links and packaging).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.helpers import assert_clean_error, gocross
from tests.test_release import _hello_repo, _listing

from gocross.artifacts import read_manifest

TARGETS = ("linux/amd64", "linux/arm64", "linux/arm", "linux/riscv64", "windows/amd64", "darwin/arm64")


def _release(repo: Path, out: Path, *extra: str | Path) -> None:
    args: list[str | Path] = ["release", repo, "--out", out, "--sign", "ssh", "--key", repo.parent / "id_ed25519"]
    for target in TARGETS:
        args += ["--target", target]
    proc = gocross(*args, *extra)
    assert proc.returncode == 0, proc.stderr


def _hashes(dist: Path) -> dict[str, str | None]:
    manifest = read_manifest(dist)
    claimed = {a.path.name: a.sha256 for a in manifest.artifacts if a.path is not None}
    claimed |= {f.path.name: f.sha256 for f in manifest.release}
    return claimed


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("relshard")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "id_ed25519")], check=True)
    repo = _hello_repo(root / "hello")
    _release(repo, root / "mono")
    return repo, root / "mono"


@pytest.mark.parametrize("count", [2, pytest.param(3, marks=pytest.mark.slow)])  # ≈ 12 s each
def test_sharded_release_merged_is_the_monolithic_release(released: tuple[Path, Path], tmp_path: Path,
                                                          count: int) -> None:
    repo, mono = released
    parts = [tmp_path / f"part{i}" for i in range(1, count + 1)]
    for i, part in enumerate(parts, 1):
        _release(repo, part, "--shard", f"{i}/{count}")
        names = set(_listing(part))
        assert not [n for n in names if n.endswith(("checksums.txt", ".sig"))], names  # written by merge only
        assert any(n.endswith((".tar.gz", ".zip")) for n in names)
    proc = gocross("merge", *parts, "--out", tmp_path / "merged")
    assert proc.returncode == 0, proc.stderr
    assert "hello_1.2.3_checksums.txt, hello_1.2.3_checksums.txt.sig written here" in proc.stdout
    skip = ("artifacts.json", ".gocross-state.json")
    want = {k: v for k, v in _listing(mono).items() if k not in skip}
    got = {k: v for k, v in _listing(tmp_path / "merged").items() if k not in skip}
    assert sorted(got) == sorted(want)
    assert [n for n in want if got[n] != want[n]] == []  # every file, byte for byte
    assert "hello_1.2.3_checksums.txt.sig" in got and "hello_1.2.3_windows_amd64.zip" in got
    assert _hashes(tmp_path / "merged") == _hashes(mono)
    subprocess.run(["sha256sum", "-c", "--strict", "hello_1.2.3_checksums.txt"], cwd=tmp_path / "merged",
                   check=True, capture_output=True)


@pytest.mark.slow  # ≈ 10 s: releases shards of another version to merge
def test_merging_release_shards_refuses_other_versions_and_missing_shards(released: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    repo, _ = released
    one, two = tmp_path / "one", tmp_path / "two"
    _release(repo, one, "--shard", "1/2")
    _release(repo, two, "--shard", "2/2", "--version", "1.2.4")
    assert_clean_error(gocross("merge", one, two, "--out", tmp_path / "m"), 2, "release version", "'1.2.4'")
    assert_clean_error(gocross("merge", one, "--out", tmp_path / "m2"), 2, "Shard 2/2 is missing")
    assert not (tmp_path / "m2" / "hello_1.2.3_checksums.txt").exists()
    shutil.rmtree(two)
