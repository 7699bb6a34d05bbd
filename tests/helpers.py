"""Small helpers for tests that drive the real `gocross` command line."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

# ELF e_machine numbers (from the ELF ABI supplements) and byte order per GOARCH.
ELF_MACHINE = {
    "386": (3, "<"), "amd64": (62, "<"), "arm": (40, "<"), "arm64": (183, "<"), "loong64": (258, "<"),
    "mips": (8, ">"), "mipsle": (8, "<"), "mips64": (8, ">"), "mips64le": (8, "<"),
    "ppc64": (21, ">"), "ppc64le": (21, "<"), "riscv64": (243, "<"), "s390x": (22, ">"),
}


def gocross(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run `python -m gocross ARGS` as a user would and capture everything."""
    return subprocess.run([sys.executable, "-m", "gocross", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def assert_clean_error(proc: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    """A user error: the given exit code, one sentence on stderr naming the problem, never a traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def elf_machine(path: Path) -> tuple[int, str]:
    """(e_machine, byte order) read straight from an ELF header."""
    head = path.read_bytes()[:20]
    assert head[:4] == b"\x7fELF", f"{path} is not ELF"
    order = "<" if head[5] == 1 else ">"
    (machine,) = struct.unpack_from(order + "H", head, 18)
    return machine, order
