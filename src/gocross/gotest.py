"""``gocross test``: compile each package's test binary once per target, run it here, collect Go's events.

Build once, run many: ``go test -c`` per package per target (in parallel, one shared GOCACHE, ``-trimpath``
and ``CGO_ENABLED=0`` like ``gocross build`` so the standard library compiled for a build is reused), then
each test binary runs under the runner ``gocross run`` would pick (native, qemu-user, node, wasmtime), from the
package's directory so ``testdata/`` resolves, with ``-test.v=test2json``.

The binary's output is converted by ``go tool test2json`` *after* it ends rather than with test2json as the
parent process: as a parent, test2json turns a death by signal into exit status 1 and mixes qemu's own
stderr into the test output, and "killed by SIGILL" must stay distinguishable from "a test failed".

Every (target, package) ends in one status: passed, failed, could not build (compiler output kept), could
not run (no runner installed, killed by a signal, a test that needs binfmt_misc), or built, not run (nothing
here runs that target: it is still compiled and ``go vet``-ed for its GOOS/GOARCH).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gocross.builder import default_jobs, toolchain_gc_env
from gocross.config import load_config, module_root
from gocross.errors import TestsFailed, UsageError
from gocross.launch import RunOutcome, RunPlan, RunResult
from gocross.log import logger
from gocross.runners import RunnerChoice, choose_runner, why_no_runner
from gocross.runners.process import Completed, Running, kill_group
from gocross.runners.process import start as start_process
from gocross.targets import Target, select_targets
from gocross.toolchain import Toolchain
from gocross.waiting import result_interruptibly

PASSED = "passed"
FAILED = "failed"
BUILD_FAILED = "could not build"
COULD_NOT_RUN = "could not run"
NOT_RUN = "built, not run"
NO_TESTS = "no tests"  # the package has test files, but none for this target's build constraints

MAX_BUILDS = 3  # parallel `go test -c` at most, whatever default_jobs() says: each one is multi-process
GO_DEFAULT_TIMEOUT = 600.0  # `go test`'s own default -timeout (10m)
OUTER_GRACE = 30.0  # beyond the binary's own -test.timeout, for a runner that hangs itself (js/wasm)
BINFMT_HINT = ("run `sudo gocross doctor --binfmt` to register qemu with binfmt_misc (reversible with "
               "--binfmt-remove), or skip that test under emulation")

Progress = Callable[[str, str, str, "PackageResult | None"], None]  # (stage, target, package, result)


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TestCase:
    """One test (or subtest) of one package on one target, as its test2json events tell it."""

    __test__ = False  # not a pytest class

    name: str
    status: str  # "pass" | "fail" | "skip" | "unfinished" | "binfmt"
    seconds: float
    output: str
    note: str | None = None  # why gocross thinks it failed that way (binfmt, hang)


@dataclass(frozen=True)
class PackageResult:
    """The outcome of one package's tests on one target."""

    target: str
    package: str
    status: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    runner: str | None = None  # "native", "qemu", "node", "wasmtime"; None when not run
    tests: tuple[TestCase, ...] = ()
    reason: str | None = None  # one sentence when not passed
    output: str = ""  # compiler output, or the package-level output of the test binary
    vet: str | None = None  # `go vet` verdict when the target was built but not run
    events: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)

    @property
    def ok(self) -> bool:
        return self.status in (PASSED, NO_TESTS)


@dataclass(frozen=True)
class TestRun:
    """All of ``gocross test``: the matrix of results and what was decided along the way."""

    __test__ = False

    module_dir: Path
    targets: tuple[str, ...]  # column order; the reference column first when it was added
    selected: tuple[str, ...]  # the targets the user selected (the exit status depends on these only)
    packages: tuple[str, ...]  # packages with test files
    no_test_files: tuple[str, ...]
    results: tuple[PackageResult, ...]
    reference: str | None  # the native target added as a reference column (not selected)
    default_targets: bool
    jobs: int
    seconds: float
    go_version: str

    def result(self, target: str, package: str) -> PackageResult | None:
        return next((r for r in self.results if r.target == target and r.package == package), None)

    @property
    def problems(self) -> tuple[PackageResult, ...]:
        """Results of selected targets that are not a pass."""
        return tuple(r for r in self.results if r.target in self.selected and not r.ok)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.results)

    def events(self) -> Iterable[Mapping[str, Any]]:
        """Every result's test2json events in matrix order, each tagged with its ``Target``."""
        for r in self.results:
            yield from r.events


def raise_for_failures(run: TestRun) -> None:
    """Raise TestsFailed (exit 7) unless every selected target ran and passed."""
    if run.ok:
        return
    if not run.results:
        raise TestsFailed("No package has test files, so nothing was tested; add *_test.go files.")
    by_status: dict[str, list[str]] = {}
    for r in run.problems:
        by_status.setdefault(r.status, []).append(f"{r.target} {r.package}")
    parts = [f"{status} on {', '.join(dict.fromkeys(names))}" for status, names in by_status.items()]
    raise TestsFailed(f"Not every selected target ran and passed ({'; '.join(parts)}); see the details above.")


# ---------------------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class GoTestFlags:
    """``go test`` flags after ``--``, split into build flags (for ``go test -c``) and test-binary flags."""

    build: tuple[str, ...] = ()
    test: tuple[str, ...] = ()
    timeout: float | None = GO_DEFAULT_TIMEOUT  # seconds; None = no limit (-timeout 0)
    verbose: bool = False


# flag -> takes a value. Test flags become -test.NAME; build flags go to `go test -c` and `go vet`.
_TEST_FLAGS = {"run": True, "skip": True, "count": True, "timeout": True, "bench": True, "benchtime": True,
               "cpu": True, "parallel": True, "shuffle": True, "list": True, "short": False, "v": False,
               "failfast": False, "benchmem": False, "fullpath": False}
_BUILD_FLAGS = {"tags": True, "ldflags": True, "gcflags": True, "asmflags": True, "mod": True, "modfile": True,
                "overlay": True, "pgo": True, "buildvcs": True, "a": False, "trimpath": False, "x": False,
                "work": False}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """A Go duration ("90s", "1m30s", "500ms", "0") in seconds, or UsageError."""
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match[1]) * _UNITS[match[2]]
        pos = match.end()
    if pos != len(text) or not text:
        raise UsageError(f"-timeout {text!r} is not a Go duration; write it like 30s, 5m or 1m30s.")
    return total


def parse_go_test_flags(args: Sequence[str]) -> GoTestFlags:
    """Split the arguments after ``--`` the way ``go test`` reads them; unknown flags are a UsageError."""
    build: list[str] = []
    test: list[str] = []
    timeout: float | None = GO_DEFAULT_TIMEOUT
    verbose = False
    items = list(args)
    while items:
        name, value = _one_flag(items)
        if name == "timeout":
            seconds = parse_duration(value or "")
            timeout = seconds or None
        elif name == "v":
            verbose = value in (None, "true", "1")
        elif name in _TEST_FLAGS:
            test.append(f"-test.{name}" + ("" if value is None else f"={value}"))
        else:
            build.append(f"-{name}" + ("" if value is None else f"={value}"))
    return GoTestFlags(tuple(build), tuple(test), timeout, verbose)


def _one_flag(items: list[str]) -> tuple[str, str | None]:
    """Take one flag (and its value) off the front of ``items``."""
    raw = items.pop(0)
    if not raw.startswith("-") or raw in ("-", "--"):
        raise UsageError(f"{raw!r} after -- is not a go test flag; put packages before --, flags after it.")
    name, eq, value = raw.lstrip("-").partition("=")
    name = name.removeprefix("test.")
    takes_value = _TEST_FLAGS.get(name, _BUILD_FLAGS.get(name))
    if takes_value is None:
        known = ", ".join(f"-{f}" for f in [*_TEST_FLAGS, *_BUILD_FLAGS])
        raise UsageError(f"Unknown go test flag -{name}; gocross test passes through {known}.")
    if not takes_value:
        return name, value if eq else None
    if eq:
        return name, value
    if not items:
        raise UsageError(f"The flag -{name} needs a value, e.g. -{name} X.")
    return name, items.pop(0)


@dataclass(frozen=True)
class TestOptions:
    """What the user asked ``gocross test`` for; empty ``targets`` = gocross.toml's, else the native one."""

    __test__ = False

    packages: tuple[str, ...] = (".",)
    targets: tuple[str, ...] = ()
    directory: Path = Path()
    go_test_flags: tuple[str, ...] = ()
    jobs: int | None = None
    reference: bool = True  # add the native target as a reference column when it is not selected


# ---------------------------------------------------------------------------------------------- packages


@dataclass(frozen=True)
class GoPackage:
    import_path: str
    directory: Path
    has_tests: bool


def list_packages(tc: Toolchain, directory: Path, patterns: Sequence[str],
                  build_flags: Sequence[str] = ()) -> list[GoPackage]:
    """``go list -json`` of the patterns, from ``directory``; a bad pattern or package is a UsageError."""
    fields = "ImportPath,Dir,TestGoFiles,XTestGoFiles,Error"
    proc = tc.run(["list", "-e", f"-json={fields}", *build_flags, *patterns], cwd=directory,
                  env={"CGO_ENABLED": "0"})
    if proc.returncode != 0:
        raise UsageError(f"`go list {' '.join(patterns)}` failed in {directory}: {_last_line(proc.stderr)}; "
                         "pass packages as go test takes them (./..., ./pkg, an import path).")
    found = [_package(entry) for entry in _json_stream(proc.stdout)]
    if not found:
        raise UsageError(f"{' '.join(patterns)} matched no packages in {directory}; "
                         "pass packages as go test takes them (./..., ./pkg, an import path).")
    return found


def _package(entry: Mapping[str, Any]) -> GoPackage:
    error = entry.get("Error")
    has_tests = bool(entry.get("TestGoFiles") or entry.get("XTestGoFiles"))
    if error and "build constraints exclude all Go files" not in str(error.get("Err", "")):
        raise UsageError(f"Package {entry.get('ImportPath')} cannot be loaded: {error.get('Err')}; "
                         "fix the import path or the package.")
    return GoPackage(str(entry["ImportPath"]), Path(str(entry.get("Dir") or ".")), has_tests)


def _json_stream(text: str) -> Iterable[Mapping[str, Any]]:
    """The concatenated JSON objects ``go list -json`` prints."""
    decoder = json.JSONDecoder()
    pos = 0
    while (pos := _skip_space(text, pos)) < len(text):
        value, pos = decoder.raw_decode(text, pos)
        yield value


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


# ---------------------------------------------------------------------------------------------- targets


def native_target() -> Target | None:
    """The target this machine runs natively, for the reference column (None off Linux)."""
    from gocross.runners.native import host_goarch

    goarch = host_goarch()
    return Target("linux", goarch) if goarch else None


def choose_targets(tc: Toolchain, options: TestOptions, directory: Path
                   ) -> tuple[list[Target], list[Target], Target | None, bool]:
    """(all columns, selected, reference added or None, defaulted) — the native column always present."""
    config = load_config(directory)
    selectors = options.targets or config.targets
    native = native_target()
    selected = select_targets(tc, selectors, config.sets) if selectors else ([native] if native else [])
    if not selected:
        raise UsageError("No target to test: pass --target, e.g. --target linux/amd64,linux/arm64.")
    if not options.reference or native is None or native in selected:
        return selected, selected, None, not selectors
    return [native, *selected], selected, native, not selectors


# ---------------------------------------------------------------------------------------------- events


def test2json_command(tc: Toolchain) -> list[str]:
    """The test2json program: its cached binary when ``go tool -n`` names it, else ``go tool test2json``."""
    return list(_test2json(tc))


@functools.cache
def _test2json(tc: Toolchain) -> tuple[str, ...]:
    proc = tc.run(["tool", "-n", "test2json"], timeout=300)
    path = proc.stdout.strip()
    if proc.returncode == 0 and path and Path(path).is_file():
        return (path,)
    return (str(tc.go), "tool", "test2json")


def convert(tc: Toolchain, package: str, raw: bytes) -> list[dict[str, Any]]:
    """Go's event stream for a test binary's ``-test.v=test2json`` output."""
    import subprocess

    # -t is what makes test2json fill in Elapsed; its Time would be the conversion time, so it is dropped.
    proc = subprocess.run([*test2json_command(tc), "-t", "-p", package], input=raw, capture_output=True,
                          env=tc.environ(), timeout=300, check=False)
    events = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            event.pop("Time", None)
            events.append(event)
    return events


_ENOEXEC = "exec format error"


@dataclass
class _TestLog:
    status: str = "unfinished"
    seconds: float = 0.0
    output: list[str] = field(default_factory=list)


def summarize(events: Sequence[Mapping[str, Any]], binary: Path | None, emulated: bool) -> list[TestCase]:
    """One TestCase per test, from its events; failures from the missing binfmt handler are told apart."""
    logs: dict[str, _TestLog] = {}
    for ev in events:
        name = ev.get("Test")
        if not name:
            continue
        log = logs.setdefault(str(name), _TestLog())
        action = ev.get("Action")
        if action == "output":
            log.output.append(str(ev.get("Output", "")))
        elif action in ("pass", "fail", "skip"):
            log.status = str(action)
            log.seconds = float(ev.get("Elapsed") or 0.0)
    return [_case(name, log, binary, emulated) for name, log in logs.items()]


def _case(name: str, log: _TestLog, binary: Path | None, emulated: bool) -> TestCase:
    output = "".join(log.output)
    if log.status == "fail" and emulated and _ENOEXEC in output:
        own = binary is not None and str(binary) in output
        what = "re-executes its own test binary (os.Args[0])" if own else "starts a binary for this target"
        note = (f"{name} {what}; under qemu without binfmt_misc the kernel cannot start that foreign child "
                "(ENOEXEC, \"exec format error\"): an emulation limit, not a bug in the test")
        return TestCase(name, "binfmt", log.seconds, output, note)
    if log.status == "unfinished":
        return TestCase(name, "unfinished", log.seconds, output, f"{name} was still running when the test "
                        "binary ended (a hang killed by the time limit, or a crash)")
    return TestCase(name, log.status, log.seconds, output)


def package_output(events: Sequence[Mapping[str, Any]]) -> str:
    """The output not attributed to any test (panics outside tests, TestMain, the final FAIL)."""
    return "".join(str(e.get("Output", "")) for e in events if not e.get("Test") and e.get("Action") == "output")


def _tag(events: Iterable[Mapping[str, Any]], target: str) -> list[dict[str, Any]]:
    return [{**e, "Target": target} for e in events]


def _final_event(package: str, target: str, result: PackageResult) -> dict[str, Any]:
    """The package's closing event, with gocross's verdict (``Status``, ``Reason``) added to Go's fields."""
    action = {PASSED: "pass", NO_TESTS: "skip", NOT_RUN: "skip"}.get(result.status, "fail")
    return {"Action": action, "Package": package, "Elapsed": round(result.seconds, 3), "Target": target,
            "Status": result.status, "Reason": result.reason}


def _synthetic_events(result: PackageResult) -> tuple[dict[str, Any], ...]:
    """Events for a result without a test run: start, the compiler/runner output, the closing event."""
    events: list[dict[str, Any]] = [{"Action": "start", "Package": result.package, "Target": result.target}]
    text = "\n".join(t for t in (result.reason, result.output, result.vet) if t)
    for line in text.splitlines(keepends=True):
        events.append({"Action": "output", "Package": result.package, "Target": result.target,
                       "Output": line if line.endswith("\n") else line + "\n"})
    events.append(_final_event(result.package, result.target, result))
    return tuple(events)


def with_events(result: PackageResult, run_events: Sequence[Mapping[str, Any]] | None = None) -> PackageResult:
    """The result with its tagged event stream: Go's own when it ran, synthesized otherwise."""
    if run_events is None:
        return replace(result, events=_synthetic_events(result))
    body = [e for e in _tag(run_events, result.target) if e.get("Test") or e.get("Action") in ("start", "output")]
    if not body or body[0].get("Action") != "start":
        body.insert(0, {"Action": "start", "Package": result.package, "Target": result.target})
    return replace(result, events=(*body, _final_event(result.package, result.target, result)))


# ---------------------------------------------------------------------------------------------- verdicts


def _counts(cases: Sequence[TestCase]) -> tuple[int, int, int]:
    passed = sum(c.status == "pass" for c in cases)
    skipped = sum(c.status == "skip" for c in cases)
    return passed, len(cases) - passed - skipped, skipped


def judge(target: str, package: str, run: RunResult, cases: Sequence[TestCase], pkg_out: str) -> PackageResult:
    """Status and reason of a test binary that was started: from its outcome and its events."""
    passed, failed, skipped = _counts(cases)
    base = PackageResult(target, package, PASSED, passed, failed, skipped, run.seconds, _kind(run.runner),
                         tuple(cases), output=pkg_out)
    unfinished = [c.name for c in cases if c.status == "unfinished"]
    running = f" while running {', '.join(unfinished)}" if unfinished else ""
    if run.outcome == RunOutcome.TIMEOUT:
        return replace(base, status=FAILED, reason=f"hung{running}: the test binary {run.reason}")
    if run.outcome.could_not_run or run.outcome == RunOutcome.SIGNALED:
        return replace(base, status=COULD_NOT_RUN, reason=f"{run.reason}{running}")
    if run.exit_code == 0 and not failed:
        return base
    return replace(base, status=_failed_status(cases), reason=_fail_reason(cases, run, pkg_out))


def _kind(runner: str | None) -> str | None:
    return "qemu" if runner == "qemu-user" else runner


def _failed_status(cases: Sequence[TestCase]) -> str:
    bad = [c for c in cases if c.status not in ("pass", "skip")]
    if bad and all(c.status == "binfmt" for c in bad):
        return COULD_NOT_RUN
    return FAILED


_TIMED_OUT = re.compile(r"panic: test timed out after (\S+)")


def _fail_reason(cases: Sequence[TestCase], run: RunResult, pkg_out: str) -> str:
    failed = [c.name for c in cases if c.status == "fail"]
    binfmt = [c.name for c in cases if c.status == "binfmt"]
    unfinished = [c.name for c in cases if c.status == "unfinished"]
    parts = []
    if failed:
        parts.append(f"{len(failed)} test(s) failed: {', '.join(failed)}")
    if binfmt:
        parts.append(f"{', '.join(binfmt)} cannot run under emulation without binfmt_misc; {BINFMT_HINT}")
    if unfinished:
        hung = _TIMED_OUT.search(pkg_out + "".join(c.output for c in cases))
        why = f"hung and was killed by the {hung[1]} test timeout" if hung else "never finished (crashed)"
        parts.append(f"{', '.join(unfinished)} {why}")
    if not parts:
        parts.append(f"the test binary exited with status {run.exit_code}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------- execution


@dataclass(frozen=True)
class _Job:
    target: Target
    package: GoPackage
    binary: Path


class _Matrix:
    """Builds on one pool, runs on another (a run starts as soon as its binary is built), cancellable."""

    def __init__(self, tc: Toolchain, directory: Path, flags: GoTestFlags, jobs: int, scratch: Path,
                 progress: Progress) -> None:
        self.tc, self.directory, self.flags, self.jobs = tc, directory, flags, jobs
        self.scratch, self.progress = scratch, progress
        self.lock = threading.Lock()
        self.live: set[Running] = set()
        self.cancelled = threading.Event()
        self.results: list[PackageResult] = []
        self.pending: list[Future[None]] = []
        # The builder's GOGC tuning, read once; only `go test -c` and `go vet` get it (see _go_env).
        self.gc_env = toolchain_gc_env(min(jobs, MAX_BUILDS))

    def run(self, targets: Sequence[Target], packages: Sequence[GoPackage]) -> list[PackageResult]:
        builders = ThreadPoolExecutor(max_workers=min(self.jobs, MAX_BUILDS), thread_name_prefix="gocross-test-c")
        runners = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="gocross-test-run")
        try:
            for target in targets:  # target-major: every target gets its first binary early
                for pkg in packages:
                    slug = f"{target.name.replace('/', '_')}/{_slug(pkg.import_path)}.test"
                    job = _Job(target, pkg, self.scratch / slug)
                    self._submit(builders, self._build, job, runners)
            self._wait()
        except BaseException:
            self.cancel()
            raise
        finally:
            builders.shutdown(wait=True, cancel_futures=True)
            runners.shutdown(wait=True, cancel_futures=True)
        return list(self.results)

    def _submit(self, pool: ThreadPoolExecutor, fn: Callable[..., None], *args: Any) -> None:
        with self.lock:
            self.pending.append(pool.submit(fn, *args))

    def _wait(self) -> None:
        done = 0
        while True:
            with self.lock:
                if done >= len(self.pending):
                    return
                future = self.pending[done]
            result_interruptibly(future)
            done += 1

    def cancel(self) -> None:
        self.cancelled.set()
        with self.lock:
            live = list(self.live)
        for running in live:
            kill_group(running.proc)

    def _record(self, result: PackageResult) -> None:
        with self.lock:
            self.results.append(result)
        self.progress("done", result.target, result.package, result)

    def _execute(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path, timeout: float | None,
                 filter_stderr: bool = False) -> Completed | None:
        """Start a process in its own group, tracked for cancel; None when cancelled before it started."""
        if self.cancelled.is_set():
            return None
        running = start_process(argv, env=env, cwd=cwd, capture=True, filter_stderr=filter_stderr)
        with self.lock:
            self.live.add(running)
        try:
            return running.wait(timeout)
        finally:
            with self.lock:
                self.live.discard(running)

    # -- build

    def _build(self, job: _Job, runners: ThreadPoolExecutor) -> None:
        t, pkg = job.target, job.package
        job.binary.parent.mkdir(parents=True, exist_ok=True)
        argv = [str(self.tc.go), "test", "-c", "-o", str(job.binary), "-trimpath", *self.flags.build,
                pkg.import_path]
        done = self._execute(argv, self._go_env(t), self.directory, None)
        if done is None:
            return
        self.progress("built", t.name, pkg.import_path, None)
        if done.returncode != 0:
            out = _go_output(done)
            self._record(with_events(PackageResult(t.name, pkg.import_path, BUILD_FAILED, seconds=done.seconds,
                         reason=f"does not compile for {t.name}", output=out)))
            return
        if not job.binary.is_file():
            self._record(with_events(PackageResult(t.name, pkg.import_path, NO_TESTS, seconds=done.seconds,
                         reason=f"no test files for {t.name}")))
            return
        choice = choose_runner(t.goos, t.goarch, t.variant)
        if choice is None or not choice.installed:
            self._record(self._vet(job, choice))
            return
        self._submit(runners, self._run, job, choice)

    def _go_env(self, target: Target) -> dict[str, str]:
        """For `go test -c` and `go vet` only (with the builder's GOGC tuning); test binaries run without it."""
        return self.tc.environ({**self.gc_env, **target.env, "CGO_ENABLED": "0"})

    def _vet(self, job: _Job, choice: RunnerChoice | None) -> PackageResult:
        """Compiled but nothing here runs it: say why, and vet it for its own GOOS/GOARCH."""
        t, pkg = job.target, job.package
        argv = [str(self.tc.go), "vet", *_vet_flags(self.flags.build), pkg.import_path]
        done = self._execute(argv, self._go_env(t), self.directory, None)
        vet = "go vet: not run (cancelled)"
        if done is not None:
            vet = f"go vet {t.name}: ok" if done.returncode == 0 else f"go vet {t.name}:\n{_go_output(done)}"
        if choice is None:
            status, why = NOT_RUN, f"built and vetted, not run: {why_no_runner(t.goos, t.goarch, t.variant)}"
        else:
            status = COULD_NOT_RUN
            why = f"needs {choice.program or choice.name}, which is not installed; install it with " \
                  f"`{choice.install_hint}`"
        return with_events(PackageResult(t.name, pkg.import_path, status, vet=vet, reason=why))

    # -- run

    def _run(self, job: _Job, choice: RunnerChoice) -> None:
        t, pkg = job.target, job.package
        plan = RunPlan(job.binary, t.goos, t.goarch, t.variant, choice)
        limit = None if self.flags.timeout is None else self.flags.timeout * choice.timeout_factor
        args = ["-test.v=test2json", *([f"-test.timeout={limit:g}s"] if limit else []), *self.flags.test]
        outer = None if limit is None else limit + OUTER_GRACE * choice.timeout_factor
        command = choice.command(job.binary, args)
        env = {**self.tc.environ(), **choice.env}
        done = self._execute(command, env, pkg.directory, outer, filter_stderr=choice.name != "native")
        if done is None:
            return
        result = plan.result(command, done, outer)
        events = convert(self.tc, pkg.import_path, (done.stdout or b"") + done.stderr)
        cases = summarize(events, job.binary, choice.name != "native")
        verdict = judge(t.name, pkg.import_path, result, cases, package_output(events))
        self._record(with_events(verdict, events))


def _vet_flags(build: Sequence[str]) -> list[str]:
    """The build flags ``go vet`` accepts too (it has no -ldflags effect, but accepts tags and mod)."""
    keep = ("-tags", "-mod", "-modfile", "-overlay", "-buildvcs")
    return [f for f in build if f.split("=", 1)[0] in keep]


def _go_output(done: Completed) -> str:
    text = ((done.stdout or b"") + done.stderr).decode("utf-8", "replace")
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[-60:]) or f"go exited with status {done.returncode} and printed nothing"


def _slug(import_path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", import_path)


# ---------------------------------------------------------------------------------------------- entry


def binaries_dir(directory: Path) -> Path:
    """Where this module's test binaries are kept between runs, one folder per module.

    Keeping them lets ``go test -c`` find its previous output, see from the build ID that it is up to date
    and skip the link — the most expensive part of rebuilding an unchanged test binary.
    """
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gocross" / "test-binaries"
    root = module_root(directory) or directory
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return cache / f"{root.name}-{key}"


@contextlib.contextmanager
def binaries_scratch(shared: Path) -> Iterator[Path]:
    """The module's shared test-binary folder, or a private one while another run holds it.

    Two runs writing the same ``pkg.test`` would collide: Linux refuses to overwrite a binary that is
    running ("text file busy"). The first run takes an exclusive lock on ``shared/.lock``; a concurrent run
    builds in a fresh folder next to it (losing only the relink savings) and removes it afterwards.
    """
    import shutil
    import tempfile

    shared.mkdir(parents=True, exist_ok=True)
    with (shared / ".lock").open("a") as lock:  # the lock goes with the file's closing
        if _try_lock(lock.fileno()):
            yield shared
            return
    private = Path(tempfile.mkdtemp(prefix=f"{shared.name}-", dir=shared.parent))
    logger.info("another gocross test is using %s; building in %s", shared, private)
    try:
        yield private
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _try_lock(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _module_dir(directory: Path) -> Path:
    path = directory.resolve()
    if not path.is_dir():
        raise UsageError(f"Directory {path} does not exist; pass the folder of your Go module with -C DIR.")
    if module_root(path) is None:
        raise UsageError(f"{path} is not inside a Go module (no go.mod found); run `go mod init` there first.")
    return path


def _order(results: Iterable[PackageResult], targets: Sequence[Target], packages: Sequence[str]
           ) -> tuple[PackageResult, ...]:
    col = {t.name: i for i, t in enumerate(targets)}
    row = {p: i for i, p in enumerate(packages)}
    return tuple(sorted(results, key=lambda r: (col.get(r.target, 0), row.get(r.package, 0))))


def run_tests(options: TestOptions, *, toolchain: Toolchain | None = None,
              progress: Progress | None = None) -> TestRun:
    """Test the packages on every selected target (plus the native reference); failures are in the result.

    Raises UsageError for bad targets, packages or flags before anything is compiled; per-target outcomes
    (failed, could not build, could not run, built, not run) never raise — see :func:`raise_for_failures`.
    """
    from gocross.toolchain import find_toolchain

    tc = toolchain or find_toolchain()
    directory = _module_dir(options.directory)
    flags = parse_go_test_flags(options.go_test_flags)
    columns, selected, reference, defaulted = choose_targets(tc, options, directory)
    packages = list_packages(tc, directory, options.packages or (".",), flags.build)
    tested = [p for p in packages if p.has_tests]
    jobs = options.jobs or default_jobs()
    started = time.monotonic()
    with binaries_scratch(binaries_dir(directory)) as scratch:
        matrix = _Matrix(tc, directory, flags, jobs, scratch, progress or (lambda *_: None))
        results = matrix.run(columns, tested)  # Ctrl-C: every compiler and test binary is killed, re-raised
    names = [p.import_path for p in tested]
    return TestRun(directory, tuple(t.name for t in columns), tuple(t.name for t in selected), tuple(names),
                   tuple(p.import_path for p in packages if not p.has_tests), _order(results, columns, names),
                   reference.name if reference else None, defaulted, jobs, time.monotonic() - started,
                   tc.version)


test = run_tests  # the library name: ``gocross.test(TestOptions(...))``
test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported into a test module
