"""The command line: a thin layer that parses arguments, calls library functions and renders their results.

``main`` is the entry point and the only place a GocrossError becomes a message and an exit code. The click
command tree lives in :mod:`gocross.cli.root` (sub-commands are imported lazily from there); the plain
``inspect [--json] PATH...`` form is answered by :mod:`gocross.cli.direct` without importing click at all.
"""

from __future__ import annotations

import sys

from gocross.errors import GocrossError


def main(argv: list[str] | None = None) -> None:
    """Entry point: parse, run, and turn a GocrossError into ``gocross: error: …`` and its exit code."""
    from gocross.cli.direct import inspect_command, plain_inspect

    args = sys.argv[1:] if argv is None else argv
    try:
        if (plain := plain_inspect(args)) is not None:
            inspect_command(plain[0], as_json=plain[1])
        else:
            from gocross.cli.root import run_click

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
