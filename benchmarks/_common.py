"""Shared plumbing for the benchmarks: timing whole processes with their CPU time and peak memory."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float  # user + system seconds of all child processes
    peak_rss_mib: float  # largest resident set of any one child process


def timed(argv: Sequence[str | Path], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
          ok: Sequence[int] = (0,)) -> Sample:
    """Run one command to completion; fail loudly if it fails (a benchmark of a failure means nothing).

    ``ok``: the exit codes that are not failures (`go version -m` exits 1 on files it cannot read).

    wait4 gives this one process tree's CPU time and peak memory (its own and its reaped children's).
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([str(a) for a in argv], env=dict(env) if env else None, cwd=cwd,
                                stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            out.seek(0)
            raise SystemExit(f"benchmark command failed ({proc.returncode}): {argv}\n{out.read().decode()}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def precompile_gocross() -> None:
    """Write gocross's bytecode once, as `pip install` does. With PYTHONDONTWRITEBYTECODE set (as on CI
    machines here) an editable install would otherwise recompile every module in every timed process."""
    import compileall

    import gocross

    compileall.compile_dir(str(Path(gocross.__file__).parent), quiet=1)


def timed_many(commands: Sequence[Sequence[str | Path]], *, env: Mapping[str, str] | None = None,
               cwd: Path | None = None) -> Sample:
    """Run commands one after another (a shell loop) and sum them into one sample."""
    samples = [timed(c, env=env, cwd=cwd) for c in commands]
    return Sample(sum(s.wall for s in samples), sum(s.cpu for s in samples),
                  max(s.peak_rss_mib for s in samples))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}"


def clean_venv_python(folder: Path) -> Path:
    """A venv interpreter that imports gocross and its installed dependencies but runs no start-up hooks.

    Like a pipx install: its own site-packages, holding one path-only .pth file that lists gocross's source
    folder and this interpreter's site-packages. Path lines add folders to sys.path without running the
    ``import`` lines of the .pth files in them (this sandbox's base interpreter runs a certifi hook from one
    at every start), so the timing is of Python and gocross, not of the machine's site customisations.
    """
    import site
    import sys

    import gocross

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    paths = [str(Path(gocross.__file__).resolve().parent.parent), *site.getsitepackages()]
    (Path(purelib) / "gocross-paths.pth").write_text("\n".join(paths) + "\n")
    return python


def console_script(python: Path, folder: Path) -> Path:
    """The ``gocross`` command as pip and pipx install it for ``python``: the same template, its own shebang.

    The benchmarks time this, not ``python -m gocross``: it is what users run, and ``-m`` adds runpy.
    """
    script = folder / "gocross"
    script.write_text(f"#!{python}\n" + _PIP_TEMPLATE)
    script.chmod(0o755)
    return script


# What pip writes for a ``console_scripts`` entry point (pip/_vendor/distlib/scripts.py), for gocross.cli:main.
_PIP_TEMPLATE = """# -*- coding: utf-8 -*-
import re
import sys
from gocross.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""
