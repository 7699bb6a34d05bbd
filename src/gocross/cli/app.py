"""The application object the root command builds once and every sub-command receives."""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from gocross.cli.terminal import plain_output

if TYPE_CHECKING:
    from rich.console import Console

    from gocross.toolchain import Toolchain


@dataclass
class App:
    go: str | None = None
    verbose: int = 0
    _toolchain: Toolchain | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.verbose:  # logging costs start-up time; without -v Python's last-resort handler suffices
            import logging

            logging.basicConfig(level=logging.WARNING - 10 * min(self.verbose, 2), format="gocross: %(message)s")

    @property
    def toolchain(self) -> Toolchain:
        if self._toolchain is None:
            from gocross.toolchain import find_toolchain

            self._toolchain = find_toolchain(self.go)
        return self._toolchain

    @functools.cached_property
    def console(self) -> Console:
        from rich.console import Console

        plain = plain_output()
        return Console(highlight=False, no_color=plain or None, soft_wrap=False,
                       width=200 if plain else None)

    @functools.cached_property
    def err_console(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False, no_color=plain_output() or None)

    @property
    def json_indent(self) -> int | None:
        """Indented for a person at a terminal; compact (and several times faster to encode) for programs."""
        return 2 if sys.stdout.isatty() else None

    def print_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=self.json_indent, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def print_json_bytes(self, data: bytes) -> None:
        """UTF-8 JSON already encoded (e.g. by inspect's worker processes), written as it is."""
        sys.stdout.flush()
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.buffer.flush()


pass_app = click.make_pass_decorator(App)
