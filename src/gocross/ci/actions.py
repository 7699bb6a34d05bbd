"""Inside GitHub Actions (``GITHUB_ACTIONS=true``): the matrix as a Markdown table in the step summary, a
fold per target in the log, and an ``::error::`` annotation per failure, placed on the file and line when
Go's output names them (compiler errors ``file.go:12:5: …``, test failures ``    file_test.go:12: …``).

Workflow commands are documented at docs.github.com ("Workflow commands for GitHub Actions"); their data
escapes ``%``, CR and LF, and property values also ``:`` and ``,``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_GO_POSITION = re.compile(r"^\s*(?:#\s*)?(?P<file>[^\s:][^:\n]*?\.(?:go|s|c|h)):(?P<line>\d+)(?::(?P<col>\d+))?:"
                          r"\s*(?P<message>.+)$")


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


@dataclass(frozen=True)
class Annotation:
    """One ``::error::``: a message, and where it points when Go said so."""

    message: str
    title: str | None = None
    file: str | None = None
    line: int | None = None
    col: int | None = None

    def command(self) -> str:
        props = [f"{k}={_escape_property(str(v))}" for k, v in
                 (("file", self.file), ("line", self.line), ("col", self.col), ("title", self.title))
                 if v is not None]
        return f"::error {','.join(props)}::{_escape_data(self.message)}" if props else \
            f"::error::{_escape_data(self.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def group(title: str, lines: Iterable[str]) -> Iterator[str]:
    """A collapsible section of the log."""
    yield f"::group::{_escape_data(title)}"
    yield from lines
    yield "::endgroup::"


def go_annotations(output: str, base: Path, *, title: str, fallback: str) -> list[Annotation]:
    """An annotation per ``file:line[:col]: message`` in Go's output (paths made relative to the workspace,
    resolved against ``base``, the folder Go ran in); one plain annotation when there is none."""
    found = []
    for line in output.splitlines():
        match = _GO_POSITION.match(line)
        if match is None:
            continue
        found.append(Annotation(match["message"].strip(), title, _workspace_path(base, match["file"]),
                                int(match["line"]), int(match["col"]) if match["col"] else None))
    return found or [Annotation(fallback, title)]


def _workspace_path(base: Path, name: str) -> str:
    path = Path(name)
    full = path if path.is_absolute() else (base / path)
    workspace = os.environ.get("GITHUB_WORKSPACE")
    try:
        return full.resolve().relative_to(Path(workspace).resolve() if workspace else Path.cwd()).as_posix()
    except ValueError:
        return full.as_posix()


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(map(cell, headers)) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(map(cell, row)) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def write_step_summary(markdown: str) -> Path | None:
    """Append to ``$GITHUB_STEP_SUMMARY`` (the job's summary page); None when it is not set."""
    name = os.environ.get("GITHUB_STEP_SUMMARY")
    if not name:
        return None
    path = Path(name)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown + "\n")
    return path
