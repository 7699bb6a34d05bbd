"""``gocross test``: compile each package's test binary once per target, run it here, collect Go's events.

Every (target, package) ends in one :class:`TestStatus`: passed, failed (a test failed, or the binary
died after its tests started), could not build (compiler output kept), vet failed (go test's vet checks),
could not run (the binary never started: no runner installed, an exec error; a test that needs
binfmt_misc), built, not run (nothing here runs that target: it is still compiled and ``go vet``-ed for its
GOOS/GOARCH), or no tests (no test files: still built and vetted, as ``go test ./...`` does).

The parts: :mod:`.flags` (go test's flags), :mod:`.packages` (``go list``), :mod:`.matrix` (scheduling on
the executor), :mod:`.events` (test2json), :mod:`.verdicts`, :mod:`.results`, :mod:`.binaries` (the kept
test binaries), :mod:`.junit`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gocross.builder import default_jobs
from gocross.cacheprog.session import cache_session, resolve_cache_url, serving
from gocross.config import Config, load_config, module_root
from gocross.errors import UsageError
from gocross.gotest.binaries import binaries_dir, binaries_scratch
from gocross.gotest.events import (
    close_unfinished,
    convert,
    go_test_summary,
    package_output,
    summarize,
    test2json_command,
    with_events,
)
from gocross.gotest.flags import GO_DEFAULT_TIMEOUT, GoTestFlags, parse_duration, parse_go_test_flags
from gocross.gotest.matrix import MAX_BUILDS, OUTER_GRACE, Progress, TestMatrix
from gocross.gotest.packages import GoPackage, list_packages
from gocross.gotest.results import (
    BUILD_FAILED,
    COULD_NOT_RUN,
    FAILED,
    NO_TESTS,
    NOT_RUN,
    PASSED,
    VET_FAILED,
    CaseStatus,
    PackageResult,
    TestCase,
    TestRun,
    TestStatus,
    raise_for_failures,
)
from gocross.gotest.settings import cgo_by_target, has_c_compiler, with_config_flags
from gocross.gotest.verdicts import BINFMT_HINT, judge
from gocross.shard import Shard, shard_targets
from gocross.targets import Target, select_targets
from gocross.toolchain import Toolchain, go_scratch

__all__ = [
    "BINFMT_HINT",
    "BUILD_FAILED",
    "COULD_NOT_RUN",
    "FAILED",
    "GO_DEFAULT_TIMEOUT",
    "MAX_BUILDS",
    "NOT_RUN",
    "NO_TESTS",
    "OUTER_GRACE",
    "PASSED",
    "VET_FAILED",
    "CaseStatus",
    "GoPackage",
    "GoTestFlags",
    "PackageResult",
    "Progress",
    "TestCase",
    "TestMatrix",
    "TestOptions",
    "TestRun",
    "TestStatus",
    "binaries_dir",
    "binaries_scratch",
    "cgo_by_target",
    "choose_targets",
    "close_unfinished",
    "convert",
    "go_test_summary",
    "has_c_compiler",
    "judge",
    "list_packages",
    "native_target",
    "package_output",
    "parse_duration",
    "parse_go_test_flags",
    "raise_for_failures",
    "run_tests",
    "summarize",
    "test",
    "test2json_command",
    "with_config_flags",
    "with_events",
]


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
    cgo: bool | None = None  # None = gocross.toml's `cgo`, else on for the host (with a C compiler) only
    shard: Shard | None = None  # test only this slice of the selected targets (gocross.shard), no reference
    cache: str | None = None  # shared Go build cache URL (None: gocross.toml's `cache`, else GOCROSS_CACHE)


def native_target() -> Target | None:
    """The target this machine runs natively, for the reference column (None off Linux)."""
    from gocross.runners.native import host_goarch

    goarch = host_goarch()
    return Target("linux", goarch) if goarch else None


def choose_targets(tc: Toolchain, options: TestOptions, directory: Path, config: Config | None = None
                   ) -> tuple[list[Target], list[Target], Target | None, bool]:
    """(all columns, selected, reference added or None, defaulted) — the native column always present."""
    config = config or load_config(directory)
    selectors = options.targets or config.targets
    native = native_target()
    selected = select_targets(tc, selectors, config.sets) if selectors else ([native] if native else [])
    if not selected:
        raise UsageError("No target to test: pass --target, e.g. --target linux/amd64,linux/arm64.")
    if not options.reference or native is None or native in selected:
        return selected, selected, None, not selectors
    return [native, *selected], selected, native, not selectors


def _module_dir(directory: Path) -> Path:
    path = directory.resolve()
    if path.is_file():
        raise UsageError(f"{path} is a file, not a package directory; pass its folder with -C {path.parent}.")
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
    config = load_config(directory)
    flags = with_config_flags(parse_go_test_flags(options.go_test_flags), config)
    columns, selected, reference, defaulted = choose_targets(tc, options, directory, config)
    if options.shard is not None:  # each shard job tests its own slice; a reference column would repeat
        selected = shard_targets(selected, options.shard)
        columns, reference = selected, None
    cgo = cgo_by_target(tc, columns, native_target(), options.cgo if options.cgo is not None else config.cgo)
    packages = list_packages(tc, directory, options.packages or (".",), flags.build, cgo=any(cgo.values()))
    # Packages without test files are built and vetted too (go test ./... fails when one of them does not
    # compile or fails vet); tested ones first, so their binaries run early.
    ordered = sorted(packages, key=lambda p: not p.has_tests)
    jobs = options.jobs or default_jobs()
    report = progress or (lambda *_: None)
    report("planned", "", str(len(columns) * len(ordered)), None)
    started = time.monotonic()
    cache_url = resolve_cache_url(options.cache, config.cache)
    session = cache_session(cache_url, tc) if cache_url else None
    with binaries_scratch(binaries_dir(directory)) as scratch, serving(session) as cache, go_scratch() as work:
        matrix = TestMatrix(tc, directory, flags, jobs, scratch, report, cgo, {**(cache.env if cache else {}), **work})
        results = matrix.run(columns, ordered)  # Ctrl-C: every compiler and test binary is killed, re-raised
        stats = cache.close() if cache else None
    names = [p.import_path for p in ordered]
    return TestRun(directory, tuple(t.name for t in columns), tuple(t.name for t in selected),
                   tuple(p.import_path for p in ordered if p.has_tests),
                   tuple(p.import_path for p in ordered if not p.has_tests), _order(results, columns, names),
                   reference.name if reference else None, defaulted, jobs, time.monotonic() - started,
                   tc.version, stats)


test = run_tests  # the library name: ``gocross.test(TestOptions(...))``
test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported into a test module
