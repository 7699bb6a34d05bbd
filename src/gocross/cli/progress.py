"""Progress while a matrix runs: a live bar on a terminal, one plain line per finished cell otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gocross.cli.app import App
from gocross.cli.terminal import plain_output

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class MatrixProgress:
    """Shared by `build` and `test`: the command reports each cell's start and end; this shows them.

    A rich bar (transient, on stderr) when on a terminal; one plain line per finished cell when not, or
    under CI; nothing at all with ``quiet`` (--json), so machine output stays clean.
    """

    def __init__(self, app: App, verb: str, *, quiet: bool) -> None:
        self.app = app
        self.verb = verb
        self.quiet = quiet
        self.live = None if quiet or plain_output() else self._make_live()
        self.task: TaskID | None = None

    def _make_live(self) -> Progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        return Progress(TextColumn(f"[bold]{self.verb}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=self.app.err_console, transient=True)

    def __enter__(self) -> MatrixProgress:
        if self.live is not None:
            self.live.__enter__()
            self.task = self.live.add_task("", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def set_total(self, total: int) -> None:
        """The number of cells, once known (test learns it from `go list`): the bar shows M of N from then."""
        if self.live is not None and self.task is not None:
            self.live.update(self.task, total=total)

    def started(self, description: str) -> None:
        if self.live is not None and self.task is not None:
            self.live.update(self.task, description=description)

    def finished(self, description: str, plain_line: str) -> None:
        if self.live is not None and self.task is not None:
            self.live.advance(self.task)
            self.live.update(self.task, description=description)
        elif not self.quiet:
            click.echo(plain_line, err=True)
