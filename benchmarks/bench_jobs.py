"""How many targets to build at once on this machine: the measurement behind gocross's default ``-j``.

Cold: the post's five targets of examples/hello from an empty GOCACHE, for each -j, alternating.
Go check: every buildable target with ``--force`` (go build runs, finds the outputs up to date), per -j.

    python benchmarks/bench_jobs.py [--rounds 2] [--cold-jobs 1,2,3,4] [--check-jobs 1,2,4,6]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Sample, machine, median, precompile_gocross, timed

REPO = Path(__file__).resolve().parent.parent
POST = "linux/amd64,linux/arm64,linux/ppc64le,linux/ppc64,linux/s390x"


def gocross_build(src: Path, out: Path, env: dict[str, str], targets: str, jobs: int, *extra: str) -> Sample:
    return timed([sys.executable, "-m", "gocross", "build", src, "-t", targets, "-o", out, "-j", str(jobs), *extra],
                 env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cold-jobs", default="1,2,3,4")
    parser.add_argument("--check-jobs", default="1,2,4,6")
    parser.add_argument("--edit-jobs", default="1,2,3,5")
    args = parser.parse_args()
    precompile_gocross()
    cold_jobs = [int(j) for j in args.cold_jobs.split(",") if j]
    check_jobs = [int(j) for j in args.check_jobs.split(",") if j]
    edit_jobs = [int(j) for j in args.edit_jobs.split(",") if j]
    print(f"machine: {machine()}; rounds: {args.rounds}")
    base = {**os.environ, "CI": "1"}
    with tempfile.TemporaryDirectory(prefix="gocross-jobs-") as tmp:
        root = Path(tmp)
        src = root / "hello"
        shutil.copytree(REPO / "examples" / "hello", src, ignore=shutil.ignore_patterns("dist"))
        cold: dict[int, list[Sample]] = {j: [] for j in cold_jobs}
        for r in range(args.rounds):
            for j in cold_jobs if r % 2 == 0 else list(reversed(cold_jobs)):
                cache = root / "cache"
                shutil.rmtree(cache, ignore_errors=True)
                shutil.rmtree(root / "out", ignore_errors=True)
                cold[j].append(gocross_build(src, root / "out", {**base, "GOCACHE": str(cache)}, POST, j))
        for j, samples in cold.items():
            print(f"cold, 5 targets, -j {j}: median {median([s.wall for s in samples]):6.2f}s wall, "
                  f"{median([s.cpu for s in samples]):6.1f} CPU-s, peak {max(s.peak_rss_mib for s in samples):.0f} MiB")
        warm = dict(base)  # the user's GOCACHE: only edits and up-to-date checks are timed here
        gocross_build(src, root / "edit", warm, POST, 2)
        edit: dict[int, list[Sample]] = {j: [] for j in edit_jobs}
        for r in range(args.rounds * 3):
            for j in edit_jobs if r % 2 == 0 else list(reversed(edit_jobs)):
                (src / "edit_stamp.go").write_text(f'package main\n\nvar editStamp = "{r}-{j}"\n')
                edit[j].append(gocross_build(src, root / "edit", warm, POST, j))
        for j, samples in edit.items():
            print(f"edit, 5 targets, -j {j}: median {median([s.wall for s in samples]):5.2f}s wall, "
                  f"{median([s.cpu for s in samples]):5.2f} CPU-s")
        gocross_build(src, root / "all", warm, "all", 2)
        check: dict[int, list[Sample]] = {j: [] for j in check_jobs}
        for r in range(args.rounds):
            for j in check_jobs if r % 2 == 0 else list(reversed(check_jobs)):
                check[j].append(gocross_build(src, root / "all", warm, "all", j, "--force"))
        for j, samples in check.items():
            print(f"go up-to-date check, all targets, -j {j}: median {median([s.wall for s in samples]):5.2f}s wall, "
                  f"{median([s.cpu for s in samples]):5.2f} CPU-s")


if __name__ == "__main__":
    main()
