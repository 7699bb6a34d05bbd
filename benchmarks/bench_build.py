"""gocross build vs the post's loop (fixed to build all five), in one run, alternating.

Scenarios: cold (fresh GOCACHE), edit (one source file changed, cache otherwise warm), no-op (nothing
changed); plus a no-op rebuild of every target that needs no C toolchain. Both sides use the same flags
(CGO_ENABLED=0, -trimpath — gocross's defaults), so only the way the builds are driven differs. Prints medians,
the ratio loop ÷ gocross, the CPU-bound limit (CPU seconds ÷ cores) and the peak memory of one child.

    python benchmarks/bench_build.py [--rounds 3] [--skip-cold]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Sample, machine, median, precompile_gocross, timed, timed_many

REPO = Path(__file__).resolve().parent.parent
POST_ARCHS = ("amd64", "arm64", "ppc64le", "ppc64", "s390x")


def go_binary() -> str:
    from gocross.toolchain import find_toolchain

    return str(find_toolchain().go)


def user_gocache(go: str) -> str:
    import subprocess

    return subprocess.run([go, "env", "GOCACHE"], capture_output=True, text=True, check=True).stdout.strip()


def loop_commands(go: str, out: Path) -> list[list[str | Path]]:
    """The post's loop, as it meant to be: one sequential `go build` per architecture."""
    return [[go, "build", "-trimpath", "-o", out / f"prepnode_{arch}"] for arch in POST_ARCHS]


def run_loop(go: str, src: Path, out: Path, env: dict[str, str]) -> Sample:
    samples = []
    for arch, cmd in zip(POST_ARCHS, loop_commands(go, out), strict=True):
        samples.append(timed_many([cmd], env={**env, "GOOS": "linux", "GOARCH": arch}, cwd=src))
    return Sample(sum(s.wall for s in samples), sum(s.cpu for s in samples), max(s.peak_rss_mib for s in samples))


def run_gocross(src: Path, out: Path, env: dict[str, str], targets: str) -> Sample:
    return timed([sys.executable, "-m", "gocross", "build", src, "--target", targets, "--out", out], env=env)


def report(name: str, loop: list[Sample], ours: list[Sample]) -> None:
    cores = os.cpu_count() or 1
    lw, gw = median([s.wall for s in loop]), median([s.wall for s in ours])
    print(f"{name:>8}: loop {lw:7.2f}s (limit {median([s.cpu for s in loop]) / cores:6.2f}s, "
          f"peak {max(s.peak_rss_mib for s in loop):5.0f} MiB) | gocross {gw:7.2f}s "
          f"(limit {median([s.cpu for s in ours]) / cores:6.2f}s, peak {max(s.peak_rss_mib for s in ours):5.0f} MiB)"
          f" | loop/gocross {lw / gw:5.2f}x")


def alternate(rounds: int, prepare: Callable[[], None], a: Callable[[], Sample],
              b: Callable[[], Sample]) -> tuple[list[Sample], list[Sample]]:
    first: list[Sample] = []
    second: list[Sample] = []
    for i in range(rounds):
        order = [(a, first), (b, second)] if i % 2 == 0 else [(b, second), (a, first)]
        for fn, bucket in order:
            prepare()
            bucket.append(fn())
    return first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    precompile_gocross()
    go = go_binary()
    targets = ",".join(f"linux/{a}" for a in POST_ARCHS)
    print(f"machine: {machine()}; go: {go}; rounds: {args.rounds}")
    with tempfile.TemporaryDirectory(prefix="gocross-bench-") as tmp:
        root = Path(tmp)
        src = root / "hello"
        shutil.copytree(REPO / "examples" / "hello", src, ignore=shutil.ignore_patterns("dist"))
        base_env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "CI": "1"}
        loop_out, our_out = root / "loop", root / "ours"
        # Warm scenarios use the user's own GOCACHE: warm is warm, and a fresh one would recompile the
        # standard library for every architecture of the no-op-all scenario.
        warm = {**base_env, "GOCACHE": os.environ.get("GOCACHE") or user_gocache(go)}

        if not args.skip_cold:
            cold_env: dict[str, str] = {}

            def fresh_cache() -> None:
                cache = root / "cold-cache"
                shutil.rmtree(cache, ignore_errors=True)
                cold_env.update(base_env, GOCACHE=str(cache))
                for d in (loop_out, our_out):
                    shutil.rmtree(d, ignore_errors=True)
                    d.mkdir()

            loop, ours = alternate(args.rounds, fresh_cache, lambda: run_loop(go, src, loop_out, cold_env),
                                   lambda: run_gocross(src, our_out, cold_env, targets))
            report("cold", loop, ours)

        # Warm the cache for both sides once, so the edit and no-op scenarios start equal.
        run_loop(go, src, loop_out, warm)
        run_gocross(src, our_out, warm, targets)
        stamp = [0]

        def edit() -> None:
            stamp[0] += 1
            (src / "edit_stamp.go").write_text(f'package main\n\nvar editStamp = "edit {stamp[0]}"\n')

        loop, ours = alternate(args.rounds, edit, lambda: run_loop(go, src, loop_out, warm),
                               lambda: run_gocross(src, our_out, warm, targets))
        report("edit", loop, ours)
        loop, ours = alternate(args.rounds, lambda: None, lambda: run_loop(go, src, loop_out, warm),
                               lambda: run_gocross(src, our_out, warm, targets))
        report("no-op", loop, ours)

        all_out = root / "all"
        run_gocross(src, all_out, warm, "all")  # builds std for every arch once (slow, not timed)
        samples = [run_gocross(src, all_out, warm, "all") for _ in range(args.rounds)]
        built = len(list(all_out.glob("hello_*")))
        print(f"no-op all: gocross rebuild of {built} targets: median {median([s.wall for s in samples]):.2f}s "
              f"(limit {median([s.cpu for s in samples]) / (os.cpu_count() or 1):.2f}s, "
              f"peak {max(s.peak_rss_mib for s in samples):.0f} MiB)")


if __name__ == "__main__":
    main()
