"""cgo cross builds: gocross with zig vs Debian's own cross gcc driven by a plain loop, alternated in one run.

The workload is the C/C++ fixture (tests/fixtures/cgomix: a C library, a C++ function, threads, libm, a
callback into Go) for the post's five architectures, warm: GOCACHE and zig's cache are warm and each round
edits the C file (a new comment), so each target recompiles the C package and links again — the
edit-rebuild loop of someone working on cgo code.

- gocross: ``gocross build --cgo`` (zig, glibc 2.17; ppc64 with ``--libc musl``: zig has no big-endian
  ppc64 glibc).
- loop: ``CGO_ENABLED=1 GOARCH=… CC=<triple>-gcc CXX=<triple>-g++ go build`` per target, one after another,
  with Debian's cross compilers. Those are NOT part of scripts/test.sh; for this benchmark only:

      apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu gcc-powerpc64le-linux-gnu \\
          g++-powerpc64le-linux-gnu gcc-s390x-linux-gnu g++-s390x-linux-gnu gcc-powerpc64-linux-gnu \\
          g++-powerpc64-linux-gnu

  A target whose cross gcc is missing, or that Debian's gcc cannot link for, is left out of *both* sides
  and named.

Also measured once: the cold first-use cost of one zig target (an empty ZIG_GLOBAL_CACHE_DIR, warm GOCACHE).

    python benchmarks/bench_cgo.py [--rounds 3] [--skip-cold]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Sample, machine, median, precompile_gocross, timed, timed_many

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "cgomix"
GCC = {"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "ppc64le": "powerpc64le-linux-gnu",
       "ppc64": "powerpc64-linux-gnu", "s390x": "s390x-linux-gnu"}


def go_binary() -> str:
    from gocross.toolchain import find_toolchain

    return str(find_toolchain().go)


def gcc_for(goarch: str) -> tuple[str, str] | None:
    if goarch == "amd64":
        return ("gcc", "g++") if shutil.which("g++") else None
    triple = GCC[goarch]
    cc, cxx = shutil.which(f"{triple}-gcc"), shutil.which(f"{triple}-g++")
    return (cc, cxx) if cc and cxx else None


def loop_command(go: str, goarch: str, out: Path, env: dict[str, str]) -> tuple[list[str | Path], dict[str, str]]:
    compilers = gcc_for(goarch)
    assert compilers is not None
    cc, cxx = compilers
    return ([go, "build", "-trimpath", "-o", out / f"cgomix_linux_{goarch}", "."],
            {**env, "GOOS": "linux", "GOARCH": goarch, "CGO_ENABLED": "1", "CC": cc, "CXX": cxx})


def edit(module: Path, n: int) -> None:
    path = module / "ccalc" / "ccalc.c"
    text = path.read_text().split("\n/* edit ")[0]
    path.write_text(f"{text}\n/* edit {n} */\n")


def usable(go: str, module: Path, env: dict[str, str], scratch: Path) -> list[str]:
    """The post's arches Debian's cross gcc can build the fixture for here (the others are named)."""
    keep = []
    for goarch in GCC:
        if gcc_for(goarch) is None:
            print(f"  left out: linux/{goarch} (no {GCC[goarch]}-gcc/g++ installed)")
            continue
        argv, full = loop_command(go, goarch, scratch, env)
        import subprocess

        proc = subprocess.run([str(a) for a in argv], env=full, cwd=module, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            print(f"  left out: linux/{goarch} (Debian's gcc cannot: {proc.stderr.strip().splitlines()[-1][:100]})")
            continue
        keep.append(goarch)
    return keep


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    precompile_gocross()
    go = go_binary()
    print(f"machine: {machine()} (shared with other jobs; wall times are noisy)")
    with tempfile.TemporaryDirectory(prefix="bench-cgo-") as scratch_name:
        scratch = Path(scratch_name)
        module = scratch / "cgomix"
        shutil.copytree(FIXTURE, module)
        env = {k: v for k, v in os.environ.items() if k not in ("CC", "CXX", "CGO_LDFLAGS")}
        env.setdefault("GOFLAGS", "-mod=mod")
        arches = usable(go, module, env, scratch)
        gnu = [f"linux/{a}" for a in arches if a != "ppc64"]
        gocross_cmds: list[list[str | Path]] = [[sys.executable, "-m", "gocross", "build", module, "--cgo", "-o",
                                                 scratch / "g", "-t", ",".join(gnu)]]
        if "ppc64" in arches:
            gocross_cmds.append([sys.executable, "-m", "gocross", "build", module, "--cgo", "--libc", "musl",
                                 "-o", scratch / "gm", "-t", "linux/ppc64"])
        print(f"targets: {', '.join('linux/' + a for a in arches)}")
        for cmd in gocross_cmds:  # warm zig's cache and the GOCACHE for both sides
            timed(cmd, env=env, cwd=module)
        samples: dict[str, list[Sample]] = {"gocross+zig": [], "loop+gcc": []}
        for n in range(args.rounds):
            for side in (("gocross+zig", "loop+gcc") if n % 2 == 0 else ("loop+gcc", "gocross+zig")):
                edit(module, n * 2 + (side == "loop+gcc"))
                if side == "gocross+zig":
                    samples[side].append(timed_many(gocross_cmds, env=env, cwd=module))
                else:
                    loop = [loop_command(go, a, scratch, env) for a in arches]
                    parts = [timed(argv, env=full, cwd=module) for argv, full in loop]
                    samples[side].append(Sample(sum(p.wall for p in parts), sum(p.cpu for p in parts),
                                                max(p.peak_rss_mib for p in parts)))
        for side, got in samples.items():
            print(f"{side:12} edit rebuild: median {median([s.wall for s in got]):6.1f} s wall, "
                  f"{median([s.cpu for s in got]):6.1f} s CPU  ({len(got)} rounds)")
        ratio = median([s.wall for s in samples["gocross+zig"]]) / median([s.wall for s in samples["loop+gcc"]])
        print(f"ratio gocross+zig / loop+gcc: {ratio:.2f}x wall")
        if not args.skip_cold:
            cold = scratch / "zig-cold"
            sample = timed([sys.executable, "-m", "gocross", "build", module, "--cgo", "--force", "-o",
                            scratch / "c", "-t", "linux/arm64"], env={**env, "ZIG_GLOBAL_CACHE_DIR": str(cold)},
                           cwd=module)
            print(f"cold first use of zig for linux/arm64 (empty zig cache, warm GOCACHE): {sample.wall:.1f} s "
                  f"wall, {sample.cpu:.1f} s CPU")


if __name__ == "__main__":
    main()
