"""`gocross build`: build the matrix, show progress, then one summary table (or JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from gocross.cli.app import App, pass_app
from gocross.cli.progress import MatrixProgress

if TYPE_CHECKING:
    from collections.abc import Callable

    from gocross.artifacts import Artifact
    from gocross.builder import BuildResult
    from gocross.plan import BuildStep


@click.command()
@click.argument("package_dir", required=False, default=".", type=click.Path(path_type=Path))
@click.option("-t", "--target", "targets", multiple=True, metavar="SELECTOR",
              help="Targets to build: os/arch[/variant], globs, sets, !exclusions; repeat or comma-separate.")
@click.option("-o", "--out", "out_dir", type=click.Path(), help="Output folder (default: dist/).")
@click.option("--name", "name_template", metavar="TEMPLATE",
              help="Output name template (default {name}_{os}_{arch}{variant}{ext}).")
@click.option("--ldflags", help="Extra linker flags, passed to go build -ldflags.")
@click.option("--tags", help="Build tags, comma-separated.")
@click.option("--trimpath/--no-trimpath", default=None, help="Remove file system paths (default: on).")
@click.option("--strip/--no-strip", default=None, help="Strip symbols and DWARF (-s -w).")
@click.option("--version", "version", metavar="V", help="Stamp -X main.version=V (and commit/date from git).")
@click.option("--cgo/--no-cgo", default=None,
              help="CGO_ENABLED=1 with zig as each target's C compiler (pip install 'gocross[cgo]'; default off).")
@click.option("--libc", type=click.Choice(["gnu", "musl"]),
              help="With --cgo on Linux: glibc, dynamic (default) or musl, fully static.")
@click.option("--glibc", metavar="2.N", help="With --cgo --libc gnu: the newest glibc the binaries may need "
              "(default 2.17, or the architecture's first).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Targets built in parallel (default: measured).")
@click.option("--check-reproducible", is_flag=True,
              help="Build again from a copy at another path with an empty cache and compare the bytes.")
@click.option("--force", is_flag=True, help="Run go build for every target even if gocross recorded no change.")
@click.option("--shard", "shard_spec", metavar="I/N",
              help="Build only shard I of N of the targets (balanced, deterministic), into a partial dist.")
@click.option("--cache", "cache", metavar="URL",
              help="Shared Go build cache: http(s)://… (Bazel remote-cache protocol) or a folder; off disables.")
@click.option("--json", "as_json", is_flag=True, help="Print the artifact list as JSON instead of a table.")
@click.option("--report", "write_report", is_flag=True, help="Also write OUT/report.html (see `gocross report`).")
@pass_app
def build(app: App, package_dir: Path, targets: tuple[str, ...], out_dir: str | None,
          name_template: str | None, ldflags: str | None, tags: str | None, trimpath: bool | None,
          strip: bool | None, version: str | None, cgo: bool | None, libc: str | None, glibc: str | None,
          jobs: int | None, check_reproducible: bool, force: bool, as_json: bool, write_report: bool,
          shard_spec: str | None, cache: str | None) -> None:
    """Build PACKAGE_DIR (default: .) for every selected target, in parallel."""
    from gocross.builder import build as run_build
    from gocross.builder import raise_for_failures
    from gocross.cgo import Libc
    from gocross.errors import UsageError
    from gocross.plan import BuildOptions
    from gocross.shard import parse_shard

    if out_dir == "":  # Path("") would silently be the current folder
        raise UsageError("--out is empty; name the output folder, e.g. --out dist.")
    options = BuildOptions(
        package_dir=package_dir, targets=targets, out_dir=Path(out_dir) if out_dir is not None else None,
        name_template=name_template,
        ldflags=ldflags, tags=tuple(t for t in tags.split(",") if t) if tags is not None else None,
        trimpath=trimpath, strip=strip, version=version, cgo=cgo, jobs=jobs,
        libc=Libc(libc) if libc else None, glibc=glibc,
        check_reproducible=check_reproducible, force=force,
        shard=parse_shard(shard_spec) if shard_spec else None, cache=cache,
    )
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
