"""Run a binary of any target here: pick its runner from the binary itself, run it, classify what happened.

:func:`plan_for` (a file) and :func:`plan_for_artifact` (an entry of a build's artifact list, without
reading the file again) decide how a binary runs here: a :class:`RunPlan`. Two levels then. ``RunPlan.run``
never raises for the program's fate: it returns a :class:`RunResult` whose ``outcome`` (a
:class:`RunOutcome`) says whether the program ran (``exited``, ``signaled``) or could not run
(``no-runner``, ``runner-missing``, ``cpu-unsupported``, ``loader-missing``, ``not-started``) or ran out of
time (``timeout``) — smoke and test use it. :func:`run` is the library call behind ``gocross run``: it
raises the matching :mod:`gocross.errors` error for everything that is not "the program ran", so a caller
can never mistake "could not run" for "ran and failed".
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gocross.errors import CannotRun, CpuUnsupported, GocrossError, RunnerMissing, RunTimeout, UsageError
from gocross.executor import Completed, Executor, Running
from gocross.executor import execute as execute_process
from gocross.executor import start as start_process
from gocross.platforms import cross_libc_for
from gocross.runners import RunnerChoice, choose_runner, prepare_runner, why_no_runner
from gocross.variants import variable_for

if TYPE_CHECKING:
    from gocross.artifacts import Artifact
    from gocross.binary.model import BinaryInfo

# Time limit of a native run; emulated runs get this × the runner's factor (qemu ×10, soft-float ×60).
DEFAULT_TIMEOUT = 120.0



class RunOutcome(StrEnum):
    """How one run ended: the program ran (exited, signaled), could not run (the rest), or timed out."""

    EXITED = "exited"
    SIGNALED = "signaled"
    TIMEOUT = "timeout"
    CPU_UNSUPPORTED = "cpu-unsupported"
    LOADER_MISSING = "loader-missing"
    NO_RUNNER = "no-runner"
    RUNNER_MISSING = "runner-missing"
    NOT_STARTED = "not-started"

    @property
    def ran(self) -> bool:
        """The program ran to its own end (any exit code, or a crash of its own)."""
        return self in (RunOutcome.EXITED, RunOutcome.SIGNALED)

    @property
    def could_not_run(self) -> bool:
        return self not in (RunOutcome.EXITED, RunOutcome.SIGNALED, RunOutcome.TIMEOUT)


# A runner's wrapper saying it could not run the program at all ("gocross wine: could not run: ...").
_RUNNER_REFUSAL = re.compile(r"^gocross \w+: could not run: (.*)")

# Go's own words when the CPU lacks what the binary needs (after its signal handlers are installed).
_CPU_MARKERS = (b"SIGILL: illegal instruction", b"can only be run on AMD64 processors with")


@dataclass(frozen=True)
class RunPlan:
    """Which target a binary is for and the runner chosen for it here (``choice`` None: nothing can)."""

    binary: Path
    goos: str
    goarch: str
    variant: str | None  # the variant the runner emulates (the binary's own unless overridden)
    choice: RunnerChoice | None
    reason: str | None = None  # why there is no runner
    interpreter: str | None = None  # the dynamic loader a dynamically linked binary asks for
    built_variant: str | None = None  # the variant the binary says it was built for
    suggestion: str | None = None  # what to do instead when nothing here runs it

    @property
    def target(self) -> str:
        return f"{self.goos}/{self.goarch}"

    def command(self, args: Sequence[str] = ()) -> list[str]:
        if self.choice is None:
            raise CannotRun(self.cannot_run_message())
        return self.choice.command(self.binary, args)

    def cannot_run_message(self) -> str:
        tail = f"; {self.suggestion}" if self.suggestion and self.suggestion not in (self.reason or "") else ""
        return f"Cannot run {self.binary.name} ({self.target}) here: {self.reason}{tail}."

    def require(self) -> RunnerChoice:
        """The runner, or the error that says why there is none / how to install it."""
        if self.choice is None:
            raise CannotRun(self.cannot_run_message())
        if not self.choice.installed:
            program = self.choice.program or self.choice.name
            raise RunnerMissing(f"{self.binary.name} ({self.target}) needs {program}, which is not installed; "
                                f"install it with `{self.choice.install_hint}`.")
        return self.choice

    def run(self, args: Sequence[str] = (), *, timeout: float | None = None, stdin: bytes | str | None = None,
            capture: bool = True, cwd: Path | None = None, env: Mapping[str, str] | None = None,
            executor: Executor | None = None) -> RunResult:
        """Run the binary; every outcome, including "could not run", comes back as a RunResult.

        Under an ``executor`` (smoke's checks) the run is tracked, so cancelling it kills the program too.
        """
        choice = self.choice
        if choice is None:
            return self._not_run(args, RunOutcome.NO_RUNNER, self.cannot_run_message())
        if not choice.installed:
            return self._not_run(args, RunOutcome.RUNNER_MISSING,
                                 f"needs {choice.program or choice.name}; install it with `{choice.install_hint}`")
        try:
            prepare_runner(choice, self.goos, self.goarch)
        except GocrossError as exc:  # e.g. wine's prefix cannot be made: "could not run", with the fix
            why = str(exc).rstrip(".").removeprefix("could not run: ")
            return self._not_run(args, RunOutcome.NOT_STARTED, f"could not run: {why[:1].lower()}{why[1:]}")
        limit = _timeout_for(choice, timeout)
        command = choice.command(self.binary, args)
        filtered = choice.name != "native"
        if executor is None:
            done = execute_process(command, env=_environ(choice, env), timeout=limit, cwd=cwd,
                                   input=_to_bytes(stdin), capture=capture, filter_stderr=filtered)
        else:
            tracked = executor.run(command, env=_environ(choice, env), cwd=cwd, timeout=limit,
                                   input=_to_bytes(stdin), filter_stderr=filtered)
            if tracked is None:
                return self._not_run(args, RunOutcome.NOT_STARTED, "cancelled before it started")
            done = tracked
        return self.result(command, done, limit)

    def start(self, args: Sequence[str] = (), *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
              executor: Executor | None = None) -> Running | None:
        """Start the binary in the background with captured output (servers for ``smoke --serve``).

        Under an ``executor`` it is tracked until ``executor.finish`` (None: the executor was cancelled).
        Raises OSError when it cannot start.
        """
        choice = self.require()
        prepare_runner(choice, self.goos, self.goarch)
        command = choice.command(self.binary, args)
        if executor is not None:
            return executor.start(command, env=_environ(choice, env), cwd=cwd, filter_stderr=choice.name != "native")
        return start_process(command, env=_environ(choice, env), cwd=cwd, capture=True,
                             filter_stderr=choice.name != "native")

    def result(self, command: Sequence[str], done: Completed, limit: float | None = None) -> RunResult:
        """The RunResult of one process of this plan (run, or started and ended by ``Running.wait``/``stop``)."""
        choice = self.choice
        assert choice is not None
        outcome, exit_code, sig, reason = _classify(done, self)
        if outcome == RunOutcome.TIMEOUT:
            reason = (f"did not finish within {limit:g} s and was killed with its whole process group"
                      if limit is not None else "was stopped")
        return RunResult(
            binary=str(self.binary), target=self.target, variant=self.variant, runner=choice.name,
            command=tuple(command), env=dict(choice.env), outcome=outcome, exit_code=exit_code, signal=sig,
            seconds=done.seconds, timeout=limit,
            stdout=done.stdout.decode("utf-8", "replace") if done.stdout is not None else None,
            stderr=done.stderr.decode("utf-8", "replace"), runner_messages=done.runner_lines, reason=reason,
            stdout_cut=done.stdout_cut, stderr_cut=done.stderr_cut,
        )

    def _not_run(self, args: Sequence[str], outcome: RunOutcome, reason: str) -> RunResult:
        choice = self.choice
        command = tuple(choice.command(self.binary, args)) if choice else ()
        return RunResult(
            binary=str(self.binary), target=self.target, variant=self.variant,
            runner=choice.name if choice else None, command=command, env=dict(choice.env) if choice else {},
            outcome=outcome, exit_code=None, signal=None, seconds=0.0, timeout=None, stdout=None, stderr="",
            runner_messages=(), reason=reason,
        )


@dataclass(frozen=True)
class RunResult:
    """What happened when a binary ran (or could not) under its runner; ``exit_code`` 128+N = signal N."""

    binary: str
    target: str
    variant: str | None
    runner: str | None
    command: tuple[str, ...]
    env: Mapping[str, str] = field(hash=False)  # what gocross added to the environment (e.g. QEMU_CPU)
    outcome: RunOutcome
    exit_code: int | None
    signal: str | None
    seconds: float
    timeout: float | None
    stdout: str | None  # None when it went straight to the terminal
    stderr: str  # the program's stderr (a tail when it went to the terminal)
    runner_messages: tuple[str, ...]  # the runner's own stderr lines (qemu warnings, ...)
    reason: str | None  # one sentence when it did not run or did not finish
    # Bytes cut from the front of stdout/stderr: only the last executor.OUTPUT_LIMIT bytes (1 MiB) are kept.
    stdout_cut: int = 0
    stderr_cut: int = 0

    @property
    def ran(self) -> bool:
        """The program ran to its own end (any exit code, or a crash of its own)."""
        return self.outcome.ran

    @property
    def could_not_run(self) -> bool:
        return self.outcome.could_not_run

    @property
    def ok(self) -> bool:
        return self.outcome == RunOutcome.EXITED and self.exit_code == 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["env"] = dict(self.env)
        data["outcome"] = str(self.outcome)
        data["seconds"] = round(self.seconds, 3)
        data.update(ran=self.ran, could_not_run=self.could_not_run, ok=self.ok)
        return data


def _parse_target(target: str) -> tuple[str, str]:
    parts = target.split("/")
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"Bad target {target!r}: write it as GOOS/GOARCH, e.g. linux/arm64.")
    return parts[0], parts[1]


@dataclass(frozen=True)
class _Found:
    """What planning needs to know of the binary itself."""

    goos: str
    goarch: str
    variant: str | None
    interpreter: str | None
    refusal: str | None  # inspect's "will not run here" reason, when it has one
    suggestion: str | None = None


def _found(binary: Path, info: BinaryInfo) -> _Found:
    """The binary's own target and variant, and its runs-here verdict (worked out now, for this host)."""
    from gocross.binary.verdict import verdict

    goos = info.goos or info.header_goos
    goarch = info.goarch or info.header_goarch
    here = info.runs_here if info.runs_here is not None else verdict(info)
    if not goos or not goarch:
        raise CannotRun(f"Cannot tell which OS and architecture {binary} is for ({here.reason}); "
                        "pass --target GOOS/GOARCH to run it anyway.")
    if here.verdict == "no":
        refusal = here.reason.removeprefix("will not run here: ")
        return _Found(goos, goarch, info.variant, info.interpreter, refusal, here.suggestion)
    return _Found(goos, goarch, info.variant, info.interpreter, None)


def plan_for(binary: str | os.PathLike[str], *, target: str | None = None, variant: str | None = None,
             cpu: str | None = None) -> RunPlan:
    """Decide how ``binary`` runs here: from ``target``/``variant`` if given, else from the binary itself.

    ``variant`` given with no ``target`` overrides the binary's own (run a GOARM=7 binary "on" a GOARM=6
    CPU); ``cpu`` forces the emulated CPU model (QEMU_CPU).
    """
    from gocross.binary import inspect

    path = Path(binary)
    if not path.is_file():
        raise UsageError(f"No such file: {path}.")
    if target is not None:
        goos, goarch = _parse_target(target)
        found = _Found(goos, goarch, None, None, None)
    else:
        found = _found(path, inspect(path))
    return _plan(path, found, variant, cpu)


def plan_for_artifact(artifact: Artifact) -> RunPlan:
    """How a built artifact runs here, from the inspection its build recorded: the file is not read again.

    The runs-here verdict is not part of the record (it is a fact about this host, not the build) and is
    worked out now.
    """
    from gocross.binary.model import BinaryInfo

    if artifact.path is None or not artifact.path.is_file():
        raise UsageError(f"The artifact of {artifact.target} is missing from disk ({artifact.path}); "
                         "build again with `gocross build`.")
    if artifact.inspection is None:
        return plan_for(artifact.path)
    record = {**artifact.inspection, "path": str(artifact.path), "runs_here": None}
    return _plan(artifact.path, _found(artifact.path, BinaryInfo.from_json(record)), None, None)


def _plan(path: Path, found: _Found, variant: str | None, cpu: str | None) -> RunPlan:
    goos, goarch, found_variant, interpreter = found.goos, found.goarch, found.variant, found.interpreter
    chosen_variant = variant if variant is not None else found_variant
    choice = choose_runner(goos, goarch, chosen_variant)
    if found.refusal and variant is None and not cpu:
        return RunPlan(path, goos, goarch, chosen_variant, None, found.refusal, interpreter, found_variant,
                       found.suggestion)
    if choice is not None and cpu:
        choice = choice.with_cpu(cpu)
    if choice is not None and interpreter:
        choice = _with_loader_prefix(choice, goarch, interpreter, found_variant)
    reason = None if choice is not None else why_no_runner(goos, goarch, chosen_variant)
    return RunPlan(path, goos, goarch, chosen_variant, choice, reason, interpreter, found_variant)


def _with_loader_prefix(choice: RunnerChoice, goarch: str, interpreter: str,
                        variant: str | None = None) -> RunnerChoice:
    """For a dynamically linked foreign binary, point qemu at Debian's cross libc (``libc6-<arch>-cross``,
    for the variant's float ABI) when it is installed and holds the loader the binary asks for."""
    libc = cross_libc_for(goarch, variant)
    if choice.name != "qemu-user" or "QEMU_LD_PREFIX" in os.environ or libc is None:
        return choice
    prefix = Path("/usr") / libc.triple
    if not (prefix / interpreter.lstrip("/")).exists():
        return choice
    return choice._replace(env={**choice.env, "QEMU_LD_PREFIX": str(prefix)})


def _cpu_reason(plan: RunPlan, choice: RunnerChoice) -> str:
    var = variable_for(plan.goarch) or "variant"
    cpu = choice.env.get("QEMU_CPU")
    where = "this CPU"
    if cpu:
        where = f"the emulated CPU (QEMU_CPU={cpu}" + (f", {var}={plan.variant})" if plan.variant else ")")
    built = f"; the binary was built for {var}={plan.built_variant}" if plan.built_variant else ""
    return f"could not run: CPU lacks feature (SIGILL) — {where} lacks an instruction the binary uses{built}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _classify(done: Completed, plan: RunPlan) -> tuple[RunOutcome, int | None, str | None, str | None]:
    """(outcome, exit code, signal name, reason) from the raw facts of one process."""
    choice = plan.choice
    assert choice is not None
    if done.start_error is not None:
        what = choice.program or plan.binary
        return RunOutcome.NOT_STARTED, None, None, f"could not start {what}: {done.start_error.strerror}"
    if done.timed_out:
        return RunOutcome.TIMEOUT, None, None, None  # the reason needs the limit; filled in by the caller
    code = done.returncode if done.returncode is not None else -1
    signum = -code if code < 0 else 0  # qemu re-raises the guest's fatal signal on itself
    exit_code = 128 + signum if signum else code
    sig = _signal_name(signum) if signum else None
    runner_text = "\n".join(done.runner_lines)
    refused = next((m[1] for line in done.runner_lines if (m := _RUNNER_REFUSAL.match(line))), None)
    if refused is not None:  # the runner's wrapper could not get ready (wine: no 32-bit half, no prefix)
        return RunOutcome.NOT_STARTED, None, None, f"could not run: {refused}"
    if signum == signal.SIGILL or (code in (1, 2) and any(m in done.stderr for m in _CPU_MARKERS)):
        return RunOutcome.CPU_UNSUPPORTED, exit_code, sig or "SIGILL", _cpu_reason(plan, choice)
    if "Could not open" in runner_text and plan.interpreter:
        libc = cross_libc_for(plan.goarch, plan.built_variant)
        package = libc.package if libc else "libc6-<arch>-cross"
        return RunOutcome.LOADER_MISSING, exit_code, None, (
            f"could not run: dynamically linked against {plan.interpreter}, which is not installed for "
            f"{plan.goarch}; install the target's libc (Debian: apt-get install {package}) or set "
            "QEMU_LD_PREFIX")
    if signum:
        return RunOutcome.SIGNALED, exit_code, sig, f"ran and was killed by {sig} (exit {exit_code})"
    return RunOutcome.EXITED, exit_code, None, None


def _timeout_for(choice: RunnerChoice, timeout: float | None) -> float | None:
    if timeout is None:
        return DEFAULT_TIMEOUT * choice.timeout_factor
    return None if timeout <= 0 else timeout


def _environ(choice: RunnerChoice, env: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, **choice.env, **(env or {})}


def _to_bytes(data: bytes | str | None) -> bytes | None:
    return data.encode() if isinstance(data, str) else data


def run_captured(binary: str | os.PathLike[str], args: Sequence[str] = (), *, target: str | None = None,
                 variant: str | None = None, cpu: str | None = None, timeout: float | None = None,
                 stdin: bytes | str | None = None, capture: bool = True, cwd: Path | None = None,
                 env: Mapping[str, str] | None = None) -> RunResult:
    """Plan and run ``binary`` with captured output; never raises for what happened to the program."""
    return plan_for(binary, target=target, variant=variant, cpu=cpu).run(
        args, timeout=timeout, stdin=stdin, capture=capture, cwd=cwd, env=env)


def raise_for_outcome(result: RunResult) -> RunResult:
    """Turn "could not run" and "timed out" into gocross errors; a program that ran comes back as is."""
    name = Path(result.binary).name
    if result.outcome == RunOutcome.NO_RUNNER:
        raise CannotRun(result.reason or f"Cannot run {name} here.")
    if result.outcome == RunOutcome.RUNNER_MISSING:
        raise RunnerMissing(f"{name} ({result.target}) {result.reason}.")
    if result.outcome == RunOutcome.CPU_UNSUPPORTED:
        raise CpuUnsupported(f"{name} ({result.target}) {result.reason}.")
    if result.outcome in (RunOutcome.LOADER_MISSING, RunOutcome.NOT_STARTED):
        raise CannotRun(f"{name} ({result.target}) {result.reason}.")
    if result.outcome == RunOutcome.TIMEOUT:
        raise RunTimeout(f"{name} ({result.target}, under {result.runner}) {result.reason}; "
                         "raise the limit with --timeout.")
    return result


def run(binary: str | os.PathLike[str], args: Sequence[str] = (), *, timeout: float | None = None,
        stdin: bytes | str | None = None, capture: bool = False, target: str | None = None,
        variant: str | None = None, cpu: str | None = None, cwd: Path | None = None,
        env: Mapping[str, str] | None = None) -> RunResult:
    """Run ``binary`` here under the runner its own headers call for, passing stdio through.

    Returns the RunResult of a program that ran (whatever its exit code). Raises CannotRun (no runner, or
    the binary cannot start), RunnerMissing (with the install command), CpuUnsupported (SIGILL: the CPU
    lacks an instruction) and RunTimeout (killed with its process group after ``timeout`` seconds; default
    120 s scaled by the runner, 0 = no limit).
    """
    plan = plan_for(binary, target=target, variant=variant, cpu=cpu)
    return raise_for_outcome(plan.run(args, timeout=timeout, stdin=stdin, capture=capture, cwd=cwd, env=env))
