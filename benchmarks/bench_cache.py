"""The shared build cache: how much a warm remote saves a runner that starts with an empty GOCACHE.

examples/hello for the post's five targets, each run into a fresh output folder (so every target is linked),
alternating within a round:

  (a) cold            empty GOCACHE, no shared cache                       — a fresh CI runner today
  (a') cold + cache   empty GOCACHE, --cache to an empty nginx on loopback — the first runner (it uploads)
  (b) warm remote     empty GOCACHE, --cache to the nginx that (a') filled  — every later runner
  (b-) without read-ahead  the same, GOCROSS_CACHE_READ_AHEAD=off (each lookup waits for its own download)
  (c) warm local      the GOCACHE (a) left, no shared cache                — a runner that kept its cache
  (d) cache, local    the same warm GOCACHE, --cache on: each target's list is all local, so it builds
                      without GOCACHEPROG (what it added is uploaded at the end)
  (d*) helper, local  the same with GOCROSS_CACHE_LOCAL_BUILDS=off: every lookup answered by the helper
  (d-) relay, local   the same through the Python relay, GOCROSS_CACHE_HELPER=python and LOCAL_BUILDS=off

Targets from the issue: (b) ≥ 10× faster than (a) and within 2× of (c); (d) within 5 % of (c). (a') against
(a) shows whether write-back slows a cold build. The cache server is Debian's nginx with WebDAV PUT, as in
the tests. Every empty GOCACHE is a new folder, and none is deleted before the end: on this machine kind's
ext4 (no journal) creating a file right after thousands were deleted costs up to ≈ 1 ms (perf: the inode
allocator skipping inodes deleted in the last 30 s, ``recently_deleted``), which is the churn of the
benchmark, not of a fresh runner. Cold rounds cost minutes each; ``--rounds`` sets the warm rounds,
``--cold-rounds`` the cold ones.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.nginx_cache import nginx_cache

from _common import Sample, machine, median, precompile_gocross, timed

REPO = Path(__file__).resolve().parent.parent
TARGETS = "linux/amd64,linux/arm64,linux/ppc64le,linux/ppc64,linux/s390x"


def build(scratch: Path, name: str, gocache: Path, cache: str | None) -> Sample:
    out = scratch / "out" / name.replace("'", "-filling").replace("*", "-helper")
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "GOCACHE": str(gocache), "CI": "1"}
    env.pop("GOCROSS_CACHE", None)
    if name == "b-":
        env["GOCROSS_CACHE_READ_AHEAD"] = "off"
    if name in ("d*", "d-"):
        env["GOCROSS_CACHE_LOCAL_BUILDS"] = "off"
    if name == "d-":
        env["GOCROSS_CACHE_HELPER"] = "python"
    argv = [sys.executable, "-m", "gocross", "build", REPO / "examples" / "hello", "--target", TARGETS,
            "--out", out, *(["--cache", cache] if cache else [])]
    return timed(argv, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds (b, c, d), alternated")
    parser.add_argument("--cold-rounds", type=int, default=1, help="cold rounds (a, a'), alternated")
    args = parser.parse_args()
    precompile_gocross()
    from gocross.cacheprog.native import native_helper
    from gocross.toolchain import find_toolchain

    native_helper(find_toolchain())  # its one-time build (≈ 9 s, into a GOCACHE of its own) is not any round's
    samples: dict[str, list[Sample]] = {k: [] for k in ("a", "a'", "b", "b-", "c", "d", "d*", "d-")}
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        scratch = Path(tmp)
        with nginx_cache(scratch / "nginx") as server:
            for i in range(args.cold_rounds):
                shutil.rmtree(server.data, ignore_errors=True)
                server.data.mkdir()
                for key, cache in (("a", None), ("a'", server.url)) if i % 2 == 0 else \
                        (("a'", server.url), ("a", None)):
                    gocache = scratch / f"gocache-{key.replace(chr(39), '-filling')}-{i}"
                    samples[key].append(build(scratch, key, gocache, cache))
                    print(f"  {key:>2} cold round {i + 1}: {samples[key][-1].wall:7.2f}s", flush=True)
            warm_local = scratch / "gocache-a-0"
            for i in range(args.rounds):
                order = [("b", None), ("c", warm_local), ("b-", None), ("d", warm_local), ("d*", warm_local),
                         ("d-", warm_local)]
                for key, gocache in order[i % len(order):] + order[:i % len(order)]:
                    empty = scratch / f"gocache-empty-{key.replace('*', 'x')}-{i}"  # never one just deleted
                    cache = None if key == "c" else server.url
                    samples[key].append(build(scratch, key, gocache or empty, cache))
                print(f"  warm round {i + 1}: " + ", ".join(f"{k} {samples[k][-1].wall:.2f}s"
                                                          for k in ("b", "b-", "c", "d", "d*", "d-")), flush=True)
    walls = {k: median([s.wall for s in v]) for k, v in samples.items()}
    print(f"\n{machine()}; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"examples/hello, {TARGETS}; {args.cold_rounds} cold and {args.rounds} warm rounds, medians of wall time")
    for key, label in (("a", "cold, no shared cache"), ("a'", "cold, filling the shared cache"),
                       ("b", "empty GOCACHE, warm shared cache"),
                       ("b-", "the same without read-ahead"), ("c", "warm local GOCACHE"),
                       ("d", "warm local GOCACHE, --cache on"),
                       ("d*", "the same, every lookup through the helper"),
                       ("d-", "the same through the Python relay")):
        print(f"  ({key:>2}) {label:<40} {walls[key]:8.2f}s")
    print(f"  a / b  = {walls['a'] / walls['b']:6.1f}×   (target ≥ 10×)")
    print(f"  b / c  = {walls['b'] / walls['c']:6.2f}×   (target ≤ 2×)")
    print(f"  b-/ b  = {walls['b-'] / walls['b']:6.2f}×   (what read-ahead saves)")
    print(f"  d / c  = {walls['d'] / walls['c']:6.3f}×   (the cache's overhead; target < 1.05×)")
    print(f"  d*/ c  = {walls['d*'] / walls['c']:6.3f}×   (the same, every lookup through the helper)")
    print(f"  d-/ c  = {walls['d-'] / walls['c']:6.3f}×   (the same through the relay)")
    write_back = walls["a'"] / walls["a"]
    print(f"  a' / a = {write_back:6.3f}×   (write-back on a cold build)")


if __name__ == "__main__":
    main()
