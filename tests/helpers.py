"""Small helpers for tests that drive the real `gocross` command line."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

from elftools.elf.enums import ENUM_E_MACHINE

# ELF e_machine per GOARCH, from pyelftools' own enum (an independent oracle for gocross.platforms), with the
# byte order Go uses for that GOARCH.
_EM = {"386": "EM_386", "amd64": "EM_X86_64", "arm": "EM_ARM", "arm64": "EM_AARCH64", "loong64": "EM_LOONGARCH",
       "mips": "EM_MIPS", "mipsle": "EM_MIPS", "mips64": "EM_MIPS", "mips64le": "EM_MIPS", "ppc64": "EM_PPC64",
       "ppc64le": "EM_PPC64", "riscv64": "EM_RISCV", "s390x": "EM_S390"}
_BIG_ENDIAN = {"mips", "mips64", "ppc64", "s390x"}
ELF_MACHINE = {arch: (ENUM_E_MACHINE[em], ">" if arch in _BIG_ENDIAN else "<") for arch, em in _EM.items()}


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


# Runs argv[2:] and writes "<exit status> <peak KiB> <seconds>" to argv[1]. A child's ru_maxrss counts the
# address space it had before exec, so a child of pytest reports pytest's own peak when that is larger
# (measured: `python -c pass` from a 300 MB parent said 321 MB). Started from this small process, it is the
# program's own.
_PEAK = """
import os, subprocess, sys, time
started = time.monotonic()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {time.monotonic() - started}")
"""


def peak_run(argv: list[str | Path], scratch: Path) -> tuple[int, bytes, bytes, int, float]:
    """(exit status, stdout, stderr, peak resident KiB, seconds) of ``argv``, its memory measured on its own."""
    report = scratch / "peak.txt"
    proc = subprocess.run([sys.executable, "-c", _PEAK, str(report), *map(str, argv)], capture_output=True,
                          check=False)
    code, kib, seconds = report.read_text().split()
    return int(code), proc.stdout, proc.stderr, int(kib), float(seconds)
