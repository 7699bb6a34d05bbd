"""Smoke-test a build: run every artifact of ``DIST/artifacts.json`` here, under its runner, in parallel.

Two modes. *args*: run each binary with the same arguments and check its exit code and that its output
contains ``expect``. *serve*: start each binary as a server on a free loopback port (``PORT`` in its
environment and/or ``{port}`` in its arguments), wait until it accepts connections, HTTP GET one path, check
the status and that the body contains ``expect``, then stop it with its whole process group.

The build's artifact list (``gocross.artifacts.read_manifest``) says what to run; only artifacts with status
"ok" are smoke-tested, and each is planned from the inspection its build recorded (the file is not read
again), with the runs-here decision made now, for this host.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from gocross.artifacts import Artifact, read_manifest
from gocross.errors import GocrossError, UsageError
from gocross.executor import Executor, output_tail
from gocross.launch import RunOutcome, RunPlan, RunResult, plan_for_artifact
from gocross.targets import matches

# Per-check time limit on native code; emulated runs get this × the runner's factor.
DEFAULT_TIMEOUT = 30.0
_POLL = 0.05  # seconds between connection attempts while a server starts
_HTTP_TIMEOUT = 10.0  # seconds, scaled like the rest
_PORT_ATTEMPTS = 3  # a free port can be taken between our probe and the server's bind



class SmokeStatus(StrEnum):
    """How one artifact's smoke check ended."""

    PASS = "pass"
    FAIL = "fail"
    TIMEOUT = "timeout"
    COULD_NOT_RUN = "could-not-run"  # a runner exists but it could not run (missing, SIGILL, loader)
    NOT_RUN = "not-run"  # nothing on this host runs the target (darwin, windows, ...)



@dataclass(frozen=True)
class SmokeCheck:
    """One artifact's smoke test: what ran, how it ended, and one line on why it did not pass."""

    target: str
    path: str
    runner: str | None
    status: SmokeStatus
    seconds: float
    detail: str
    exit_code: int | None = None
    http_status: int | None = None
    output: str = ""  # the program's stdout (serve mode: the HTTP body), for the JSON report
    output_cut: int = 0  # bytes cut from the front of ``output`` (its last 1 MiB is kept)


@dataclass(frozen=True)
class SmokeReport:
    """Every check of one smoke run, in manifest order."""

    dist: str
    mode: str  # "args" | "serve"
    checks: tuple[SmokeCheck, ...]
    seconds: float
    skipped: tuple[str, ...] = ()  # targets whose build did not succeed (status != ok in the manifest)

    @property
    def ok(self) -> bool:
        """Every target that can run here passed (targets nothing here can run do not count against it)."""
        runnable = [c for c in self.checks if c.status != SmokeStatus.NOT_RUN]
        return bool(runnable) and all(c.status == SmokeStatus.PASS for c in runnable)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for check in self.checks:
            out[str(check.status)] = out.get(str(check.status), 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["ok"] = self.ok
        data["counts"] = self.counts()
        return data


@dataclass(frozen=True)
class SmokeOptions:
    """What to run and what to expect. ``args`` may hold ``{port}`` in serve mode."""

    args: tuple[str, ...] = ()
    expect: str | None = None
    expect_exit: int = 0
    serve: bool = False
    path: str = "/"
    expect_status: int = 200
    port_env: str | None = "PORT"
    timeout: float | None = None  # per check; None = DEFAULT_TIMEOUT × the runner's factor
    env: Mapping[str, str] = field(default_factory=dict, hash=False)


def _status_of(result: RunResult) -> SmokeStatus:
    if result.outcome == RunOutcome.NO_RUNNER:
        return SmokeStatus.NOT_RUN
    if result.could_not_run:
        return SmokeStatus.COULD_NOT_RUN
    if result.outcome == RunOutcome.TIMEOUT:
        return SmokeStatus.TIMEOUT
    return SmokeStatus.PASS if result.ran else SmokeStatus.FAIL


def _first_line(text: str) -> str:
    """The last non-blank line of an output, shortened to fit a one-line detail."""
    return output_tail(text, lines=1, what=None, width=160)


def _check(entry: Artifact, result: RunResult, status: SmokeStatus, detail: str, **extra: Any) -> SmokeCheck:
    return SmokeCheck(target=entry.target, path=str(entry.path), runner=result.runner, status=status,
                      seconds=result.seconds, detail=detail, exit_code=result.exit_code,
                      output_cut=result.stdout_cut if "output" in extra and "http_status" not in extra else 0,
                      **extra)


def _judge_args(entry: Artifact, result: RunResult, opts: SmokeOptions) -> SmokeCheck:
    status = _status_of(result)
    if status != SmokeStatus.PASS:
        return _check(entry, result, status, result.reason or status, output=result.stdout or "")
    output = (result.stdout or "") + result.stderr
    if result.outcome == RunOutcome.SIGNALED or result.exit_code != opts.expect_exit:
        why = result.reason or f"exit {result.exit_code}, expected {opts.expect_exit}"
        tail = _first_line(result.stderr)
        return _check(entry, result, SmokeStatus.FAIL, why + (f": {tail}" if tail else ""), output=result.stdout or "")
    if opts.expect is not None and opts.expect not in output:
        got = _first_line(output) or "no output"
        return _check(entry, result, SmokeStatus.FAIL, f"output lacks {opts.expect!r} (last line: {got!r})",
                      output=result.stdout or "")
    return _check(entry, result, SmokeStatus.PASS, f"exit {result.exit_code}", output=result.stdout or "")


def _plan_or_check(entry: Artifact) -> RunPlan | SmokeCheck:
    """The run plan, or the finished check when the artifact cannot even be planned or has no runner."""
    try:
        plan = plan_for_artifact(entry)
    except GocrossError as exc:
        return SmokeCheck(entry.target, str(entry.path), None, SmokeStatus.COULD_NOT_RUN, 0.0, str(exc))
    if plan.choice is None:
        return SmokeCheck(entry.target, str(entry.path), None, SmokeStatus.NOT_RUN, 0.0, plan.reason or "no runner")
    return plan


def _smoke_args(entry: Artifact, opts: SmokeOptions, executor: Executor) -> SmokeCheck:
    plan = _plan_or_check(entry)
    if isinstance(plan, SmokeCheck):
        return plan
    result = plan.run(opts.args, timeout=_limit(plan, opts), capture=True, cwd=_folder(entry), env=opts.env,
                      executor=executor)
    return _judge_args(entry, result, opts)


def _folder(entry: Artifact) -> Path:
    """Where the binary runs from: its own folder, so relative paths in its arguments mean the dist."""
    assert entry.path is not None
    return entry.path.parent


def _limit(plan: RunPlan, opts: SmokeOptions) -> float | None:
    if opts.timeout is not None:
        return opts.timeout if opts.timeout > 0 else None
    factor = plan.choice.timeout_factor if plan.choice else 1.0
    return DEFAULT_TIMEOUT * factor


# --- serve mode -------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on the loopback interface right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _http_get(port: int, path: str, timeout: float) -> tuple[int, str]:
    """(status, body) of GET http://127.0.0.1:PORT/PATH — never through a proxy from the environment."""
    url = f"http://127.0.0.1:{port}/{path.lstrip('/')}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status), response.read(1 << 20).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(1 << 20).decode("utf-8", "replace")


@dataclass(frozen=True)
class _Served:
    result: RunResult
    accepted: bool
    http: tuple[int, str] | None
    error: str | None


def _serve_once(plan: RunPlan, opts: SmokeOptions, cwd: Path, port: int, limit: float | None,
                executor: Executor) -> _Served | None:
    """Start the server on ``port``, wait for it, GET the path, stop it; None when the smoke run was cancelled."""
    assert plan.choice is not None
    args = [a.replace("{port}", str(port)) for a in opts.args]
    env = {**opts.env, **({opts.port_env: str(port)} if opts.port_env else {})}
    running = plan.start(args, cwd=cwd, env=env, executor=executor)
    if running is None:
        return None
    command = plan.choice.command(plan.binary, args)
    deadline = time.monotonic() + (limit if limit is not None else 3600.0)
    accepted = False
    while time.monotonic() < deadline and running.alive:
        if _accepts(port):
            accepted = True
            break
        time.sleep(_POLL)
    http, error = None, None
    if accepted:
        try:
            http = _http_get(port, opts.path, _HTTP_TIMEOUT * plan.choice.timeout_factor)
        except (OSError, urllib.error.URLError) as exc:
            error = f"GET {opts.path} failed: {getattr(exc, 'reason', exc)}"
    alive = running.alive
    done = executor.finish(running, None, stop=alive)
    result = plan.result(command, done, limit)
    if not accepted and alive:
        error = f"did not accept connections on port {port} within {limit:g} s" if limit else "never listened"
    return _Served(result, accepted, http, error)


def _smoke_serve(entry: Artifact, opts: SmokeOptions, executor: Executor) -> SmokeCheck:
    plan = _plan_or_check(entry)
    if isinstance(plan, SmokeCheck):
        return plan
    if plan.choice is None or not plan.choice.installed:
        return _judge_args(entry, plan.run(opts.args, executor=executor), opts)  # reports why it cannot run
    limit = _limit(plan, opts)
    served = None
    for _attempt in range(_PORT_ATTEMPTS):
        try:
            served = _serve_once(plan, opts, _folder(entry), free_port(), limit, executor)
        except OSError as exc:  # the runner vanished between planning and starting
            return SmokeCheck(entry.target, str(entry.path), plan.choice.name, SmokeStatus.COULD_NOT_RUN, 0.0,
                              f"could not start: {exc.strerror or exc}")
        if served is None:
            return SmokeCheck(entry.target, str(entry.path), plan.choice.name, SmokeStatus.COULD_NOT_RUN, 0.0,
                              "cancelled before it started")
        if served.accepted or "address already in use" not in served.result.stderr:
            break
    assert served is not None
    return _judge_serve(entry, served, opts)


def _judge_serve(entry: Artifact, served: _Served, opts: SmokeOptions) -> SmokeCheck:
    result = served.result
    if not served.accepted:
        if served.error:  # still running at the deadline, never listening
            return _check(entry, result, SmokeStatus.TIMEOUT, served.error)
        status = _status_of(result)
        if status != SmokeStatus.PASS:
            return _check(entry, result, status, result.reason or status)
        tail = _first_line(result.stderr)
        why = f"exited ({result.exit_code}) before accepting connections" + (f": {tail}" if tail else "")
        return _check(entry, result, SmokeStatus.FAIL, why)
    if served.http is None:
        return _check(entry, result, SmokeStatus.FAIL, served.error or "no HTTP answer")
    code, body = served.http
    if code != opts.expect_status:
        return _check(entry, result, SmokeStatus.FAIL, f"HTTP {code}, expected {opts.expect_status}", http_status=code,
                      output=body)
    if opts.expect is not None and opts.expect not in body:
        return _check(entry, result, SmokeStatus.FAIL, f"body lacks {opts.expect!r}: {_first_line(body)!r}",
                      http_status=code, output=body)
    return _check(entry, result, SmokeStatus.PASS, f"HTTP {code} {_first_line(body)!r}", http_status=code, output=body)


def default_jobs() -> int:
    """Parallel checks: one per core (each emulated program keeps a core busy while it starts)."""
    return max(2, os.cpu_count() or 2)


def smoke(dist: str | os.PathLike[str], options: SmokeOptions | None = None, *, jobs: int | None = None,
          targets: Sequence[str] | None = None) -> SmokeReport:
    """Run every "ok" artifact of ``dist`` here and check it; see the module docs for the two modes.

    ``targets`` limits the run to those selectors ("linux/arm64", or "linux/arm/v6" as in the manifest).
    """
    opts = options or SmokeOptions()
    root = Path(dist)
    manifest = read_manifest(root)
    entries = list(manifest.built)
    skipped = [a.target for a in manifest.artifacts if a not in entries]
    if targets:
        entries = [e for e in entries if matches(e.target, targets)]
    if not entries:
        raise UsageError(f"No successfully built artifacts to smoke-test in {root}.")
    check = _smoke_serve if opts.serve else _smoke_args
    started = time.monotonic()
    with Executor(jobs or default_jobs(), name="gocross-smoke") as executor:  # Ctrl-C stops every program
        futures = [executor.submit(check, entry, opts, executor) for entry in entries]
        executor.wait()
    checks = tuple(future.result() for future in futures)
    return SmokeReport(dist=str(root), mode="serve" if opts.serve else "args", checks=checks,
                       seconds=time.monotonic() - started, skipped=tuple(skipped))

