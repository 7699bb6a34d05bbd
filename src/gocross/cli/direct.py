"""The one command form main() answers without click: ``gocross inspect [--json] PATH...``.

Scripts and build hooks run ``gocross inspect --json`` once per artifact, and people run ``gocross inspect
FILE`` where they used to run ``file``, so start-up is most of its cost: importing click alone took 11 ms of
a 64 ms run over 42 binaries here (benchmarks/bench_inspect.py). main() therefore recognises exactly this
plain form and answers it directly. Every other argument list (help, -v, --go, anything unusual) goes
through click, which owns the grammar, and lands in the same functions below; the tests check that both
paths print the same bytes and exit the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from gocross.errors import InspectError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing: see gocross.binary.model
if TYPE_CHECKING:
    from typing import Any

    from gocross.binary.jsonout import FailureRecord, InfoRecord


def plain_inspect(args: Sequence[str]) -> tuple[list[Path], bool] | None:
    """(paths, as_json) when ``args`` is ``inspect``, at most one ``--json``, and plain paths; else None."""
    if len(args) < 2 or args[0] != "inspect" or args.count("--json") > 1:
        return None
    paths = [a for a in args[1:] if a != "--json"]
    if not paths or any(not a or a.startswith("-") for a in paths):
        return None
    return [Path(a) for a in paths], "--json" in args


def inspect_command(paths: Sequence[Path], *, as_json: bool, verbose: int = 0) -> None:
    """``gocross inspect``: a JSON list or a text block per file; InspectError (exit 6) when a file could
    not be read — after every other file has been reported.

    Both forms print the readers' records (``inspect_many_records``): no dataclass is built on this path.
    """
    from gocross.binary import inspect_many_records

    records = inspect_many_records(paths)
    if not records:
        raise InspectError(f"No files found in {', '.join(map(str, paths))}; pass binaries or folders of them.")
    failures = [r["error"] for r in records if "error" in r]  # type: ignore[typeddict-item]
    if as_json:
        write_json(records)
    elif len(records) == 1 and failures:
        raise InspectError(failures[0])
    else:
        _write_text(records, failures, verbose)
    if failures:
        raise InspectError(f"{len(failures)} of {len(records)} files could not be inspected (see above).")


def _write_text(records: list[InfoRecord | FailureRecord], failures: list[str], verbose: int) -> None:
    from gocross.cli.inspect_text import print_blocks

    print_blocks([r for r in records if "error" not in r], verbose)
    for message in failures:
        sys.stderr.write(f"gocross: error: {message}\n")


def write_json(data: Any) -> None:
    """Indented for a person at a terminal; compact (and several times faster to encode) for programs."""
    import json

    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(data, indent=indent, ensure_ascii=False) + "\n")
    sys.stdout.flush()
