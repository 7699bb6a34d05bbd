"""Architecture variants: the GOARM/GOAMD64/… knobs, which values each Go release accepts, how users spell them.

Gocross keeps a variant's value exactly as Go spells it (``go env GOARM`` → ``"7"``, ``"6,softfloat"``), so the
same string flows from a selector to ``go build``'s environment, into ``artifacts.json`` and into
``gocross inspect``'s reading of the build info. Selectors spell it the way goreleaser users expect
(``linux/arm/v6``, ``linux/amd64/v3``, ``linux/mips/softfloat``, ``linux/arm/v7+softfloat``): ``+`` joins options,
because ``,`` already separates selectors.
"""

from __future__ import annotations

from typing import NamedTuple

Version = tuple[int, int]


class VariantVar(NamedTuple):
    """One GO<arch> variable: its name, the architectures it applies to, its values and options by Go version.

    A NamedTuple rather than a frozen dataclass: ``gocross inspect`` reads this table, and ``dataclasses``
    (with the ``inspect`` module it imports) is a visible share of that command's start-up.
    """

    name: str
    goarchs: tuple[str, ...]
    values: tuple[tuple[str, Version], ...]  # (value, first Go release that accepts it)
    options: tuple[tuple[str, Version], ...] = ()  # ",softfloat"-style suffixes: (option, since)
    token_prefix: str = ""  # selector spelling: GOARM "7" is written "v7"
    since: Version = (1, 0)

    def accepted_values(self, go: Version) -> list[str]:
        return [v for v, since in self.values if go >= since and go >= self.since]

    def accepted_options(self, go: Version) -> list[str]:
        return [o for o, since in self.options if go >= since]


_ARM64_LEVELS = tuple((f"v8.{i}", (1, 23)) for i in range(10)) + tuple((f"v9.{i}", (1, 23)) for i in range(6))

VARIANT_VARS: tuple[VariantVar, ...] = (
    VariantVar("GOARM", ("arm",), (("5", (1, 0)), ("6", (1, 0)), ("7", (1, 0))),
               options=(("softfloat", (1, 22)), ("hardfloat", (1, 22))), token_prefix="v"),
    VariantVar("GOAMD64", ("amd64",), (("v1", (1, 18)), ("v2", (1, 18)), ("v3", (1, 18)), ("v4", (1, 18)))),
    VariantVar("GO386", ("386",), (("sse2", (1, 16)), ("softfloat", (1, 16)))),
    VariantVar("GOMIPS", ("mips", "mipsle"), (("hardfloat", (1, 10)), ("softfloat", (1, 10)))),
    VariantVar("GOMIPS64", ("mips64", "mips64le"), (("hardfloat", (1, 11)), ("softfloat", (1, 11)))),
    VariantVar("GOPPC64", ("ppc64", "ppc64le"),
               (("power8", (1, 10)), ("power9", (1, 10)), ("power10", (1, 21)))),
    VariantVar("GORISCV64", ("riscv64",),
               (("rva20u64", (1, 23)), ("rva22u64", (1, 23)), ("rva23u64", (1, 25)))),
    VariantVar("GOARM64", ("arm64",), _ARM64_LEVELS,
               options=(("lse", (1, 23)), ("crypto", (1, 23)))),
    VariantVar("GOWASM", ("wasm",), (("satconv", (1, 13)), ("signext", (1, 13)))),
)

BY_ARCH: dict[str, VariantVar] = {arch: var for var in VARIANT_VARS for arch in var.goarchs}


def variable_for(goarch: str | None) -> str | None:
    """The Go environment variable that holds this architecture's variant (GOARM for arm), if it has one."""
    var = BY_ARCH.get(goarch or "")
    return var.name if var else None


def _valid_tokens(var: VariantVar, go: Version) -> list[str]:
    return [var.token_prefix + v for v in var.accepted_values(go)]


def parse_variant(goarch: str, token: str, go: Version) -> tuple[str, str] | str:
    """Turn a selector's variant token into (VAR, Go value), or return a message naming the valid tokens."""
    var = BY_ARCH.get(goarch)
    if var is None:
        return f"{goarch} has no variants"
    valid = _valid_tokens(var, go)
    if var.name == "GOWASM":  # a set of features, in any combination
        features = token.split("+")
        if all(f in valid for f in features) and len(set(features)) == len(features):
            return var.name, ",".join(features)
        return f"{var.name} takes {', '.join(valid)} (joined with +)"
    base, *opts = token.split("+")
    if var.token_prefix and not base.startswith(var.token_prefix):
        base = var.token_prefix + base  # accept linux/arm/6 as well as linux/arm/v6
    accepted_opts = var.accepted_options(go)
    if base not in valid or len(opts) > 1 or any(o not in accepted_opts for o in opts):
        spelled = ", ".join(valid)
        if accepted_opts:
            spelled += f" (optionally +{' or +'.join(accepted_opts)})"
        return f"{var.name} takes {spelled} with go{go[0]}.{go[1]}"
    value = base.removeprefix(var.token_prefix) if var.token_prefix else base
    return var.name, ",".join([value, *opts])


def variant_token(goarch: str, value: str) -> str:
    """The selector / file-name spelling of a Go variant value: GOARM "6,softfloat" → "v6+softfloat"."""
    var = BY_ARCH.get(goarch)
    prefix = var.token_prefix if var else ""
    return prefix + value.replace(",", "+")


def all_variant_tokens(goarch: str, go: Version) -> list[str]:
    """Every plain level/value token for an arch (no options), for suggestions and `gocross targets -v`."""
    var = BY_ARCH.get(goarch)
    return _valid_tokens(var, go) if var else []
