"""`gocross inspect --sizes`: each binary's size by module and package, as a table or ``--json``.

The numbers are :func:`gocross.binary.sizes.size_breakdown`'s, the same the report draws.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from gocross.binary import iter_files
from gocross.binary.sizes import SizeBreakdown, size_breakdown
from gocross.cli.app import App
from gocross.errors import InspectError

_TOP_PACKAGES = 15


def print_sizes(app: App, paths: Sequence[Path], as_json: bool) -> None:
    """One breakdown per file; InspectError (exit 6) afterwards if any file could not be broken down."""
    results: list[SizeBreakdown] = []
    failures: list[str] = []
    files = list(iter_files(paths))
    if not files:
        raise InspectError(f"No files found in {', '.join(map(str, paths))}; pass binaries or folders of them.")
    for path in files:
        try:
            results.append(size_breakdown(path))
        except InspectError as exc:
            failures.append(str(exc))
    if as_json:
        app.print_json([b.to_json() for b in results])
    else:
        for b in results:
            _table(app, b)
    if len(files) == 1 and failures:
        raise InspectError(failures[0])
    for message in failures:
        sys.stderr.write(f"gocross: error: {message}\n")
    if failures:
        raise InspectError(f"{len(failures)} of {len(files)} files have no size breakdown (see above).")


def _table(app: App, b: SizeBreakdown) -> None:
    from rich.table import Table

    share = 100 * b.attributed / b.total if b.total else 0.0
    table = Table(title_justify="left", title=f"{b.path}: {b.total:,} bytes of text and data, {share:.1f} % "
                  f"attributed to packages" + ("" if b.symbols else " (no symbol table: variables not attributed)"))
    for column, justify in (("module / package", "left"), ("kind", "left"), ("bytes", "right"),
                            ("share", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for m in b.modules:
        table.add_row(f"[bold]{m.module}[/bold] ({m.packages} packages)", str(m.kind), f"{m.size:,}",
                      f"{100 * m.size / b.total:.1f} %")
    for p in b.packages[:_TOP_PACKAGES]:
        table.add_row(f"  {p.package}", str(p.kind), f"{p.size:,}", f"{100 * p.size / b.total:.1f} %")
    for o in b.other:
        table.add_row(f"[dim]{o.section}: {o.what}[/dim]", "other", f"{o.size:,}", f"{100 * o.size / b.total:.1f} %")
    app.console.print(table)
