"""Windows binaries under wine: gocross's prefix, the ProcessPrng shim, run/smoke/test, hangs, 32-bit.

Every run is real wine 8.0 (Debian's, which lacks ProcessPrng, so the shim is built with zig and used). The
prefix is the tests' own (GOCROSS_WINEPREFIX, set in conftest, kept under ~/.cache/gocross-tests): creating
it costs 20-80 s once per machine; the `wine_ready` fixture does that before the first run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from tests.conftest import HELLO, REPO, BuildGo
from tests.helpers import assert_clean_error, gocross

from gocross.errors import CannotRun
from gocross.executor import execute
from gocross.gotest import TestOptions, run_tests
from gocross.launch import RunOutcome, RunResult, plan_for
from gocross.runners import choose_runner, why_no_runner
from gocross.toolchain import Toolchain
from gocross.wine import shim
from gocross.wine.child import EXIT_COULD_NOT_RUN, translate_args
from gocross.wine.install import find_half, wineserver
from gocross.wine.prefix import PrefixState, PrngSource, _probe_32bit, ensure_prefix, has_prng, prefix_dir, shared_env

pytestmark = pytest.mark.skipif(not find_half("wine64").installed, reason="wine64 is not installed")
HAS_WINE32 = find_half("wine32").installed
WINPATHS = REPO / "tests" / "fixtures" / "winpaths"

PROGRAM = """
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "hang" {
		fmt.Println("hanging")
		time.Sleep(time.Hour)
	}
	if len(os.Args) > 3 && os.Args[1] == "after" {
		ms, _ := strconv.Atoi(os.Args[2])
		code, _ := strconv.Atoi(os.Args[3])
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Println("done after", ms, "ms")
		os.Exit(code)
	}
	if len(os.Args) > 2 && os.Args[1] == "read" {
		data, err := os.ReadFile(os.Args[2])
		fmt.Printf("read %d bytes err=%v abs=%v\\n", len(data), err, filepath.IsAbs(os.Args[2]))
		return
	}
	fmt.Println("hi from", os.Args[1:])
	fmt.Fprintln(os.Stderr, "to stderr")
	os.Exit(3)
}
"""


@pytest.fixture(scope="session")
def wine_ready() -> dict[str, PrefixState]:
    """The tests' prefix, made ready once for each architecture wine runs here (cold: 20-80 s)."""
    return {goarch: ensure_prefix(goarch) for goarch in ("amd64", "386") if goarch == "amd64" or HAS_WINE32}


# ------------------------------------------------------------------------------------------ choosing

def test_wine_is_chosen_for_windows_x86_only() -> None:
    for goarch, program in (("amd64", "wine64"), ("386", "wine32")):
        choice = choose_runner("windows", goarch)
        assert choice is not None and (choice.name, choice.kind, choice.program) == ("wine", "wine", program)
        assert choice.env["WINEPREFIX"] == str(prefix_dir()) and choice.env["WINEDEBUG"] == "-all"
        assert str(prefix_dir()) != str(Path.home() / ".wine")
    assert choose_runner("windows", "arm64") is None
    assert "wine runs only windows/amd64 and windows/386" in why_no_runner("windows", "arm64")


def test_targets_show_windows_runnable_with_wine() -> None:
    proc = gocross("targets", "--json")
    assert proc.returncode == 0, proc.stderr
    runs = {f"{e['GOOS']}/{e['GOARCH']}": e["Runs"] for e in json.loads(proc.stdout)}
    assert runs["windows/amd64"] == "wine" and runs["windows/arm64"] == "no"
    assert runs["windows/386"] == "wine"  # also without wine32: then its runs are "could not run", with the fix
    assert sum(1 for r in runs.values() if r != "no") == 17 and len(runs) == 47


def test_windows_arm64_cannot_run_here(build_go: BuildGo) -> None:
    binary = build_go(PROGRAM, "windows", "arm64")
    assert_clean_error(gocross("run", binary), 126, "Cannot run", "windows/arm64", "wine runs only")


def test_inspect_says_emulated_with_wine(build_go: BuildGo) -> None:
    proc = gocross("inspect", "--json", build_go(PROGRAM, "windows", "amd64"))
    assert proc.returncode == 0, proc.stderr
    here = json.loads(proc.stdout)[0]["runs_here"]
    assert (here["verdict"], here["runner"], here["program"], here["installed"]) == ("emulated", "wine", "wine64", True)
    assert here["command"][-2:] == ["amd64", str(Path(here["command"][-1]))]  # the child, then the program
    assert "gocross.wine.child" in here["command"]


def test_file_paths_in_arguments_become_windows_paths(tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("x")
    assert translate_args([str(data), f"-in={data}", "rel/x", "/api/route", "-n=3"]) == [
        "Z:" + str(data).replace("/", "\\"), "-in=Z:" + str(data).replace("/", "\\"), "rel/x", "/api/route", "-n=3"]


# ------------------------------------------------------------------------------------------ the prefix

def test_wine_starts_without_the_run_token(tmp_path: Path) -> None:
    """What wine starts for the whole prefix (wineserver, services.exe, …) must not be one run's to kill."""
    env = shared_env(tmp_path, {"GOCROSS_RUN_TOKEN": "1.2.abc", "GOCROSS_TEST_RUN": "x", "PATH": "/bin"})
    assert "GOCROSS_RUN_TOKEN" not in env and env["GOCROSS_TEST_RUN"] == "x" and env["PATH"] == "/bin"
    assert env["WINEPREFIX"] == str(tmp_path) and env["WINEDEBUG"] == "-all"


def test_prefix_is_ready_with_the_shim_where_wine_lacks_processprng(wine_ready: dict[str, PrefixState]) -> None:
    for goarch, state in wine_ready.items():
        assert state.path == prefix_dir() and state.goarch == goarch
        system = "system32" if goarch == "amd64" else "syswow64"
        dll = state.path / "drive_c" / "windows" / system / "bcryptprimitives.dll"
        if has_prng("wine64" if goarch == "amd64" else "wine32"):
            assert state.prng == PrngSource.NATIVE and not shim.is_shim(dll)
        else:
            assert state.prng == PrngSource.SHIM and shim.is_shim(dll)


def test_concurrent_first_use_builds_and_installs_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four threads race to make a fresh prefix ready: the lock lets one do the work, the others reuse it.

    The prefix is given a system.reg so that no wineboot runs (the boot is covered by `wine_ready`); the
    shim is really built with zig and installed.
    """
    monkeypatch.setenv("GOCROSS_CACHE_DIR", str(tmp_path / "cache"))  # a cold cache: the shim is built here
    prefix = tmp_path / "prefix"
    (prefix / "drive_c" / "windows" / "system32").mkdir(parents=True)
    (prefix / "system.reg").write_text("WINE REGISTRY Version 2\n")
    said: list[str] = []
    results: list[PrefixState] = []

    def ready() -> None:
        results.append(ensure_prefix("amd64", progress=said.append, prefix=prefix))

    threads = [threading.Thread(target=ready) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 4 and len(set(results)) == 1
    if not has_prng("wine64"):
        assert [m for m in said if "building the ProcessPrng shim" in m] == [said[0]] and len(said) == 1
        assert shim.is_shim(prefix / "drive_c" / "windows" / "system32" / "bcryptprimitives.dll")


@pytest.mark.slow
def test_a_prefix_is_created_from_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold `wineboot --init` returns before its wineserver has written system.reg: the boot must wait for
    it (a fresh machine's first windows run failed with "wineboot exited with status 0" before). ~30 s."""
    monkeypatch.setenv("GOCROSS_CACHE_DIR", str(tmp_path / "cache"))
    prefix = tmp_path / "fresh"
    said: list[str] = []
    try:
        state = ensure_prefix("amd64", progress=said.append, prefix=prefix)
    finally:
        subprocess.run(["wineserver", "-k"], env={**os.environ, "WINEPREFIX": str(prefix)}, check=False)
    assert state.path == prefix and (prefix / "system.reg").read_bytes().startswith(b"WINE REGISTRY")
    assert (prefix / ".gocross-ready-amd64").is_file()
    assert said[0].startswith(f"creating gocross's wine prefix in {prefix}") and "wine prefix ready" in said[1]


def test_a_32bit_probe_that_prints_nothing_is_refused(tmp_path: Path) -> None:
    """wine64 without its 32-bit half runs a 386 program to exit 0 with no output. wine32 is installed here,
    so that launcher is stood in for by /bin/true (exit 0, no output): the probe must refuse it, with the fix.
    """
    cmd = tmp_path / "drive_c" / "windows" / "syswow64" / "cmd.exe"
    cmd.parent.mkdir(parents=True)
    cmd.write_bytes(b"MZ")
    with pytest.raises(CannotRun, match=r"does not run 32-bit .*false pass.*wine32:i386"):
        _probe_32bit(shutil.which("true") or "/bin/true", tmp_path)


def test_a_prefix_that_cannot_be_made_is_could_not_run(build_go: BuildGo, tmp_path: Path) -> None:
    """Both ways a run meets it: `gocross run` (readied in this process) and the run child (as `gocross test`
    starts it) — "could not run", never a program that ran and failed."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = {**os.environ, "GOCROSS_WINEPREFIX": str(blocker / "prefix")}
    binary = build_go(PROGRAM, "windows", "amd64")
    assert_clean_error(gocross("run", binary, env=env), 126, "could not run: cannot use", "GOCROSS_WINEPREFIX")
    plan = plan_for(binary)
    assert plan.choice is not None
    command = plan.choice.command(binary, [])
    done = execute(command, env=env, timeout=60)
    result = plan.result(command, done)
    assert result.outcome == RunOutcome.NOT_STARTED and result.could_not_run, result
    assert done.returncode == EXIT_COULD_NOT_RUN and "Cannot use" in (result.reason or "")


# ------------------------------------------------------------------------------------------ running

@pytest.mark.parametrize("goarch", ["amd64", pytest.param("386", marks=pytest.mark.slow)])
def test_exit_code_and_streams_pass_through(build_go: BuildGo, wine_ready: dict[str, PrefixState],
                                            goarch: str) -> None:
    if goarch not in wine_ready:
        pytest.skip("wine32 is not installed")
    result = plan_for(build_go(PROGRAM, "windows", goarch)).run(["a", "b c"])
    assert result.outcome == RunOutcome.EXITED and result.exit_code == 3, result
    assert result.runner == "wine" and result.stdout is not None
    assert result.stdout.replace("\r\n", "\n") == "hi from [a b c]\n"  # printed something: not wine64's silence
    assert result.stderr.replace("\r\n", "\n") == "to stderr\n"
    proc = gocross("run", build_go(PROGRAM, "windows", goarch), "x")
    assert proc.returncode == 3 and "hi from [x]" in proc.stdout and proc.stderr.strip() == "to stderr"


@pytest.mark.slow
def test_absolute_file_argument_is_opened_as_an_absolute_windows_path(
        build_go: BuildGo, wine_ready: dict[str, PrefixState], tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_bytes(b"12345")
    result = plan_for(build_go(PROGRAM, "windows", "amd64")).run(["read", str(data)])
    assert result.stdout is not None and "read 5 bytes err=<nil> abs=true" in result.stdout, result


def _wine_processes_with(marker: str) -> list[str]:
    """The processes (pid comm) whose environment holds ``marker``: the run's wine tree, wineserver included."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(f"{entry.name} {(entry / 'comm').read_text().strip()}")
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_hang_is_killed_within_its_timeout_and_leaves_no_wine_process(
        build_go: BuildGo, wine_ready: dict[str, PrefixState]) -> None:
    marker = f"GOCROSS_TEST_RUN={uuid.uuid4().hex}"
    name, value = marker.split("=")
    server = wineserver()
    assert server is not None
    # Wait for the prefix's wineserver of earlier tests to end: this run then starts its own, with the marker.
    subprocess.run([server, "-w"], env={**os.environ, "WINEPREFIX": str(prefix_dir())}, timeout=60, check=False)
    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:  # which processes the run had while it hung
        while not done.is_set():
            seen.update(line.split(" ", 1)[1] for line in _wine_processes_with(marker))
            time.sleep(0.5)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        result = plan_for(build_go(PROGRAM, "windows", "amd64")).run(["hang"], timeout=8, env={name: value})
    finally:
        done.set()
        watcher.join()
    assert {"wineserver64", "services.exe"} <= {n if n != "wineserver" else "wineserver64" for n in seen}, seen
    assert result.outcome == RunOutcome.TIMEOUT and "killed" in (result.reason or ""), result
    assert result.stdout is not None and "hanging" in result.stdout
    assert time.monotonic() - started < 8 + 5
    deadline = time.monotonic() + 20  # wineserver ends its services and itself ~3 s after its last program
    while (left := _wine_processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == []


@pytest.mark.slow
def test_smoke_serve_hello_under_wine(tmp_path: Path, wine_ready: dict[str, PrefixState]) -> None:
    targets = ",".join(f"windows/{g}" for g in wine_ready)
    dist = tmp_path / "dist"
    built = gocross("build", HELLO, "--target", targets, "-o", dist)
    assert built.returncode == 0, built.stderr
    # Both at once, in one prefix: before the prefix's helpers were kept out of the runs (shared_env), one of
    # the two servers failed 1 try in 25-40 here (never accepted, or a reset connection).
    proc = gocross("smoke", dist, "--serve", "--expect", "hello world", "--json", "--jobs", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    checks = {c["target"]: c for c in report["checks"]}
    assert set(checks) == {f"windows/{g}" for g in wine_ready}
    assert all(c["status"] == "pass" and c["runner"] == "wine" for c in checks.values()), checks


def _wait_for_the_prefix_server_to_end() -> None:
    """Let the wineserver of earlier tests end: the next program starts the prefix's server and services."""
    server = wineserver()
    assert server is not None
    subprocess.run([server, "-w"], env={**os.environ, "WINEPREFIX": str(prefix_dir())}, timeout=60, check=False)


@pytest.mark.slow
def test_concurrent_programs_share_one_prefix(build_go: BuildGo, wine_ready: dict[str, PrefixState]) -> None:
    """Five windows programs overlapping in one prefix, 64- and 32-bit: every exit code and output comes back.

    The first program of a fresh server starts the prefix's services (services.exe, winedevice.exe, …) and,
    when the prefix's old server was just exiting, the wineserver itself. They used to carry that run's
    GOCROSS_RUN_TOKEN, so its end killed them under every other run (one of two smoked servers never
    accepted a connection, 1 try in 25-40). Here the first program ends first, one starts after it ended,
    and no wine process may carry a run token at any time.
    """
    marker = f"GOCROSS_TEST_RUN={uuid.uuid4().hex}"
    name, value = marker.split("=")
    arches = list(wine_ready)
    binaries = {g: build_go(PROGRAM, "windows", g) for g in arches}
    runs = [(arches[i % len(arches)], ms, code) for i, (ms, code) in
            enumerate([(0, 3), (2500, 0), (1500, 7), (3500, 5)])]
    late = (arches[-1], 0, 9)  # starts once the first has ended: the services it started must still serve
    _wait_for_the_prefix_server_to_end()
    results: dict[int, RunResult] = {}
    tokened: set[str] = set()
    done = threading.Event()

    def run(index: int, goarch: str, ms: int, code: int) -> None:
        plan = plan_for(binaries[goarch])
        results[index] = plan.run(["after", str(ms), str(code)], timeout=120, env={name: value})

    def watch() -> None:  # a wine process (not gocross's python child) with a run token belongs to one run
        while not done.is_set():
            for line in _wine_processes_with(marker):
                pid, comm = line.split(" ", 1)
                with contextlib.suppress(OSError):
                    environ = Path(f"/proc/{pid}/environ").read_bytes()
                    if not comm.startswith("python") and b"GOCROSS_RUN_TOKEN=" in environ:
                        tokened.add(comm)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(runs)]
        for t in threads:
            t.start()
        threads[0].join(120)
        late_thread = threading.Thread(target=run, args=(len(runs), *late))
        late_thread.start()
        for t in [*threads, late_thread]:
            t.join(180)
    finally:
        done.set()
        watcher.join()
    for index, (goarch, ms, code) in enumerate([*runs, late]):
        result = results.get(index)
        assert result is not None, (index, goarch)
        assert result.outcome == RunOutcome.EXITED and result.exit_code == code, (goarch, ms, result)
        assert result.stdout is not None and result.stdout.replace("\r\n", "\n") == f"done after {ms} ms\n", result
    assert tokened == set(), f"wine processes owned by one run: {sorted(tokened)}"


@pytest.mark.slow
def test_go_test_on_hello_passes_in_three_columns(toolchain: Toolchain, wine_ready: dict[str, PrefixState]) -> None:
    targets = (*(f"windows/{g}" for g in wine_ready), "linux/amd64")
    run = run_tests(TestOptions(targets=targets, directory=HELLO), toolchain=toolchain)
    for target in targets:
        result = run.result(target, "example.com/hello")
        assert result is not None and result.status == "passed" and result.passed == 2, result
        assert result.runner == ("native" if target == "linux/amd64" else "wine")
    # The command as a user types it (the test binaries above are reused from the session's cache)
    proc = gocross("test", "./...", "--target", ",".join(targets), cwd=HELLO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = next(line for line in proc.stdout.splitlines() if "example.com/hello" in line)
    assert row.count("passed") == 3 and all(t in proc.stdout for t in targets), proc.stdout
    assert proc.stdout.count("(wine)") == len(wine_ready) and "(native)" in proc.stdout, proc.stdout


@pytest.mark.slow
def test_windows_only_failure_is_named_and_testdata_resolves(
        toolchain: Toolchain, wine_ready: dict[str, PrefixState]) -> None:
    run = run_tests(TestOptions(targets=("windows/amd64", "linux/amd64"), directory=WINPATHS), toolchain=toolchain)
    linux = run.result("linux/amd64", "example.com/winpaths")
    windows = run.result("windows/amd64", "example.com/winpaths")
    assert linux is not None and linux.status == "passed" and linux.passed == 2, linux
    assert windows is not None and windows.status == "failed" and windows.runner == "wine", windows
    assert [c.name for c in windows.tests if c.status == "fail"] == ["TestConfigPathSlash"]
    assert [c.name for c in windows.tests if c.status == "pass"] == ["TestReadsTestdata"]
    failing = next(c for c in windows.tests if c.name == "TestConfigPathSlash")
    assert 'ConfigPath = "etc\\\\app.conf"' in failing.output


def test_doctor_reports_wine() -> None:
    proc = gocross("doctor", "--json")
    wine = next(r for r in json.loads(proc.stdout)["runners"] if r["name"] == "wine")
    assert wine["covers"] == ["windows/amd64", "windows/386"]
    assert wine["version"] and wine["version"].startswith("wine-")
    assert "ProcessPrng: " in wine["detail"] and "windows/386: " in wine["detail"]
    assert wine["installed"] == HAS_WINE32
    assert wine["programs"]["wine64"] and shutil.which(wine["programs"]["wine64"])


def test_wine_and_child_lines_are_kept_apart_from_the_program_stderr() -> None:
    from gocross.executor import StderrFilter

    filt = StderrFilter(None, keep_all=True)
    filt.feed(b"wine: configuration in L\"/p\" has been updated.\nreal error\n"
              b"gocross wine: creating gocross's wine prefix\nwinner\n")
    filt.close()
    assert bytes(filt.program) == b"real error\nwinner\n"
    assert filt.runner_lines == ['wine: configuration in L"/p" has been updated.',
                                 "gocross wine: creating gocross's wine prefix"]
