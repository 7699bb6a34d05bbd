"""Issue 12, signals and cancellation: SIGINT, SIGTERM and SIGHUP are one policy for build, test, run and
smoke — every child stopped (in its process group or in a session of its own), temporaries removed, a manifest
of the finished targets, exit 128+N — against real processes of the real gocross command."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from tests.conftest import write_module

import gocross
from gocross import interrupts
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


@pytest.mark.parametrize(("signum", "cached"), [(signal.SIGTERM, False), (signal.SIGTERM, True),
                                               pytest.param(signal.SIGHUP, False, marks=pytest.mark.slow)])
def test_build_stopped_by_a_signal_keeps_finished_targets_only(tmp_path: Path, signum: int, cached: bool) -> None:
    """SIGTERM/SIGHUP mid-build, as Ctrl-C: no compiler left running, no temporary, a truthful manifest; with
    a shared cache, the cache server's socket folder is gone too."""
    mod = write_module(tmp_path / "sig", {"main.go": "package main\n\nfunc main() {}\n",
                                          # ≈ 2 s of arm64 compile on an idle 2-core machine (1500 functions took
                                          # 0.8 s, so the signal sent 0.5 s after amd64 could come too late)
                                          "slow_arm64.go": slow_arm64_source(6000)})
    out = tmp_path / "out"
    env, mark = _marked()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    cache = ("--cache", tmp_path / "shared") if cached else ()
    proc = _gocross("build", mod, "-j", "1", "-o", out, "-t", "linux/amd64,linux/arm64", *cache,
                    env={**env, "TMPDIR": str(tmpdir)})
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "linux/amd64" in line and "ok" in line, line + proc.stderr.read()
    time.sleep(0.5)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err and f"stopped by {signal.Signals(signum).name}" in err
    assert "cancelled  linux/arm64" in err and "failed" not in err, err  # the killed compile is no failure
    assert err.endswith(f"\n{interrupts.message(signum)}") and "\n\n" not in err, err  # click adds no blank line
    assert not _survivors(mark)
    time.sleep(1.0)  # a compiler that survived would drop its temporary now
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(TMP_MARK) or n.endswith(".tmp")], names
    manifest = json.loads((out / "artifacts.json").read_text())
    assert manifest["cancelled"] is True
    assert [(e["target"], e["status"]) for e in manifest["artifacts"]] == [("linux/amd64", "ok")]
    assert not list(tmpdir.iterdir())


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
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "gocross", "test", "-t", "linux/amd64"], cwd=mod,
                            env={**env, "TMPDIR": str(tmpdir)}, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_defaults)
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
    assert not list(tmpdir.iterdir())  # nothing left in TMPDIR (go works under gocross's GOTMPDIR)


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
    """Once gocross/__init__.py's first lines have installed its starting handler, a signal is
    "interrupted"/"stopped by" and 128+N.

    Before that it is Python's: its own start-up (site and the .pth files of site-packages; on this machine
    one imports certifi) and the loading of gocross/__init__.py itself (its compilation in a fresh clone,
    where a pending signal is raised at its first line; CI hit that). A traceback may therefore only hold
    a frame of that file — never of __main__, gocross.cli or anything imported after it."""
    seen = set()
    for delay in (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3) * 2:
        child = subprocess.Popen([sys.executable, "-m", "gocross", "targets"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, preexec_fn=_defaults)
        time.sleep(delay)
        child.send_signal(signum)
        err = child.stderr.read() if child.stderr else ""
        code = child.wait(30)
        if "Traceback" in err:
            frames = [ln for ln in err.splitlines() if ln.lstrip().startswith("File ")]
            before_handlers = ("gocross/__init__.py",)
            assert not any("gocross/" in ln and not any(m in ln for m in before_handlers) for ln in frames), err
            seen.add("python start-up")
        elif code == 128 + signum:
            assert err.strip() in ("gocross: interrupted", f"gocross: stopped by {signal.Signals(signum).name}")
            seen.add("gocross")
        else:
            assert code in (0, -signum), (delay, code, err)
    assert "gocross" in seen  # the handler's window was really hit


# -- A signal in the first milliseconds (issue 12: "A Ctrl-C in the first milliseconds prints 'interrupted'") --

# What pip writes for the ``gocross = "gocross.cli:main"`` console script (pip/_vendor/distlib/scripts.py).
_PIP_SCRIPT = """# -*- coding: utf-8 -*-
import re
import sys
from gocross.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""
_SRC = Path(__file__).resolve().parent.parent / "src"
_GOCROSS_FRAME = re.compile(r'File "[^"]*/gocross/')  # a traceback line in gocross's own code
_DELAYS = (0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.35, 0.5)  # the later ones still land mid-start on a loaded machine


@pytest.fixture(scope="module")
def console_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    script = tmp_path_factory.mktemp("bin") / "gocross"
    script.write_text(f"#!{sys.executable}\n{_PIP_SCRIPT}")
    script.chmod(0o755)
    return script


def _entry(how: str, script: Path) -> list[str]:
    return [str(script)] if how == "script" else [sys.executable, "-m", "gocross"]


def _policy_armed(pid: int) -> bool:
    """gocross's policy is in place (SIGTERM caught: Python alone catches only SIGINT); False once it exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return False
    caught = next(int(ln.split()[1], 16) for ln in status if ln.startswith("SigCgt:"))
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _signal_early(cmd: list[str], signum: int, delay: float, env: dict[str, str],
                  cwd: Path | None = None) -> tuple[bool, int, str, str]:
    """Start ``cmd``, send ``signum`` ``delay`` s after exec; whether the policy was armed, rc, out, err."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_defaults)  # Popen returns once the exec succeeded
    time.sleep(delay)
    armed = _policy_armed(proc.pid)  # only ever goes from False to True while gocross runs
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    return armed, proc.returncode, out, err


def _check_early(armed: bool, rc: int, err: str, signum: int, finished: bool, what: object) -> None:
    # Whenever it lands, a signal never produces a traceback through gocross's own code.
    assert not _GOCROSS_FRAME.search(err), (what, err)
    if not armed:  # it landed in the interpreter's own start (site, before gocross's first line): Python's
        return     # defaults, which no code of gocross can change
    assert "Traceback" not in err, (what, err)
    if finished and rc == 0:  # the command was over (the policy then ignores signals): also fine
        return
    assert rc == 128 + signum, (what, rc, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]  # click adds an empty line after ^C
    assert lines[-1] == interrupts.message(signum).strip(), (what, err)
    assert sum("interrupted" in ln or "stopped by" in ln for ln in lines) == 1, (what, err)


@pytest.mark.parametrize("how", ["script", "m"])
def test_the_policy_is_in_place_before_any_module_of_gocross(how: str) -> None:
    """Deterministic: every import after gocross's first line happens with the policy installed, for the
    console script and ``python -m gocross`` (a spy on sys.meta_path notes each import without it)."""
    spy = f"""
import runpy, signal, sys
late = []
class Spy:
    def find_spec(self, name, path=None, target=None):
        if ("gocross" in sys.modules or name == "gocross") and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            late.append(name)
sys.meta_path.insert(0, Spy())
if {how!r} == "script":
    sys.argv = ["/usr/local/bin/gocross", "--help"]
    from gocross.cli import main
    main_ = main
else:
    sys.argv = ["-m", "--help"]
    sys.orig_argv = [sys.executable, "-m", "gocross", "--help"]
try:
    main_() if {how!r} == "script" else runpy.run_module("gocross", run_name="__main__", alter_sys=True)
finally:
    print("LATE", sorted(set(late)), file=sys.stderr)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", spy], env=env, text=True, capture_output=True, check=False,
                          preexec_fn=_defaults)  # a suite started in the background has SIGINT ignored
    assert done.returncode == 0 and "Usage" in done.stdout, done.stderr
    late = done.stderr.rsplit("LATE ", 1)[1].strip()
    assert late == str(["gocross"]), late  # only the package itself, found before its first line runs


def test_only_the_gocross_command_installs_the_policy_while_importing() -> None:
    started = gocross._started_as_command
    assert started(["/usr/bin/gocross", "build"], ["/usr/bin/python3", "/usr/bin/gocross", "build"])
    assert started(["C:\\bin\\gocross.exe"], ["python.exe", "C:\\bin\\gocross.exe"])
    assert started(["-m", "build"], ["python3", "-X", "dev", "-m", "gocross", "build"])
    assert started(["-m"], ["python3", "-mgocross"])
    assert not started(["-m", "x"], ["python3", "-m", "gocross.wine.boot", "x"])
    assert not started(["/usr/bin/pytest", "tests"], ["python3", "/usr/bin/pytest", "tests"])
    assert not started(["/srv/gocross-tools/run.py"], ["python3", "/srv/gocross-tools/run.py"])
    assert not started([], [])
    # the starting handler's lines (bytes, written without importing anything) are the policy's own
    assert {n: m.decode() for n, m in gocross._START_MESSAGES.items()} == {
        int(n): interrupts.message(n) for n in interrupts.HANDLED_SIGNALS}


@pytest.mark.parametrize("how", ["script", "m"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_the_first_milliseconds_of_help_is_one_line(console_script: Path, how: str,
                                                                 signum: int) -> None:
    """Real ``gocross --help`` processes signalled 0–200 ms after exec: never a traceback from gocross; once
    gocross's first line has run, exactly ``gocross: interrupted`` (or ``stopped by SIGTERM``) and 128+N."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_SRC), os.environ.get("PYTHONPATH", "")])}
    armed_tries = 0
    for delay in _DELAYS:
        armed, rc, out, err = _signal_early([*_entry(how, console_script), "--help"], signum, delay, env)
        _check_early(armed, rc, err, signum, finished="Usage" in out, what=(how, delay))
        armed_tries += armed
    assert armed_tries, "every signal came before gocross started: the test proved nothing"


@pytest.mark.parametrize("how", ["script", "m"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_the_first_milliseconds_of_build_is_one_line(console_script: Path, tmp_path: Path,
                                                                  how: str, signum: int) -> None:
    env, mark = _marked()
    env["PYTHONPATH"] = os.pathsep.join([str(_SRC), os.environ.get("PYTHONPATH", "")])
    mod = write_module(tmp_path / "early", {"main.go": "package main\n\nfunc main() {}\n"})
    armed_tries = 0
    for i, delay in enumerate(_DELAYS):
        out = tmp_path / f"out{i}"
        cmd = [*_entry(how, console_script), "build", str(mod), "-o", str(out), "-t", "linux/amd64"]
        armed, rc, _, err = _signal_early(cmd, signum, delay, env)
        _check_early(armed, rc, err, signum, finished="linux/amd64" in err, what=(how, delay))
        armed_tries += armed
        assert not _survivors(mark), delay
        if out.exists():
            assert not [p for p in out.iterdir() if p.name.startswith(TMP_MARK)], delay
    assert armed_tries, "every signal came before gocross started: the test proved nothing"


# A signal handled inside a weakref callback (here as during an import: importlib's module-lock cleanup).
_LOST = """
import signal, time, weakref
from gocross import interrupts
interrupts.install(interrupts.Phase.RUNNING)
class Referent: pass
def callback(_ref):
    signal.raise_signal(signal.SIGTERM)
    for _ in range(1000): pass  # the handler runs in here, where Python cannot propagate what it raises
referent = Referent()
ref = weakref.ref(referent, callback)
try:
    del referent
    time.sleep(5)
    print("not stopped")
except interrupts.Terminated as exc:
    print("stopped", exc.signum)
"""


def test_a_signal_that_lands_in_a_callback_still_stops_gocross() -> None:
    """Python swallows an exception raised in a weakref callback or __del__ ("Exception ignored in …", with a
    traceback): the policy sends the signal again, so it stops gocross a moment later, with nothing printed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_SRC), os.environ.get("PYTHONPATH", "")])}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _LOST], env=env, capture_output=True, text=True, check=False,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "stopped 15\n", "")
    assert time.monotonic() - started < 4


_WRAPPED = """
import signal, sys
import gocross.cli as cli
from gocross import interrupts

class Descriptor:
    def __set_name__(self, owner, name):
        raise interrupts.Terminated(signal.SIGTERM)

def wrapped(argv):
    class Late:  # the interpreter wraps what __set_name__ raised in a RuntimeError
        field = Descriptor()
    return 0

cli._main = wrapped
cli.main([])
"""


def test_a_signal_the_interpreter_wrapped_is_still_one_line() -> None:
    """A signal that lands while a class is created comes out as the cause of a RuntimeError ("Error calling
    __set_name__", seen once in CI for platform.uname_result): still one line and 128+N, no traceback."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", _WRAPPED], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert proc.stderr == interrupts.message(signal.SIGTERM)
