"""`gocross doctor`: the toolchain, each runner and binfmt_misc, with the command for whatever is missing."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from gocross.cli.app import App, pass_app

if TYPE_CHECKING:
    from gocross.checkup import DoctorReport


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--binfmt", "binfmt_add", is_flag=True,
              help="Register qemu with binfmt_misc (root; machine-wide; undo with --binfmt-remove).")
@click.option("--binfmt-remove", is_flag=True, help="Remove the binfmt_misc entries --binfmt registered.")
@pass_app
def doctor(app: App, as_json: bool, binfmt_add: bool = False, binfmt_remove: bool = False) -> None:
    """Check what this machine can build and run: Go toolchain, runners, binfmt_misc.

    Exits 1 when something is missing (the report ends with the commands that install it).
    """
    if binfmt_add or binfmt_remove:
        from gocross.cli.test_cmd import binfmt_command

        binfmt_command(app, remove=binfmt_remove)
        return
    from gocross.checkup import doctor as run_doctor

    report = run_doctor(app.go)
    if as_json:
        app.print_json(report.to_json())
    else:
        _print_report(app, report)
    if not report.ok:
        sys.exit(1)


def _print_report(app: App, report: DoctorReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    from gocross.platforms import foreign_systems

    out = app.console
    level = f" (CPU: GOAMD64 up to {report.amd64_level})" if report.amd64_level else ""
    out.print(f"host         {report.host}{level}")
    tc = report.toolchain
    if tc.found:
        out.print(escape(f"go           {tc.version} at {tc.go} (from {tc.source}); GOROOT {tc.goroot}"))
    else:
        out.print(escape(f"go           [missing] {tc.error}"))
    table = Table(title="runners", title_justify="left", show_edge=False)
    for column in ("", "runner", "runs", "version / detail"):
        table.add_column(column)
    for r in report.runners:
        mark = "[green]ok[/]" if r.installed else "[red]missing[/]"
        detail = "; ".join(x for x in (r.version, r.detail) if x)
        table.add_row(mark, r.name, " ".join(r.covers), escape(detail))
    out.print(table)
    out.print(escape(f"binfmt_misc  {report.binfmt.note}"))
    for entry in report.binfmt.entries:
        state = "enabled" if entry.enabled else "disabled"
        out.print(escape(f"  {entry.name}: {state}, {entry.interpreter or '?'} (flags {entry.flags or '-'})"))
    out.print(f"cannot run here: {', '.join(foreign_systems())}")
    if report.cgo is not None:
        _print_cgo(app, report)
    if report.missing:
        out.print("[bold]to install what is missing:[/]")
        for hint in report.missing:
            out.print(escape(f"  {hint}"))
    else:
        out.print("everything gocross can use here is installed")


def _print_cgo(app: App, report: DoctorReport) -> None:
    """zig and the cross libcs: optional (cgo for foreign targets), so listed with their commands, not failed."""
    from rich.markup import escape

    cgo = report.cgo
    assert cgo is not None
    out = app.console
    zig = cgo.zig or cgo.zig_error or "not installed: `gocross build --cgo` serves only this host's own target"
    out.print(escape(f"zig (cgo)    {zig}"))
    have = [c.goarch for c in cgo.cross_libcs if c.installed]
    lack = [f"{c.goarch} ({c.package})" for c in cgo.cross_libcs if not c.installed]
    missing = f"; missing for {', '.join(lack)}" if lack else ""
    out.print(escape(f"cross libc   for glibc-dynamic cgo binaries under qemu: installed for "
                     f"{', '.join(have) or 'none'}{missing}"))
    for hint in cgo.install_hints:
        out.print(escape(f"  optional: {hint}"))
