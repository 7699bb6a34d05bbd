"""The command line: a thin layer that parses arguments, calls library functions and renders their results.

``main`` is the entry point and the only place a GocrossError becomes a message and an exit code. The click
command tree lives in :mod:`gocross.cli.root` (sub-commands are imported lazily from there).
"""

from __future__ import annotations

import sys

from gocross.errors import GocrossError


def main(argv: list[str] | None = None) -> None:
    """Entry point: parse, run, and turn a GocrossError into ``gocross: error: …`` and its exit code."""
    from gocross.cli.root import run_click

    args = sys.argv[1:] if argv is None else argv
    try:
        run_click(args)
    except GocrossError as exc:
        sys.stderr.write(f"gocross: error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("gocross: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(141)


__all__ = ["main"]
