"""gocross test vs the hand-written loop, over the post's five architectures, in one run, alternating.

The loop is what people write today: for each architecture, ``GOARCH=$a go test -count=1 -exec
qemu-$a-static .`` one after another (no -exec for amd64, which runs natively). gocross does the same work —
compile each test binary, run it under the same qemu — with the builds and runs in parallel. Both sides use
the same flags (CGO_ENABLED=0, -trimpath, -count=1 so go test's result cache never answers) and the same warm
GOCACHE (one unmeasured round of each first), so only the way the work is driven differs.

Prints each side's median wall time, the ratio loop ÷ gocross (target ≥ 1.5), and per architecture the
test binary's own run time under gocross and its overhead over the native run.

    python benchmarks/bench_test_matrix.py [--rounds 5] [--dir examples/hello] [--pkg .] [--short]

``--pkg`` takes any package go test takes, e.g. ``--pkg compress/flate --short`` for a standard-library
suite whose run time under qemu dominates (examples/hello's tests take a fraction of a second).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POST_ARCHS = ("amd64", "arm64", "ppc64le", "ppc64", "s390x")
QEMU = {"arm64": "aarch64", "ppc64le": "ppc64le", "ppc64": "ppc64", "s390x": "s390x"}


def _go() -> str:
    from gocross.toolchain import find_toolchain

    return str(find_toolchain().go)


def _run(argv: Sequence[str], cwd: Path, env: dict[str, str], ok_codes: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode not in ok_codes:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {argv}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def loop_once(go: str, package: Path, env: dict[str, str], pkg: str, extra: list[str]
              ) -> tuple[float, dict[str, float]]:
    """The sequential loop; (total wall, per-arch wall)."""
    per_arch = {}
    for arch in POST_ARCHS:
        exec_flag = [] if arch == "amd64" else ["-exec", f"qemu-{QEMU[arch]}-static"]
        started = time.perf_counter()
        _run([go, "test", "-count=1", *extra, "-trimpath", *exec_flag, pkg], package,
             {**env, "GOARCH": arch, "CGO_ENABLED": "0"})
        per_arch[arch] = time.perf_counter() - started
    return sum(per_arch.values()), per_arch


def gocross_once(package: Path, env: dict[str, str], pkg: str, extra: list[str]
                 ) -> tuple[float, dict[str, float]]:
    """One ``gocross test`` over the five; (wall, per-arch run seconds of the test binary from --json)."""
    targets = ",".join(f"linux/{a}" for a in POST_ARCHS)
    started = time.perf_counter()
    out = _run([sys.executable, "-m", "gocross", "test", pkg, "--target", targets, "--json", "--", "-count", "1",
                *extra], package, env)
    wall = time.perf_counter() - started
    per_arch = {}
    for line in out.splitlines():
        event = json.loads(line)
        if "Status" in event:
            if event["Status"] != "passed":
                raise SystemExit(f"gocross test did not pass on {event['Target']}: {event.get('Reason')}")
            per_arch[event["Target"].split("/")[1]] = float(event["Elapsed"])
    return wall, per_arch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=REPO / "examples" / "hello", help="module directory")
    parser.add_argument("--pkg", default=".", help="package to test (as go test takes it)")
    parser.add_argument("--short", action="store_true", help="pass -short to both sides")
    args = parser.parse_args()
    go, package, pkg = _go(), args.dir.resolve(), args.pkg
    extra = ["-short"] if args.short else []
    env = {**os.environ, "GOTOOLCHAIN": "local", "CI": "1"}
    env.pop("GOARCH", None)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load {load:.1f}; package {pkg} in {package.name} {' '.join(extra)}; "
          f"rounds: {args.rounds} (after one warm-up round of each)")
    loop_once(go, package, env, pkg, extra)
    gocross_once(package, env, pkg, extra)
    loops: list[float] = []
    ours: list[float] = []
    loop_arch: dict[str, list[float]] = {a: [] for a in POST_ARCHS}
    our_arch: dict[str, list[float]] = {a: [] for a in POST_ARCHS}
    for n in range(args.rounds):  # alternate, so drift in machine load hits both sides alike
        wall, per = loop_once(go, package, env, pkg, extra)
        loops.append(wall)
        for a, s in per.items():
            loop_arch[a].append(s)
        wall, per = gocross_once(package, env, pkg, extra)
        ours.append(wall)
        for a, s in per.items():
            our_arch[a].append(s)
        print(f"  round {n + 1}: loop {loops[-1]:.2f}s  gocross {ours[-1]:.2f}s")
    _report(loops, ours, loop_arch, our_arch)


def _report(loops: list[float], ours: list[float], loop_arch: dict[str, list[float]],
            our_arch: dict[str, list[float]]) -> None:
    med_loop, med_ours = statistics.median(loops), statistics.median(ours)
    ratio = med_loop / med_ours
    print(f"\nsequential go test -exec loop: median {med_loop:.2f}s")
    print(f"gocross test:                  median {med_ours:.2f}s")
    print(f"ratio loop / gocross:          {ratio:.2f}x  (target >= 1.5x: {'met' if ratio >= 1.5 else 'NOT met'})")
    native_loop = statistics.median(loop_arch["amd64"])
    native_run = statistics.median(our_arch["amd64"])
    print("\nper arch (medians): loop = go test (build + run) wall; run = the test binary alone under gocross")
    print(f"{'arch':8} {'loop s':>8} {'vs native':>10} {'run s':>8} {'vs native':>10}")
    for arch in POST_ARCHS:
        lw, rw = statistics.median(loop_arch[arch]), statistics.median(our_arch[arch])
        print(f"{arch:8} {lw:8.2f} {lw / native_loop:9.1f}x {rw:8.3f} {rw / max(native_run, 1e-3):9.1f}x")


if __name__ == "__main__":
    main()
