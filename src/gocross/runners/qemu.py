"""The qemu-user runner: ``qemu-<arch>-static BINARY ARGS`` for every foreign Linux architecture.

qemu is called directly, so nothing needs binfmt_misc. The variant (GOARM, GOPPC64, GORISCV64, GOARM64)
chooses the emulated CPU through ``QEMU_CPU``: the oldest CPU model that has everything the variant
promises, so the variant's instructions are emulated and a binary built for a newer CPU dies with SIGILL the
way it would on the older machine. linux/386 is never emulated: qemu-i386 7.2 crashes Go at start.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable

from gocross.platforms import ARCHES, arch
from gocross.runners.base import RunnerChoice, RunnerStatus, version_output
from gocross.runners.native import native_goarches

INSTALL_HINT = "apt-get install qemu-user-static"

# Emulated code is slower than native; soft-float code (every float op a library call) far slower still.
QEMU_TIMEOUT_FACTOR = 10.0
SOFTFLOAT_TIMEOUT_FACTOR = 60.0


def split_variant(variant: str | None) -> tuple[str, frozenset[str]]:
    """``"7,softfloat"`` -> ``("7", {"softfloat"})``; ``"v8.1,lse"`` -> ``("v8.1", {"lse"})``."""
    if not variant:
        return "", frozenset()
    level, *extras = variant.split(",")
    return level, frozenset(extras)


def cpu_model(goarch: str, variant: str | None) -> str | None:
    """The QEMU_CPU for a variant, or None to keep qemu's default (which runs every level)."""
    level, _extras = split_variant(variant)
    record = arch(goarch)
    return record.qemu_cpus.get(level) if record else None


def is_softfloat(goarch: str, variant: str | None) -> bool:
    """True when the variant does floating point in software (GOARM=5, ",softfloat", GOMIPS=softfloat)."""
    level, extras = split_variant(variant)
    if goarch == "arm":
        return level == "5" or "softfloat" in extras
    return goarch.startswith("mips") and level == "softfloat"


def _version(program: str) -> str | None:
    found = re.search(r"version (\S+)", version_output(program))
    return f"qemu {found[1]}" if found else None


def find_program(goarch: str) -> tuple[str, str | None]:
    """(program name, full path or None): ``qemu-<arch>-static``, else the dynamic ``qemu-<arch>``."""
    name = qemu_name(goarch)
    static = f"qemu-{name}-static"
    path = shutil.which(static)
    if path is None:
        dynamic = shutil.which(f"qemu-{name}")
        if dynamic is not None:
            return f"qemu-{name}", dynamic
    return static, path


def qemu_name(goarch: str) -> str:
    """qemu-user's name for a GOARCH (qemu-<name>-static); KeyError for one qemu-user does not emulate."""
    record = arch(goarch)
    if record is None or record.qemu is None:
        raise KeyError(goarch)
    return record.qemu


def _emulated_goarches() -> list[str]:
    native = native_goarches()
    return [a.goarch for a in ARCHES.values() if a.qemu is not None and a.goarch not in native
            and not (a.goarch == "amd64" and "386" in native)]


class QemuRunner:
    """qemu-user for every Linux architecture this host does not run natively (never 386)."""

    name = "qemu-user"
    kind = "qemu"

    def targets(self) -> Iterable[tuple[str, str]]:
        return [("linux", goarch) for goarch in _emulated_goarches()]

    def choose(self, goos: str, goarch: str, variant: str | None) -> RunnerChoice | None:
        if goos != "linux" or goarch not in _emulated_goarches():
            return None
        program, path = find_program(goarch)
        cpu = cpu_model(goarch, variant)
        env = {"QEMU_CPU": cpu} if cpu else {}
        factor = SOFTFLOAT_TIMEOUT_FACTOR if is_softfloat(goarch, variant) else QEMU_TIMEOUT_FACTOR
        return RunnerChoice(
            name="qemu-user",
            program=program,
            installed=path is not None,
            install_hint=None if path else INSTALL_HINT,
            env=env,
            prefix=(path or program,),
            timeout_factor=factor,
            note=f"QEMU_CPU={cpu}" if cpu else None,
        )

    def why_not(self, goos: str, goarch: str, variant: str | None) -> str:
        if goarch == "386":
            return "qemu-i386 7.2 crashes Go binaries at start, and this kernel does not run 386 natively"
        return f"qemu-user has no emulator for {goos}/{goarch}"

    def status(self) -> RunnerStatus:
        programs = {f"qemu-{qemu_name(a)}-static": find_program(a)[1] for a in _emulated_goarches()}
        found = [path for path in programs.values() if path]
        missing = [name for name, path in programs.items() if not path]
        return RunnerStatus(
            name="qemu-user",
            covers=tuple(f"linux/{a}" for a in _emulated_goarches()),
            installed=not missing,
            programs=programs,
            version=_version(found[0]) if found else None,
            install_hint=INSTALL_HINT if missing else None,
            detail=f"missing: {', '.join(missing)}" if missing else None,
        )


RUNNER = QemuRunner()
