"""What choosing a runner returns, and the helpers every runner module uses.

Kept apart from the registry in ``gocross.runners`` so that runner modules can import these types without
importing the registry that imports them. ``gocross inspect`` loads this module for its runs-here verdict,
so it imports neither ``dataclasses`` nor ``pathlib`` (RunnerChoice is a NamedTuple: immutable and typed,
and ``dataclasses`` with the ``inspect`` module it imports costs more start-up than the whole verdict).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

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


def which(program: str) -> str | None:
    """Full path of a program on PATH, looked up at call time (tests change PATH).

    Remembered per (program, PATH): inspecting a directory of binaries asks for the same emulators again
    and again, and each PATH search is a dozen stat calls.
    """
    return _which(program, os.environ.get("PATH", os.defpath))


@functools.cache
def version_output(program: str) -> str:
    """What ``PROGRAM --version`` prints ("" when it cannot be run), asked once per process."""
    import subprocess  # not at the top: `gocross inspect` loads this module and never starts a process

    try:
        proc = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip()


@functools.lru_cache(maxsize=256)
def _which(program: str, path: str) -> str | None:
    """shutil.which's POSIX rule (an executable non-directory in the first PATH folder that has one).

    Written out because importing shutil (which pulls in bz2, lzma and fnmatch) is a visible share of a
    one-file ``gocross inspect``; the tests compare it with shutil.which.
    """
    if os.sep in program:
        return program if _is_program(program) else None
    for folder in path.split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, program)  # noqa: PTH118 (str in, str out, no Path)
        if _is_program(candidate):
            return candidate
    return None


def _is_program(path: str) -> bool:
    return os.access(path, os.X_OK) and not os.path.isdir(path)  # noqa: PTH112
