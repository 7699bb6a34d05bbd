"""`gocross inspect FILE|DIR...`: what each binary is, which target it is for, and whether it runs here.

Text for people (one block per file, :mod:`gocross.cli.inspect_text`) or ``--json`` for programs (a list,
one object per file, schema in docs/inspect.md). A file that cannot be read is reported and the others are
still shown; the exit status is then 6.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from gocross.binary import BinaryInfo, InspectFailure, inspect_many, iter_file_names
from gocross.cli.app import App, pass_app
from gocross.errors import InspectError


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file.")
@click.option("--sizes", is_flag=True,
              help="Show what each Go ELF binary's size is made of, by module and package (as gocross report).")
@pass_app
def inspect(app: App, paths: tuple[Path, ...], as_json: bool, sizes: bool) -> None:
    """Tell what each binary is (format, GOOS/GOARCH, Go build info, linking) and whether it runs here.

    PATHS are files or directories (searched recursively). Works for every format Go writes: ELF, Mach-O
    (also universal), PE, wasm, XCOFF and plan9; other files are described and marked "not a Go binary".
    """
    if sizes:
        from gocross.cli.sizes_text import print_sizes

        print_sizes(app, paths, as_json)
    elif as_json:
        _inspect_json(app, paths)
    else:
        _inspect_text(paths, app.verbose)


def _inspect_json(app: App, paths: Sequence[Path]) -> None:
    """The JSON list; InspectError (exit 6) afterwards when a file could not be read."""
    from gocross.binary import batch

    pretty = app.json_indent is not None
    encoded = batch.encode_files(list(iter_file_names(paths)), runs_here=True, jobs=None, pretty=pretty)
    _check_found(encoded, paths)
    app.print_json_bytes(batch.json_list([e.data for e in encoded], pretty))
    failures = sum(1 for e in encoded if e.failed)
    if failures:
        raise InspectError(f"{failures} of {len(encoded)} files could not be inspected (see above).")


def _inspect_text(paths: Sequence[Path], verbose: int) -> None:
    """A block per file, then one line per file that could not be read; InspectError (exit 6) if any."""
    from gocross.cli.inspect_text import print_blocks

    results = inspect_many(paths)
    _check_found(results, paths)
    failures = [r.message for r in results if isinstance(r, InspectFailure)]
    if len(results) == 1 and failures:
        raise InspectError(failures[0])
    print_blocks([r for r in results if isinstance(r, BinaryInfo)], verbose)
    for message in failures:
        sys.stderr.write(f"gocross: error: {message}\n")
    if failures:
        raise InspectError(f"{len(failures)} of {len(results)} files could not be inspected (see above).")


def _check_found(results: Sequence[object], paths: Sequence[Path]) -> None:
    if not results:
        raise InspectError(f"No files found in {', '.join(map(str, paths))}; pass binaries or folders of them.")
