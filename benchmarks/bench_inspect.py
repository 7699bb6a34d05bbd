"""gocross inspect vs `file` + `go version -m` on a folder of 10,000 Go binaries, whole processes, alternating.

What a person with many binaries does today: ``file FILES`` and ``go version -m FILES`` — the two tools
combined give roughly what one ``gocross inspect --json DIR`` prints. The folder holds hard links to the
tests' corpus (one hello world per target `go tool dist list` builds without cgo, tests/corpus.py), cycled
to ``--files`` names, so every format and architecture is in the mix. Each round runs, in turn:

* ``gocross inspect --json DIR`` (both cores: large batches go to a process pool), under this interpreter
  and a clean venv (_common.clean_venv_python: as pipx installs it, without this machine's start-up hooks);
* the same pinned to one core (``taskset -c 0``), for the single-core figure;
* ``file FILES`` then ``go version -m FILES``, both with all files in one argv when it fits in ARG_MAX, else
  in the same chunks for both (``go version -m`` exits 1 on the wasm and plan9 files it cannot read);
* one file: ``gocross inspect FILE`` (the text a person reads), ``--json FILE``, and ``file F`` +
  ``go version -m F``, and the clean venv's bare ``python -c pass`` for scale.

gocross is the ``gocross`` command as pip writes it (_common.console_script). Prints medians of wall time,
the CPU time of each process tree, the ratios (file + go) / gocross and binaries/s.

    python benchmarks/bench_inspect.py [--rounds 5] [--files 10000] [--dir CORPUS]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Sample, clean_venv_python, console_script, machine, median, precompile_gocross, timed  # noqa: E402


def corpus(folder: Path | None) -> list[Path]:
    from tests.corpus import build_corpus, default_cache_dir

    from gocross.toolchain import find_toolchain

    tc = find_toolchain()
    built = build_corpus(tc, folder or default_cache_dir(tc), jobs=2)
    return sorted(built.values())


def link_folder(sources: Sequence[Path], count: int, folder: Path) -> list[Path]:
    """``count`` hard links to ``sources`` (cycled) in ``folder``, which must be on the sources' file system."""
    folder.mkdir()
    files = []
    for i in range(count):
        src = sources[i % len(sources)]
        dst = folder / f"{i:05d}-{src.name}"
        os.link(src, dst)
        files.append(dst)
    return files


def arg_chunks(files: Sequence[Path]) -> list[list[Path]]:
    """All files in one argv if they fit in ARG_MAX (with room for the environment), else in chunks."""
    budget = os.sysconf("SC_ARG_MAX") - sum(len(k) + len(v) + 2 for k, v in os.environ.items()) - 64 * 1024
    chunks: list[list[Path]] = [[]]
    used = 0
    for f in files:
        size = len(os.fsencode(f)) + 1 + 8  # the string, its NUL and its argv pointer
        if chunks[-1] and used + size > budget:
            chunks.append([])
            used = 0
        chunks[-1].append(f)
        used += size
    return chunks


def file_and_go(go: str, chunks: Sequence[Sequence[Path]]) -> Sample:
    samples = [timed(["file", *c]) for c in chunks]
    samples += [timed([go, "version", "-m", *c], ok=(0, 1)) for c in chunks]
    return Sample(sum(s.wall for s in samples), sum(s.cpu for s in samples), max(s.peak_rss_mib for s in samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None, help="corpus folder (default: the tests' cache)")
    args = parser.parse_args()
    from gocross.toolchain import find_toolchain

    os.environ.setdefault("GOCACHE", str(Path.home() / ".cache" / "gocross-tests" / "go-build"))
    print(machine(), find_toolchain().version)
    sources = corpus(args.dir)
    go = str(find_toolchain().go)
    precompile_gocross()
    with tempfile.TemporaryDirectory(dir=sources[0].parent.parent, prefix="bench-inspect-") as tmp:
        files = link_folder(sources, args.files, Path(tmp) / "many")
        folder = files[0].parent
        one = next(f for f in sources if f.name == "hello-linux-amd64")
        chunks = arg_chunks(files)
        gocross, pythons = {}, {}
        for label, python in (("this interpreter", Path(sys.executable)),
                              ("clean venv", clean_venv_python(Path(tmp) / "venv"))):
            (Path(tmp) / label.replace(" ", "-")).mkdir()
            gocross[label] = console_script(python, Path(tmp) / label.replace(" ", "-"))
            pythons[label] = python
        taskset = shutil.which("taskset")
        cases: dict[str, list[Sample]] = {}

        def add(name: str, sample: Sample) -> None:
            cases.setdefault(name, []).append(sample)

        for _ in range(args.rounds):
            for label, script in gocross.items():
                add(f"gocross inspect --json DIR, {label}", timed([script, "inspect", "--json", folder]))
            if taskset:
                add("gocross inspect --json DIR, clean venv, one core",
                    timed([taskset, "-c", "0", gocross["clean venv"], "inspect", "--json", folder]))
            add("file + go version -m", file_and_go(go, chunks))
            for label, script in gocross.items():
                add(f"1 file: gocross inspect FILE, {label}", timed([script, "inspect", one]))
                add(f"1 file: gocross inspect --json FILE, {label}", timed([script, "inspect", "--json", one]))
            add("1 file: file + go version -m", file_and_go(go, [[one]]))
            add("1 file: `python -c pass` alone, clean venv", timed([pythons["clean venv"], "-c", "pass"]))
        report(cases, len(files), len(chunks), args.rounds)


def report(cases: dict[str, list[Sample]], n: int, nchunks: int, rounds: int) -> None:
    print(f"{n} files (hard links to one binary per target); `file` and `go version -m` got them in {nchunks} "
          f"argv chunk(s); medians of {rounds} rounds")
    theirs = median([s.wall for s in cases["file + go version -m"]])
    theirs_one = median([s.wall for s in cases["1 file: file + go version -m"]])
    for name, samples in cases.items():
        wall, cpu = median([s.wall for s in samples]), median([s.cpu for s in samples])
        base = theirs_one if name.startswith("1 file") else theirs
        count = 1 if name.startswith("1 file") else n
        theirs_case = name.endswith(("file + go version -m", "alone, clean venv"))
        ratio = "" if theirs_case else f"  ratio (file+go)/gocross {base / wall:5.2f}x"
        print(f"{name:<52} {wall * 1000:8.1f} ms wall {cpu * 1000:8.1f} ms CPU "
              f"{count / wall:8.0f} binaries/s{ratio}")


if __name__ == "__main__":
    main()
