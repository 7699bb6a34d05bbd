"""Go's test2json events: converting a test binary's output, reading test cases from them, and the events
gocross writes itself (a closing event with its verdict; a whole stream for a package that did not run).

The binary's output is converted by ``go tool test2json`` *after* it ends rather than with test2json as the
parent process: as a parent, test2json turns a death by signal into exit status 1 and mixes qemu's own
stderr into the test output, and "killed by SIGILL" must stay distinguishable from "a test failed".
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
    status: CaseStatus = CaseStatus.UNFINISHED
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
            log.status = CaseStatus(action)
            log.seconds = float(ev.get("Elapsed") or 0.0)
    return [_case(name, log, binary, emulated) for name, log in logs.items()]


def _case(name: str, log: _TestLog, binary: Path | None, emulated: bool) -> TestCase:
    output = "".join(log.output)
    if log.status == CaseStatus.FAIL and emulated and _ENOEXEC in output:
        own = binary is not None and str(binary) in output
        what = "re-executes its own test binary (os.Args[0])" if own else "starts a binary for this target"
        note = (f"{name} {what}; under qemu without binfmt_misc the kernel cannot start that foreign child "
                "(ENOEXEC, \"exec format error\"): an emulation limit, not a bug in the test")
        return TestCase(name, CaseStatus.BINFMT, log.seconds, output, note)
    if log.status == CaseStatus.UNFINISHED:
        return TestCase(name, CaseStatus.UNFINISHED, log.seconds, output, f"{name} was still running when the test "
                        "binary ended (a hang killed by the time limit, or a crash)")
    return TestCase(name, log.status, log.seconds, output)


def package_output(events: Sequence[Mapping[str, Any]]) -> str:
    """The output not attributed to any test (panics outside tests, TestMain, the final FAIL)."""
    return "".join(str(e.get("Output", "")) for e in events if not e.get("Test") and e.get("Action") == "output")


def _tag(events: Iterable[Mapping[str, Any]], target: str) -> list[dict[str, Any]]:
    return [{**e, "Target": target} for e in events]


_CLOSING_ACTION = {TestStatus.PASSED: "pass", TestStatus.NO_TESTS: "skip", TestStatus.NOT_RUN: "skip"}


def _final_event(package: str, target: str, result: PackageResult) -> dict[str, Any]:
    """The package's closing event, with gocross's verdict (``Status``, ``Reason``) added to Go's fields."""
    action = _CLOSING_ACTION.get(result.status, "fail")
    return {"Action": action, "Package": package, "Elapsed": round(result.seconds, 3), "Target": target,
            "Status": str(result.status), "Reason": result.reason}


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
