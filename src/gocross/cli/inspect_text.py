"""`gocross inspect`'s text for people: one block per file, rendered from the same BinaryInfo as ``--json``.

rich colours a terminal; piped or under CI the lines are written as they are: rich would print the same
characters (a test compares the two), but laying out the text of thousands of files through it takes
longer than inspecting them.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

from gocross.binary import BinaryInfo, Module, RunsHere
from gocross.cli.terminal import plain_output

Span = tuple[str, str]  # (text, rich style; "" for none)
Line = list[Span]

_QUIET_SETTINGS = ("DefaultGODEBUG",)  # long and rarely useful: shown with -v only
_VERDICT_STYLE = {"native": "bold green", "emulated": "bold cyan", "no": "bold red"}


def print_blocks(records: Sequence[BinaryInfo], verbose: int) -> None:
    """Print one block per record to stdout (coloured on a terminal)."""
    lines = blocks(records, verbose)
    if not lines:
        return
    if plain_output():
        sys.stdout.write("".join("".join(text for text, _ in line) + "\n" for line in lines))
        sys.stdout.flush()
        return
    from rich.console import Console
    from rich.text import Text

    out = Text()
    for i, line in enumerate(lines):
        if i:
            out.append("\n")
        for text, style in line:
            out.append(text, style or None)
    Console(highlight=False).print(out, soft_wrap=True)


def blocks(records: Sequence[BinaryInfo], verbose: int) -> list[Line]:
    """The lines for all records, blocks separated by an empty line."""
    lines: list[Line] = []
    for record in records:
        if lines:
            lines.append([])
        lines.append([(record.path, "bold")])
        for label, style, value in rows(record, verbose):
            lines.append([("  ", ""), (f"{label:<12}", style), (" ", ""), *value])
    return lines


def rows(info: BinaryInfo, verbose: int) -> list[tuple[str, str, Line]]:
    """(label, label style, value spans) for each line of a file's block."""
    plain = [("what", info.description)]
    if info.goos and info.goarch:
        variant = f"  {info.variant_var}={info.variant}" if info.variant else ""
        plain.append(("target", f"{info.goos}/{info.goarch}{variant}"))
    if info.disagreement:
        plain.append(("MISMATCH", info.disagreement))
    plain += _go_rows(info, verbose)
    plain += _link_rows(info)
    plain += [("note", note) for note in info.notes]
    if verbose:
        plain += [("evidence", f"{e.fact}: {e.source}") for e in info.evidence]
    out = [(label, "yellow" if label == "MISMATCH" else "dim", [(value, "")]) for label, value in plain]
    if info.runs_here is not None:
        out += _verdict_rows(info.runs_here)
    return out


def module_text(m: Module) -> str:
    """``path version`` and its ``=> replacement``, as `go version -m` shows a module."""
    text = f"{m.path} {m.version}".strip()
    replacement = m.replace
    return text + (f" => {module_text(replacement)}" if replacement else "")


def _go_rows(info: BinaryInfo, verbose: int) -> list[tuple[str, str]]:
    if not info.is_go:
        return []
    version = info.go_version or f"{info.go_version_range} (from the pclntab; no build info)"
    rows = [("Go", version)]
    if info.main_path:
        main = f"  module {module_text(info.main_module)}" if info.main_module else ""
        rows.append(("main", f"{info.main_path}{main}"))
    rows += [("dep", module_text(m)) for m in info.deps or ()]
    settings = [f"{k}={v}" for k, v in info.build_settings.items() if verbose or k not in _QUIET_SETTINGS]
    if settings:
        rows.append(("build", "  ".join(settings)))
    if info.go_build_id:
        rows.append(("Go build ID", info.go_build_id))
    return rows


def _link_rows(info: BinaryInfo) -> list[tuple[str, str]]:
    rows = []
    if info.gnu_build_id:
        rows.append(("GNU build-id", info.gnu_build_id))
    if info.macho_uuid:
        rows.append(("UUID", info.macho_uuid))
    if info.linkage:
        rows.append(("linking", _linking(info)))
    if info.min_os:
        rows.append(("min OS", info.min_os))
    if info.stripped is not None or info.debug_info is not None:
        sym = {True: "stripped", False: "not stripped", None: "symbol table unknown"}[info.stripped]
        dbg = {True: "has debug info", False: "no debug info", None: "debug info unknown"}[info.debug_info]
        rows.append(("symbols", f"{sym}, {dbg}"))
    return rows


def _linking(info: BinaryInfo) -> str:
    parts = [info.linkage or ""]
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
    return "; ".join(parts)


def _verdict_rows(v: RunsHere) -> list[tuple[str, str, Line]]:
    verdict = [(v.verdict.upper(), _VERDICT_STYLE.get(v.verdict, "bold")), (f" — {v.reason}", "")]
    rows = [("runs here", "dim", verdict)]
    extra = []
    if v.exec_format_error:
        extra.append(("why", v.exec_format_error))
    if v.command:
        env = [f"{k}={val}" for k, val in v.env.items()]
        extra.append(("command", shlex.join([*env, *v.command])))
    if v.gocross_command:
        extra.append(("or", shlex.join(v.gocross_command)))
    if v.install_hint and not v.installed:
        extra.append(("install", v.install_hint))
    if v.suggestion and v.suggestion not in v.reason:
        extra.append(("instead", v.suggestion))
    return rows + [(label, "dim", [(value, "")]) for label, value in extra]
