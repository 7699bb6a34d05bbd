"""`gocross report [DIST]`: write one self-contained HTML page of a build, its tests and smoke checks."""

from __future__ import annotations

from pathlib import Path

import click

from gocross.cli.app import App, pass_app


@click.command()
@click.argument("dist", default="dist", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), metavar="FILE",
              help="Write the page here (default: DIST/report.html).")
@click.option("--tests", "tests", type=click.Path(path_type=Path), metavar="FILE",
              help="`gocross test --json` output to show (default: DIST/test-results.jsonl if present).")
@click.option("--smoke", "smoke", type=click.Path(path_type=Path), metavar="FILE",
              help="`gocross smoke --json` output to show (default: DIST/smoke.json if present).")
@click.option("--binary", metavar="TARGET",
              help="Show this target's size by package (default: this host's, else the first Linux one built, "
                   "else the first Windows, macOS or wasm one).")
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default browser afterwards.")
@pass_app
def report(app: App, dist: Path, out: Path | None, tests: Path | None, smoke: Path | None, binary: str | None,
           open_page: bool) -> None:
    """Write one HTML page (inline styles and charts, no network) that shows DIST's whole build.

    The target matrix with each cell's status, size, build time, whether and how it runs here, and its
    smoke and test results; a size chart; one binary's size by Go package; the release files.
    """
    from gocross.report import ReportOptions
    from gocross.report import report as write

    path = write(ReportOptions(dist=dist, tests=tests, smoke=smoke, binary=binary), out)
    app.console.print(f"report: {path}", markup=False, highlight=False)
    if open_page:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
