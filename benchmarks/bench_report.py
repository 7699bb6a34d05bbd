"""Size by package and the report page, whole processes, alternating with the plain alternative.

The plain alternative to ``gocross inspect --sizes --json BIN`` is ``go tool nm -size -sort size BIN``: it
lists every symbol with its size (go-size-analyzer is not on this machine), leaving the adding up by package
to the reader. ``gocross report DIST`` is timed on the same build (one linux/amd64 binary of examples/hello):
it reads the manifest, works out runs-here, breaks the binary down and renders two Vega-Lite charts.
Prints medians of wall and CPU time and the ratio.

    python benchmarks/bench_report.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Sample, console_script, machine, median, precompile_gocross, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("GOCACHE", str(Path.home() / ".cache" / "gocross-tests" / "go-build"))
    from gocross.builder import build
    from gocross.plan import BuildOptions
    from gocross.toolchain import find_toolchain

    tc = find_toolchain()
    print(machine(), tc.version)
    precompile_gocross()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        dist = Path(tmp) / "dist"
        result = build(BuildOptions(package_dir=REPO / "examples" / "hello", targets=("linux/amd64",), out_dir=dist))
        (binary,) = [a.path for a in result.built if a.path]
        gocross = console_script(Path(sys.executable), Path(tmp))
        cases: dict[str, list[Sample]] = {}
        commands: dict[str, list[str | Path]] = {
            "gocross inspect --sizes --json BIN": [gocross, "inspect", "--sizes", "--json", binary],
            "go tool nm -size -sort size BIN": [str(tc.go), "tool", "nm", "-size", "-sort", "size", binary],
            "gocross report DIST": [gocross, "report", dist, "--out", Path(tmp) / "r.html"],
        }
        for _ in range(args.rounds):
            for name, argv in commands.items():
                cases.setdefault(name, []).append(timed(argv))
        print(f"{'case':40} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
        for name, samples in cases.items():
            print(f"{name:40} {median([s.wall for s in samples]):8.3f} {median([s.cpu for s in samples]):8.3f} "
                  f"{max(s.peak_rss_mib for s in samples):9.1f}")
        ours = median([s.wall for s in cases["gocross inspect --sizes --json BIN"]])
        nm = median([s.wall for s in cases["go tool nm -size -sort size BIN"]])
        print(f"ratio go tool nm / gocross inspect --sizes: {nm / ours:.2f}")


if __name__ == "__main__":
    main()
