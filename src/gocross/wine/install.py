"""Which wine is installed: its launchers, its wineserver, its version, and whether it runs 32-bit programs.

Only looks at files (``gocross inspect`` and ``gocross targets`` ask it): nothing is started here except
``--version`` for doctor. Debian installs the real launchers under ``/usr/lib/wine`` and puts only wrapper
scripts on PATH (``wine`` picks a launcher, and prints "wine32 is missing" instead of running a 32-bit
program); other distributions put the launchers on PATH.

32-bit support is the 32-bit half of wine (Debian: ``wine32:i386``, its unix libraries in
``i386-unix``). Without it, wine64 "runs" a 386 program to exit status 0 with no output at all — the reason
windows/386 is only offered when that half is found, and why the prefix also checks it by running a
32-bit program (:func:`gocross.wine.prefix.ensure_prefix`).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from gocross.runners.base import version_output

LIB_DIRS = (Path("/usr/lib/wine"),)  # Debian's launchers, off PATH
# Where a distribution keeps wine's unix-side libraries, per half: Debian (multiarch), Fedora/Arch, lib32.
_UNIX_LIBS = {
    "wine64": ("/usr/lib/x86_64-linux-gnu/wine/x86_64-unix", "/usr/lib64/wine/x86_64-unix",
               "/usr/lib/wine/x86_64-unix"),
    "wine32": ("/usr/lib/i386-linux-gnu/wine/i386-unix", "/usr/lib/wine/i386-unix", "/usr/lib32/wine/i386-unix"),
}
_LAUNCHERS = {"wine64": "wine64", "wine32": "wine"}

INSTALL_64 = "apt-get install wine64"
INSTALL_32 = "dpkg --add-architecture i386 && apt-get update && apt-get install wine32:i386"


@dataclass(frozen=True)
class WineHalf:
    """One half of wine ("wine64" or "wine32"): its launcher and whether its unix libraries are installed."""

    half: str
    launcher: str | None
    libraries: bool

    @property
    def installed(self) -> bool:
        return self.launcher is not None and self.libraries

    @property
    def install_hint(self) -> str:
        return INSTALL_32 if self.half == "wine32" else INSTALL_64


def _launcher(half: str) -> str | None:
    name = _LAUNCHERS[half]
    for folder in LIB_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    on_path = shutil.which(name)
    if on_path is None or (half == "wine32" and _is_script(on_path)):
        return None  # Debian's /usr/bin/wine is a wrapper that refuses 32-bit programs without wine32
    return on_path


def _is_script(path: str) -> bool:
    try:
        with Path(path).open("rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return True


def find_half(half: str) -> WineHalf:
    """The launcher and libraries of one half of wine ("wine64" or "wine32", as ``Arch.wine`` names it)."""
    libraries = any((Path(d) / "ntdll.so").is_file() for d in _UNIX_LIBS[half])
    return WineHalf(half, _launcher(half), libraries)


def builtin_dll(half: str, name: str) -> Path | None:
    """Wine's own PE library ``name`` for one half (``x86_64-windows``/``i386-windows``), if it ships one."""
    for unix in _UNIX_LIBS[half]:
        candidate = Path(unix.removesuffix("-unix") + "-windows") / name
        if candidate.is_file():
            return candidate
    return None


def wineserver() -> str | None:
    """The wineserver next to the launchers (Debian), else on PATH."""
    for folder in LIB_DIRS:
        if (folder / "wineserver").is_file():
            return str(folder / "wineserver")
    return shutil.which("wineserver")


def wine_version(launcher: str) -> str | None:
    """``wine-8.0`` from ``LAUNCHER --version`` ("wine-8.0 (Debian 8.0~repack-4)"), or None."""
    found = re.match(r"(wine-\S+)", version_output(launcher))
    return found[1] if found else None
