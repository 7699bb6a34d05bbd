"""What emulation costs: one CPU-bound Go program, built for every Linux arch (and wasm), timed natively and
under each runner gocross picks, alternating native and emulated runs so machine noise hits both alike.

Two workloads in the same binary: ``primes`` (a pure-Go sieve: what qemu's translator does with ordinary
code) and ``sha256`` (assembly-accelerated on most arches: what it does with vector/crypto instructions).
Prints the median wall time per target and the ratio to native linux/amd64 measured in the same rounds.

``--windows`` measures windows/amd64 and windows/386 under wine instead, through the command gocross runs:
the first run in a cold prefix (wineboot and the ProcessPrng shim), start-up per run in a warm prefix (a
trivial run: wineserver and its services start and stop each time), the same with a ``wineserver -p`` kept
alive between runs, and the primes workload × native.

    python benchmarks/bench_emulation.py [--rounds 3] [--workload primes|sha256|both] [--arch arm64 ...]
    python benchmarks/bench_emulation.py --windows [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LINUX_ARCHES = ("amd64", "386", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
                "ppc64le", "riscv64", "s390x")
WASM = (("js", "wasm"), ("wasip1", "wasm"))

PROGRAM = """
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
)

// A sieve of Eratosthenes, repeated: loads, stores, adds and branches — no division, which costs the same
// emulated or not and would hide the translator's overhead.
func primes(rounds int) int {
	const limit = 1 << 20
	composite := make([]bool, limit)
	count := 0
	for r := 0; r < rounds; r++ {
		clear(composite)
		count = 0
		for n := 2; n < limit; n++ {
			if composite[n] {
				continue
			}
			count++
			for m := n * 2; m < limit; m += n {
				composite[m] = true
			}
		}
	}
	return count
}

func hash(mib int) [32]byte {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	sum := sha256.Sum256(buf)
	for i := 1; i < mib; i++ {
		copy(buf, sum[:])
		sum = sha256.Sum256(buf)
	}
	return sum
}

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	switch os.Args[1] {
	case "primes":
		fmt.Println(primes(n))
	case "sha256":
		fmt.Printf("%x\\n", hash(n))
	}
}
"""

# Sized so native amd64 takes ~0.3-0.5 s: long enough to dwarf process start, short enough under qemu.
SIZES = {"primes": "150", "sha256": "200"}


def build(go: str, src: Path, out: Path, goos: str, goarch: str) -> Path:
    binary = out / f"bench_{goos}_{goarch}"
    env = {**os.environ, "GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
    proc = subprocess.run([go, "build", "-trimpath", "-o", str(binary), "."], cwd=src, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"go build {goos}/{goarch} failed:\n{proc.stderr}")
    return binary


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run failed ({proc.returncode}): {argv}\n{proc.stderr}")
    return wall, proc.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workload", choices=("primes", "sha256", "both"), default="both")
    parser.add_argument("--arch", action="append", help="only these linux GOARCHes (and no wasm)")
    parser.add_argument("--windows", action="store_true", help="windows/amd64 and windows/386 under wine")
    opts = parser.parse_args()
    if opts.windows:
        return run_windows(opts.rounds)

    from gocross.runners import choose_runner
    from gocross.toolchain import find_toolchain

    tc = find_toolchain()
    targets = [("linux", a) for a in (opts.arch or LINUX_ARCHES)]
    if "amd64" not in [a for _, a in targets]:
        targets.insert(0, ("linux", "amd64"))
    if not opts.arch:
        targets += list(WASM)
    workloads = ["primes", "sha256"] if opts.workload == "both" else [opts.workload]
    with tempfile.TemporaryDirectory(prefix="gocross-bench-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        (src / "go.mod").write_text("module example.com/bench\n\ngo 1.21\n")
        (src / "main.go").write_text(PROGRAM)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:  # a 2-core machine: 2 builds at a time
            binaries = list(pool.map(lambda t: build(str(tc.go), src, Path(tmp), *t), targets))
        print(f"{platform.machine()}, {os.cpu_count()} cores, {tc.version}; built {len(targets)} targets in "
              f"{time.perf_counter() - started:.1f}s; {opts.rounds} rounds, medians of wall time")
        for workload in workloads:
            run_workload(workload, targets, binaries, opts.rounds, choose_runner)


def run_workload(workload: str, targets: list[tuple[str, str]], binaries: list[Path], rounds: int,
                 choose_runner: object) -> None:
    from gocross.runners import RunnerChoice

    assert callable(choose_runner)
    args = [workload, SIZES[workload]]
    native_binary = binaries[targets.index(("linux", "amd64"))]
    native: list[float] = []
    times: dict[tuple[str, str], list[float]] = {t: [] for t in targets}
    answers: dict[tuple[str, str], str] = {}
    choices: dict[tuple[str, str], RunnerChoice] = {}
    for t in targets:
        choice = choose_runner(t[0], t[1], None)
        assert isinstance(choice, RunnerChoice) and choice.installed, f"no runner for {t}"
        choices[t] = choice
    for _ in range(rounds):
        for t, binary in zip(targets, binaries, strict=True):
            wall, _out = timed([str(native_binary), *args], dict(os.environ))  # native, right before
            native.append(wall)
            env = {**os.environ, **choices[t].env}
            wall, out = timed(choices[t].command(binary, args), env)
            times[t].append(wall)
            answers[t] = out
    base = statistics.median(native)
    expected = answers[("linux", "amd64")]
    print(f"\n{workload} {SIZES[workload]}: native linux/amd64 median {base:.3f}s over {len(native)} runs")
    print(f"{'target':<16}{'runner':<30}{'median s':>10}{'× native':>10}")
    for t in targets:
        median = statistics.median(times[t])
        runner = choices[t].program or choices[t].name
        same = "" if answers[t] == expected else "  (different answer!)"
        print(f"{t[0] + '/' + t[1]:<16}{runner:<30}{median:>10.3f}{median / base:>10.1f}{same}")


WINDOWS = (("windows", "amd64"), ("windows", "386"))


def _wine_idle(env: dict[str, str]) -> None:
    """Wait until the prefix's wineserver has gone (it lingers ~3 s after its last program)."""
    from gocross.wine.install import wineserver

    server = wineserver()
    assert server is not None
    subprocess.run([server, "-w"], env=env, check=False)


def run_windows(rounds: int) -> None:
    """Cold prefix, warm prefix, warm prefix with a persistent wineserver; start-up and primes × native."""
    from gocross.runners import choose_runner
    from gocross.toolchain import find_toolchain
    from gocross.wine.install import wineserver

    tc = find_toolchain()
    with tempfile.TemporaryDirectory(prefix="gocross-bench-wine-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        (src / "go.mod").write_text("module example.com/bench\n\ngo 1.21\n")
        (src / "main.go").write_text(PROGRAM)
        native = build(str(tc.go), src, Path(tmp), "linux", "amd64")
        binaries = {t: build(str(tc.go), src, Path(tmp), *t) for t in WINDOWS}
        env = {**os.environ, "GOCROSS_WINEPREFIX": str(Path(tmp) / "prefix"), "GOCROSS_CACHE_DIR": str(Path(tmp))}
        os.environ.update(env)  # choose_runner reads the prefix from the environment
        choices = {t: choose_runner(*t, None) for t in WINDOWS}
        envs = {t: {**env, **c.env} for t, c in choices.items() if c is not None}
        assert len(envs) == 2 and all(c is not None and c.installed for c in choices.values()), choices
        print(f"{platform.machine()}, {os.cpu_count()} cores, {tc.version}, wine under gocross's child; "
              f"{rounds} rounds, medians of wall time")
        trivial = ["primes", "0"]
        for t in WINDOWS:  # cold: the first run creates the prefix (amd64) or readies its 32-bit half (386)
            choice = choices[t]
            assert choice is not None
            wall, _ = timed(choice.command(binaries[t], trivial), envs[t])
            print(f"cold prefix, first run of {t[0]}/{t[1]}: {wall:.1f}s")
            _wine_idle(envs[t])
        startup: dict[str, dict[tuple[str, str], list[float]]] = {"warm": {t: [] for t in WINDOWS},
                                                                 "wineserver -p": {t: [] for t in WINDOWS}}
        native_start: list[float] = []
        for _ in range(rounds):
            for t in WINDOWS:
                choice = choices[t]
                assert choice is not None
                native_start.append(timed([str(native), *trivial], dict(os.environ))[0])
                startup["warm"][t].append(timed(choice.command(binaries[t], trivial), envs[t])[0])
                _wine_idle(envs[t])
        server = wineserver()
        assert server is not None
        server_env = envs[WINDOWS[0]]  # WINEPREFIX: the benchmark's prefix
        subprocess.run([server, "-p"], env=server_env, check=True)  # persistent: stays up between runs
        try:
            for _ in range(rounds):
                for t in WINDOWS:
                    choice = choices[t]
                    assert choice is not None
                    startup["wineserver -p"][t].append(timed(choice.command(binaries[t], trivial), envs[t])[0])
            primes = ["primes", SIZES["primes"]]
            base: list[float] = []
            cpu: dict[tuple[str, str], list[float]] = {t: [] for t in WINDOWS}
            for _ in range(rounds):
                for t in WINDOWS:
                    choice = choices[t]
                    assert choice is not None
                    base.append(timed([str(native), *primes], dict(os.environ))[0])
                    cpu[t].append(timed(choice.command(binaries[t], primes), envs[t])[0])
        finally:
            subprocess.run([server, "-k"], env=server_env, check=False)
        start0 = statistics.median(native_start)
        print(f"\nstart-up (primes 0): native linux/amd64 {start0:.3f}s")
        print(f"{'target':<16}{'warm prefix s':>15}{'wineserver -p s':>17}{'saved s':>9}")
        for t in WINDOWS:
            warm, kept = statistics.median(startup["warm"][t]), statistics.median(startup["wineserver -p"][t])
            print(f"{t[0] + '/' + t[1]:<16}{warm:>15.3f}{kept:>17.3f}{warm - kept:>9.3f}")
        b = statistics.median(base)
        print(f"\nprimes {SIZES['primes']} (wineserver kept up): native linux/amd64 {b:.3f}s")
        for t in WINDOWS:
            m = statistics.median(cpu[t])
            print(f"{t[0] + '/' + t[1]:<16}{m:>10.3f}s{m / b:>8.2f}× native")


if __name__ == "__main__":
    sys.exit(main())
