"""`gocross inspect FILE|DIR...`: what each binary is, which target it is for, and whether it runs here.

Text for people (one block per file, rendered with rich) or ``--json`` for programs (a list, one object per
file, schema in docs/inspect.md). A file that cannot be read is reported and the others are still shown; the
exit status is then 6.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gocross.cli.app import App, pass_app
from gocross.errors import InspectError

if TYPE_CHECKING:
    from gocross.binary.model import BinaryInfo, InspectFailure, Module, RunsHere

_QUIET_SETTINGS = ("DefaultGODEBUG",)  # long and rarely useful: shown with -v only


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file.")
@pass_app
def inspect(app: App, paths: tuple[Path, ...], as_json: bool) -> None:
    """Tell what each binary is (format, GOOS/GOARCH, Go build info, linking) and whether it runs here.

    PATHS are files or directories (searched recursively). Works for every format Go writes: ELF, Mach-O
    (also universal), PE, wasm, XCOFF and plan9; other files are described and marked "not a Go binary".
    """
    if as_json:
        from gocross.cli.direct import inspect_json

        inspect_json(paths)
        return
    from gocross.binary.model import InspectFailure
    from gocross.cli.direct import inspect_paths, raise_for_failures

    results = inspect_paths(paths)
    failures = [r for r in results if isinstance(r, InspectFailure)]
    if len(results) == 1 and failures:
        raise InspectError(failures[0].message)
    _render(app, results)
    for failure in failures:
        app.err_console.print(f"gocross: error: {failure.message}", markup=False, highlight=False)
    raise_for_failures(len(failures), len(results))


def _render(app: App, results: list[BinaryInfo | InspectFailure]) -> None:
    """One block per file, printed with a single console.print: rich's per-call overhead (~0.1 ms) made
    a print per line the biggest cost of inspecting a folder."""
    from rich.markup import escape

    from gocross.binary.model import InspectFailure

    blocks = []
    for item in results:
        if isinstance(item, InspectFailure):
            continue
        lines = [f"[bold]{escape(item.path)}[/bold]"]
        lines += [f"  [{style}]{label:<12}[/{style}] {value}" for label, style, value in _rows(item, app.verbose)]
        blocks.append("\n".join(lines))
    if blocks:
        app.console.print("\n\n".join(blocks), soft_wrap=True)


def _rows(info: BinaryInfo, verbose: int) -> list[tuple[str, str, str]]:
    """(label, label style, value with markup) for each line of a file's block."""
    from rich.markup import escape

    rows = [("what", info.description)]
    if info.target:
        variant = f"  {info.variant_var}={info.variant}" if info.variant else ""
        rows.append(("target", f"{info.target}{variant}"))
    if info.disagreement:
        rows.append(("MISMATCH", info.disagreement))
    rows += _go_rows(info, verbose)
    rows += _link_rows(info)
    for note in info.notes:
        rows.append(("note", note))
    if verbose:
        rows += [("evidence", f"{e.fact}: {e.source}") for e in info.evidence]
    out = [(label, "yellow" if label == "MISMATCH" else "dim", escape(value)) for label, value in rows]
    if info.runs_here is not None:
        out += [(label, "dim", value) for label, value in _verdict_rows(info.runs_here)]
    return out


def _go_rows(info: BinaryInfo, verbose: int) -> list[tuple[str, str]]:
    if not info.is_go:
        return []
    version = info.go_version or f"{info.go_version_range} (from the pclntab; no build info)"
    rows = [("Go", version)]
    if info.main_path:
        main = f"  module {_module_text(info.main_module)}" if info.main_module else ""
        rows.append(("main", f"{info.main_path}{main}"))
    rows += [("dep", _module_text(m)) for m in info.deps]
    settings = [f"{k}={v}" for k, v in info.build_settings.items() if verbose or k not in _QUIET_SETTINGS]
    if settings:
        rows.append(("build", "  ".join(settings)))
    if info.go_build_id:
        rows.append(("Go build ID", info.go_build_id))
    return rows


def _module_text(m: Module) -> str:
    """``path version`` and its ``=> replacement``, as `go version -m` shows a module."""
    text = f"{m.path} {m.version}".strip()
    return text + (f" => {_module_text(m.replace)}" if m.replace else "")


def _link_rows(info: BinaryInfo) -> list[tuple[str, str]]:
    rows = []
    if info.gnu_build_id:
        rows.append(("GNU build-id", info.gnu_build_id))
    if info.macho_uuid:
        rows.append(("UUID", info.macho_uuid))
    if info.linkage:
        parts = [info.linkage]
        if info.interpreter:
            parts.append(f"interpreter {info.interpreter}")
        if info.needed_libs:
            parts.append("needs " + ", ".join(info.needed_libs))
        if info.pie:
            parts.append("PIE")
        if info.cgo is not None:
            parts.append("cgo linked" if info.cgo else "no cgo")
        if info.min_glibc:
            parts.append(f"glibc ≥ {info.min_glibc}")
        rows.append(("linking", "; ".join(parts)))
    if info.min_os:
        rows.append(("min OS", info.min_os))
    if info.stripped is not None or info.debug_info is not None:
        sym = {True: "stripped", False: "not stripped", None: "symbol table unknown"}[info.stripped]
        dbg = {True: "has debug info", False: "no debug info", None: "debug info unknown"}[info.debug_info]
        rows.append(("symbols", f"{sym}, {dbg}"))
    return rows


def _verdict_rows(v: RunsHere) -> list[tuple[str, str]]:
    from rich.markup import escape

    colour = {"native": "green", "emulated": "cyan", "no": "red"}.get(v.verdict, "white")
    rows = [("runs here", f"[bold {colour}]{v.verdict.upper()}[/bold {colour}] — {escape(v.reason)}")]
    if v.exec_format_error:
        rows.append(("why", escape(v.exec_format_error)))
    if v.command:
        env = [f"{k}={val}" for k, val in v.env.items()]
        rows.append(("command", escape(shlex.join([*env, *v.command]))))
    if v.gocross_command:
        rows.append(("or", escape(shlex.join(v.gocross_command))))
    if v.install_hint and not v.installed:
        rows.append(("install", escape(v.install_hint)))
    if v.suggestion and v.suggestion not in v.reason:
        rows.append(("instead", escape(v.suggestion)))
    return rows
