"""zig as the C/C++ cross compiler for cgo (and for the small Windows shims gocross builds).

zig comes from PyPI's ``ziglang`` package (``pip install 'gocross[cgo]'``), or from ``GOCROSS_ZIG`` / a ``zig``
on PATH. The package's own binary is used directly rather than ``python -m ziglang``: go calls ``$CC`` once
per C file and several times more to probe it, and each ``python -m`` would add a Python start-up.

zig builds each target's libc once into its global cache; that cache lives under gocross's cache root so that
parallel builds share it and it survives between runs, as GOCACHE does.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gocross.caches import cache_dir
from gocross.errors import ToolchainError

INSTALL_HINT = "pip install 'gocross[cgo]'"


@dataclass(frozen=True)
class Zig:
    """One zig binary and where it was found."""

    path: Path
    source: str  # "GOCROSS_ZIG", "ziglang package" or "PATH"

    def cc(self, triple: str) -> list[str]:
        """The C compiler command for ``triple`` (e.g. ``aarch64-linux-gnu.2.17``), as an argument list."""
        return [str(self.path), "cc", "-target", triple]

    def cxx(self, triple: str) -> list[str]:
        """The C++ compiler command for ``triple``."""
        return [str(self.path), "c++", "-target", triple]

    def env(self) -> dict[str, str]:
        """Environment for every zig child: the shared global cache (the local one goes there too).

        A ``ZIG_GLOBAL_CACHE_DIR`` the user set wins (a CI job that caches zig's folder already), as GOCACHE's.
        """
        cache = os.environ.get("ZIG_GLOBAL_CACHE_DIR") or str(cache_dir("zig"))
        return {"ZIG_GLOBAL_CACHE_DIR": cache, "ZIG_LOCAL_CACHE_DIR": cache}

    @functools.cached_property
    def version(self) -> str:
        """``zig version``'s answer, e.g. ``0.17.1``."""
        proc = subprocess.run([str(self.path), "version"], capture_output=True, text=True, check=False)
        return proc.stdout.strip() or "unknown"


def _package_binary() -> Path | None:
    spec = importlib.util.find_spec("ziglang")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "zig"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    return None


def find_zig() -> Zig | None:
    """The zig to use: ``GOCROSS_ZIG``, else the ``ziglang`` package's, else ``zig`` on PATH; None if none."""
    own = os.environ.get("GOCROSS_ZIG")
    if own:
        found = shutil.which(own)
        if found is None:
            raise ToolchainError(f"GOCROSS_ZIG is set to {own[:80]!r}, which is not an executable; fix or unset it.")
        return Zig(Path(found), "GOCROSS_ZIG")
    packaged = _package_binary()
    if packaged is not None:
        return Zig(packaged, "ziglang package")
    on_path = shutil.which("zig")
    return Zig(Path(on_path), "PATH") if on_path else None


def require_zig(why: str) -> Zig:
    """The zig to use, or a ToolchainError saying that ``why`` (e.g. "cgo for linux/arm64") needs it."""
    zig = find_zig()
    if zig is None:
        raise ToolchainError(f"{why} needs zig, which is not installed; install it with: {INSTALL_HINT}")
    return zig
