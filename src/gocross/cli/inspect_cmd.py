"""`gocross inspect FILE|DIR...`: what each binary is, which target it is for, and whether it runs here.

Text for people (one block per file, :mod:`gocross.cli.inspect_text`) or ``--json`` for programs (a list,
one object per file, schema in docs/inspect.md). A file that cannot be read is reported and the others are
still shown; the exit status is then 6. The plain form (no global options) never reaches click: main()
hands it to :func:`gocross.cli.direct.inspect_command`, which this command calls too.
"""

from __future__ import annotations

from pathlib import Path

import click

from gocross.cli.app import App, pass_app


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file.")
@pass_app
def inspect(app: App, paths: tuple[Path, ...], as_json: bool) -> None:
    """Tell what each binary is (format, GOOS/GOARCH, Go build info, linking) and whether it runs here.

    PATHS are files or directories (searched recursively). Works for every format Go writes: ELF, Mach-O
    (also universal), PE, wasm, XCOFF and plan9; other files are described and marked "not a Go binary".
    """
    from gocross.cli.direct import inspect_command

    inspect_command(paths, as_json=as_json, verbose=app.verbose)
