"""The proof that sharding changes nothing: examples/hello for 6 targets built as 3 shards, in 3 copies of
the module at different paths with 3 separate empty GOCACHEs, then merged, is byte for byte the monolithic
build — every binary and every hash in the manifest.

Cold-cache heavy: each shard compiles the standard library of its 2 targets from nothing (≈ 35–40
CPU-seconds per target for examples/hello on the reference machine), hence slow; the targets are one of each
kind of output (little- and big-endian ELF, a GOARM variant, PE, wasm, Mach-O) rather than many of one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.conftest import HELLO
from tests.helpers import gocross

from gocross.artifacts import read_manifest, sha256_file

# Targets that other tests build too (so the monolithic build, which uses the suite's shared GOCACHE, is
# mostly warm); the shards start cold whatever they are.
TARGETS = ("linux/amd64", "linux/s390x", "linux/arm/v6", "windows/amd64", "wasip1/wasm", "darwin/arm64")


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_three_shards_merged_equal_one_build(tmp_path: Path) -> None:
    # Every copy is a plain folder named like the package (the output names come from it); the monolithic
    # build is of a copy too, since inside this git checkout Go would stamp vcs.* into the build info.
    mono = tmp_path / "one-machine" / "hello"
    shutil.copytree(HELLO, mono, ignore=shutil.ignore_patterns("dist"))
    whole = gocross("build", mono, "-t", ",".join(TARGETS), "-o", tmp_path / "whole", timeout=3600)
    assert whole.returncode == 0, whole.stderr + whole.stdout

    parts = []
    for i in (1, 2, 3):
        copy = tmp_path / f"runner-{i}" / ("work" * i) / "hello"
        shutil.copytree(HELLO, copy, ignore=shutil.ignore_patterns("dist"))
        env = {**os.environ, "GOCACHE": str(tmp_path / f"runner-{i}" / "gocache")}
        part = tmp_path / f"runner-{i}" / "dist"
        proc = gocross("build", copy, "-t", ",".join(TARGETS), "-o", part, "--shard", f"{i}/3", env=env,
                       timeout=3600)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        assert len(read_manifest(part).artifacts) == 2
        parts.append(part)

    merged = gocross("merge", *parts, "--out", tmp_path / "merged")
    assert merged.returncode == 0, merged.stderr

    one, joined = read_manifest(tmp_path / "whole"), read_manifest(tmp_path / "merged")
    assert [a.target for a in joined.artifacts] == [a.target for a in one.artifacts]
    assert len(one.artifacts) == len(TARGETS)
    for a, b in zip(one.artifacts, joined.artifacts, strict=True):
        assert a.ok and b.ok and a.path is not None and b.path is not None
        assert (a.path.name, a.size, a.sha256) == (b.path.name, b.size, b.sha256), a.target
        assert a.path.read_bytes() == b.path.read_bytes(), a.target
        assert sha256_file(b.path) == b.sha256
