"""`gocross smoke [DIST]`: run every artifact of a build here and check it answers."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import click

from gocross.cli.app import App, pass_app
from gocross.cli.options import SECONDS
from gocross.safefs import quoted

if TYPE_CHECKING:
    from gocross.smoketest import SmokeReport

_STYLE = {"pass": "green", "fail": "red", "timeout": "red", "could-not-run": "yellow", "not-run": "dim"}


@click.command()
@click.argument("dist", default="dist", type=click.Path(exists=True))
@click.option("--args", "args_text", metavar="ARGS", default="",
              help="Arguments for every binary (split like a shell would; {port} = the free port with --serve).")
@click.option("--expect", metavar="TEXT", help="Text the output (or with --serve, the HTTP body) must contain.")
@click.option("--expect-exit", type=int, default=0, show_default=True, help="Exit code the program must return.")
@click.option("--serve", is_flag=True, help="Start each binary as a server and check one HTTP GET.")
@click.option("--path", "http_path", default="/", show_default=True, help="With --serve: the path to GET.")
@click.option("--expect-status", type=int, default=200, show_default=True, help="With --serve: HTTP status.")
@click.option("--port-env", default="PORT", show_default=True,
              help="With --serve: environment variable that tells the server its port ('' = none).")
@click.option("--timeout", type=SECONDS, metavar="SECONDS",
              help="Per binary (0 = no limit). Default: 30 s, ×10 under qemu, ×60 soft-float, ×3 wasm.")
@click.option("-t", "--target", "targets", multiple=True, metavar="TARGET",
              help="Only these targets: linux/arm64, globs, !exclusions; repeat or comma-separate.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Binaries run in parallel (default: cores).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def smoke(app: App, dist: str, args_text: str, expect: str | None, expect_exit: int, serve: bool,
          http_path: str, expect_status: int, port_env: str, timeout: float | None,
          targets: tuple[str, ...], jobs: int | None, as_json: bool) -> None:
    """Run every artifact of DIST/artifacts.json here, under its runner, in parallel, and check it.

    Without --serve each binary runs with --args and must exit with --expect-exit and print --expect.
    With --serve each is started on a free loopback port, must answer GET --path with --expect-status
    and a body containing --expect, and is then stopped. Targets nothing here can run are listed as
    not-run and do not fail the smoke test.
    """
    from pathlib import Path

    from gocross.smoketest import SmokeOptions
    from gocross.smoketest import smoke as run_smoke

    try:
        args = tuple(shlex.split(args_text))
    except ValueError as exc:  # an unbalanced quote
        from gocross.errors import UsageError

        raise UsageError(f"--args {quoted(args_text)} cannot be split like a shell would ({exc}); "
                         "balance its quotes.") from None
    options = SmokeOptions(args=args, expect=expect, expect_exit=expect_exit,
                           serve=serve, path=http_path, expect_status=expect_status,
                           port_env=port_env or None, timeout=timeout)
    report = run_smoke(Path(dist), options, jobs=jobs, targets=targets or None)
    if as_json:
        app.print_json(report.to_json())
    else:
        _print_table(app, report)
    _raise_unless_ok(report)


def _print_table(app: App, report: SmokeReport) -> None:
    from rich.table import Table

    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts().items()))
    table = Table(title=f"smoke ({report.mode}) of {report.dist}: {counts} in {report.seconds:.1f}s",
                  title_justify="left")
    for column in ("target", "runner", "status", "seconds", "detail"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for check in report.checks:
        style = _STYLE.get(check.status, "")
        table.add_row(check.target, check.runner or "-", f"[{style}]{check.status}[/]" if style else check.status,
                      f"{check.seconds:.2f}", check.detail)
    app.console.print(table)
    if report.skipped:
        app.console.print(f"not built, so not smoke-tested: {', '.join(report.skipped)}")


def _raise_unless_ok(report: SmokeReport) -> None:
    from gocross.errors import TestsFailed

    if report.ok:
        return
    bad = [c for c in report.checks if c.status not in ("pass", "not-run")]
    if not bad:
        raise TestsFailed("Nothing in the build can run here, so nothing was smoke-tested.")
    listed = ", ".join(f"{c.target} ({c.status})" for c in bad)
    raise TestsFailed(f"{len(bad)} of {len(report.checks)} targets did not pass the smoke test: {listed}.")
