"""Go's test2json events: converting a test binary's output, reading test cases from them, and the events
gocross writes itself (a closing event with its verdict; a whole stream for a package that did not run).

The binary's output (stdout and stderr through one pipe, as ``go test`` reads it, qemu's own lines taken
out) is converted by ``go tool test2json`` *after* it ends, with the lines ``go test`` adds at the end
(:func:`go_test_summary`), rather than with test2json as the parent process: as a parent, test2json turns
a death by signal into exit status 1 and mixes qemu's own stderr into the test output, and "killed by
SIGILL" must stay distinguishable from "a test failed".
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gocross.gotest.results import CaseStatus, PackageResult, TestCase, TestStatus
from gocross.toolchain import Toolchain


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
    """Go's event stream for a test binary's ``-test.v=test2json`` output (with :func:`go_test_summary`)."""
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


_FRAME = b"\x16"  # test2json's framing mark (what -test.v=test2json puts before its own lines)


def go_test_summary(package: str, output: bytes, returncode: int | None, seconds: float,
                    killed_after: float | None = None) -> bytes:
    """The lines ``go test`` itself writes after a test binary ends, into the same stream (cmd/go's runTest).

    They matter beyond the text: the framed ``FAIL`` line is what makes test2json report a test whose
    ``--- FAIL`` line was the last thing it printed before a panic; without it that test has no ``fail``
    event. ``killed_after``: gocross stopped the binary after that many seconds (go test's "ran too long").
    """
    took = f"{seconds:.3f}s"
    if returncode == 0 and killed_after is None:
        norun = " [no tests to run]" if b"testing: warning: no tests to run" in output else ""
        newline = b"\n" if output and not output.endswith(b"\n") else b""
        return newline + f"ok  \t{package}\t{took}{norun}\n".encode()
    tail = b"" if not output or output.endswith(b"\n") else b"\n"
    if killed_after is not None:
        tail += f"*** Test killed: ran too long ({killed_after:g}s).\n".encode()
    if returncode is None or returncode < 0 or not output:
        tail += f"{_exit_error(returncode)}\n".encode()
    return tail + _FRAME + f"FAIL\t{package}\t{took}\n".encode()


def _exit_error(returncode: int | None) -> str:
    """Go's ``exec.ExitError`` text: "exit status 3", "signal: aborted" (glibc's names, as Go's)."""
    import signal

    if returncode is None:
        return "signal: killed"
    if returncode >= 0:
        return f"exit status {returncode}"
    name = signal.strsignal(-returncode) or f"signal {-returncode}"
    return f"signal: {name[:1].lower()}{name[1:]}"


def close_unfinished(events: Sequence[Mapping[str, Any]], why: str) -> list[dict[str, Any]]:
    """The events, with a ``fail`` for every test still running when the binary ended (``Reason``: why).

    ``go test -json`` leaves such a test (os.Exit, a panic in another goroutine, a hang, a signal) with a
    ``run`` and no result; gocross closes it, innermost first, before the package's closing lines, so every
    test that ran has a verdict in ``--json`` and JUnit.
    """
    out = [dict(e) for e in events]
    running: dict[str, int] = {}  # name -> runs started and not yet ended
    for ev in out:
        name, action = ev.get("Test"), ev.get("Action")
        if name and action == "run":
            running[str(name)] = running.get(str(name), 0) + 1
        elif name and action in _ENDS and running.get(str(name)):
            running[str(name)] -= 1
    open_names = [n for n, k in running.items() for _ in range(k)]
    if not open_names:
        return out
    cut = len(out)
    while cut and not out[cut - 1].get("Test"):
        cut -= 1
    package = next((e.get("Package") for e in out if e.get("Package")), "")
    closing = [{"Action": "fail", "Package": package, "Test": n, "Elapsed": 0, "Reason": f"{n} {why}"}
               for n in reversed(open_names)]
    return [*out[:cut], *closing, *out[cut:]]


_ENOEXEC = "exec format error"
_ENDS = ("pass", "fail", "skip")


@dataclass
class _TestLog:
    name: str
    run: int
    status: CaseStatus | None = None
    seconds: float = 0.0
    note: str | None = None
    output: list[str] = field(default_factory=list)


def summarize(events: Sequence[Mapping[str, Any]], binary: Path | None, emulated: bool) -> list[TestCase]:
    """One TestCase per run of each test (``-count N`` runs it N times), in the order they started.

    Failures from the missing binfmt handler are told apart. Run :func:`close_unfinished` first: a run
    without a result here is counted as a failure all the same.
    """
    runs: list[_TestLog] = []
    latest: dict[str, _TestLog] = {}
    for ev in events:
        name = ev.get("Test")
        if not name:
            continue
        name = str(name)
        action = ev.get("Action")
        log = latest.get(name)
        if log is None or (action == "run" and (log.status is not None or log.output)):
            log = _TestLog(name, sum(r.name == name for r in runs) + 1)
            runs.append(log)
            latest[name] = log
        if action == "output":
            log.output.append(str(ev.get("Output", "")))
        elif action in _ENDS:
            log.status = CaseStatus(action)
            log.seconds = float(ev.get("Elapsed") or 0.0)
            log.note = ev.get("Reason") or None
    return [_case(log, binary, emulated) for log in runs]


def _case(log: _TestLog, binary: Path | None, emulated: bool) -> TestCase:
    output = "".join(log.output)
    name, status = log.name, log.status or CaseStatus.FAIL
    note = log.note if log.status else f"{name} has no result in the test binary's output"
    if status == CaseStatus.FAIL and emulated and _ENOEXEC in output:
        own = binary is not None and str(binary) in output
        what = "re-executes its own test binary (os.Args[0])" if own else "starts a binary for this target"
        note = (f"{name} {what}; under qemu without binfmt_misc the kernel cannot start that foreign child "
                "(ENOEXEC, \"exec format error\"): an emulation limit, not a bug in the test")
        return TestCase(name, CaseStatus.BINFMT, log.seconds, output, note, log.run)
    return TestCase(name, status, log.seconds, output, note, log.run)


def package_output(events: Sequence[Mapping[str, Any]]) -> str:
    """The output not attributed to any test (panics outside tests, TestMain, the final FAIL)."""
    return "".join(str(e.get("Output", "")) for e in events if not e.get("Test") and e.get("Action") == "output")


def _tag(events: Iterable[Mapping[str, Any]], target: str) -> list[dict[str, Any]]:
    return [{**e, "Target": target} for e in events]


_CLOSING_ACTION = {TestStatus.PASSED: "pass", TestStatus.NO_TESTS: "skip", TestStatus.NOT_RUN: "skip"}


def _final_event(package: str, target: str, result: PackageResult) -> dict[str, Any]:
    """The package's closing event, with gocross's verdict (``Status``, ``Reason``) added to Go's fields."""
    action = _CLOSING_ACTION.get(result.status, "fail")
    event: dict[str, Any] = {"Action": action, "Package": package, "Elapsed": round(result.seconds, 3),
                             "Target": target, "Status": str(result.status), "Reason": result.reason}
    if result.output_cut:
        event["OutputCut"] = result.output_cut  # bytes of output dropped before the kept last 1 MiB
    return event


def _synthetic_events(result: PackageResult) -> tuple[dict[str, Any], ...]:
    """Events for a result without a test run: start, the compiler/runner output, the closing event."""
    events: list[dict[str, Any]] = [{"Action": "start", "Package": result.package, "Target": result.target}]
    text = "\n".join(t for t in (result.reason, result.output, result.vet) if t)
    if result.status == TestStatus.NO_TESTS:
        text = f"?   \t{result.package}\t[no test files]"  # go test's own line for it
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
