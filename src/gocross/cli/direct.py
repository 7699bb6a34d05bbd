"""The one command form main() answers without click: ``gocross inspect --json PATH...``.

Scripts and build hooks run ``gocross inspect --json`` once per artifact, so its start-up is most of its
cost: importing click alone took 11 ms of a 64 ms run over 42 binaries here (benchmarks/bench_inspect.py).
main() therefore recognises exactly this plain form and answers it directly. Every other argument list
(help, -v, --go, text output, anything unusual) goes through click, which owns the grammar; the tests check
that both paths print the same bytes and exit the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence, Sized
from pathlib import Path

from gocross.errors import InspectError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing: see gocross.binary.model
if TYPE_CHECKING:
    from typing import Any

    from gocross.binary.model import BinaryInfo, InspectFailure


def plain_inspect_json(args: Sequence[str]) -> list[Path] | None:
    """The paths when ``args`` is ``inspect`` with ``--json`` and plain paths (in any order); else None."""
    if len(args) < 3 or args[0] != "inspect" or args.count("--json") != 1:
        return None
    paths = [a for a in args[1:] if a != "--json"]
    if any(not a or a.startswith("-") for a in paths):
        return None
    return [Path(a) for a in paths]


def inspect_json(paths: Sequence[Path]) -> None:
    """Print the JSON list for ``paths``; InspectError (exit 6) when a file could not be read.

    Prints the readers' records as they are (``inspect_many_records``): no dataclass is built on this path.
    """
    from gocross.binary import inspect_many_records

    records = inspect_many_records(paths)
    _require_files(records, paths)
    write_json(records)
    raise_for_failures(sum("error" in r for r in records), len(records))


def inspect_paths(paths: Sequence[Path]) -> list[BinaryInfo | InspectFailure]:
    """inspect_many over the paths, for the text form; InspectError when they hold no file at all."""
    from gocross.binary import inspect_many

    results = inspect_many(paths)
    _require_files(results, paths)
    return results


def _require_files(results: Sized, paths: Sequence[Path]) -> None:
    if not len(results):
        raise InspectError(f"No files found in {', '.join(map(str, paths))}; pass binaries or folders of them.")


def raise_for_failures(failures: int, total: int) -> None:
    """The closing error (exit 6) once every file has been reported, when some could not be read."""
    if failures:
        raise InspectError(f"{failures} of {total} files could not be inspected (see above).")


def write_json(data: Any) -> None:
    """Indented for a person at a terminal; compact (and several times faster to encode) for programs."""
    import json

    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(data, indent=indent, ensure_ascii=False) + "\n")
    sys.stdout.flush()
