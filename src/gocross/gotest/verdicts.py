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
    """Status and reason of a test binary that was started: from its outcome and its events."""
    passed, failed, skipped = _counts(cases)
    base = PackageResult(target, package, TestStatus.PASSED, passed, failed, skipped, run.seconds, _kind(run.runner),
                         tuple(cases), output=pkg_out)
    unfinished = [c.name for c in cases if c.status == CaseStatus.UNFINISHED]
    running = f" while running {', '.join(unfinished)}" if unfinished else ""
    if run.outcome == RunOutcome.TIMEOUT:
        return replace(base, status=TestStatus.FAILED, reason=f"hung{running}: the test binary {run.reason}")
    if run.outcome.could_not_run or run.outcome == RunOutcome.SIGNALED:
        return replace(base, status=TestStatus.COULD_NOT_RUN, reason=f"{run.reason}{running}")
    if run.exit_code == 0 and not failed:
        return base
    return replace(base, status=_failed_status(cases), reason=_fail_reason(cases, run, pkg_out))


def _kind(runner: str | None) -> str | None:
    return "qemu" if runner == "qemu-user" else runner


def _failed_status(cases: Sequence[TestCase]) -> TestStatus:
    bad = [c for c in cases if c.status not in (CaseStatus.PASS, CaseStatus.SKIP)]
    if bad and all(c.status == CaseStatus.BINFMT for c in bad):
        return TestStatus.COULD_NOT_RUN
    return TestStatus.FAILED


_TIMED_OUT = re.compile(r"panic: test timed out after (\S+)")


def _fail_reason(cases: Sequence[TestCase], run: RunResult, pkg_out: str) -> str:
    failed = [c.name for c in cases if c.status == CaseStatus.FAIL]
    binfmt = [c.name for c in cases if c.status == CaseStatus.BINFMT]
    unfinished = [c.name for c in cases if c.status == CaseStatus.UNFINISHED]
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
