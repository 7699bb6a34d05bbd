"""Issue 12, signals and cancellation: SIGINT, SIGTERM and SIGHUP are one policy for build, test, run and
smoke — every child stopped (in its process group or in a session of its own), temporaries removed, a manifest
of the finished targets, exit 128+N — against real processes of the real gocross command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from tests.conftest import write_module

from gocross.builder import TMP_MARK, build
from gocross.plan import BuildOptions

# Starts a child in a session of its own (it escapes the process group), writes the child's pid, then
# exits at once ("exit"), or sleeps until killed ("wait").
ESCAPER = """
package main

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		time.Sleep(300 * time.Second)
		return
	}
	self, _ := os.Executable()
	cmd := exec.Command(self, "child")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	_ = os.WriteFile(os.Getenv("PIDFILE")+".tmp", []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	_ = os.Rename(os.Getenv("PIDFILE")+".tmp", os.Getenv("PIDFILE"))
	os.Stdout.WriteString("started\\n")
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		time.Sleep(300 * time.Second)
	}
}
"""

SLOW_TEST = """
package main

import (
	"testing"
	"time"
)

func TestSlow(t *testing.T) { time.Sleep(300 * time.Second) }
"""


def slow_arm64_source(funcs: int = 1500) -> str:
    """A file only arm64 compiles, taking seconds to: a fresh constant each time, so no cache has it."""
    lines = ["//go:build arm64", "", "package main", "", "var sink int", ""]
    for i in range(funcs):
        lines.append(f"func f{i}(a, b int) int {{ x := a*{i} + b; for j := 0; j < a; j++ {{ x ^= j*{i + 1} + b<<3 }}; "
                     f"if x > {i} {{ return x - b }}; return x }}")
    lines.append(f"func init() {{ s := {uuid.uuid4().int % 1000000}")
    lines += [f"  s += f{i}(s, {i})" for i in range(funcs)]
    lines.append("  sink = s }")
    return "\n".join(lines) + "\n"


def _defaults() -> None:
    """In the child: the three signals at their defaults (a background suite inherits SIGINT ignored)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _marked() -> tuple[dict[str, str], str]:
    mark = uuid.uuid4().hex
    return {**os.environ, "GOCROSS_TEST_MARK": mark}, mark


def _survivors(mark: str, seconds: float = 3.0) -> list[int]:
    """Processes (not zombies) that inherited ``mark`` from a gocross we started, after a short grace."""
    needle = f"GOCROSS_TEST_MARK={mark}".encode()
    deadline = time.monotonic() + seconds
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if needle in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def _wait_file(path: Path, seconds: float = 60.0) -> str:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return path.read_text()


def _gocross(*args: str | Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "gocross", *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_defaults)


@pytest.fixture(scope="module")
def escaper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ESCAPER built by gocross for linux/amd64; returns its dist folder."""
    mod = write_module(tmp_path_factory.mktemp("esc") / "escaper", {"main.go": ESCAPER})
    result = build(BuildOptions(package_dir=mod, targets=("linux/amd64",)))
    assert result.ok, [a.error for a in result.failed]
    return mod / "dist"


@pytest.mark.parametrize("how", ["exit", "timeout", "SIGTERM", "SIGHUP"])
def test_run_kills_a_child_that_left_the_process_group(escaper: Path, tmp_path: Path, how: str) -> None:
    env, mark = _marked()
    env["PIDFILE"] = str(tmp_path / "pid")
    binary = escaper / "escaper_linux_amd64"
    args = ["--timeout", "1"] if how == "timeout" else []
    proc = _gocross("run", *args, binary, "--", "exit" if how == "exit" else "wait", env=env)
    child = int(_wait_file(tmp_path / "pid"))
    if how.startswith("SIG"):
        proc.send_signal(signal.Signals[how])
    _, err = proc.communicate(timeout=30)
    expected = {"exit": 0, "timeout": 124, "SIGTERM": 128 + signal.SIGTERM, "SIGHUP": 128 + signal.SIGHUP}[how]
    assert proc.returncode == expected, err
    assert "Traceback" not in err
    assert not _survivors(mark) and not _alive(child)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_smoke_stops_at_once_and_kills_every_tree(escaper: Path, tmp_path: Path, signum: int) -> None:
    env, mark = _marked()
    env["PIDFILE"] = str(tmp_path / "pid")
    proc = _gocross("smoke", escaper, "--args", "wait", "--timeout", "200", env=env)
    child = int(_wait_file(tmp_path / "pid"))
    started = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 8, "smoke waited for its checks' time limits"
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    assert not _survivors(mark) and not _alive(child)


@pytest.mark.parametrize("signum", [signal.SIGTERM, pytest.param(signal.SIGHUP, marks=pytest.mark.slow)])
def test_build_stopped_by_a_signal_keeps_finished_targets_only(tmp_path: Path, signum: int) -> None:
    """SIGTERM/SIGHUP mid-build, as Ctrl-C: no compiler left running, no temporary, a truthful manifest."""
    mod = write_module(tmp_path / "sig", {"main.go": "package main\n\nfunc main() {}\n",
                                          # ≈ 2 s of arm64 compile on an idle 2-core machine (1500 functions took
                                          # 0.8 s, so the signal sent 0.5 s after amd64 could come too late)
                                          "slow_arm64.go": slow_arm64_source(6000)})
    out = tmp_path / "out"
    env, mark = _marked()
    proc = _gocross("build", mod, "-j", "1", "-o", out, "-t", "linux/amd64,linux/arm64", env=env)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "linux/amd64" in line and "ok" in line, line + proc.stderr.read()
    time.sleep(0.5)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err and f"stopped by {signal.Signals(signum).name}" in err
    assert not _survivors(mark)
    time.sleep(1.0)  # a compiler that survived would drop its temporary now
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(TMP_MARK) or n.endswith(".tmp")], names
    manifest = json.loads((out / "artifacts.json").read_text())
    assert manifest["cancelled"] is True
    assert [(e["target"], e["status"]) for e in manifest["artifacts"]] == [("linux/amd64", "ok")]


@pytest.mark.slow  # ten builds interrupted in turn: 4–12 s on the reference machine
def test_ctrl_c_at_any_moment_stops_every_compiler(tmp_path: Path) -> None:
    """Ctrl-C at spread-out moments of a parallel build (some before, some while workers start compilers):
    gocross ends within seconds every time and leaves no process behind."""
    env, mark = _marked()
    for i, delay in enumerate((0.0, 0.002, 0.01, 0.05, 0.15, 0.3, 0.5, 0.8, 1.1, 1.5)):
        mod = write_module(tmp_path / f"race{i}", {"main.go": "package main\n\nfunc main() {}\n",
                                                   "slow_arm64.go": slow_arm64_source(300)})
        out = tmp_path / f"out{i}"
        proc = _gocross("build", mod, "-j", "3", "-o", out, "-t", "linux/arm64,linux/amd64,linux/386", env=env)
        _wait_for_handlers(proc.pid)  # before that, Python itself is still starting (its own KeyboardInterrupt)
        time.sleep(delay)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
        assert "Traceback" not in err, (delay, err)
        finished = proc.returncode == 0 and "ok  linux/arm64" in err  # the build won the race: also fine
        assert finished or (proc.returncode == 130 and "interrupted" in err), (delay, proc.returncode, err)
        assert took < 6, (delay, took)
        assert not _survivors(mark), delay
        if out.exists():
            assert not [p for p in out.iterdir() if p.name.startswith(TMP_MARK)], delay


def test_go_test_stopped_by_sigterm(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "slowtest", {"main.go": "package main\n\nfunc main() {}\n",
                                               "slow_test.go": SLOW_TEST})
    env, mark = _marked()
    proc = subprocess.Popen([sys.executable, "-m", "gocross", "test", "-t", "linux/amd64"], cwd=mod, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_defaults)
    deadline = time.monotonic() + 60
    while not any(b"-test.v" in _cmdline(pid) for pid in _marked_pids(mark)):  # the test binary runs
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError(proc.communicate())
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert not _survivors(mark)


def _wait_for_handlers(pid: int) -> None:
    """Until gocross's main has installed its handlers (SIGTERM caught: Python alone catches only SIGINT)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        caught = next(int(ln.split()[1], 16) for ln in status if ln.startswith("SigCgt:"))
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.0005)
    raise AssertionError("gocross never installed its signal handlers")


def _marked_pids(mark: str) -> list[int]:
    return _survivors(mark, seconds=0)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_the_first_milliseconds_is_never_a_gocross_traceback(signum: int) -> None:
    """Once `gocross.cli` has installed its handlers, a signal is "interrupted"/"stopped by" and 128+N.

    Before that it is Python's: its own start-up (site and the .pth files of site-packages; on this machine
    one imports certifi) and the first imports of gocross itself (the package, `gocross.cli`, errors,
    interrupts: ≈ 2 ms warm, longer while a fresh clone compiles its .pyc files; CI hit it). A traceback may
    therefore only hold frames of those modules — never of the code that runs after the handlers are in."""
    seen = set()
    for delay in (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3) * 2:
        child = subprocess.Popen([sys.executable, "-m", "gocross", "targets"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        child.send_signal(signum)
        err = child.stderr.read() if child.stderr else ""
        code = child.wait(30)
        if "Traceback" in err:
            frames = [ln for ln in err.splitlines() if ln.lstrip().startswith("File ")]
            before_handlers = ("gocross/__init__.py", "gocross/__main__.py", "gocross/cli/__init__.py",
                               "gocross/errors.py", "gocross/interrupts.py")
            assert not any("gocross/" in ln and not any(m in ln for m in before_handlers) for ln in frames), err
            seen.add("python start-up")
        elif code == 128 + signum:
            assert err.strip() in ("gocross: interrupted", f"gocross: stopped by {signal.Signals(signum).name}")
            seen.add("gocross")
        else:
            assert code in (0, -signum), (delay, code, err)
    assert "gocross" in seen  # the handler's window was really hit
