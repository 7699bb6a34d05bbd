"""The native runner: the kernel runs the binary directly.

On an x86-64 Linux host that is linux/amd64 — but only up to the GOAMD64 level this CPU supports (a v4
binary on a v3 CPU aborts at start) — and linux/386, when the kernel's 32-bit support (IA32 emulation) is
there, which is checked. qemu-i386 7.2 crashes Go binaries at start, so 386 is never emulated.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from gocross.platforms import arch, goarch_for_uname
from gocross.runners.base import RunnerChoice, RunnerStatus

# /proc/cpuinfo flags each GOAMD64 level needs (Go's runtime checks the same features at start).
_AMD64_LEVELS: dict[str, frozenset[str]] = {
    "v1": frozenset(),
    "v2": frozenset({"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}),
    "v3": frozenset({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    "v4": frozenset({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
}


@functools.cache
def host_goarch() -> str | None:
    """GOARCH of this machine, or None when the host is not Linux (native runs are Linux-only here).

    Cached: the machine does not change under a running process, and inspect's verdict asks per file."""
    if not sys.platform.startswith("linux"):
        return None
    return goarch_for_uname(os.uname().machine)


def native_goarches() -> tuple[str, ...]:
    """The linux GOARCHes the kernel runs directly (its compat modes only when this kernel has them)."""
    host = host_goarch()
    record = arch(host) if host else None
    return () if host is None else (host, *(a for a in (record.also_native if record else ()) if _compat_ok(a)))


@functools.cache
def kernel_runs_32bit_x86(proc: Path = Path("/proc")) -> bool:
    """Whether this x86-64 kernel runs 32-bit x86 programs (its IA32 emulation), checked, not assumed.

    The sysctl ``abi.vsyscall32`` exists only in a kernel built with IA32 emulation, and ``ia32_emulation=0``
    on the kernel command line turns it off at boot; without it a linux/386 binary fails with "exec format
    error".
    """
    try:
        cmdline = (proc / "cmdline").read_text().split()
    except OSError:
        cmdline = []
    return "ia32_emulation=0" not in cmdline and (proc / "sys" / "abi" / "vsyscall32").exists()


def _compat_ok(goarch: str) -> bool:
    return goarch != "386" or host_goarch() != "amd64" or kernel_runs_32bit_x86()


@functools.cache
def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The feature flags of this CPU as the kernel reports them."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def amd64_level(flags: frozenset[str] | None = None) -> str:
    """The highest GOAMD64 level ("v1".."v4") this CPU supports."""
    have = cpu_flags() if flags is None else flags
    best = "v1"
    needed: set[str] = set()
    for level, features in _AMD64_LEVELS.items():
        needed |= features
        if not needed <= have:
            break
        best = level
    return best


def _amd64_ok(variant: str | None) -> bool:
    if not variant or host_goarch() != "amd64":
        return True
    return variant <= amd64_level()  # "v1" < "v2" < "v3" < "v4" as strings


class NativeRunner:
    """Runs binaries of this host's own architecture (and its kernel's compat modes) directly."""

    name = "native"
    kind = "native"

    def targets(self) -> Iterable[tuple[str, str]]:
        return [("linux", goarch) for goarch in native_goarches()]

    def choose(self, goos: str, goarch: str, variant: str | None) -> RunnerChoice | None:
        if goos != "linux" or goarch not in native_goarches():
            return None
        if goarch == "amd64" and not _amd64_ok(variant):
            return None
        return RunnerChoice(name="native", program=None, installed=True, install_hint=None)

    def why_not(self, goos: str, goarch: str, variant: str | None) -> str:
        if goos == "linux" and not _compat_ok(goarch):
            return ("this kernel does not run 32-bit x86 programs (built without IA32 emulation, or booted "
                    "with ia32_emulation=0)")
        if goarch == "amd64" and not _amd64_ok(variant):
            return (f"the binary needs GOAMD64={variant} but this CPU supports up to {amd64_level()} "
                    f"(it would abort at start); rebuild with GOAMD64={amd64_level()} or lower")
        return f"{goos}/{goarch} is not this machine's architecture"

    def status(self) -> RunnerStatus:
        arches = native_goarches()
        detail = f"CPU supports GOAMD64 up to {amd64_level()}" if host_goarch() == "amd64" else None
        return RunnerStatus(name="native", covers=tuple(f"linux/{a}" for a in arches),
                            installed=bool(arches), detail=detail)


RUNNER = NativeRunner()
