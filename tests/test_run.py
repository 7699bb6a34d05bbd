"""`gocross run` / gocross.run against real binaries: every Linux arch under its runner, wasm, and the ways a
run can fail to happen (no runner, runner missing, CPU lacks a feature, timeout) kept apart from "ran and
failed"."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.helpers import assert_clean_error, gocross

import gocross as lib
from gocross.errors import CannotRun, CpuUnsupported, RunnerMissing, RunTimeout
from gocross.launch import run_captured as execute

LINUX_ARCHES = ("386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
                "ppc64le", "riscv64", "s390x")

# os + runtime only: each new architecture compiles the standard library once, this keeps that small.
TINY = """
package main

import (
	"os"
	"runtime"
)

func main() {
	os.Stdout.WriteString(runtime.GOARCH + "\\n")
	os.Exit(3)
}
"""

ECHO = """
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

func main() {
	wd, _ := os.Getwd()
	fmt.Println("args", os.Args[1:])
	fmt.Println("env", os.Getenv("GOCROSS_T"))
	fmt.Println("wd", wd)
	data, err := os.ReadFile("input.txt")
	fmt.Printf("file %q %v\\n", data, err)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fmt.Println("stdin", sc.Text())
	}
	fmt.Fprintln(os.Stderr, "to stderr")
	code, _ := strconv.Atoi(os.Args[len(os.Args)-1])
	os.Exit(code)
}
"""

# Starts a child (sleep) so the test can check the whole process group dies, then never ends.
HANG = """
package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		cmd := exec.Command("sleep", "1000")
		if err := cmd.Start(); err == nil {
			fmt.Println("child", cmd.Process.Pid)
		}
	}
	fmt.Println("started")
	for {
		time.Sleep(time.Second)
	}
}
"""

KILLSELF = """
package main

import (
	"os"
	"syscall"
)

func main() {
	os.Stderr.WriteString("about to die\\n")
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}
"""


@pytest.fixture(scope="module")
def tiny(build_go: Callable[..., Path]) -> dict[str, Path]:
    """The tiny program for all 13 Linux arches, two builds at a time (the machine has 2 cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        paths = list(pool.map(lambda arch: build_go(TINY, "linux", arch), LINUX_ARCHES))
    return dict(zip(LINUX_ARCHES, paths, strict=True))


@pytest.mark.parametrize("arch", LINUX_ARCHES)
def test_cli_runs_every_linux_arch_and_passes_the_exit_code(tiny: dict[str, Path], arch: str) -> None:
    proc = gocross("run", tiny[arch])
    assert proc.stdout == f"{arch}\n", proc.stderr
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == ""


def test_library_run_reports_the_runner(tiny: dict[str, Path]) -> None:
    native = lib.run(tiny["386"], capture=True)
    emulated = lib.run(tiny["s390x"], capture=True)
    assert (native.runner, native.exit_code, native.stdout) == ("native", 3, "386\n")
    assert (emulated.runner, emulated.exit_code, emulated.stdout) == ("qemu-user", 3, "s390x\n")
    assert emulated.ran and not emulated.ok and not emulated.could_not_run
    assert emulated.command[0].endswith("qemu-s390x-static")


@pytest.mark.parametrize("goos", ["js", "wasip1"])
def test_wasm_output_args_env_stdin_cwd_and_exit_code(build_go: Callable[..., Path], tmp_path: Path,
                                                      goos: str) -> None:
    wasm = build_go(ECHO, goos, "wasm")
    (tmp_path / "input.txt").write_text("hi")
    result = execute(wasm, ["a b", "5"], stdin="one\ntwo\n", cwd=tmp_path, env={"GOCROSS_T": "val"})
    assert result.runner == {"js": "node", "wasip1": "wasmtime"}[goos]
    assert (result.outcome, result.exit_code) == ("exited", 5), result
    assert result.stdout is not None
    assert "args [a b 5]\n" in result.stdout
    assert "env val\n" in result.stdout
    assert f"wd {tmp_path}\n" in result.stdout
    assert 'file "hi" <nil>\n' in result.stdout
    assert "stdin one\nstdin two\n" in result.stdout
    assert result.stderr == "to stderr\n"


def test_wasm_exit_code_through_the_cli(build_go: Callable[..., Path], tmp_path: Path) -> None:
    for goos in ("js", "wasip1"):
        proc = gocross("run", build_go(ECHO, goos, "wasm"), "--", "x", "4", cwd=tmp_path)
        assert proc.returncode == 4, proc.stderr
        assert "args [x 4]" in proc.stdout


def test_goarm7_under_an_armv6_cpu_could_not_run(tiny: dict[str, Path]) -> None:
    arm7 = tiny["arm"]  # a cross build defaults to GOARM=7
    assert lib.inspect(arm7).variant == "7"
    result = execute(arm7, variant="6")
    assert result.outcome == "cpu-unsupported"
    assert result.could_not_run and not result.ran
    assert (result.exit_code, result.signal) == (132, "SIGILL")
    assert dict(result.env) == {"QEMU_CPU": "arm1176"}
    assert any("uncaught target signal 4" in line for line in result.runner_messages)
    assert "qemu" not in result.stderr  # qemu's own words are kept apart from the program's
    with pytest.raises(CpuUnsupported):
        lib.run(arm7, variant="6")
    proc = gocross("run", "--variant", "6", arm7)
    assert_clean_error(proc, 132, "could not run: CPU lacks feature (SIGILL)", "GOARM=7")
    # The same binary under its own CPU model (cortex-a7) runs.
    assert gocross("run", arm7).returncode == 3
    assert gocross("run", "--cpu", "arm1176", arm7).returncode == 132


def test_a_program_that_never_exits_is_killed_with_its_process_group(build_go: Callable[..., Path]) -> None:
    hang = build_go(HANG, "linux", "amd64")
    result = execute(hang, ["spawn"], timeout=2)
    assert result.outcome == "timeout" and not result.ran and not result.could_not_run
    assert "did not finish within 2 s" in (result.reason or "")
    assert result.stdout is not None and "started" in result.stdout
    child = int(result.stdout.split("child ")[1].split()[0])
    assert _gone(child), f"child {child} of the timed-out program is still running"
    with pytest.raises(RunTimeout):
        lib.run(hang, timeout=1)


def test_cli_timeout_under_emulation(build_go: Callable[..., Path]) -> None:
    hang = build_go(HANG, "linux", "arm64")
    proc = gocross("run", "--timeout", "2", hang)
    assert not _running(hang), "the emulated program outlived its --timeout"
    assert proc.stdout == "started\n"
    assert_clean_error(proc, 124, "did not finish within 2 s", "--timeout")


def _running(program: Path) -> list[int]:
    """Live (not zombie) processes whose command line names program: the emulator running it, or itself."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().split(") ")[1][0]
        except (OSError, IndexError):
            continue
        if os.fsencode(program) in argv and state != "Z":
            pids.append(int(proc.name))
    return pids


def _gone(pid: int) -> bool:
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except (FileNotFoundError, IndexError):
            return True
        if state == "Z":  # killed, waiting for init to reap it
            return True
        time.sleep(0.1)
    return False


def test_missing_emulator_is_one_sentence_with_the_install_command(tiny: dict[str, Path],
                                                                   tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # a PATH with no qemu on it
    proc = gocross("run", tiny["riscv64"], env=env)
    assert_clean_error(proc, 127, "qemu-riscv64-static", "apt-get install qemu-user-static")


def test_missing_emulator_library(tiny: dict[str, Path], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = execute(tiny["mips64"])
    assert result.outcome == "runner-missing" and result.could_not_run
    with pytest.raises(RunnerMissing, match="apt-get install qemu-user-static"):
        lib.run(tiny["mips64"])


def test_no_runner_here(build_go: Callable[..., Path]) -> None:
    for goos, arch, words in [("darwin", "arm64", "Mac"), ("windows", "arm64", "Windows"),
                              ("freebsd", "amd64", "FreeBSD")]:
        binary = build_go(TINY, goos, arch)
        proc = gocross("run", binary)
        assert_clean_error(proc, 126, "Cannot run", words)
        with pytest.raises(CannotRun):
            lib.run(binary)


def test_ran_and_failed_is_not_could_not_run(build_go: Callable[..., Path]) -> None:
    for arch in ("amd64", "arm64"):
        result = execute(build_go(KILLSELF, "linux", arch))
        assert result.outcome == "signaled" and result.ran and not result.could_not_run
        assert (result.exit_code, result.signal) == (137, "SIGKILL")
        assert result.stderr == "about to die\n"
    proc = gocross("run", build_go(KILLSELF, "linux", "arm64"))
    assert proc.returncode == 137
    assert "killed by SIGKILL" in proc.stderr and "Traceback" not in proc.stderr


def test_print_shows_the_exact_command(tiny: dict[str, Path]) -> None:
    proc = gocross("run", "--print", "--variant", "6", tiny["arm"], "a", "b c")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("QEMU_CPU=arm1176 ")
    assert proc.stdout.rstrip().endswith(f"{tiny['arm']} a 'b c'")
    assert "qemu-arm-static" in proc.stdout


def test_json_result(tiny: dict[str, Path]) -> None:
    import json

    proc = gocross("run", "--json", tiny["ppc64le"])
    assert proc.returncode == 3
    data = json.loads(proc.stdout)
    assert data["stdout"] == "ppc64le\n" and data["outcome"] == "exited" and data["ran"] is True
    assert data["env"] == {"QEMU_CPU": "power8"} and data["variant"] == "power8"


VARIANT_CASES = [
    # (goarch, variant var, built for, runs under its own model, an older level that must SIGILL)
    ("ppc64le", "GOPPC64", "power10", "power9"),
    ("riscv64", "GORISCV64", "rva23u64", "rva22u64"),
    ("riscv64", "GORISCV64", "rva22u64", "rva20u64"),
    ("arm64", "GOARM64", "v8.1", "v8.0"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("goarch", "var", "level", "older"), VARIANT_CASES)
def test_variant_cpu_models(build_go: Callable[..., Path], goarch: str, var: str, level: str,
                            older: str) -> None:
    binary = build_go(TINY, "linux", goarch, env={var: level})
    own = execute(binary)
    assert (own.outcome, own.exit_code, own.stdout) == ("exited", 3, f"{goarch}\n"), own
    assert own.runner_messages == ()  # no qemu warnings (e.g. riscv vector spec) leak anywhere
    lower = execute(binary, variant=older)
    assert lower.outcome == "cpu-unsupported", lower
