"""The test matrix on one :class:`~gocross.executor.Executor`: ``go test -c`` per (target, package) on a
narrow build lane, each test binary run on the ``jobs``-wide run lane as soon as it is built.

Build once, run many: one shared GOCACHE and ``-trimpath`` like ``gocross build``, so the standard library
compiled for a build is reused; each test binary runs under the runner ``gocross run`` would pick (native,
qemu-user, node, wasmtime), from the package's directory so ``testdata/`` resolves, with ``-test.v=test2json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gocross.builder import toolchain_gc_env
from gocross.cgo import loader_prefix, test_env
from gocross.executor import Completed, Executor, output_tail
from gocross.gotest.events import (
    close_unfinished,
    convert,
    go_test_summary,
    package_output,
    summarize,
    with_events,
)
from gocross.gotest.flags import GoTestFlags
from gocross.gotest.packages import GoPackage
from gocross.gotest.results import PackageResult, TestStatus
from gocross.gotest.verdicts import judge, unfinished_reason
from gocross.launch import RunPlan
from gocross.runners import RunnerChoice, choose_runner, why_no_runner
from gocross.targets import Target
from gocross.toolchain import Toolchain

MAX_BUILDS = 3  # parallel `go test -c` at most, whatever default_jobs() says: each one is multi-process
OUTER_GRACE = 30.0  # beyond the binary's own -test.timeout, for a runner that hangs itself (js/wasm)

# (stage, target, package, result): stages "planned" (once `go list` answered; package = the number of
# cells), "built", "done" (with the result).
Progress = Callable[[str, str, str, "PackageResult | None"], None]


@dataclass(frozen=True)
class _Job:
    target: Target
    package: GoPackage
    binary: Path


class TestMatrix:
    """Builds on the executor's narrow lane, runs on its wide one (a run starts as soon as its binary is built).

    ``cgo`` says, per target name, whether its test binary is compiled with CGO_ENABLED=1.
    """

    __test__ = False

    def __init__(self, tc: Toolchain, directory: Path, flags: GoTestFlags, jobs: int, scratch: Path,
                 progress: Progress, cgo: Mapping[str, bool], run_env: Mapping[str, str] | None = None) -> None:
        self.tc, self.directory, self.flags, self.jobs = tc, directory, flags, jobs
        self.scratch, self.progress, self.cgo = scratch, progress, dict(cgo)
        self.results: list[PackageResult] = []
        self._ex: Executor | None = None
        # The builder's GOGC tuning, read once; only `go test -c` and `go vet` get it (see _go_env).
        self.gc_env = toolchain_gc_env(min(jobs, MAX_BUILDS))
        self.run_env = dict(run_env or {})  # GOCACHEPROG (the shared build cache), GOTMPDIR: no output changes

    def run(self, targets: Sequence[Target], packages: Sequence[GoPackage]) -> list[PackageResult]:
        """Every (target, package) result; Ctrl-C kills every compiler and test binary and is re-raised."""
        with Executor({"build": min(self.jobs, MAX_BUILDS), "run": self.jobs}, name="gocross-test") as ex:
            self._ex = ex
            for target in targets:  # target-major: every target gets its first binary early
                for pkg in packages:
                    slug = f"{target.name.replace('/', '_')}/{_slug(pkg.import_path)}.test"
                    ex.submit(self._build, _Job(target, pkg, self.scratch / slug), lane="build")
            ex.wait()
        return list(self.results)

    @property
    def ex(self) -> Executor:
        assert self._ex is not None, "used only inside run()"
        return self._ex

    def _record(self, result: PackageResult) -> None:
        self.results.append(result)  # list.append is atomic; the order is fixed by run_tests
        self.progress("done", result.target, result.package, result)

    # -- build

    def _build(self, job: _Job) -> None:
        t, pkg = job.target, job.package
        job.binary.parent.mkdir(parents=True, exist_ok=True)
        argv = [str(self.tc.go), "test", "-c", "-o", str(job.binary), "-trimpath", *self.flags.build,
                pkg.import_path]
        done = self.ex.run(argv, env=self._go_env(t), cwd=self.directory)
        if done is None:
            return
        self.progress("built", t.name, pkg.import_path, None)
        if done.returncode != 0:
            self._record(with_events(self._build_failure(job, argv, done)))
            return
        if not job.binary.is_file() or not pkg.has_tests:
            self._record(with_events(PackageResult(t.name, pkg.import_path, TestStatus.NO_TESTS,
                                                   seconds=done.seconds, reason=f"no test files for {t.name}")))
            return
        choice = choose_runner(t.goos, t.goarch, t.variant)
        if choice is None or not choice.installed:
            self._record(self._vet(job, choice))
            return
        self.ex.submit(self._run, job, choice, lane="run")

    def _build_failure(self, job: _Job, argv: Sequence[str], done: Completed) -> PackageResult:
        """A failed ``go test -c``: a compile error, or a finding of the go vet checks go test runs first.

        go test says "[build failed]" for both; building again with ``-vet=off`` (the compiled packages are
        in the cache by now) tells them apart, so a vet finding is reported as one.
        """
        t, pkg = job.target, job.package
        out = _go_output(done)
        if not pkg.has_tests and _NO_FILES in out:  # go test ./... skips a package this target excludes
            return PackageResult(t.name, pkg.import_path, TestStatus.NO_TESTS, seconds=done.seconds,
                                 reason=f"no Go files for {t.name}")
        if any(f.startswith("-vet") for f in self.flags.build):
            return PackageResult(t.name, pkg.import_path, TestStatus.BUILD_FAILED, seconds=done.seconds,
                                 reason=f"does not compile for {t.name}", output=out)
        again = self.ex.run([*argv[:3], "-vet=off", *argv[3:]], env=self._go_env(t), cwd=self.directory)
        if again is not None and again.returncode == 0:
            return PackageResult(t.name, pkg.import_path, TestStatus.VET_FAILED, seconds=done.seconds,
                                 reason=f"go vet (the checks go test runs) reports a problem for {t.name}",
                                 output=out)
        compiled = _go_output(again) if again is not None else out
        return PackageResult(t.name, pkg.import_path, TestStatus.BUILD_FAILED, seconds=done.seconds,
                             reason=f"does not compile for {t.name}", output=compiled)

    def _go_env(self, target: Target) -> dict[str, str]:
        """For `go test -c` and `go vet` only (with the builder's GOGC tuning); test binaries run without it."""
        cgo = "1" if self.cgo.get(target.name) else "0"
        c_toolchain = test_env(target, self.directory) if cgo == "1" else {}  # zig for a foreign target
        return self.tc.environ({**self.gc_env, **self.run_env, **target.env, "CGO_ENABLED": cgo, **c_toolchain})

    def _vet(self, job: _Job, choice: RunnerChoice | None) -> PackageResult:
        """Compiled but nothing here runs it: say why, and vet it for its own GOOS/GOARCH."""
        t, pkg = job.target, job.package
        argv = [str(self.tc.go), "vet", *_vet_flags(self.flags.build), pkg.import_path]
        done = self.ex.run(argv, env=self._go_env(t), cwd=self.directory)
        vet = "go vet: not run (cancelled)"
        if done is not None:
            vet = f"go vet {t.name}: ok" if done.returncode == 0 else f"go vet {t.name}:\n{_go_output(done)}"
        if choice is None:
            status = TestStatus.NOT_RUN
            why = f"built and vetted, not run: {why_no_runner(t.goos, t.goarch, t.variant)}"
        else:
            status = TestStatus.COULD_NOT_RUN
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
        prefix = loader_prefix(t.goarch, t.variant) if self.cgo.get(t.name) and choice.name == "qemu-user" else None
        env.update({"QEMU_LD_PREFIX": prefix} if prefix else {})  # a glibc-dynamic cgo test binary's loader
        emulated = choice.name != "native"
        # One pipe for stdout and stderr, as go test gives the binary: a test's log output stays in order.
        done = self.ex.run(command, env=env, cwd=pkg.directory, timeout=outer, filter_stderr=emulated,
                           merge_stderr=True)
        if done is None:
            return
        output = done.stdout or b""
        if not done.stderr:  # unfiltered, nothing is kept apart: Go's crash messages are in the one stream
            done = replace(done, stderr=output[-_STDERR_TAIL:])
        result = plan.result(command, done, outer)
        summary = go_test_summary(pkg.import_path, output, None if done.timed_out else done.returncode,
                                  done.seconds, outer if done.timed_out else None)
        events = convert(self.tc, pkg.import_path, output + summary)
        events = close_unfinished(events, unfinished_reason(result, output.decode("utf-8", "replace")))
        cases = summarize(events, job.binary, emulated)
        verdict = judge(t.name, pkg.import_path, result, cases, package_output(events))
        self._record(with_events(replace(verdict, output_cut=done.stdout_cut), events))


_NO_FILES = "build constraints exclude all Go files"
_STDERR_TAIL = 64 * 1024


def _vet_flags(build: Sequence[str]) -> list[str]:
    """The build flags ``go vet`` accepts too (it has no -ldflags effect, but accepts tags and mod)."""
    keep = ("-tags", "-mod", "-modfile", "-overlay", "-buildvcs")
    return [f for f in build if f.split("=", 1)[0] in keep]


def _go_output(done: Completed) -> str:
    return output_tail((done.stdout, done.stderr), lines=60, what="go", returncode=done.returncode)


def _slug(import_path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", import_path)
