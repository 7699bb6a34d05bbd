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
          TestStatus.COULD_NOT_RUN: "yellow", TestStatus.NOT_RUN: "cyan", TestStatus.NO_TESTS: "dim"}

_CASE_LABEL = {CaseStatus.BINFMT: "CANNOT RUN UNDER EMULATION", CaseStatus.UNFINISHED: "DID NOT FINISH"}


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
@click.option("--shard", "shard_spec", metavar="I/N",
              help="Test only shard I of N of the selected targets (balanced, deterministic).")
@click.option("--cache", "cache", metavar="URL",
              help="Shared Go build cache: http(s)://… (Bazel remote-cache protocol) or a folder; off disables.")
@click.pass_context
@pass_app
def test(app: App, ctx: click.Context, packages: tuple[str, ...], targets: tuple[str, ...], directory: Path,
         jobs: int | None, as_json: bool, junit_file: Path | None, no_reference: bool, cgo: bool | None,
         shard_spec: str | None, cache: str | None) -> None:
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
    _github_actions(run, as_json)
    raise_for_failures(run)


def _github_actions(run: TestRun, as_json: bool) -> None:
    """Inside GitHub Actions: a fold per target, an annotation per failure, the matrix in the step summary."""
    from gocross.ci.actions import in_github_actions

    if not in_github_actions():
        return
    from gocross.ci.reports import publish, test_lines, test_summary

    publish(test_lines(run), test_summary(run), lambda line: click.echo(line, err=as_json))


def _progress(view: MatrixProgress) -> Callable[[str, str, str, PackageResult | None], None]:
    def report(stage: str, target: str, package: str, result: PackageResult | None) -> None:
        if stage == "done" and result is not None:
            view.finished(f"{target} {package}", f"{result.status:>15}  {target}  {package}  {result.seconds:.1f}s")
        else:
            view.started(f"{stage} {target} {package}")

    return report


def _render(app: App, run: TestRun, *, verbose: bool, junit_file: Path | None) -> None:
    console = app.console
    for note in _notes(run):
        console.print(note, markup=False)
    if run.results:
        console.print(_matrix(run))
    for result in run.results:
        if not result.ok or verbose:
            _details(app, result, verbose)
    if run.cache is not None:
        console.print(f"\n{run.cache.summary()}", markup=False)
    if junit_file is not None:
        console.print(f"\nJUnit XML: {junit_file}", markup=False)


def _notes(run: TestRun) -> list[str]:
    notes = []
    if run.default_targets:
        notes.append("No --target given and none in gocross.toml: testing the native target only.")
    if run.reference:
        notes.append(f"{run.reference} runs too, as the native reference column (not selected: it does not "
                     "change the exit status).")
    if run.no_test_files:
        notes.append(f"No test files, skipped: {', '.join(run.no_test_files)}.")
    return notes


def _matrix(run: TestRun) -> Table:
    from rich.table import Table

    table = Table(title_justify="left", title=f"{len(run.packages)} package(s) × {len(run.targets)} target(s) "
                  f"in {run.seconds:.1f}s with {run.go_version}, {run.jobs} in parallel")
    table.add_column("package")
    for target in run.targets:
        runner = next((r.runner for r in run.results if r.target == target and r.runner), None)
        label = "reference" if target == run.reference else runner or "not run"
        table.add_column(f"{target}\n({label})")
    for package in run.packages:
        cells = [_cell(run.result(t, package)) for t in run.targets]
        table.add_row(package, *cells)
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
    for case in shown:
        label = _CASE_LABEL.get(case.status, case.status.upper())
        console.print(f"--- {label}: {case.name} ({case.seconds:.2f}s)", markup=False)
        if case.note:
            console.print(f"    note: {case.note}", markup=False)
        _indented(app, case.output)
    if result.output and (result.status == TestStatus.BUILD_FAILED or not shown or verbose):
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
