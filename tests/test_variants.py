"""Variant tokens (``v6+softfloat``) and Go's values (``6,softfloat``), both ways, for each Go release."""

from __future__ import annotations

import pytest
from tests.recorded import forbid_go

from gocross.variants import BY_ARCH, VARIANT_VARS, all_variant_tokens, parse_variant, variable_for, variant_token

VERSIONS = [(1, 20), (1, 21), (1, 22), (1, 23), (1, 24), (1, 25), (1, 27)]


@pytest.fixture(autouse=True)
def _no_go(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    return forbid_go(monkeypatch)


@pytest.mark.parametrize("go", VERSIONS)
def test_every_token_round_trips(go: tuple[int, int]) -> None:
    """token → (VAR, value) → token, for every level and every level+option a release accepts."""
    for var in VARIANT_VARS:
        for goarch in var.goarchs:
            tokens = all_variant_tokens(goarch, go)
            with_options = [f"{t}+{o}" for t in tokens for o in var.accepted_options(go)]
            for token in tokens + with_options:
                parsed = parse_variant(goarch, token, go)
                assert isinstance(parsed, tuple), (goarch, token, parsed)
                name, value = parsed
                assert name == var.name == variable_for(goarch)
                assert variant_token(goarch, value) == token


@pytest.mark.parametrize(("go", "goarch", "tokens"), [
    ((1, 27), "arm", ["v5", "v6", "v7"]),
    ((1, 27), "amd64", ["v1", "v2", "v3", "v4"]),
    ((1, 27), "386", ["sse2", "softfloat"]),
    ((1, 27), "mips", ["hardfloat", "softfloat"]),
    ((1, 27), "mips64le", ["hardfloat", "softfloat"]),
    ((1, 20), "ppc64le", ["power8", "power9"]),
    ((1, 21), "ppc64", ["power8", "power9", "power10"]),
    ((1, 22), "riscv64", []),
    ((1, 23), "riscv64", ["rva20u64", "rva22u64"]),
    ((1, 24), "riscv64", ["rva20u64", "rva22u64"]),
    ((1, 25), "riscv64", ["rva20u64", "rva22u64", "rva23u64"]),
    ((1, 22), "arm64", []),
    ((1, 23), "arm64", [f"v8.{i}" for i in range(10)] + [f"v9.{i}" for i in range(6)]),
    ((1, 27), "wasm", ["satconv", "signext"]),
    ((1, 27), "s390x", []),
    ((1, 27), "loong64", []),
])
def test_tokens_each_release_accepts(go: tuple[int, int], goarch: str, tokens: list[str]) -> None:
    assert all_variant_tokens(goarch, go) == tokens


@pytest.mark.parametrize(("go", "goarch", "options"), [
    ((1, 21), "arm", []), ((1, 22), "arm", ["softfloat", "hardfloat"]),
    ((1, 23), "arm64", ["lse", "crypto"]), ((1, 27), "amd64", []),
])
def test_options_each_release_accepts(go: tuple[int, int], goarch: str, options: list[str]) -> None:
    assert BY_ARCH[goarch].accepted_options(go) == options


@pytest.mark.parametrize(("goarch", "token", "go", "parsed"), [
    ("arm", "v6", (1, 27), ("GOARM", "6")),
    ("arm", "6", (1, 27), ("GOARM", "6")),  # linux/arm/6 spelling
    ("arm", "7+softfloat", (1, 22), ("GOARM", "7,softfloat")),
    ("arm", "v5+hardfloat", (1, 27), ("GOARM", "5,hardfloat")),
    ("amd64", "v3", (1, 18), ("GOAMD64", "v3")),
    ("arm64", "v8.1+lse", (1, 23), ("GOARM64", "v8.1,lse")),
    ("arm64", "v9.0+crypto", (1, 27), ("GOARM64", "v9.0,crypto")),
    ("riscv64", "rva23u64", (1, 25), ("GORISCV64", "rva23u64")),
    ("wasm", "signext+satconv", (1, 27), ("GOWASM", "signext,satconv")),  # a feature set, in the order given
    ("mipsle", "softfloat", (1, 27), ("GOMIPS", "softfloat")),
    ("mips64", "hardfloat", (1, 27), ("GOMIPS64", "hardfloat")),
    ("386", "sse2", (1, 27), ("GO386", "sse2")),
])
def test_parse_variant(goarch: str, token: str, go: tuple[int, int], parsed: tuple[str, str]) -> None:
    assert parse_variant(goarch, token, go) == parsed


@pytest.mark.parametrize(("goarch", "token", "go", "message"), [
    ("arm", "v7+softfloat", (1, 21), "GOARM takes v5, v6, v7 with go1.21"),
    ("arm", "v7+", (1, 27), "GOARM takes v5, v6, v7 (optionally +softfloat or +hardfloat) with go1.27"),
    ("arm", "v6+softfloat+hardfloat", (1, 27),
     "GOARM takes v5, v6, v7 (optionally +softfloat or +hardfloat) with go1.27"),
    ("riscv64", "rva23u64", (1, 24), "GORISCV64 takes rva20u64, rva22u64 with go1.24"),
    ("ppc64le", "power10", (1, 20), "GOPPC64 takes power8, power9 with go1.20"),
    ("amd64", "3", (1, 27), "GOAMD64 takes v1, v2, v3, v4 with go1.27"),  # only GOARM's v is optional
    ("amd64", "v3+lse", (1, 27), "GOAMD64 takes v1, v2, v3, v4 with go1.27"),
    ("wasm", "satconv+satconv", (1, 27), "GOWASM takes satconv, signext (joined with +)"),
    ("wasm", "simd", (1, 27), "GOWASM takes satconv, signext (joined with +)"),
    ("s390x", "z15", (1, 27), "s390x has no variants"),
])
def test_parse_variant_refuses_with_the_valid_tokens(goarch: str, token: str, go: tuple[int, int],
                                                     message: str) -> None:
    assert parse_variant(goarch, token, go) == message


@pytest.mark.parametrize(("goarch", "go"), [("riscv64", (1, 22)), ("arm64", (1, 22))])
def test_a_variable_newer_than_the_release_refuses_every_token(goarch: str, go: tuple[int, int]) -> None:
    parsed = parse_variant(goarch, BY_ARCH[goarch].values[0][0], go)
    assert isinstance(parsed, str) and parsed.startswith(f"{BY_ARCH[goarch].name} takes ")


@pytest.mark.parametrize(("goarch", "value", "token"), [
    ("arm", "6", "v6"), ("arm", "6,softfloat", "v6+softfloat"), ("amd64", "v3", "v3"),
    ("arm64", "v8.1,lse", "v8.1+lse"), ("wasm", "satconv,signext", "satconv+signext"),
    ("s390x", "z15", "z15"),  # no variable: the value as it is
])
def test_variant_token(goarch: str, value: str, token: str) -> None:
    assert variant_token(goarch, value) == token


def test_variable_for() -> None:
    assert [variable_for(a) for a in ("arm", "amd64", "386", "mips", "mipsle", "mips64", "mips64le", "ppc64",
                                      "ppc64le", "riscv64", "arm64", "wasm", "s390x", "loong64", None)] == [
        "GOARM", "GOAMD64", "GO386", "GOMIPS", "GOMIPS", "GOMIPS64", "GOMIPS64", "GOPPC64", "GOPPC64",
        "GORISCV64", "GOARM64", "GOWASM", None, None, None]
