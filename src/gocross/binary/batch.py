"""Many files at once: ``inspect_many`` over a process pool, in order, with failures kept in their place.

Inspecting one file is pure CPU work in Python (≈0.3 ms), so a folder of thousands of binaries is bound by
one core under the GIL; worker processes are the only way to use the others. The files are cut into
chunks, in order; each chunk is inspected in a worker with its own runner cache (``verdict`` asks the runner
table once per target and chunk, not once per file), and ``Executor.map`` hands the chunks back in order.
A small batch stays in this process: starting a pool costs tens of milliseconds, more than it saves below
``_POOL_MIN_FILES`` files on the two-core machines this is measured on (benchmarks/bench_inspect.py).

The workers can also return the JSON records (``as_json``): ``gocross inspect --json`` then spends this
process's time only on joining and printing them, not on converting every record serially.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from gocross.binary import _inspect
from gocross.binary.model import BinaryInfo, InspectFailure, to_json
from gocross.binary.verdict import RunnerCache
from gocross.errors import InspectError

_POOL_MIN_FILES = 400
_CHUNKS_PER_WORKER = 8  # small enough to balance the load, large enough that pickling per chunk is noise
_MAX_CHUNK = 500

T = TypeVar("T")


def inspect_files(files: Sequence[Path], *, runs_here: bool, jobs: int | None) -> list[BinaryInfo | InspectFailure]:
    """Each file's BinaryInfo (or InspectFailure), in the order given."""
    return _map(_infos, files, runs_here, jobs)


def inspect_records(files: Sequence[Path], *, runs_here: bool, jobs: int | None) -> list[dict[str, Any]]:
    """Each file's JSON record (``to_json``; a failure is ``{"path", "error"}``), in the order given."""
    return _map(_records, files, runs_here, jobs)


def _map(work: Callable[[list[str], bool], list[T]], files: Sequence[Path], runs_here: bool,
         jobs: int | None) -> list[T]:
    workers = jobs or os.cpu_count() or 1
    names = [str(f) for f in files]
    if workers <= 1 or len(files) < _POOL_MIN_FILES:
        return work(names, runs_here)
    size = min(_MAX_CHUNK, math.ceil(len(names) / (workers * _CHUNKS_PER_WORKER)))
    chunks = [names[i : i + size] for i in range(0, len(names), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        return [item for chunk in pool.map(work, chunks, [runs_here] * len(chunks)) for item in chunk]


def _context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (no other threads to be caught holding a lock): the workers then start with
    gocross already imported; otherwise the platform's default (spawn/forkserver) re-imports it."""
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


def _records(names: list[str], runs_here: bool) -> list[dict[str, Any]]:
    return [to_json(info) for info in _infos(names, runs_here)]
