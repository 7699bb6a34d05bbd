"""The ProcessPrng shim: a ``bcryptprimitives.dll`` built at first use from the C source shipped in ``csrc/``.

Go ≥ 1.22 loads ``ProcessPrng`` from ``bcryptprimitives.dll`` before ``main``; wine has that DLL only from
8.13 (Debian 12 ships 8.0). The shim forwards to advapi32's ``SystemFunction036`` (RtlGenRandom). It is
compiled here rather than committed as a binary, with zig (``pip install 'gocross[cgo]'``) or, when zig is
absent, a MinGW gcc on PATH. ``-nostdlib``: no C runtime, so a cold zig cache costs a fraction of a second
instead of building MinGW's CRT (minutes on 2 cores). The ``.def`` file keeps the 32-bit export undecorated
(``ProcessPrng``, not ``ProcessPrng@8``), which Go's ``GetProcAddress`` needs.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from gocross.errors import ToolchainError
from gocross.executor import execute, output_tail
from gocross.platforms import arch

SOURCE = Path(__file__).with_name("csrc") / "bcryptprimitives.c"
EXPORTS = SOURCE.with_suffix(".def")
MARKER = b"gocross ProcessPrng shim"  # in the shim's data: tells gocross's own DLL from a real one
_FLAGS = ("-shared", "-O2", "-nostdlib", "-s")


def compiler(goarch: str) -> tuple[list[str], dict[str, str]]:
    """The C compiler command for the shim of windows/``goarch`` and its environment: zig, else MinGW gcc."""
    from gocross.zig import INSTALL_HINT, find_zig

    record = arch(goarch)
    if record is None or record.zig_windows is None:
        raise ToolchainError(f"gocross has no ProcessPrng shim for windows/{goarch}.")
    zig = find_zig()
    if zig is not None:
        return zig.cc(record.zig_windows), zig.env()
    gcc = shutil.which(f"{record.mingw}-gcc") if record.mingw else None
    if gcc is not None:
        return [gcc], {}
    raise ToolchainError(f"Running windows/{goarch} programs under this wine needs a small ProcessPrng DLL, "
                         f"built with zig or MinGW gcc, and neither is installed; install zig with: "
                         f"{INSTALL_HINT}")


def build_shim(goarch: str, dest: Path) -> None:
    """Compile the shim for windows/``goarch`` into ``dest`` (written whole: built aside, then renamed)."""
    import os

    command, extra = compiler(goarch)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gocross-shim-", dir=dest.parent) as work:
        out = Path(work) / "bcryptprimitives.dll"
        argv = [*command, *_FLAGS, "-o", str(out), str(SOURCE), str(EXPORTS), "-ladvapi32"]
        done = execute(argv, env={**os.environ, **extra}, timeout=600, cwd=Path(work), filter_stderr=False)
        if done.returncode != 0 or not out.is_file():
            tail = output_tail((done.stdout, done.stderr), lines=10, what="the compiler", returncode=done.returncode)
            raise ToolchainError(f"Could not build the ProcessPrng shim for windows/{goarch}: {tail}")
        out.replace(dest)


def is_shim(dll: Path) -> bool:
    """True when ``dll`` is gocross's own shim (False for wine's real DLL, or no file)."""
    try:
        return MARKER in dll.read_bytes()
    except OSError:
        return False
