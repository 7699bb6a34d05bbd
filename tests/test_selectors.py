"""The selector grammar (globs, commas, exclusions, sets, variants) against a recorded `go tool dist list`.

No go process runs here: the toolchain is tests.recorded's, whose go does not exist, and starting any go
fails the test.
"""

from __future__ import annotations

import pytest
from tests.recorded import forbid_go, recorded_dist_list, recorded_toolchain

from gocross.errors import UsageError
from gocross.targets import list_targets, matches, select_targets
from gocross.toolchain import Toolchain

POST = ["linux/amd64", "linux/arm64", "linux/ppc64le", "linux/ppc64", "linux/s390x"]
RECORDED = recorded_toolchain()


@pytest.fixture(autouse=True)
def _no_go(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    return forbid_go(monkeypatch)


def names(*selectors: str, sets: dict[str, list[str]] | None = None, toolchain: Toolchain = RECORDED) -> list[str]:
    return [t.name for t in select_targets(toolchain, selectors, sets)]


def unknown(*selectors: str, sets: dict[str, list[str]] | None = None, toolchain: Toolchain = RECORDED) -> str:
    with pytest.raises(UsageError) as caught:
        select_targets(toolchain, selectors, sets)
    return str(caught.value)


def test_the_recording_is_a_toolchain_that_cannot_run_go(_no_go: list[list[str]]) -> None:
    assert not RECORDED.go.exists()
    with pytest.raises(AssertionError, match="asked the recorded toolchain to run `go env`"):
        RECORDED.run(["env"])
    import subprocess

    with pytest.raises(AssertionError, match="started go"):
        subprocess.run(["/usr/bin/go", "version"], check=False)
    assert _no_go == [["/usr/bin/go", "version"]]
    assert len(list_targets(RECORDED)) == len(recorded_dist_list()) == 47


def test_globs_sets_and_exclusions() -> None:
    all_names = [i.name for i in list_targets(RECORDED)]
    assert names("all") == all_names
    assert names("*/arm64") == [n for n in all_names if n.endswith("/arm64")]
    assert names("first-class") == [i.name for i in list_targets(RECORDED) if i.first_class]
    assert names("!windows/*") == [n for n in all_names if not n.startswith("windows/")]
    assert names(",".join(POST)) == POST
    assert names("linux/amd64", "linux/amd64,linux/arm64") == ["linux/amd64", "linux/arm64"]
    sets = {"post": POST, "big": ["post", "!linux/*le", "!linux/a*"]}
    assert names("big", sets=sets) == ["linux/ppc64", "linux/s390x"]


def test_globs_pick_in_the_toolchains_order() -> None:
    assert names("*/arm64") == ["android/arm64", "darwin/arm64", "freebsd/arm64", "ios/arm64", "linux/arm64",
                                "netbsd/arm64", "openbsd/arm64", "windows/arm64"]
    assert names("linux/mips*") == ["linux/mips", "linux/mips64", "linux/mips64le", "linux/mipsle"]
    assert names("*/wasm") == ["js/wasm", "wasip1/wasm"]
    assert names("linux/s390x", "linux/*64") == ["linux/s390x", "linux/amd64", "linux/arm64", "linux/loong64",
                                                  "linux/mips64", "linux/ppc64", "linux/riscv64"]


def test_first_class_is_the_recorded_first_class_ports() -> None:
    assert names("first-class") == ["darwin/amd64", "darwin/arm64", "linux/386", "linux/amd64", "linux/arm",
                                    "linux/arm64", "windows/386", "windows/amd64"]


def test_commas_and_repeats_are_the_same_list() -> None:
    assert names("linux/amd64,windows/amd64", "darwin/arm64") == names("linux/amd64", "windows/amd64,darwin/arm64")
    assert names(" linux/amd64 , ,linux/arm64") == ["linux/amd64", "linux/arm64"]


def test_exclusions_apply_after_every_inclusion() -> None:
    linux = [n for n in names("all") if n.startswith("linux/")]
    assert names("!linux/arm64", "linux/*") == [n for n in linux if n != "linux/arm64"]  # wherever it stands
    assert names("linux/*", "!linux/mips*", "!linux/ppc64*") == [
        "linux/386", "linux/amd64", "linux/arm", "linux/arm64", "linux/loong64", "linux/riscv64", "linux/s390x"]
    assert names("linux/arm/v6", "linux/arm/v7", "!linux/arm/v6") == ["linux/arm/v7"]


def test_exclusions_alone_start_from_all() -> None:
    all_names = names("all")
    assert names("!linux/*", "!windows/*") == [n for n in all_names if n.split("/")[0] not in ("linux", "windows")]
    assert names("!first-class") == [n for n in all_names if n not in names("first-class")]


def test_selector_that_leaves_nothing() -> None:
    with pytest.raises(UsageError, match="leave no target"):
        select_targets(RECORDED, ["linux/amd64", "!linux/*"])
    assert unknown("linux/amd64", "!linux/*") == (
        "The selectors linux/amd64, !linux/* leave no target to work on; drop an exclusion or widen a pattern.")


def test_named_sets_nest_and_exclude() -> None:
    sets = {"post": POST, "le": ["post", "!linux/ppc64", "!linux/s390x"], "more": ["le", "windows/amd64"]}
    assert names("more", sets=sets) == ["linux/amd64", "linux/arm64", "linux/ppc64le", "windows/amd64"]
    assert names("post,!linux/amd64", sets=sets) == POST[1:]
    assert names("!post", sets=sets) == [n for n in names("all") if n not in POST]


def test_a_set_that_includes_itself_is_an_error() -> None:
    message = "The target set 'loop' includes itself; fix [sets] in gocross.toml."
    assert unknown("loop", sets={"loop": ["linux/amd64", "loop"]}) == message
    assert unknown("a", sets={"a": ["b"], "b": ["a"]}) == message.replace("'loop'", "'a'")
    # the same set twice side by side is not a cycle
    assert names("s", sets={"s": ["t", "t"], "t": ["linux/amd64"]}) == ["linux/amd64"]


def test_variants() -> None:
    targets = select_targets(RECORDED, ["linux/arm/v6", "linux/amd64/v3", "linux/mips/softfloat",
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
    assert names("linux/*/softfloat") == [
        "linux/386/softfloat", "linux/mips/softfloat", "linux/mips64/softfloat",
        "linux/mips64le/softfloat", "linux/mipsle/softfloat"]


@pytest.mark.parametrize(("selector", "var", "value", "name"), [
    ("linux/amd64/v1", "GOAMD64", "v1", "linux/amd64/v1"),
    ("linux/amd64/v4", "GOAMD64", "v4", "linux/amd64/v4"),
    ("linux/arm/5", "GOARM", "5", "linux/arm/v5"),
    ("linux/arm/v7+hardfloat", "GOARM", "7,hardfloat", "linux/arm/v7+hardfloat"),
    ("linux/386/sse2", "GO386", "sse2", "linux/386/sse2"),
    ("linux/mipsle/hardfloat", "GOMIPS", "hardfloat", "linux/mipsle/hardfloat"),
    ("linux/mips64le/softfloat", "GOMIPS64", "softfloat", "linux/mips64le/softfloat"),
    ("linux/ppc64/power9", "GOPPC64", "power9", "linux/ppc64/power9"),
    ("linux/riscv64/rva20u64", "GORISCV64", "rva20u64", "linux/riscv64/rva20u64"),
    ("linux/arm64/v9.5+crypto", "GOARM64", "v9.5,crypto", "linux/arm64/v9.5+crypto"),
    ("js/wasm/satconv+signext", "GOWASM", "satconv,signext", "js/wasm/satconv+signext"),
    ("wasip1/wasm/signext", "GOWASM", "signext", "wasip1/wasm/signext"),
])
def test_every_variant_variable(selector: str, var: str, value: str, name: str) -> None:
    (target,) = select_targets(RECORDED, [selector])
    assert (target.variant_var, target.variant, target.name) == (var, value, name)
    assert target.env[var] == value


def test_arm_spelled_with_or_without_v_is_one_target() -> None:
    assert names("linux/arm/6", "linux/arm/v6") == ["linux/arm/v6"]
    assert names("linux/arm/6+softfloat") == ["linux/arm/v6+softfloat"]


def test_a_variant_after_a_glob_applies_where_it_can() -> None:
    assert names("*/amd64/v3") == [f"{os}/amd64/v3" for os in (
        "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "linux", "netbsd", "openbsd", "plan9",
        "solaris", "windows")]
    assert names("linux/mips*/softfloat") == ["linux/mips/softfloat", "linux/mips64/softfloat",
                                              "linux/mips64le/softfloat", "linux/mipsle/softfloat"]


def test_variants_are_validated_against_the_toolchain_version() -> None:
    old = recorded_toolchain("go1.20.14")  # the same ports, asked as if it were go1.20
    with pytest.raises(UsageError, match=r"GORISCV64 takes rva20u64, rva22u64, rva23u64 with go1\.27"):
        select_targets(RECORDED, ["linux/riscv64/rva99u64"])
    with pytest.raises(UsageError, match=r"GOPPC64 takes power8, power9 with go1\.20"):
        select_targets(old, ["linux/ppc64le/power10"])
    with pytest.raises(UsageError, match=r"GOARM takes v5, v6, v7 with go1\.20"):
        select_targets(old, ["linux/arm/v7+softfloat"])


@pytest.mark.parametrize(("version", "selector", "accepted"), [
    ("go1.21.0", "linux/arm/v7+softfloat", False),  # the GOARM float ABI option is go1.22's
    ("go1.22.0", "linux/arm/v7+softfloat", True),
    ("go1.22.0", "linux/riscv64/rva22u64", False),  # GORISCV64 is go1.23's
    ("go1.23.0", "linux/riscv64/rva22u64", True),
    ("go1.24.0", "linux/riscv64/rva23u64", False),  # rva23u64 is go1.25's
    ("go1.25.0", "linux/riscv64/rva23u64", True),
    ("go1.22.0", "linux/arm64/v8.1", False),  # GOARM64 is go1.23's
    ("go1.23.0", "linux/arm64/v8.1+lse", True),
    ("go1.20.0", "linux/ppc64le/power10", False),  # power10 is go1.21's
    ("go1.21.0", "linux/ppc64le/power10", True),
    ("go1.21.0", "linux/amd64/v3", True),
])
def test_variant_gating_by_go_version(version: str, selector: str, accepted: bool) -> None:
    toolchain = recorded_toolchain(version)
    if accepted:
        assert names(selector, toolchain=toolchain) == [selector]
    else:
        assert unknown(selector, toolchain=toolchain).startswith(f"Unknown variant {selector.split('/')[2]!r} in "
                                                                 f"{selector!r}: ")


@pytest.mark.parametrize(("selector", "message"), [
    ("linux/amd46", "Unknown target 'linux/amd46' (matches no target of this toolchain); "
                    "did you mean linux/amd64 or linux/arm64 or linux/arm?"),
    ("lnux/arm64", "Unknown target 'lnux/arm64' (matches no target of this toolchain); "
                   "did you mean linux/arm64 or linux/amd64 or linux/arm?"),
    ("first-clas", "Unknown target 'first-clas' (is not os/arch, os/arch/variant, a glob or a set name); "
                   "did you mean first-class?"),
    ("linux", "Unknown target 'linux' (is not os/arch, os/arch/variant, a glob or a set name); "
              "did you mean linux/arm or linux/386 or linux/mips?"),
    ("linux/arm/", "Unknown target 'linux/arm/' (is not os/arch, os/arch/variant, a glob or a set name); "
                   "did you mean linux/arm or linux/arm64 or linux/amd64?"),
    ("linux/amd64/v3/x", "Unknown target 'linux/amd64/v3/x' (is not os/arch, os/arch/variant, a glob or a set "
                         "name); did you mean linux/amd64 or linux/arm64 or linux/mips64?"),
    ("xyzzy/abc", "Unknown target 'xyzzy/abc' (matches no target of this toolchain); "
                  "run `gocross targets` to list them."),
])
def test_unknown_target_message_and_suggestions(selector: str, message: str) -> None:
    assert unknown(selector) == message


def test_suggestions_include_the_users_sets() -> None:
    assert unknown("pst", sets={"post": POST}) == (
        "Unknown target 'pst' (is not os/arch, os/arch/variant, a glob or a set name); did you mean post?")


@pytest.mark.parametrize(("selector", "message"), [
    ("linux/arm/v9", "Unknown variant 'v9' in 'linux/arm/v9': "
                     "GOARM takes v5, v6, v7 (optionally +softfloat or +hardfloat) with go1.27."),
    ("linux/arm/v7+softfloat+hardfloat", "Unknown variant 'v7+softfloat+hardfloat' in "
     "'linux/arm/v7+softfloat+hardfloat': GOARM takes v5, v6, v7 (optionally +softfloat or +hardfloat) with go1.27."),
    ("linux/amd64/v5", "Unknown variant 'v5' in 'linux/amd64/v5': GOAMD64 takes v1, v2, v3, v4 with go1.27."),
    ("linux/riscv64/rva99u64", "Unknown variant 'rva99u64' in 'linux/riscv64/rva99u64': "
                               "GORISCV64 takes rva20u64, rva22u64, rva23u64 with go1.27."),
    ("linux/arm64/v8.1+sve", "Unknown variant 'v8.1+sve' in 'linux/arm64/v8.1+sve': GOARM64 takes v8.0, v8.1, "
     "v8.2, v8.3, v8.4, v8.5, v8.6, v8.7, v8.8, v8.9, v9.0, v9.1, v9.2, v9.3, v9.4, v9.5 (optionally +lse or "
     "+crypto) with go1.27."),
    ("js/wasm/satconv+satconv", "Unknown variant 'satconv+satconv' in 'js/wasm/satconv+satconv': "
                                "GOWASM takes satconv, signext (joined with +)."),
    ("linux/s390x/z15", "Unknown variant 'z15' in 'linux/s390x/z15': s390x has no variants."),
])
def test_unknown_variant_message(selector: str, message: str) -> None:
    assert unknown(selector) == message


def test_matches_filters_built_targets_with_the_same_grammar() -> None:
    built = ["linux/amd64", "linux/arm/v6", "linux/arm64", "windows/amd64", "linux/s390x"]
    assert [n for n in built if matches(n, ["linux/arm"])] == ["linux/arm/v6"]
    assert [n for n in built if matches(n, ["linux/*", "!linux/arm*"])] == ["linux/amd64", "linux/s390x"]
    assert [n for n in built if matches(n, ["*/amd64,linux/s390x"])] == ["linux/amd64", "windows/amd64",
                                                                         "linux/s390x"]
    assert [n for n in built if matches(n, ["!linux/*"])] == ["windows/amd64"]
    assert all(matches(n, []) for n in built)


def test_matches_takes_variants_by_name() -> None:
    built = ["linux/arm/v6", "linux/arm/v7", "linux/amd64/v3", "linux/amd64"]
    assert [n for n in built if matches(n, ["linux/arm/v7"])] == ["linux/arm/v7"]
    assert [n for n in built if matches(n, ["*/*/v*"])] == ["linux/arm/v6", "linux/arm/v7", "linux/amd64/v3"]
    assert [n for n in built if matches(n, ["linux/amd64", "!linux/amd64/v3"])] == ["linux/amd64"]
