"""What the report shows, gathered from the files a build, a test run and a smoke run left in DIST.

Everything comes from files already written — ``artifacts.json`` (:func:`gocross.artifacts.read_manifest`),
the events ``gocross test --json`` printed, the record ``gocross smoke --json`` printed, the release files
beside them — except two things worked out now, for this host: whether each target runs here and under which
runner (never stored in a manifest, it changes when an emulator is installed), and the chosen binary's
size by package (read from the binary itself by :mod:`gocross.binary.sizes`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from gocross.artifacts import Artifact, ArtifactStatus, Manifest, read_manifest
from gocross.binary.sizes import SIZE_FORMATS, SizeBreakdown, size_breakdown
from gocross.errors import InspectError, UsageError

TESTS_NAME = "test-results.jsonl"  # `gocross test --json > DIST/test-results.jsonl`
SMOKE_NAME = "smoke.json"  # `gocross smoke --json > DIST/smoke.json`
REPORT_NAME = "report.html"
_RELEASE_SUFFIXES = (".tar.gz", ".tgz", ".zip", ".deb", ".rpm", ".apk", ".msi", ".dmg", ".spdx.json",
                     ".cdx.json", ".sbom.json", ".sha256", "checksums.txt", ".sig", ".asc")
# Worst first: a cell shows the worst of its packages' outcomes.
_TEST_ORDER = ("failed", "could not build", "could not run", "built, not run", "no tests", "passed")


class Verdict(StrEnum):
    """A cell's overall outcome: its colour and, for readers without colour, its word."""

    PASSED = "passed"  # built, and every check that ran here passed
    BUILT = "built"  # built; nothing here checked it (no runner, or no smoke/test run)
    ATTENTION = "could not run"  # built, but a runner failed to start it
    FAILED = "failed"  # the build, a smoke check or a test failed
    SKIPPED = "skipped"  # nothing was built (skipped or cancelled)


@dataclass(frozen=True)
class Outcome:
    """A smoke or test result for one target, in words: ``status`` as the tool said it."""

    status: str
    summary: str  # e.g. "3 passed, 0 failed" or the smoke check's one line
    output: str = ""  # the failure's output, for the details panel


@dataclass(frozen=True)
class Cell:
    """One target of the matrix: its build, whether it runs here, and its checks."""

    target: str
    goos: str
    goarch: str
    variant: str | None
    variant_var: str | None  # GOARM, GOAMD64, ...
    status: ArtifactStatus | None  # None: tested, but not in the build's manifest
    verdict: Verdict
    file: str | None  # relative to DIST
    size: int | None
    seconds: float | None
    runs_here: str  # "native" | "emulated" | "no"
    runner: str | None  # the runner's program or name, e.g. "qemu-aarch64-static"
    runs_reason: str
    go_version: str | None
    linkage: str | None
    min_glibc: str | None
    min_os: str | None
    error: str | None  # the build's failure output
    smoke: Outcome | None
    tests: Outcome | None

    @property
    def anchor(self) -> str:
        return "cell-" + self.target.replace("/", "-")


@dataclass(frozen=True)
class ReleaseEntry:
    """A file of the release (archive, package, checksum list, SBOM, signature) beside the artifacts."""

    name: str  # relative to DIST: the page links to it
    size: int
    kind: str  # "archive", "package", "checksums", "sbom", "signature"; "file" when only found on disk
    target: str | None = None
    sha256: str | None = None
    format: str | None = None  # "tar.gz", "zip", "deb", "rpm", "apk", "cyclonedx", "spdx", "sha256", "gpg", "ssh"


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows."""

    dist: Path
    title: str
    generated: str  # UTC, ISO 8601
    gocross: str
    go: str
    package: str
    cancelled: bool
    cells: tuple[Cell, ...]
    sizes: SizeBreakdown | None  # the chosen binary's breakdown
    sizes_target: str | None
    sizes_note: str | None  # why there is no breakdown, when there is none
    release: tuple[ReleaseEntry, ...]
    sources: tuple[str, ...]  # the files read, as shown at the foot of the page

    @property
    def goos_rows(self) -> tuple[str, ...]:
        return tuple(sorted({c.goos for c in self.cells}))

    @property
    def goarch_columns(self) -> tuple[str, ...]:
        return tuple(sorted({c.goarch for c in self.cells}))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.cells:
            out[str(c.verdict)] = out.get(str(c.verdict), 0) + 1
        return out


@dataclass(frozen=True)
class ReportOptions:
    """Where to read from; None means the conventional file in DIST when it exists."""

    dist: Path = Path("dist")
    tests: Path | None = None
    smoke: Path | None = None
    binary: str | None = None  # the target (or file name) whose size by package is shown


def gather(options: ReportOptions) -> ReportData:
    """Read DIST's manifest and the results beside it; UsageError when something named is missing or bad."""
    manifest = read_manifest(options.dist)
    dist = manifest.path.parent
    sources = [manifest.path.name]
    tests = _read_optional(options.tests, dist / TESTS_NAME, read_test_events, sources)
    smoke = _read_optional(options.smoke, dist / SMOKE_NAME, read_smoke, sources)
    cells = _cells(manifest, tests or {}, smoke or {})
    chosen = _choose_binary(manifest, options.binary)
    sizes, note = _sizes(chosen)
    title = f"{Path(manifest.package).name or manifest.package} — gocross report"
    return ReportData(dist, title, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), manifest.gocross,
                      manifest.go, manifest.package, manifest.cancelled, cells, sizes,
                      chosen.target if chosen else None, note, _release_files(dist, manifest), tuple(sources))


def _read_optional(given: Path | None, default: Path, reader: Any, sources: list[str]) -> Any:
    path = given if given is not None else default
    if given is None and not default.is_file():
        return None
    if not path.is_file():
        raise UsageError(f"{path} does not exist; pass the file `gocross test --json` or `gocross smoke --json` "
                         "wrote, or leave the option out.")
    sources.append(str(path.name if path.parent == default.parent else path))
    return reader(path)


def read_test_events(path: Path) -> dict[str, Outcome]:
    """``gocross test --json`` events → one Outcome per target (the worst of its packages)."""
    per: dict[str, list[Mapping[str, Any]]] = {}
    counts: dict[str, list[int]] = {}
    output: dict[tuple[str, str], list[str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        events = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not the output of `gocross test --json` ({exc}); write it again.") from None
    for ev in events:
        target, package = str(ev.get("Target", "")), str(ev.get("Package", ""))
        if not target:
            continue
        if "Status" in ev:
            per.setdefault(target, []).append(ev)
        elif ev.get("Test") and "/" not in str(ev["Test"]) and ev.get("Action") in ("pass", "fail", "skip"):
            c = counts.setdefault(target, [0, 0, 0])
            c[("pass", "fail", "skip").index(ev["Action"])] += 1
        if ev.get("Action") == "output":
            output.setdefault((target, package), []).append(str(ev.get("Output", "")))
    return {t: _test_outcome(t, closing, counts.get(t, [0, 0, 0]), output) for t, closing in per.items()}


def _test_outcome(target: str, closing: Sequence[Mapping[str, Any]], counts: Sequence[int],
                  output: Mapping[tuple[str, str], list[str]]) -> Outcome:
    statuses = [str(e["Status"]) for e in closing]
    worst = min(statuses, key=lambda s: _TEST_ORDER.index(s) if s in _TEST_ORDER else 0)
    passed, failed, skipped = counts
    summary = f"{len(closing)} package(s): {passed} passed, {failed} failed, {skipped} skipped"
    bad = [e for e in closing if e["Status"] not in ("passed", "no tests")]
    text = "".join(f"{e['Package']}: {e.get('Reason') or e['Status']}\n"
                   + "".join(output.get((target, str(e["Package"])), [])[-40:]) for e in bad)
    return Outcome(worst, summary, text.strip())


def read_smoke(path: Path) -> dict[str, Outcome]:
    """``gocross smoke --json``'s record → one Outcome per target."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        checks = document["checks"]
        return {str(c["target"]): Outcome(str(c["status"]), str(c.get("detail") or ""),
                                          str(c.get("output") or "") if c["status"] != "pass" else "")
                for c in checks}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is not the output of `gocross smoke --json` ({exc}); write it again.") from None


def _cells(manifest: Manifest, tests: Mapping[str, Outcome], smoke: Mapping[str, Outcome]) -> tuple[Cell, ...]:
    cells = [_cell(a, manifest.path.parent, tests.get(a.target), smoke.get(a.target)) for a in manifest.artifacts]
    known = {a.target for a in manifest.artifacts}
    cells += [_tested_only(t, o) for t, o in tests.items() if t not in known]
    return tuple(sorted(cells, key=lambda c: (c.goos, c.goarch, c.variant or "")))


def _cell(a: Artifact, dist: Path, tests: Outcome | None, smoke: Outcome | None) -> Cell:
    facts = a.inspection or {}
    runs, runner, reason = _runs_here(a)
    rel = str(a.path.relative_to(dist)) if a.path and a.path.is_relative_to(dist) else None
    return Cell(a.target, a.goos, a.goarch, a.variant, a.variant_var, a.status, _verdict(a.status, tests, smoke),
                rel, a.size, a.seconds, runs, runner, reason, facts.get("go_version"), facts.get("linkage"),
                facts.get("min_glibc"), facts.get("min_os"), a.error, smoke, tests)


def _tested_only(target: str, tests: Outcome) -> Cell:
    goos, goarch, *rest = target.split("/")
    runs, runner, reason = _runner_only(goos, goarch, rest[0] if rest else None)
    return Cell(target, goos, goarch, rest[0] if rest else None, None, None, _verdict(None, tests, None), None, None,
                None, runs, runner, reason, None, None, None, None, None, None, tests)


def _verdict(status: ArtifactStatus | None, tests: Outcome | None, smoke: Outcome | None) -> Verdict:
    if status in (ArtifactStatus.FAILED,):
        return Verdict.FAILED
    if status in (ArtifactStatus.SKIPPED, ArtifactStatus.CANCELLED):
        return Verdict.SKIPPED
    checks = [o.status for o in (tests, smoke) if o is not None]
    if any(s in ("failed", "could not build", "fail", "timeout") for s in checks):
        return Verdict.FAILED
    if any(s in ("could not run", "could-not-run") for s in checks):
        return Verdict.ATTENTION
    if any(s in ("passed", "pass") for s in checks):
        return Verdict.PASSED
    return Verdict.BUILT


def _runs_here(a: Artifact) -> tuple[str, str | None, str]:
    """("native"|"emulated"|"no", runner, reason), decided now from the recorded inspection."""
    if a.inspection is None or a.path is None:
        return _runner_only(a.goos, a.goarch, a.variant)
    from gocross.binary.model import BinaryInfo
    from gocross.binary.verdict import verdict

    try:
        info = dataclasses.replace(BinaryInfo.from_json(a.inspection), path=str(a.path))
    except (KeyError, TypeError, ValueError):
        return _runner_only(a.goos, a.goarch, a.variant)
    rh = verdict(info)
    return rh.verdict, rh.program or rh.runner, rh.reason


def _runner_only(goos: str, goarch: str, variant: str | None) -> tuple[str, str | None, str]:
    from gocross.runners import choose_runner, why_no_runner

    choice = choose_runner(goos, goarch, variant)
    if choice is None:
        return "no", None, why_no_runner(goos, goarch, variant)
    kind = "native" if choice.name == "native" else "emulated"
    return kind, choice.program or choice.name, f"{choice.name} runs {goos}/{goarch} here"


def _choose_binary(manifest: Manifest, wanted: str | None) -> Artifact | None:
    """The named target or file; else this host's own target; else the first Linux one built; else the first
    other one whose format has a breakdown by package (Windows' PE, macOS's Mach-O, the BSDs' ELF, wasm),
    this host's architecture first."""
    built = manifest.built
    if wanted:
        hit = next((a for a in built if wanted in (a.target, a.path.name if a.path else None)), None)
        if hit is None:
            names = ", ".join(a.target for a in built) or "none"
            raise UsageError(f"No built artifact is {wanted!r}; choose one of: {names}.")
        return hit
    from gocross.runners.native import host_goarch

    host = host_goarch()
    linux = [a for a in built if a.goos == "linux"]
    others = [a for a in built if a.goos != "linux" and (a.inspection or {}).get("format") in SIZE_FORMATS]
    for group in (linux, others):
        if group:
            return next((a for a in group if a.goarch == host and not a.variant), group[0])
    return None


def _sizes(chosen: Artifact | None) -> tuple[SizeBreakdown | None, str | None]:
    if chosen is None or chosen.path is None:
        return None, (f"No {', '.join(SIZE_FORMATS)} binary was built (the formats of Linux, Windows, macOS, "
                      "the BSDs and WebAssembly), so there is no size breakdown by package.")
    try:
        return size_breakdown(chosen.path), None
    except InspectError as exc:
        return None, str(exc)


def _release_files(dist: Path, manifest: Manifest) -> tuple[ReleaseEntry, ...]:
    """The manifest's release list when `gocross release` wrote one (only files still on disk: the page never
    links to what is not there); else release-like files found in DIST, e.g. archives made by a script."""
    listed = []
    for r in manifest.release:
        if r.path.is_file():
            name = str(r.path.relative_to(dist)) if r.path.is_relative_to(dist) else str(r.path)
            listed.append(ReleaseEntry(name, r.size, str(r.kind), r.target, r.sha256, r.format))
    if listed:
        return tuple(sorted(listed, key=lambda e: (e.kind, e.name)))
    binaries = {a.path for a in manifest.built}
    found = []
    for path in sorted(_files(dist)):
        if path not in binaries and path.name.endswith(_RELEASE_SUFFIXES) and not path.is_symlink():
            found.append(ReleaseEntry(str(path.relative_to(dist)), path.stat().st_size, "file"))
    return tuple(found)


def _files(dist: Path) -> Iterable[Path]:
    for path in dist.rglob("*"):
        if path.is_file():
            yield path
