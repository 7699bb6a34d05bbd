"""gocross inspect vs `file` + `go version -m`, whole processes, in one run, alternating; plus in-process speed.

The corpus is one hello world per target `go tool dist list` builds without cgo (built, or reused from the
tests' cache). Each round runs (a) ``gocross inspect --json DIR`` and (b) ``file FILES`` then
``go version -m FILES`` — the two tools a person combines today, each over all files in one process — and
the single-file case (one binary: ``gocross inspect --json F`` vs ``file F`` + ``go version -m F``), and the
text form for people (``gocross inspect DIR``, piped: a terminal adds rich's colouring). gocross
is the ``gocross`` command as pip writes it (_common.console_script), under two interpreters: this one, and
a clean venv (as pipx installs it) that skips the start-up hooks this machine's base interpreter runs (see
_common.clean_venv_python). Prints medians, the ratios and binaries/s; then ``gocross.binary.inspect``
in-process, with and without the runs-here verdict.

    python benchmarks/bench_inspect.py [--rounds 7] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import clean_venv_python, console_script, machine, precompile_gocross  # noqa: E402


def run(argv: Sequence[str | Path], ok: Sequence[int] = (0,)) -> tuple[float, float]:
    """(wall, CPU) seconds of one process; `go version -m` exits 1 on files it cannot read, which is fine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(a) for a in argv], capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def corpus(folder: Path | None) -> list[Path]:
    from tests.corpus import build_corpus, default_cache_dir

    from gocross.toolchain import find_toolchain

    tc = find_toolchain()
    out = folder or default_cache_dir(tc)
    built = build_corpus(tc, out, jobs=2)
    return sorted(built.values())


def whole_process(files: list[Path], go: str, rounds: int, pythons: dict[str, tuple[Path, Path]]) -> None:
    """Alternate, per round: gocross under each interpreter, then `file` + `go version -m`; all files, one file.

    ``pythons`` maps a label to (interpreter, its gocross console script).
    """
    folder = files[0].parent
    one = next(f for f in files if f.name == "hello-linux-amd64")
    ours: dict[str, list[float]] = {k: [] for k in pythons}
    text: dict[str, list[float]] = {k: [] for k in pythons}
    single_ours: dict[str, list[float]] = {k: [] for k in pythons}
    bare: dict[str, list[float]] = {k: [] for k in pythons}
    theirs, single_theirs = [], []
    for _ in range(rounds):
        for label, (python, script) in pythons.items():
            ours[label].append(run([script, "inspect", "--json", folder])[0])
            text[label].append(run([script, "inspect", folder])[0])
            single_ours[label].append(run([script, "inspect", "--json", one])[0])
            bare[label].append(run([python, "-c", "pass"])[0])
        theirs.append(run(["file", *files])[0] + run([go, "version", "-m", *files], ok=(0, 1))[0])
        single_theirs.append(run(["file", one])[0] + run([go, "version", "-m", one])[0])
    n = len(files)
    t, st = statistics.median(theirs), statistics.median(single_theirs)
    print(f"corpus: {n} binaries in {folder}")
    print(f"file + go version -m: {n} files {t * 1000:6.1f} ms ({n / t:5.0f} binaries/s) | 1 file {st * 1000:5.1f} ms")
    for label in pythons:
        o, tx, so, b = (statistics.median(x[label]) for x in (ours, text, single_ours, bare))
        print(f"gocross inspect --json, {label}: {n} files {o * 1000:6.1f} ms ({n / o:5.0f} binaries/s, "
              f"ratio (file+go)/gocross {t / o:4.2f}x) | 1 file {so * 1000:5.1f} ms (ratio {st / so:4.2f}x) | "
              f"`python -c pass` alone {b * 1000:4.1f} ms")
        print(f"  text output (no --json; piped, so uncoloured): {n} files {tx * 1000:6.1f} ms (ratio {t / tx:4.2f}x)")


def in_process(files: list[Path], seconds: float = 3.0) -> None:
    from gocross.binary import inspect

    for verdict in (False, True):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for f in files:
                inspect(f, runs_here=verdict)
            n += len(files)
        rate = n / (time.perf_counter() - start)
        label = "with runs-here verdict" if verdict else "headers and Go facts "
        print(f"in-process gocross.binary.inspect, {label}: {rate:8.0f} binaries/s "
              f"({1e6 / rate:6.1f} µs per binary)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="corpus folder (default: the tests' cache)")
    args = parser.parse_args()
    from gocross.toolchain import find_toolchain

    os.environ.setdefault("GOCACHE", str(Path.home() / ".cache" / "gocross-tests" / "go-build"))
    print(machine())
    files = corpus(args.dir)
    precompile_gocross()
    with tempfile.TemporaryDirectory() as tmp:
        pythons = {}
        for label, python in (("this interpreter", Path(sys.executable)),
                              ("clean venv", clean_venv_python(Path(tmp) / "venv"))):
            folder = Path(tmp) / label.replace(" ", "-")
            folder.mkdir()
            pythons[label] = (python, console_script(python, folder))
        whole_process(files, str(find_toolchain().go), args.rounds, pythons)
    in_process(files)


if __name__ == "__main__":
    main()
