"""Targets and selectors.

The set of targets always comes from the installed toolchain (``go tool dist list -json``), never from a
list in gocross. A selector picks targets out of it; the grammar is shared by every command:

- ``linux/arm64`` — one target; ``linux/arm/v6``, ``linux/amd64/v3``, ``linux/mips/softfloat`` — a variant;
- ``linux/*``, ``*/arm64`` — shell-style globs over os/arch (a variant may follow a glob: ``*/amd64/v3``);
- ``all``, ``first-class`` and the user's own named sets from ``gocross.toml`` ``[sets]``;
- ``!windows/*`` — exclusion, applied after every inclusion (alone, it excludes from ``all``);
- several selectors: repeat ``--target`` or separate them with commas.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gocross import variants
from gocross.errors import ConfigError, UsageError
from gocross.safefs import quoted
from gocross.toolchain import Toolchain

MAX_SELECTOR_CHARS = 200  # longer than any os/arch/variant or set name; a huge one is refused before matching
MAX_SELECTORS = 1000
MAX_SET_DEPTH = 16  # sets that include sets, this deep at most

# Ports that only link externally (Go's cmd/link "requires external linking"): without cgo and a C
# toolchain for the target, `go build` cannot produce them. Explained per target instead of Go's raw error.
EXTERNAL_LINK_REASON = {
    "ios": "ios/{arch} needs cgo and Apple's toolchain (Xcode clang) for external linking; build it on macOS "
    "with --cgo and CC set to the iOS clang",
    "android": "android/{arch} needs cgo and the Android NDK's clang for external linking; set CC to the NDK "
    "compiler for this target and build with --cgo",
}
_INTERNAL_LINK_ANDROID = {"arm64"}


@dataclass(frozen=True)
class TargetInfo:
    """One port of the installed toolchain, as ``go tool dist list -json`` describes it."""

    goos: str
    goarch: str
    first_class: bool
    cgo_supported: bool

    @property
    def name(self) -> str:
        return f"{self.goos}/{self.goarch}"

    @property
    def needs_external_linking(self) -> bool:
        return self.goos == "ios" or (self.goos == "android" and self.goarch not in _INTERNAL_LINK_ANDROID)


@dataclass(frozen=True, order=True)
class Target:
    """A target to build: a port, optionally pinned to one architecture variant (Go's own spelling)."""

    goos: str
    goarch: str
    variant: str | None = None
    variant_var: str | None = None

    @property
    def name(self) -> str:
        """The selector spelling: ``linux/arm64``, ``linux/arm/v6``."""
        base = f"{self.goos}/{self.goarch}"
        return f"{base}/{self.variant_token}" if self.variant else base

    @property
    def variant_token(self) -> str:
        return variants.variant_token(self.goarch, self.variant) if self.variant else ""

    @property
    def env(self) -> dict[str, str]:
        env = {"GOOS": self.goos, "GOARCH": self.goarch}
        if self.variant and self.variant_var:
            env[self.variant_var] = self.variant
        return env

    @property
    def exe_suffix(self) -> str:
        if self.goos == "windows":
            return ".exe"
        return ".wasm" if self.goarch == "wasm" else ""

    def external_link_reason(self) -> str | None:
        info = TargetInfo(self.goos, self.goarch, False, True)
        if not info.needs_external_linking:
            return None
        return EXTERNAL_LINK_REASON[self.goos].format(arch=self.goarch)


def list_targets(toolchain: Toolchain, selectors: Sequence[str] = (),
                 sets: Mapping[str, Sequence[str]] | None = None) -> list[TargetInfo]:
    """The toolchain's ports, optionally filtered by selectors (variants are ignored for listing)."""
    infos = _infos(toolchain)
    if not selectors:
        return infos
    chosen = {(t.goos, t.goarch) for t in select_targets(toolchain, selectors, sets)}
    return [i for i in infos if (i.goos, i.goarch) in chosen]


def _infos(toolchain: Toolchain) -> list[TargetInfo]:
    return [
        TargetInfo(str(e["GOOS"]), str(e["GOARCH"]), bool(e.get("FirstClass")), bool(e.get("CgoSupported")))
        for e in toolchain.dist_list()
    ]


def split_selectors(raw: Iterable[str]) -> list[str]:
    """Flatten repeated and comma-separated selectors: ``["a,b", "c"]`` → ``["a", "b", "c"]``."""
    return [part.strip() for item in raw for part in item.split(",") if part.strip()]


def matches(name: str, selectors: Sequence[str]) -> bool:
    """Whether a built target (``linux/arm/v6``) is picked by selectors, for commands that filter what exists
    rather than ask the toolchain: globs, commas and ``!`` exclusions; ``linux/arm`` also picks its variants."""
    base = "/".join(name.split("/")[:2])
    parts = split_selectors(selectors)
    include = [p for p in parts if not p.startswith("!")]
    exclude = [p[1:] for p in parts if p.startswith("!")]

    def hit(patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(base, p) for p in patterns)

    return (not include or hit(include)) and not hit(exclude)


def select_targets(toolchain: Toolchain, selectors: Sequence[str],
                   sets: Mapping[str, Sequence[str]] | None = None) -> list[Target]:
    """Resolve selectors to an ordered, duplicate-free list of targets, or raise UsageError naming the bad one."""
    infos = _infos(toolchain)
    _check_set_names(infos, sets or {})
    resolver = _Resolver(infos, toolchain.version_tuple[:2], dict(sets or {}))
    parts = split_selectors(selectors)
    if selectors and not parts:
        raise UsageError("The target selection is empty (--target '' or targets = [\"\"]); name targets such "
                         "as linux/amd64, or leave the option out for the default set.")
    _check_sizes(parts)
    result = resolver.expand(parts, ())
    if not result and parts:
        raise UsageError(f"The selectors {', '.join(parts)} leave no target to work on; "
                         "drop an exclusion or widen a pattern.")
    return result


def _check_sizes(parts: Sequence[str]) -> None:
    if len(parts) > MAX_SELECTORS:
        raise UsageError(f"{len(parts)} target selectors are more than the {MAX_SELECTORS} gocross accepts; "
                         "use globs or a set in gocross.toml.")
    for part in parts:
        if len(part) > MAX_SELECTOR_CHARS:
            raise UsageError(f"The target selector {quoted(part)} is longer than {MAX_SELECTOR_CHARS} characters; "
                             "write it as os/arch[/variant], a glob or a set name.")


def _check_set_names(infos: Sequence[TargetInfo], sets: Mapping[str, Sequence[str]]) -> None:
    """A set may not be named like a target, a glob or a built-in set: the name would mean two things."""
    ports = {i.name for i in infos}
    for name in sets:
        clash = ("is a built-in set" if name in ("all", "first-class")
                 else "is a target of this toolchain" if name in ports
                 else "looks like a selector (it holds '/', '!', ',' or a glob character)"
                 if not name or any(c in name for c in "/!,*?[]") else None)
        if clash:
            raise ConfigError(f"The target set {quoted(name)} in gocross.toml {clash}; rename the set.")
        for member in sets[name]:
            if len(member) > MAX_SELECTOR_CHARS:
                raise ConfigError(f"The target set {quoted(name)} holds the selector {quoted(member)}, longer "
                                  f"than {MAX_SELECTOR_CHARS} characters; fix [sets] in gocross.toml.")


@dataclass(frozen=True)
class _Resolver:
    infos: list[TargetInfo]
    go: tuple[int, int]
    sets: dict[str, Sequence[str]]

    def expand(self, parts: Sequence[str], stack: tuple[str, ...]) -> list[Target]:
        """Inclusions in order, minus every exclusion; exclusions alone start from ``all``."""
        include: list[Target] = []
        exclude: set[Target] = set()
        for part in parts:
            if part.startswith("!"):
                exclude.update(self.resolve(part[1:], stack))
            else:
                include.extend(self.resolve(part, stack))
        if not include and exclude:
            include = self.resolve("all", stack)
        return list(dict.fromkeys(t for t in include if t not in exclude))

    def resolve(self, selector: str, stack: tuple[str, ...]) -> list[Target]:
        if selector == "all":
            return [Target(i.goos, i.goarch) for i in self.infos]
        if selector == "first-class":
            return [Target(i.goos, i.goarch) for i in self.infos if i.first_class]
        if selector in self.sets:
            if selector in stack:
                raise UsageError(f"The target set {quoted(selector)} includes itself; fix [sets] in gocross.toml.")
            if len(stack) >= MAX_SET_DEPTH:
                raise UsageError(f"The target sets {quoted(' > '.join(stack[:4]))} nest deeper than "
                                 f"{MAX_SET_DEPTH} levels; flatten [sets] in gocross.toml.")
            return self.expand(split_selectors(self.sets[selector]), (*stack, selector))
        return self._resolve_pattern(selector)

    def _resolve_pattern(self, selector: str) -> list[Target]:
        pieces = selector.split("/")
        if len(pieces) not in (2, 3) or not all(pieces):
            raise UsageError(self._unknown(selector, "is not os/arch, os/arch/variant, a glob or a set name"))
        pattern = "/".join(pieces[:2])
        token = pieces[2] if len(pieces) == 3 else None
        matches = [i for i in self.infos if fnmatch.fnmatchcase(i.name, pattern)]
        if not matches:
            raise UsageError(self._unknown(selector, "matches no target of this toolchain"))
        if token is None:
            return [Target(i.goos, i.goarch) for i in matches]
        return self._with_variant(selector, matches, token)

    def _with_variant(self, selector: str, matches: list[TargetInfo], token: str) -> list[Target]:
        out: list[Target] = []
        problem = ""
        for info in matches:
            parsed = variants.parse_variant(info.goarch, token, self.go)
            if isinstance(parsed, str):
                problem = parsed
                continue
            var, value = parsed
            out.append(Target(info.goos, info.goarch, value, var))
        if not out:
            raise UsageError(f"Unknown variant {quoted(token)} in {quoted(selector)}: {problem}.")
        return out

    def _unknown(self, selector: str, why: str) -> str:
        names = ["all", "first-class", *self.sets, *(i.name for i in self.infos)]
        close = difflib.get_close_matches(selector, names, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}?" if close else "run `gocross targets` to list them."
        return f"Unknown target {quoted(selector)} ({why}); {hint}"
