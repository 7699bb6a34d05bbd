"""Shared plumbing for the benchmarks: timing whole processes with their CPU time and peak memory."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float  # user + system seconds of all child processes
    peak_rss_mib: float  # largest resident set of any one child process


def timed(argv: Sequence[str | Path], *, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Sample:
    """Run one command to completion; fail loudly if it fails (a benchmark of a failure means nothing)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([str(a) for a in argv], env=dict(env) if env else None, cwd=cwd,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {argv}\n{proc.stdout}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu, after.ru_maxrss / 1024)


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
