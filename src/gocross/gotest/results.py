"""What ``gocross test`` found: one status per (target, package), its test cases, the whole matrix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gocross.errors import TestsFailed

if TYPE_CHECKING:
    from gocross.cacheprog import CacheStats


class TestStatus(StrEnum):
    """The outcome of one package's tests on one target (the JSON ``status`` and the matrix cells)."""

    __test__ = False

    PASSED = "passed"
    FAILED = "failed"
    BUILD_FAILED = "could not build"
    COULD_NOT_RUN = "could not run"  # no runner installed, killed by a signal, a test that needs binfmt_misc
    NOT_RUN = "built, not run"  # nothing here runs that target: compiled and vetted only
    NO_TESTS = "no tests"  # the package has test files, but none for this target's build constraints


class CaseStatus(StrEnum):
    """The outcome of one test function, from its test2json events (plus gocross's two diagnoses)."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    UNFINISHED = "unfinished"  # still running when the binary ended: a hang or a crash
    BINFMT = "binfmt"  # failed because qemu without binfmt_misc cannot start a foreign child


# The names the statuses had before they were an enum (``from gocross.gotest import PASSED``).
PASSED = TestStatus.PASSED
FAILED = TestStatus.FAILED
BUILD_FAILED = TestStatus.BUILD_FAILED
COULD_NOT_RUN = TestStatus.COULD_NOT_RUN
NOT_RUN = TestStatus.NOT_RUN
NO_TESTS = TestStatus.NO_TESTS

@dataclass(frozen=True)
class TestCase:
    """One test (or subtest) of one package on one target, as its test2json events tell it."""

    __test__ = False  # not a pytest class

    name: str
    status: CaseStatus
    seconds: float
    output: str
    note: str | None = None  # why gocross thinks it failed that way (binfmt, hang)


@dataclass(frozen=True)
class PackageResult:
    """The outcome of one package's tests on one target."""

    target: str
    package: str
    status: TestStatus
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
        return self.status in (TestStatus.PASSED, TestStatus.NO_TESTS)


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
    cache: CacheStats | None = None  # what the shared build cache did for `go test -c` (--cache)

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
    by_status: dict[TestStatus, list[str]] = {}
    for r in run.problems:
        by_status.setdefault(r.status, []).append(f"{r.target} {r.package}")
    parts = [f"{status} on {', '.join(dict.fromkeys(names))}" for status, names in by_status.items()]
    raise TestsFailed(f"Not every selected target ran and passed ({'; '.join(parts)}); see the details above.")
