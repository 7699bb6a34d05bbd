"""The C toolchain of one target's cgo build: zig with the platform table's triple, unless the user set theirs.

``go build`` with ``CGO_ENABLED=1`` calls ``$CC`` (and ``$CXX`` for C++ files) for the target; the host's gcc
only targets the host. zig (PyPI ``ziglang``) is one clang with the libc of every Linux architecture (glibc
at a chosen minimum version, or musl for a fully static binary) and MinGW for Windows, so
:func:`compiler_env` can give every target its own ``CC``/``CXX`` from the triple in
:mod:`gocross.platforms`. A target zig cannot serve gets a one-line reason instead (the build skips it).

Precedence, as a user expects it: ``CC_FOR_<goos>_<goarch>`` (the spelling Go's own make.bash reads), then
``CC`` from the environment, then zig; ``CXX`` the same, independently. The host's own target without zig
falls back to Go's default C compiler, as plain ``go build`` does.

After a build, :func:`check_built` holds the binary to what was asked: with ``--libc gnu`` its minimum glibc
(which inspect reads from the symbol versions) must not be above the requested one; with ``--libc musl`` it
must be static.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from gocross import platforms
from gocross.errors import UsageError
from gocross.safefs import quoted
from gocross.toolchain import go_fields
from gocross.zig import INSTALL_HINT, Zig, find_zig

if TYPE_CHECKING:
    from gocross.binary.model import BinaryInfo
    from gocross.targets import Target

# RHEL/CentOS 7's glibc (2014) and the first with AArch64: a binary that needs no newer glibc runs on every
# glibc-based Linux distribution still in use. Raised per architecture to the oldest zig can link against
# (platforms.Arch.glibc_first: riscv64 2.27 and loong64 2.36, their first glibc; ppc64le 2.32, its IEEE
# 128-bit long double functions).
DEFAULT_GLIBC = "2.17"
_GLIBC = re.compile(r"^2\.(\d{1,2})$")

# Linker arguments zig's linker rejects ("error: unsupported linker arg: …"), found here with zig 0.17.1.
UNSUPPORTED_LINK_ARGS = ("--unresolved-symbols",)
_ZIG_UNSUPPORTED = re.compile(rb"unsupported linker arg: (\S+)")
_IEEE128 = re.compile(rb"undefined symbol: __\w+ieee128")
_WINDOWSGUI = re.compile(r"(^|\s)-H(\s+|=)windowsgui(\s|$)")
# Go's own default when CGO_LDFLAGS is unset; kept when gocross adds a flag to it.
GO_DEFAULT_CGO_FLAGS = "-O2 -g"
_APPLE = {"darwin": "macOS", "ios": "iOS"}


class Libc(StrEnum):
    """Which C library a Linux cgo binary links: glibc (dynamic, a minimum version) or musl (static)."""

    GNU = "gnu"
    MUSL = "musl"


@dataclass(frozen=True)
class CgoOptions:
    """What the user asked for the C side of a cgo build."""

    libc: Libc = Libc.GNU
    glibc: str | None = None  # the newest glibc the binary may need; None: DEFAULT_GLIBC (or the arch's first)
    ldflags: str = ""  # go build's -ldflags, for the traps (-H windowsgui, -extldflags)


@dataclass(frozen=True)
class CgoSetup:
    """One target's C toolchain: the environment for ``go build`` and what the result must satisfy."""

    env: Mapping[str, str]  # CGO_ENABLED, CC, CXX, CGO_LDFLAGS, ZIG_GLOBAL_CACHE_DIR …
    compiler: str  # for people: "zig 0.17.1 -target aarch64-linux-gnu.2.17", "CC_FOR_linux_arm64"
    triple: str | None = None  # zig's target, when zig compiles
    max_glibc: str | None = None  # the binary may need no newer glibc than this
    static: bool = False  # the binary must be statically linked (musl)
    first_use: bool = False  # zig has not built this target's libc here yet: this build is slow

    @property
    def note(self) -> str | None:
        """The progress line's word for a build that will look hung otherwise."""
        if not self.first_use or self.triple is None:
            return None
        return f"first cgo build for {self.triple}: zig builds its C library once (can take minutes)"


def glibc_version(text: str) -> str:
    """``"2.28"`` checked: the glibc version given to ``--glibc`` (a UsageError names the fix otherwise)."""
    if not _GLIBC.match(text.strip()):
        raise UsageError(f"--glibc {text!r} is not a glibc version; write it as 2.N, e.g. --glibc 2.28.")
    return text.strip()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _is_native(target: Target) -> bool:
    from gocross.runners.native import host_goarch

    return target.goos == "linux" and target.goarch == host_goarch()


def _user_compiler(name: str, target: Target, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(variable, value) of the user's own compiler for this target: ``CC_FOR_linux_arm64`` or ``CC``."""
    for variable in (f"{name}_FOR_{target.goos}_{target.goarch}", name):
        value = environ.get(variable)
        if value:
            return variable, value
    return None


def _quote(argv: list[str]) -> str:
    """An argument list as one ``$CC`` value: Go splits it on spaces and honours '…' and "…" quoting."""
    try:
        return go_fields(argv)
    except ValueError:
        raise UsageError(f"The C compiler command {quoted(' '.join(argv))} holds both quote characters in one "
                         "word, which Go's CC cannot carry; install zig at a path without quotes.") from None


def reason(target: Target, options: CgoOptions) -> str | None:
    """Why zig cannot be the C compiler of ``target`` with these options, or None when it can."""
    if target.goos in _APPLE:
        return (f"cgo for {target.name} needs Apple's {_APPLE[target.goos]} SDK and clang, which only a Mac has "
                f"(zig cannot link against Apple's frameworks without it); build on macOS, or set "
                f"CC_FOR_{target.goos}_{target.goarch} to a cross compiler that has the SDK")
    if target.goos == "android":
        return (f"cgo for {target.name} needs the Android NDK's clang (bionic libc); install the NDK and set "
                f"CC_FOR_android_{target.goarch} to its compiler for this target")
    record = platforms.arch(target.goarch)
    if target.goos == "windows":
        if record is None or record.zig_windows is None:
            return f"zig has no MinGW for {target.name}"
        return None
    if target.goos != "linux":
        return (f"gocross drives zig for linux and windows only; cgo for {target.name} needs a C cross compiler "
                f"for {platforms.os_display(target.goos)}: set CC_FOR_{target.goos}_{target.goarch}")
    if record is None or (record.zig_gnu is None and record.zig_musl is None):
        return f"zig has no C library for {target.name}"
    if options.libc == Libc.GNU and record.zig_gnu is None:
        return record.zig_gnu_missing or f"zig ships no glibc for {target.name}; build it with --libc musl"
    if options.libc == Libc.MUSL and record.zig_musl is None:
        return f"zig ships no musl for {target.name}; build it with --libc gnu"
    return None


def zig_target(target: Target, options: CgoOptions) -> tuple[str, tuple[str, ...], str | None]:
    """(zig triple, extra compiler flags, the glibc floor) for a target :func:`reason` accepted."""
    record = platforms.arch(target.goarch)
    assert record is not None
    if target.goos == "windows":
        assert record.zig_windows is not None
        return record.zig_windows, (), None
    level = (target.variant or "").split(",")[0]
    special = record.zig_variants.get(level) or platforms.ZigVariant()
    flags = (f"-mcpu={special.mcpu}",) if special.mcpu else ()
    if options.libc == Libc.MUSL:
        triple = special.musl or record.zig_musl
        assert triple is not None
        return triple, flags, None
    base = special.gnu or record.zig_gnu
    assert base is not None
    glibc = options.glibc or max(DEFAULT_GLIBC, record.glibc_first, key=_version_key)
    return f"{base}.{glibc}", flags, glibc


def _check_glibc_floor(target: Target, options: CgoOptions) -> None:
    record = platforms.arch(target.goarch)
    if options.glibc and record and _version_key(options.glibc) < _version_key(record.glibc_first):
        raise UsageError(f"--glibc {options.glibc} is older than the first glibc for {target.name} "
                         f"({record.glibc_first}); ask for {record.glibc_first} or newer.")


def _check_link_args(target: Target, options: CgoOptions, environ: Mapping[str, str]) -> None:
    """zig's linker rejects a few GNU ld arguments: say so before anything compiles."""
    given = f"{options.ldflags} {environ.get('CGO_LDFLAGS', '')}"
    for arg in UNSUPPORTED_LINK_ARGS:
        if arg in given:
            raise UsageError(f"The linker flags pass {arg}, which zig's linker (the C toolchain for cgo on "
                             f"{target.name}) does not support; drop it, or set "
                             f"CC_FOR_{target.goos}_{target.goarch} to a gcc cross compiler.")


def _ldflags_env(target: Target, options: CgoOptions, environ: Mapping[str, str]) -> dict[str, str]:
    """``-H windowsgui`` makes Go ask the external linker for ``-mwindows``, which zig ignores: the GUI
    subsystem is then requested from zig's linker directly."""
    if target.goos != "windows" or not _WINDOWSGUI.search(options.ldflags):
        return {}
    base = environ.get("CGO_LDFLAGS", GO_DEFAULT_CGO_FLAGS)
    return {"CGO_LDFLAGS": f"{base} -Wl,--subsystem,windows".strip()}


def warm_marker(zig: Zig, triple: str) -> Path:
    """The file that says zig has built ``triple``'s C library in its cache (written after a good build)."""
    return Path(zig.env()["ZIG_GLOBAL_CACHE_DIR"]) / "gocross-warm" / f"{zig.version}-{triple}"


def compiler_env(target: Target, options: CgoOptions, environ: Mapping[str, str] | None = None
                 ) -> CgoSetup | str:
    """The environment that gives ``target``'s ``go build`` its C toolchain, or the reason none can.

    Raises UsageError for options no target can satisfy (a glibc older than the architecture, a linker
    flag zig rejects); returns a reason string for a target that cannot be served (it is skipped).
    """
    environ = os.environ if environ is None else environ
    cc, cxx = _user_compiler("CC", target, environ), _user_compiler("CXX", target, environ)
    if cc is not None:
        env = {"CGO_ENABLED": "1", "CC": cc[1], **({"CXX": cxx[1]} if cxx else {})}
        # The user's compiler links what it links; a --glibc asked for explicitly is still held to.
        return CgoSetup(env, cc[0], max_glibc=options.glibc if options.libc == Libc.GNU else None)
    why = reason(target, options)
    if why is not None:
        return why
    zig = find_zig()
    if zig is None:
        if _is_native(target) and options.libc == Libc.GNU and options.glibc is None:
            return CgoSetup({"CGO_ENABLED": "1"}, "Go's default C compiler (zig is not installed)")
        return f"cgo for {target.name} needs zig, which is not installed; install it with: {INSTALL_HINT}"
    _check_glibc_floor(target, options)
    _check_link_args(target, options, environ)
    triple, flags, glibc = zig_target(target, options)
    env = {"CGO_ENABLED": "1", "CC": _quote([*zig.cc(triple), *flags]), **zig.env(),
           **_ldflags_env(target, options, environ)}
    env["CXX"] = cxx[1] if cxx else _quote([*zig.cxx(triple), *flags])
    return CgoSetup(env, f"zig {zig.version} -target {triple}", triple, glibc,
                    static=options.libc == Libc.MUSL and target.goos == "linux",
                    first_use=not warm_marker(zig, triple).exists())


def check_built(setup: CgoSetup, info: BinaryInfo) -> str | None:
    """Why the binary zig built is not what was asked (None: it is); records the triple's libc as built."""
    if setup.max_glibc and info.min_glibc and _version_key(info.min_glibc) > _version_key(setup.max_glibc):
        return (f"the binary needs glibc {info.min_glibc}, newer than the requested {setup.max_glibc}: a C "
                f"library it links against asks for it; ask for --glibc {info.min_glibc} or drop that library")
    if setup.static and info.linkage == "dynamic":
        return f"--libc musl should give a static binary, but it is dynamically linked ({info.interpreter})"
    if setup.triple is not None and setup.first_use:
        zig = find_zig()
        if zig is not None:
            marker = warm_marker(zig, setup.triple)
            with contextlib.suppress(OSError):
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.touch()
    return None


def explain_failure(output: bytes) -> str | None:
    """One sentence in front of go build's output for the zig traps: a linker argument zig refused, or a
    ppc64le link against a glibc without the IEEE 128-bit long double functions (a user's own CC)."""
    if _IEEE128.search(output):
        return ("ppc64le cgo code built with an IEEE 128-bit long double needs glibc 2.32 or newer; build it "
                "with --glibc 2.32 (the default there) or --libc musl.")
    found = _ZIG_UNSUPPORTED.search(output)
    if found is None:
        return None
    arg = found[1].decode("utf-8", "replace")
    return (f"zig's linker does not support {arg} (from -ldflags=-extldflags, CGO_LDFLAGS or a #cgo LDFLAGS "
            "line); drop it for this target, or set CC_FOR_<goos>_<goarch> to a gcc cross compiler.")


def loader_prefix(goarch: str, variant: str | None = None) -> str | None:
    """``QEMU_LD_PREFIX`` for a glibc-dynamic binary of this GOARCH under qemu: Debian's cross libc folder
    (``/usr/<triple>``), when it is installed and the user has not chosen one."""
    libc = platforms.cross_libc_for(goarch, variant)
    if libc is None or "QEMU_LD_PREFIX" in os.environ:
        return None
    prefix = Path("/usr") / libc.triple
    return str(prefix) if (prefix / "lib").is_dir() else None


def test_env(target: Target, directory: Path) -> dict[str, str]:
    """``gocross test --cgo`` on a foreign target: its C toolchain (gocross.toml's ``libc``/``glibc``) and,
    for running, qemu's loader prefix; empty when zig cannot serve it (Go's own compiler error then shows)."""
    from gocross.config import load_config

    if _is_native(target):
        return {}  # the host's own column keeps Go's default C compiler, as `go test` does here
    config = load_config(directory)
    options = CgoOptions(Libc(config.libc or Libc.GNU), glibc_version(config.glibc) if config.glibc else None)
    setup = compiler_env(target, options)
    return {} if isinstance(setup, str) else dict(setup.env)
