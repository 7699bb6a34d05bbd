"""Many files at once: ``inspect_many`` over a process pool, in order, with failures kept in their place.

Inspecting one file is pure CPU work in Python (≈0.3 ms), so a folder of thousands of binaries is bound by
one core under the GIL; worker processes are the only way to use the others. The files are cut into
chunks, in order; each chunk is inspected in a worker with its own runner cache (``verdict`` asks the runner
table once per target and chunk, not once per file), and ``Executor.map`` hands the chunks back in order.
A small batch stays in this process: importing the pool machinery and forking the workers costs some 30 ms,
which a second core only wins back after a few hundred files (≈0.12–0.3 ms each); ``_POOL_MIN_FILES`` is
set above that break-even, so a folder of a build's artifacts never pays for a pool.

For ``gocross inspect --json`` the workers also encode each record as JSON text (``encode_files``): sending
BinaryInfo objects back and encoding them here would cost this process, serially, about a third of what
inspecting them cost the workers in parallel (measured over 10,000 files: ≈0.4 s to unpickle the records and
≈0.5 s for json.dumps, against ≈1.8 s of inspection per worker), while text is cheap to send.
"""

from __future__ import annotations

import functools
import json
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from gocross.binary import _inspect
from gocross.binary.model import BinaryInfo, InspectFailure, to_json
from gocross.binary.verdict import RunnerCache
from gocross.errors import InspectError

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

_POOL_MIN_FILES = 400
_CHUNKS_PER_WORKER = 8  # small enough to balance the load, large enough that pickling per chunk is noise
_MAX_CHUNK = 500

T = TypeVar("T")


def inspect_files(files: Sequence[Path], *, runs_here: bool, jobs: int | None) -> list[BinaryInfo | InspectFailure]:
    """Each file's BinaryInfo (or InspectFailure), in the order given."""
    return _map(_infos, files, runs_here, jobs)


@dataclass(frozen=True)
class Encoded:
    """One file's ``--json`` record as JSON text (``json.dumps(to_json(info))``), and whether it is a failure."""

    text: str
    failed: bool


def encode_files(files: Sequence[Path], *, runs_here: bool, jobs: int | None,
                 indent: int | None) -> list[Encoded]:
    """Each file's record encoded with ``json.dumps(..., indent=indent, ensure_ascii=False)``, in order."""
    return _map(functools.partial(_encoded, indent=indent), files, runs_here, jobs)


def json_list(items: Sequence[str], indent: int | None) -> str:
    """The text ``json.dumps(list_of_records, indent=indent)`` gives, from records already encoded with
    the same ``indent``: JSON strings hold no raw newline, so indenting an element is prefixing its lines."""
    if not items:
        return "[]"
    if indent is None:
        return "[" + ", ".join(items) + "]"
    pad = " " * indent
    return "[\n" + ",\n".join(pad + item.replace("\n", "\n" + pad) for item in items) + "\n]"


def _map(work: Callable[[list[str], bool], list[T]], files: Sequence[Path], runs_here: bool,
         jobs: int | None) -> list[T]:
    workers = jobs or os.cpu_count() or 1
    names = [str(f) for f in files]
    if workers <= 1 or len(files) < _POOL_MIN_FILES:
        return work(names, runs_here)
    size = min(_MAX_CHUNK, math.ceil(len(names) / (workers * _CHUNKS_PER_WORKER)))
    chunks = [names[i : i + size] for i in range(0, len(names), size)]
    # Imported here, not at the top: multiprocessing and concurrent.futures take ≈ 19 ms to import
    # (measured: `import gocross.binary` 88 ms vs 109 ms with them, best of 15), a fifth of a one-file
    # `gocross inspect`, which never starts a pool.
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        return [item for chunk in pool.map(work, chunks, [runs_here] * len(chunks)) for item in chunk]


def _context() -> BaseContext:
    """fork where it is safe (no other threads to be caught holding a lock): the workers then start with
    gocross already imported; otherwise the platform's default (spawn/forkserver) re-imports it."""
    import multiprocessing

    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _infos(names: list[str], runs_here: bool) -> list[BinaryInfo | InspectFailure]:
    cache: RunnerCache = {}
    out: list[BinaryInfo | InspectFailure] = []
    for name in names:
        try:
            out.append(_inspect(name, runs_here, cache))
        except InspectError as exc:
            out.append(InspectFailure(name, str(exc)))
    return out


def _encoded(names: list[str], runs_here: bool, indent: int | None) -> list[Encoded]:
    return [Encoded(json.dumps(to_json(info), indent=indent, ensure_ascii=False), isinstance(info, InspectFailure))
            for info in _infos(names, runs_here)]
