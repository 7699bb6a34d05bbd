"""`gocross test`: one matrix of test results, target × package, then the failures with their output.

Everything after ``--`` is ``go test``'s own flags (``-run``, ``-count``, ``-short``, ``-timeout``, ``-bench``,
``-v``, ``-tags``, ``-ldflags``, …), so the command reads like the ``go test`` line it replaces.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gocross.cli.app import App, pass_app
from gocross.cli.progress import MatrixProgress
from gocross.gotest.results import CaseStatus, TestStatus

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.table import Table

    from gocross.gotest import PackageResult, TestRun

_FLAGS_KEY = "gocross.go_test_flags"
_STYLE = {TestStatus.PASSED: "green", TestStatus.FAILED: "bold red", TestStatus.BUILD_FAILED: "bold red",
          TestStatus.VET_FAILED: "bold red", TestStatus.COULD_NOT_RUN: "yellow", TestStatus.NOT_RUN: "cyan",
          TestStatus.NO_TESTS: "dim"}

_CASE_LABEL = {CaseStatus.BINFMT: "CANNOT RUN UNDER EMULATION"}
_PLAIN_WIDTH = 200  # not a terminal and no COLUMNS: wide, so a log file keeps whole lines
_STATUS_WIDTH = max(len(s) for s in TestStatus)


class _SplitAtDashes(click.Command):
    """Keeps everything after ``--`` for ``go test`` instead of mixing it into PACKAGES."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[_FLAGS_KEY] = tuple(args[cut + 1:])
            args = args[:cut]
        return super().parse_args(ctx, args)


@click.command(cls=_SplitAtDashes)
@click.argument("packages", nargs=-1)
@click.option("-t", "--target", "targets", multiple=True, metavar="SELECTOR",
              help="Targets to test on: os/arch[/variant], globs, sets, !exclusions; repeat or comma-separate.")
@click.option("-C", "--dir", "directory", type=click.Path(path_type=Path), default=Path(),
              help="Run in this directory (the module's, or a package's inside it) instead of the current one.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Targets tested in parallel (default: measured).")
@click.option("--json", "as_json", is_flag=True,
              help="Print Go's test2json events, one per line, each with its \"Target\", instead of the table.")
@click.option("--junit", "junit_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Also write JUnit XML to FILE (one testsuite per target × package), for CI.")
@click.option("--no-reference", is_flag=True,
              help="Do not add the native target as a reference column when it is not selected.")
@click.option("--cgo/--no-cgo", default=None,
              help="CGO_ENABLED for every target (default: gocross.toml's cgo, else on for this host's own "
                   "target when a C compiler is installed, as go test does, and off for the others).")
@click.option("--report", "write_report", is_flag=True,
              help="Also save the events to DIST/test-results.jsonl and write DIST/report.html (gocross report).")
@click.option("--dist", type=click.Path(path_type=Path), metavar="DIST",
              help="With --report: the build's output folder (default: dist in the -C directory).")
@click.option("--shard", "shard_spec", metavar="I/N",
              help="Test only shard I of N of the selected targets (balanced, deterministic).")
@click.option("--cache", "cache", metavar="URL",
              help="Shared Go build cache: http(s)://… (Bazel remote-cache protocol) or a folder; off disables.")
@click.pass_context
@pass_app
def test(app: App, ctx: click.Context, packages: tuple[str, ...], targets: tuple[str, ...], directory: Path,
         jobs: int | None, as_json: bool, junit_file: Path | None, no_reference: bool, cgo: bool | None,
         write_report: bool, dist: Path | None, shard_spec: str | None, cache: str | None) -> None:
    """Compile and run PACKAGES' tests (default: .) for every selected target, here. Go test flags go after --.

    Example: gocross test ./... --target linux/amd64,linux/s390x -- -run TestHeader -count 1
    """
    from gocross.gotest import TestOptions, parse_go_test_flags, raise_for_failures, run_tests
    from gocross.shard import parse_shard

    go_flags = ctx.meta.get(_FLAGS_KEY, ())
    options = TestOptions(packages=packages or (".",), targets=targets, directory=directory,
                          go_test_flags=go_flags, jobs=jobs, reference=not no_reference, cgo=cgo,
                          shard=parse_shard(shard_spec) if shard_spec else None, cache=cache)
    with MatrixProgress(app, "testing", quiet=as_json) as view:
        run = run_tests(options, toolchain=app.toolchain, progress=_progress(view))
    if junit_file is not None:
        from gocross.gotest import junit

        junit.write(run, junit_file)
    if as_json:
        for event in run.events():
            click.echo(json.dumps(event))
    else:
        _render(app, run, verbose=parse_go_test_flags(go_flags).verbose, junit_file=junit_file)
    if write_report:
        _report(app, run, dist if dist is not None else directory / "dist")
    _github_actions(run, as_json)
    raise_for_failures(run, details_shown=not as_json)


def _report(app: App, run: TestRun, dist: Path) -> None:
    """Save the events beside the build's manifest, then write the report of both."""
    from gocross.artifacts import read_manifest
    from gocross.report import TESTS_NAME, ReportOptions, report
    from gocross.safefs import atomic_write

    folder = read_manifest(dist).path.parent  # one clear sentence when there is no build to report on
    atomic_write(folder / TESTS_NAME, "".join(json.dumps(event) + "\n" for event in run.events()))
    page = report(ReportOptions(dist=folder))
    app.err_console.print(f"report: {page}", markup=False, highlight=False)


def _github_actions(run: TestRun, as_json: bool) -> None:
    """Inside GitHub Actions: a fold per target, an annotation per failure, the matrix in the step summary."""
    from gocross.ci.actions import in_github_actions

    if not in_github_actions():
        return
    from gocross.ci.reports import publish, test_lines, test_summary

    publish(test_lines(run), test_summary(run), lambda line: click.echo(line, err=as_json))


def _progress(view: MatrixProgress) -> Callable[[str, str, str, PackageResult | None], None]:
    def report(stage: str, target: str, package: str, result: PackageResult | None) -> None:
        if stage == "planned":
            view.set_total(int(package))
        elif stage == "done" and result is not None:
            view.finished(f"{target} {package}", f"{result.status:>15}  {target}  {package}  {result.seconds:.1f}s")
        else:
            view.started(f"{stage} {target} {package}")

    return report


def _render(app: App, run: TestRun, *, verbose: bool, junit_file: Path | None) -> None:
    console = app.console
    width = _width(app)
    for note in _notes(run):
        console.print(note, markup=False, width=width)
    if run.results:
        console.print(_title(run), markup=False, highlight=False, width=width)
        for part in _matrix(run, width):
            console.print(part, width=width)
    for result in run.results:
        if not result.ok or (verbose and result.status != TestStatus.NO_TESTS):
            _details(app, result, verbose)
    if run.cache is not None:
        console.print(f"\n{run.cache.summary()}", markup=False)
    if junit_file is not None:
        console.print(f"\nJUnit XML: {junit_file}", markup=False)


def _width(app: App) -> int:
    """The table's width: the terminal's; when not a terminal, ``COLUMNS`` if set, else wide."""
    import os

    from gocross.cli.terminal import plain_output

    if not plain_output():
        return app.console.width
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) >= 20 else _PLAIN_WIDTH


def _notes(run: TestRun) -> list[str]:
    notes = []
    if run.default_targets:
        notes.append("No --target given and none in gocross.toml: testing the native target only.")
    if run.reference:
        notes.append(f"{run.reference} runs too, as the native reference column (not selected: it does not "
                     "change the exit status).")
    if run.no_test_files:
        notes.append(f"No test files (built and vetted for each target, as go test does): "
                     f"{', '.join(run.no_test_files)}.")
    for r in run.results:
        if r.output_cut:
            notes.append(f"{r.target} {r.package}: output cut: {r.output_cut:,} bytes came before the last "
                         "1 MiB, which is all gocross keeps (the verdict and details come from that tail).")
    return notes


def _title(run: TestRun) -> str:
    return (f"{len(run.packages)} package(s) × {len(run.targets)} target(s) in {run.seconds:.1f}s with "
            f"{run.go_version}, {run.jobs} in parallel")


def _rows(run: TestRun) -> list[str]:
    """The packages with tests, and those without that failed to build or vet somewhere."""
    bad = {r.package for r in run.results if not r.ok}
    return [*run.packages, *(p for p in run.no_test_files if p in bad)]


def common_prefix(packages: list[str]) -> str:
    """The import-path prefix all of ``packages`` share, ending in "/" ("" for one package or none shared)."""
    if len(packages) < 2:
        return ""
    split = [p.split("/") for p in packages]
    shared: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    shared = shared[: min(len(s) for s in split)]
    if shared and all(len(s) == len(shared) for s in split):
        shared.pop()  # all the same package: nothing to shorten
    return "/".join(shared) + "/" if shared else ""


def _short(package: str, prefix: str) -> str:
    if not prefix:
        return package
    if package == prefix.rstrip("/"):
        return "."
    return "./" + package.removeprefix(prefix)


def _matrix(run: TestRun, width: int) -> list[Table | str]:
    """The matrix, packages in rows and targets in columns; targets in rows when that would not fit.

    A package path is never cut: the prefix every package shares is printed once above the table, and a
    path still too long wraps. Column headers (target, runner) are never narrower than their words.
    """
    rows = _rows(run)
    prefix = common_prefix(rows)
    parts: list[Table | str] = [f"packages below {prefix} are shown as ./PATH"] if prefix else []
    labels = {p: _short(p, prefix) for p in rows}
    headers = [_header(run, t) for t in run.targets]
    need = max(len(x) for x in labels.values()) + sum(_column_width(h) + 3 for h in headers) + 4
    if need <= width:
        return [*parts, _wide(run, rows, labels, headers)]
    return [*parts, _long(run, rows, labels, headers)]


def _column_width(header: str) -> int:
    """A target column's least width: its header's longest line, and a status ("could not build") whole."""
    return max(_STATUS_WIDTH, *map(len, header.split("\n")))


def _header(run: TestRun, target: str) -> str:
    runner = next((r.runner for r in run.results if r.target == target and r.runner), None)
    return f"{target}\n({'reference' if target == run.reference else runner or 'not run'})"


def _wide(run: TestRun, rows: list[str], labels: dict[str, str], headers: list[str]) -> Table:
    from rich.table import Table

    table = Table()
    table.add_column("package", overflow="fold")
    for header in headers:
        table.add_column(header, min_width=_column_width(header))
    for package in rows:
        table.add_row(labels[package], *(_cell(run.result(t, package)) for t in run.targets))
    return table


def _long(run: TestRun, rows: list[str], labels: dict[str, str], headers: list[str]) -> Table:
    """Targets in rows: one line per (package, target), for many targets or a narrow screen."""
    from rich.table import Table

    table = Table()
    table.add_column("package", overflow="fold")
    table.add_column("target", overflow="fold")
    table.add_column("result", overflow="fold")
    for package in rows:
        for i, (target, header) in enumerate(zip(run.targets, headers, strict=True)):
            cell = _cell(run.result(target, package)).replace("\n", "  ")
            table.add_row(labels[package] if i == 0 else "", header.replace("\n", " "), cell)
    return table


def _cell(result: PackageResult | None) -> str:
    if result is None:
        return "-"
    style = _STYLE.get(result.status, "")
    head = f"[{style}]{result.status}[/{style}]" if style else result.status
    if result.runner is None:
        return head
    return f"{head}\n{result.passed} pass {result.failed} fail {result.skipped} skip {result.seconds:.1f}s"


def _details(app: App, result: PackageResult, verbose: bool) -> None:
    console = app.console
    console.print(f"\n[bold]{result.target} {result.package}: {result.status}[/bold]", markup=True,
                  highlight=False)
    if result.reason:
        console.print(result.reason, markup=False)
    shown = [c for c in result.tests if verbose or c.status not in (CaseStatus.PASS, CaseStatus.SKIP)]
    runs = {c.name: 0 for c in result.tests}
    for c in result.tests:
        runs[c.name] += 1
    for case in shown:
        label = _CASE_LABEL.get(case.status, str(case.status).upper())
        which = f", run {case.run} of {runs[case.name]}" if runs[case.name] > 1 else ""
        if f"--- {label}: {case.name} " not in case.output:  # Go's own line is shown once, not twice
            console.print(f"--- {label}: {case.name} ({case.seconds:.2f}s{which})", markup=False)
        elif which:
            console.print(f"{case.name}: run {case.run} of {runs[case.name]}", markup=False)
        _indented(app, case.output)
        if case.note:
            console.print(f"    note: {case.note}", markup=False)
    if result.output and (result.status in (TestStatus.BUILD_FAILED, TestStatus.VET_FAILED) or not shown
                          or verbose):
        _indented(app, result.output)
    if result.vet:
        _indented(app, result.vet)


def _indented(app: App, text: str) -> None:
    lines = [ln for ln in text.rstrip().splitlines() if ln.strip()]
    if lines:
        app.console.print("\n".join(f"    {ln}" for ln in lines), markup=False, highlight=False)


def binfmt_command(app: App, *, remove: bool) -> None:
    """``gocross doctor --binfmt`` / ``--binfmt-remove``: explain, require root, change, report what changed.

    Lives here (not in doctor_cmd) because it exists for ``gocross test``'s re-exec limitation.
    """
    from gocross import binfmt

    out = app.console
    binfmt.require_root()
    if remove:
        change = binfmt.remove()
        names = ", ".join(change.removed) or "none were registered"
        out.print(f"binfmt_misc: removed gocross entries: {names}.", markup=False)
        return
    out.print(binfmt.explain(), markup=False)
    change = binfmt.register()
    if change.mounted:
        out.print(f"\nmounted binfmt_misc on {binfmt.BINFMT_DIR}", markup=False)
    for label, items in (("registered", change.registered), ("already handled, left alone", change.already),
                         ("qemu not installed, skipped", change.missing)):
        if items:
            out.print(f"{label}: {', '.join(items)}", markup=False)
    out.print("undo with: sudo gocross doctor --binfmt-remove", markup=False)
