"""gocross release --from vs the shell loop people write, packaging 22 targets' binaries, alternating.

The loop: for each binary, ``tar czf`` (``zip`` for windows) with the README and LICENSE, then one
``sha256sum`` over the archives — what a release script without goreleaser does. ``gocross release --from``
writes the same archives (plus a CycloneDX SBOM per archive) and the checksums file, compressing in
parallel threads (zlib releases the GIL); ``--no-packages``, as the loop makes no .deb/.rpm/.apk.

Each round starts both from a fresh copy of the build (new file times, as a second clone would have) and
records whether the archives' bytes equal the first round's: gocross's do by construction; the loop's
carry the files' times and the owner's name.

    python benchmarks/bench_release.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Sample, console_script, machine, median, precompile_gocross, timed  # noqa: E402

TARGETS = ("linux/386,linux/amd64,linux/arm,linux/arm64,linux/loong64,linux/mips,linux/mipsle,linux/mips64,"
           "linux/mips64le,linux/ppc64,linux/ppc64le,linux/riscv64,linux/s390x,windows/386,windows/amd64,"
           "windows/arm64,darwin/amd64,darwin/arm64,freebsd/amd64,freebsd/arm64,openbsd/amd64,netbsd/amd64")

LOOP = r"""set -eu
src=$1; out=$2
cd "$src"
for bin in hello_*; do
  base=${bin%.exe}; base="hello_1.0.0_${base#hello_}"
  if [ "${bin%.exe}" != "$bin" ]; then
    cp "$bin" hello.exe && zip -q "$out/$base.zip" hello.exe README.md LICENSE && rm hello.exe
  else
    cp "$bin" hello && tar czf "$out/$base.tar.gz" hello README.md LICENSE && rm hello
  fi
done
cd "$out" && sha256sum *.tar.gz *.zip > hello_1.0.0_checksums.txt
"""


def build(work: Path) -> Path:
    """examples/hello (with a README and a LICENSE) built for the 22 targets by `gocross build`, once."""
    module = work / "hello"
    shutil.copytree(REPO / "examples" / "hello", module, ignore=shutil.ignore_patterns("dist"))
    (module / "README.md").write_text("# hello\n")
    (module / "LICENSE").write_text("MIT\n")
    dist = module / "dist"
    subprocess.run([sys.executable, "-m", "gocross", "build", module, "-t", TARGETS, "--out", dist], check=True)
    for name in ("README.md", "LICENSE"):  # the loop's archives take them from beside the binaries
        shutil.copy(module / name, dist / name)
    return dist


def fresh_copy(dist: Path, where: Path) -> Path:
    """The build folder copied with new file times (shutil.copy, not copy2), as another clone would have it."""
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(dist, where, copy_function=shutil.copy)
    return where


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.name.endswith((".tar.gz", ".zip"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("GOCACHE", str(Path.home() / ".cache" / "gocross-tests" / "go-build"))
    os.environ["SOURCE_DATE_EPOCH"] = "1704164645"
    os.environ["CI"] = "1"
    from gocross.toolchain import find_toolchain

    print(machine(), find_toolchain().version)
    precompile_gocross()
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        work = Path(tmp)
        dist = build(work)
        (work / "bin").mkdir()
        gocross = console_script(Path(sys.executable), work / "bin")
        binaries = sorted(p for p in dist.iterdir() if p.name.startswith("hello_"))
        size = sum(p.stat().st_size for p in binaries) / (1 << 20)
        print(f"{len(binaries)} binaries, {size:.0f} MiB in all")
        loop_script = work / "loop.sh"
        loop_script.write_text(LOOP)
        cases: dict[str, list[Sample]] = {"gocross release --from": [], "tar czf / zip loop + sha256sum": []}
        first: dict[str, dict[str, str]] = {}
        same = {name: True for name in cases}
        for _ in range(args.rounds):
            for name in cases:
                src = fresh_copy(dist, work / "src")
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                if name.startswith("gocross"):
                    argv = [gocross, "release", "--from", src, "--out", out, "--version", "1.0.0",
                            "--no-packages"]
                else:
                    argv = ["bash", loop_script, src, out]
                cases[name].append(timed(argv))
                got = digests(out)
                assert len(got) == len(binaries), (name, sorted(got))
                first.setdefault(name, got)
                same[name] = same[name] and got == first[name]
        print(f"\n{'case':34} {'wall s':>8} {'cpu s':>8}  reproducible")
        for name, samples in cases.items():
            print(f"{name:34} {median([s.wall for s in samples]):8.2f} {median([s.cpu for s in samples]):8.2f}"
                  f"  {'yes' if same[name] else 'no'}")
        ratio = median([s.wall for s in cases["tar czf / zip loop + sha256sum"]]) / median(
            [s.wall for s in cases["gocross release --from"]])
        print(f"\nloop / gocross (wall, medians of {args.rounds}): {ratio:.2f}x")


if __name__ == "__main__":
    main()
