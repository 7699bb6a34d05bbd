"""What ``gocross test`` found: one status per (target, package), its test cases, the whole matrix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gocross.errors import TestsFailed

if TYPE_CHECKING:
    from gocross.cacheprog.stats import CacheStats


class TestStatus(StrEnum):
    """The outcome of one package's tests on one target (the JSON ``status`` and the matrix cells)."""

    __test__ = False

    PASSED = "passed"
    FAILED = "failed"
    BUILD_FAILED = "could not build"
    VET_FAILED = "vet failed"  # compiles, but go test's own go vet checks report a problem (go test: build failed)
    COULD_NOT_RUN = "could not run"  # the binary never started (no runner, exec error), or needs binfmt_misc
    NOT_RUN = "built, not run"  # nothing here runs that target: compiled and vetted only
    NO_TESTS = "no tests"  # the package has test files, but none for this target's build constraints


class CaseStatus(StrEnum):
    """The outcome of one run of a test function, from its test2json events (plus gocross's diagnosis).

    A test still running when its binary ended (os.Exit, a panic outside its goroutine, a hang, a signal)
    is a ``fail``, with a note saying which of those it was.
    """

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    BINFMT = "binfmt"  # failed because qemu without binfmt_misc cannot start a foreign child


# The names the statuses had before they were an enum (``from gocross.gotest import PASSED``).
PASSED = TestStatus.PASSED
FAILED = TestStatus.FAILED
BUILD_FAILED = TestStatus.BUILD_FAILED
VET_FAILED = TestStatus.VET_FAILED
COULD_NOT_RUN = TestStatus.COULD_NOT_RUN
NOT_RUN = TestStatus.NOT_RUN
NO_TESTS = TestStatus.NO_TESTS

@dataclass(frozen=True)
class TestCase:
    """One run of a test (or subtest) of one package on one target, as its test2json events tell it.

    Under ``-count N`` a test runs N times: each run is its own TestCase, ``run`` counting from 1.
    """

    __test__ = False  # not a pytest class

    name: str
    status: CaseStatus
    seconds: float
    output: str
    note: str | None = None  # why gocross thinks it failed that way (binfmt, never finished: exit, hang)
    run: int = 1  # which run of this name (``-count``), from 1


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
    # Bytes of the test binary's output dropped from the front: gocross keeps and parses only the last
    # OUTPUT_LIMIT (1 MiB), so a test printing gigabytes costs megabytes; the verdict is from that tail.
    output_cut: int = 0
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
    no_test_files: tuple[str, ...]  # built and vetted per target all the same, as go test does
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
        return not self.problems and bool(self.packages)

    def events(self) -> Iterable[Mapping[str, Any]]:
        """Every result's test2json events in matrix order, each tagged with its ``Target``."""
        for r in self.results:
            yield from r.events


def raise_for_failures(run: TestRun, *, details_shown: bool = True) -> None:
    """Raise TestsFailed (exit 7) unless every selected target ran and passed.

    ``details_shown``: the table and the failures' output were printed (not under ``--json``), so the
    message may point at them.
    """
    if run.ok:
        return
    if not run.problems:
        raise TestsFailed("No package has test files, so nothing was tested; add *_test.go files.")
    by_status: dict[TestStatus, list[str]] = {}
    for r in run.problems:
        by_status.setdefault(r.status, []).append(f"{r.target} {r.package}")
    parts = [f"{status} on {', '.join(dict.fromkeys(names))}" for status, names in by_status.items()]
    tail = "; see the details above" if details_shown else ""
    raise TestsFailed(f"Not every selected target ran and passed ({'; '.join(parts)}){tail}.")
