"""`gocross build`: build the matrix, show progress, then one summary table (or JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gocross.cli.app import App, pass_app
from gocross.cli.options import build_flags, build_options
from gocross.cli.progress import MatrixProgress

if TYPE_CHECKING:
    from collections.abc import Callable

    from gocross.artifacts import Artifact
    from gocross.builder import BuildResult
    from gocross.plan import BuildStep


@click.command()
@click.argument("package_dir", required=False, default=".", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(), help="Output folder (default: dist/).")
@click.option("--version", "version", metavar="V", help="Stamp -X main.version=V (and commit/date from git).")
@build_flags
@click.option("--check-reproducible", is_flag=True,
              help="Build again from a copy at another path with an empty cache and compare the bytes.")
@click.option("--json", "as_json", is_flag=True, help="Print the artifact list as JSON instead of a table.")
@click.option("--report", "write_report", is_flag=True, help="Also write OUT/report.html (see `gocross report`).")
@pass_app
def build(app: App, /, package_dir: Path, out_dir: str | None, version: str | None, check_reproducible: bool,
          as_json: bool, write_report: bool, **flags: Any) -> None:
    """Build PACKAGE_DIR (default: .) for every selected target, in parallel."""
    from gocross.builder import build as run_build
    from gocross.builder import raise_for_failures
    from gocross.errors import UsageError

    if out_dir == "":  # Path("") would silently be the current folder
        raise UsageError("--out is empty; name the output folder, e.g. --out dist.")
    options = build_options(package_dir, flags, out_dir=Path(out_dir) if out_dir is not None else None,
                            version=version, check_reproducible=check_reproducible)
    with MatrixProgress(app, "building", quiet=as_json) as view:
        result = run_build(options, toolchain=app.toolchain, progress=_progress(view))
    if as_json:
        extra = {"cache": result.cache.to_json()} if result.cache is not None else {}
        app.print_json({"manifest": str(result.manifest),
                        "artifacts": [a.to_json(result.out_dir) for a in result.artifacts], **extra})
    else:
        _render(app, result)
    _github_actions(result, package_dir, as_json)
    if write_report:
        from gocross.report import ReportOptions, report

        page = report(ReportOptions(dist=result.out_dir))
        app.err_console.print(f"report: {page}", markup=False, highlight=False)
    raise_for_failures(result)


def _github_actions(result: BuildResult, package_dir: Path, as_json: bool) -> None:
    """Inside GitHub Actions: folds per target, error annotations, the table in the step summary."""
    from gocross.ci.actions import in_github_actions

    if not in_github_actions():
        return
    from gocross.ci.reports import build_lines, build_summary, publish

    publish(build_lines(result, package_dir.resolve()), build_summary(result),
            lambda line: click.echo(line, err=as_json))


def _progress(view: MatrixProgress) -> Callable[[str, BuildStep, Artifact | None], None]:
    def report(event: str, step: BuildStep, artifact: Artifact | None) -> None:
        if event != "done" or artifact is None:
            note = step.cgo.note if step.cgo is not None else None
            view.started(f"{step.target.name} ({note})" if note else step.target.name)
            if note and view.live is None and not view.quiet:
                click.echo(f"{step.target.name}: {note}", err=True)
        else:
            view.finished(step.target.name, f"{artifact.status:>9}  {artifact.target}  {artifact.seconds:.1f}s")

    return report


def _render(app: App, result: BuildResult) -> None:
    from rich.table import Table

    if result.default_targets:
        app.console.print("No --target given and none in gocross.toml: building Go's first-class ports "
                          "(`first-class`).")
    table = Table(title_justify="left", title=f"{len(result.built)} of {len(result.artifacts)} targets built "
                  f"in {result.seconds:.1f}s with {result.go_version}, {result.jobs} in parallel")
    for column, justify in (("target", "left"), ("output", "left"), ("size", "right"),
                            ("seconds", "right"), ("status", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for a in result.artifacts:
        status = a.status if a.relinked is not False else "ok (up to date)"
        table.add_row(a.target, _rel(a.path) if a.path else "-", _size(a.size), f"{a.seconds:.2f}",
                      status if a.target not in result.not_reproducible else "NOT REPRODUCIBLE")
    app.console.print(table)
    for a in result.artifacts:
        if a.status in ("failed", "skipped") and a.error:
            label = "failed" if a.status == "failed" else "skipped"
            app.console.print(f"\n[bold]{a.target} {label}:[/bold]", markup=True)
            app.console.print(a.error, markup=False)
    if result.cache is not None:
        app.console.print(f"\n{result.cache.summary()}", markup=False)
    app.console.print(f"\nmanifest: {_rel(result.manifest)}")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _size(size: int | None) -> str:
    if size is None:
        return "-"
    return f"{size / (1 << 20):.1f} MiB"
