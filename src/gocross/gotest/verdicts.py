"""The status and reason of a test binary that ran: from its run outcome and its test cases."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from gocross.gotest.results import CaseStatus, PackageResult, TestCase, TestStatus
from gocross.launch import RunOutcome, RunResult

BINFMT_HINT = ("run `sudo gocross doctor --binfmt` to register qemu with binfmt_misc (reversible with "
               "--binfmt-remove), or skip that test under emulation")


def _counts(cases: Sequence[TestCase]) -> tuple[int, int, int]:
    passed = sum(c.status == CaseStatus.PASS for c in cases)
    skipped = sum(c.status == CaseStatus.SKIP for c in cases)
    return passed, len(cases) - passed - skipped, skipped


def judge(target: str, package: str, run: RunResult, cases: Sequence[TestCase], pkg_out: str) -> PackageResult:
    """Status and reason of a test binary that was started: from its outcome and its events.

    A binary that was killed by a signal after it started running tests failed (go test says FAIL); only
    one that never got to its first test (the emulator missing or crashing, an exec error, SIGILL for a
    CPU feature) could not run.
    """
    passed, failed, skipped = _counts(cases)
    base = PackageResult(target, package, TestStatus.PASSED, passed, failed, skipped, run.seconds, _kind(run.runner),
                         tuple(cases), output=pkg_out)
    if run.outcome == RunOutcome.TIMEOUT:
        return replace(base, status=TestStatus.FAILED, reason=f"hung: the test binary {run.reason}")
    if run.outcome.could_not_run or (run.outcome == RunOutcome.SIGNALED and not cases):
        return replace(base, status=TestStatus.COULD_NOT_RUN, reason=run.reason)
    if run.exit_code == 0 and not cases and "PASS" not in pkg_out:
        # A test binary always ends with PASS (or FAIL), even with no tests to run. Exit 0 and not a word
        # is a program that never ran: wine64 "runs" a 386 binary so when its 32-bit half cannot start.
        return replace(base, status=TestStatus.COULD_NOT_RUN,
                       reason="the test binary exited 0 without printing anything, not even PASS: it never ran")
    if run.exit_code == 0 and not failed:
        return base
    reason = _fail_reason(cases, run)
    if run.outcome == RunOutcome.SIGNALED:
        reason = f"{reason}; the test binary was killed by {run.signal}"
    return replace(base, status=_failed_status(cases), reason=reason)


_TIMED_OUT = re.compile(r"panic: test timed out after (\S+)")


def unfinished_reason(run: RunResult, text: str) -> str:
    """Why a test that has no result in the output did not finish (the rest of "TestX ..." ), for its note."""
    if run.outcome == RunOutcome.TIMEOUT:
        return f"was still running when gocross stopped the test binary ({run.reason})"
    hung = _TIMED_OUT.search(text)
    if hung:
        return f"hung and was stopped by the {hung[1]} test timeout"
    if run.outcome == RunOutcome.SIGNALED:
        return f"was running when the test binary was killed by {run.signal}"
    return (f"was running when the test binary exited with status {run.exit_code} (os.Exit, or a panic "
            "outside the test's own goroutine)")


def _kind(runner: str | None) -> str | None:
    return "qemu" if runner == "qemu-user" else runner


def _failed_status(cases: Sequence[TestCase]) -> TestStatus:
    bad = [c for c in cases if c.status not in (CaseStatus.PASS, CaseStatus.SKIP)]
    if bad and all(c.status == CaseStatus.BINFMT for c in bad):
        return TestStatus.COULD_NOT_RUN
    return TestStatus.FAILED


def _names(chosen: Sequence[TestCase], cases: Sequence[TestCase]) -> str:
    """Test names once each; under -count, how many of their runs it was ("TestFlaky (2 of 3 runs)")."""
    runs: dict[str, int] = {}
    for c in cases:
        runs[c.name] = runs.get(c.name, 0) + 1
    hits: dict[str, int] = {}
    for c in chosen:
        hits[c.name] = hits.get(c.name, 0) + 1
    return ", ".join(n if runs[n] == 1 else f"{n} ({hits[n]} of {runs[n]} runs)" for n in hits)


def _fail_reason(cases: Sequence[TestCase], run: RunResult) -> str:
    failed = [c for c in cases if c.status == CaseStatus.FAIL]
    binfmt = [c for c in cases if c.status == CaseStatus.BINFMT]
    parts = []
    if failed:
        parts.append(f"{len({c.name for c in failed})} test(s) failed: {_names(failed, cases)}")
        parts.extend(dict.fromkeys(c.note for c in failed if c.note))  # those that never finished, and why
    if binfmt:
        parts.append(f"{_names(binfmt, cases)} cannot run under emulation without binfmt_misc; {BINFMT_HINT}")
    if not parts:
        parts.append(f"the test binary exited with status {run.exit_code}")
    return "; ".join(parts)
