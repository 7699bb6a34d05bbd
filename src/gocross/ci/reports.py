"""What ``build`` and ``test`` add to their output inside GitHub Actions, from the same results the tables
are drawn from: log folds, error annotations, and a Markdown table appended to the step summary."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gocross.ci.actions import Annotation, go_annotations, group, markdown_table, write_step_summary

if TYPE_CHECKING:
    from gocross.builder import BuildResult
    from gocross.gotest import PackageResult, TestRun


def build_lines(result: BuildResult, package_dir: Path) -> Iterator[str]:
    """A fold per target, then an annotation per failed target (on the file and line Go names)."""
    for a in result.artifacts:
        body = [f"output: {a.path.name if a.path else '-'}", f"sha256: {a.sha256 or '-'}"]
        if a.error:
            body.extend(a.error.splitlines())
        yield from group(f"{a.target}: {a.status} ({a.seconds:.1f}s)", body)
    for a in result.failed:
        for note in go_annotations(a.error or "", package_dir, title=f"{a.target} failed to build",
                                   fallback=f"{a.target} failed to build"):
            yield note.command()


def build_summary(result: BuildResult) -> str:
    title = (f"### gocross build: {len(result.built)} of {len(result.artifacts)} targets built in "
             f"{result.seconds:.1f}s with {result.go_version}\n\n")
    rows = [(a.target, a.path.name if a.path else "-", _size(a.size), f"{a.seconds:.2f}", str(a.status),
             (a.sha256 or "-")[:16]) for a in result.artifacts]
    text = title + markdown_table(("target", "output", "size", "seconds", "status", "sha256"), rows)
    if result.cache is not None:
        text += f"\n{result.cache.summary()}\n"
    return text


def test_lines(run: TestRun) -> Iterator[str]:
    """A fold per target (its packages' verdicts), then an annotation per failed test or package."""
    for target in run.targets:
        body = [f"{r.package}: {r.status} ({r.passed} pass, {r.failed} fail, {r.skipped} skip, {r.seconds:.1f}s)"
                for r in run.results if r.target == target]
        yield from group(target, body)
    for r in run.problems:
        yield from (note.command() for note in _test_annotations(run.module_dir, r))


def _test_annotations(module_dir: Path, r: PackageResult) -> list[Annotation]:
    base = _package_dir(module_dir, r.package)
    failed = [c for c in r.tests if c.status not in ("pass", "skip")]
    if not failed:
        return go_annotations(r.output, base, title=f"{r.target} {r.package}: {r.status}",
                              fallback=r.reason or f"{r.package} {r.status} on {r.target}")
    notes: list[Annotation] = []
    for case in failed:
        notes.extend(go_annotations(case.output, base, title=f"{r.target} {case.name} failed",
                                    fallback=f"{case.name} failed on {r.target}"))
    return notes


def _package_dir(module_dir: Path, import_path: str) -> Path:
    """The package's folder: the module's folder whose path is the longest suffix of the import path."""
    best = module_dir
    for folder, dirs, _files in os.walk(module_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("testdata", "vendor")]
        rel = Path(folder).relative_to(module_dir).as_posix()
        if rel != "." and (import_path == rel or import_path.endswith("/" + rel)) \
                and len(rel) > len(best.relative_to(module_dir).as_posix().strip(".")):
            best = Path(folder)
    return best


def test_summary(run: TestRun) -> str:
    title = (f"### gocross test: {len(run.packages)} package(s) × {len(run.targets)} target(s) in "
             f"{run.seconds:.1f}s with {run.go_version}\n\n")
    rows = []
    for package in run.packages:
        cells = []
        for target in run.targets:
            r = run.result(target, package)
            cells.append("-" if r is None else f"{r.status} ({r.passed}/{r.passed + r.failed})")
        rows.append((package, *cells))
    return title + markdown_table(("package", *run.targets), rows)


def publish(lines: Iterator[str], summary: str, echo: Callable[[str], None]) -> None:
    """Print the folds and annotations with ``echo`` and append ``summary`` to the step summary."""
    for line in lines:
        echo(line)
    write_step_summary(summary)


def _size(size: int | None) -> str:
    return "-" if size is None else f"{size / (1 << 20):.1f} MiB"
