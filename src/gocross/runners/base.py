"""What choosing a runner returns, and the helpers every runner module uses.

Kept apart from the registry in ``gocross.runners`` so that runner modules can import these types without
importing the registry that imports them. ``gocross inspect`` loads this module for its runs-here verdict,
so it imports neither ``dataclasses`` nor ``pathlib`` (RunnerChoice is a NamedTuple: immutable and typed,
and ``dataclasses`` with the ``inspect`` module it imports costs more start-up than the whole verdict).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from pathlib import Path

_NO_ENV: Mapping[str, str] = MappingProxyType({})


class RunnerChoice(NamedTuple):
    """How to run one target here: the runner, its program, whether it is installed, and the exact argv.

    ``prefix`` is everything that goes before the binary (the emulator and its options); ``env`` is added
    to the caller's environment (e.g. ``QEMU_CPU``). ``timeout_factor`` scales time limits: emulated code
    runs several times slower than native, soft-float code much slower still.
    """

    name: str  # "native" | "qemu-user" | "node" | "wasmtime"
    program: str | None
    installed: bool
    install_hint: str | None
    env: Mapping[str, str] = _NO_ENV
    prefix: tuple[str, ...] = ()
    timeout_factor: float = 1.0
    note: str | None = None  # e.g. "QEMU_CPU=arm1176 emulates an ARMv6 CPU (GOARM=6)"

    @property
    def kind(self) -> str:
        """Short column value: "native", "qemu", "node" or "wasmtime"."""
        return "qemu" if self.name == "qemu-user" else self.name

    def command(self, binary: Path, args: Sequence[str]) -> list[str]:
        """The exact argv that runs ``binary args`` under this runner (no shell involved).

        A bare file name becomes ``./name``: as argv[0] of a native run it would otherwise be looked up on
        PATH instead of taken from the current folder.
        """
        name = str(binary)
        if "/" not in name:
            name = f"./{name}"
        return [*self.prefix, name, *args]

    def with_cpu(self, cpu: str) -> RunnerChoice:
        """The same choice with the emulated CPU model forced (qemu only): ``QEMU_CPU=cpu``."""
        return self._replace(env={**self.env, "QEMU_CPU": cpu}, note=f"QEMU_CPU={cpu} (forced)")


@functools.cache
def version_output(program: str) -> str:
    """What ``PROGRAM --version`` prints ("" when it cannot be run), asked once per process."""
    import subprocess  # not at the top: `gocross inspect` loads this module and never starts a process

    try:
        proc = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip()


@dataclass(frozen=True)
class RunnerStatus:
    """What ``gocross doctor`` says about one runner: what it covers and whether it is ready."""

    name: str
    covers: tuple[str, ...]  # "linux/arm64", ...
    installed: bool
    programs: Mapping[str, str | None] = field(default_factory=dict, hash=False)  # program -> path or None
    version: str | None = None
    install_hint: str | None = None
    detail: str | None = None


class Runner(Protocol):
    """One way of running binaries here. A new runner (e.g. wine) is one module exposing ``RUNNER``."""

    name: str
    kind: str

    def targets(self) -> Iterable[tuple[str, str]]:
        """The (GOOS, GOARCH) pairs this runner may handle on this host."""
        ...

    def choose(self, goos: str, goarch: str, variant: str | None) -> RunnerChoice | None:
        """The runner for this target and variant, or None when this runner cannot run it here."""
        ...

    def why_not(self, goos: str, goarch: str, variant: str | None) -> str:
        """Plain-words reason ``choose`` returned None."""
        ...

    def status(self) -> RunnerStatus:
        """Installed state and coverage, for ``gocross doctor``."""
        ...
