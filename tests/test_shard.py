"""``--shard I/N``: the split is deterministic, covers every target once, and balances the real builds."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tests.conftest import HELLO
from tests.helpers import assert_clean_error, gocross

from gocross.errors import UsageError
from gocross.shard import Shard, expected_cost, parse_shard, partition, select_shard, shard_targets
from gocross.targets import Target, select_targets
from gocross.toolchain import Toolchain


def test_shard_specs() -> None:
    assert parse_shard("2/3") == Shard(2, 3) and str(Shard(2, 3)) == "2/3"
    for bad in ("3", "0/3", "4/3", "a/b", "1/0"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_every_target_lands_in_exactly_one_shard(toolchain: Toolchain) -> None:
    targets = select_targets(toolchain, ["all"])
    for count in (1, 2, 3, 5, 8):
        shards = partition(targets, count)
        names = [t.name for s in shards for t in s]
        assert sorted(names) == sorted(t.name for t in targets)
        built = [sum(expected_cost(t) for t in s) for s in shards]
        assert max(built) - min(built) <= 1  # the real builds differ by one at most
        assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_the_split_does_not_depend_on_the_order_given(toolchain: Toolchain) -> None:
    targets = select_targets(toolchain, ["first-class", "linux/*"])
    shuffled = list(targets)
    random.Random(7).shuffle(shuffled)
    for index in (1, 2, 3):
        a = select_shard(targets, Shard(index, 3))
        b = select_shard(shuffled, Shard(index, 3))
        assert {t.name for t in a} == {t.name for t in b}
        assert [t.name for t in a] == [t.name for t in targets if t in a]  # the selection's own order


def test_skipped_ports_cost_nothing() -> None:
    real = [Target("linux", a) for a in ("amd64", "arm64", "s390x", "riscv64")]
    skipped = [Target("ios", "arm64"), Target("android", "386"), Target("ios", "amd64")]
    shards = partition(real + skipped, 2)
    assert [sum(1 for t in s if expected_cost(t)) for s in shards] == [2, 2]
    assert expected_cost(Target("ios", "arm64"), cgo=True) == 1.0


def test_an_empty_shard_is_refused() -> None:
    with pytest.raises(UsageError, match="Shard 3/3 has no target"):
        shard_targets([Target("linux", "amd64"), Target("linux", "arm64")], Shard(3, 3))


def test_bad_shard_on_the_command_line(tmp_path: Path) -> None:
    assert_clean_error(gocross("build", HELLO, "-t", "linux/amd64", "-o", tmp_path, "--shard", "4/3"), 2,
                       "--shard 4/3")


def test_a_shard_builds_its_slice_into_a_partial_manifest(tmp_path: Path, toolchain: Toolchain) -> None:
    targets = ("linux/amd64", "linux/arm64", "linux/s390x")
    expected = [t.name for t in select_shard(select_targets(toolchain, targets), Shard(2, 2))]
    proc = gocross("build", HELLO, "-t", ",".join(targets), "-o", tmp_path, "--shard", "2/2")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "artifacts.json").read_text())
    assert [a["target"] for a in manifest["artifacts"]] == sorted(expected)
    shard = manifest["shard"]
    assert (shard["index"], shard["count"], shard["targets"]) == (2, 2, expected)
    assert shard["selection"] == list(targets) and shard["go"] == toolchain.version
    assert shard["options"]["flags"] == ["-trimpath"] and len(shard["source"]["digest"]) == 64
