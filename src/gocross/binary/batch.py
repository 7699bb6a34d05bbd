"""Many files at once: ``inspect_many`` over a process pool, in order, with failures kept in their place.

Inspecting one file is pure CPU work in Python (≈0.3 ms), so a folder of thousands of binaries is bound by
one core under the GIL; worker processes are the only way to use the others. The files are cut into
chunks, in order; each chunk is inspected in a worker with its own runner cache (``verdict`` asks the runner
table once per target and chunk, not once per file), and ``Executor.map`` hands the chunks back in order.
A small batch stays in this process: importing the pool machinery and forking the workers costs some 30 ms,
which a second core only wins back after a few hundred files (≈0.12–0.3 ms each); ``_POOL_MIN_FILES`` is
set above that break-even, so a folder of a build's artifacts never pays for a pool.

For ``gocross inspect --json`` the workers also encode each record as JSON (``encode_files``): sending
BinaryInfo objects back and encoding them here would cost this process, serially, about a third of what
inspecting them cost the workers in parallel (measured over 10,000 files: ≈0.4 s to unpickle the records and
≈0.5 s for json.dumps, against ≈1.8 s of inspection per worker), while bytes are cheap to send. They encode
with orjson, straight from the frozen dataclasses (fields in declaration order, tuples as lists: exactly
``to_json``'s record): ≈9 µs a record against ≈40 µs for ``json.dumps(to_json(info))``, a tenth of the CPU
time of inspecting a folder.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from gocross.binary import _inspect
from gocross.binary.model import BinaryInfo, InspectFailure, to_json
from gocross.binary.verdict import RunnerCache
from gocross.errors import InspectError

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

_POOL_MIN_FILES = 400
_CHUNKS_PER_WORKER = 32  # the last chunk leaves a core idle only briefly; pickling per chunk stays noise
_MAX_CHUNK = 500

T = TypeVar("T")


def inspect_files(files: Sequence[str | os.PathLike[str]], *, runs_here: bool,
                  jobs: int | None) -> list[BinaryInfo | InspectFailure]:
    """Each file's BinaryInfo (or InspectFailure), in the order given."""
    return _map(_infos, files, runs_here, jobs)


@dataclass(frozen=True)
class Encoded:
    """One file's ``--json`` record as UTF-8 JSON (``to_json(info)``, compact or indented), and whether it
    is a failure."""

    data: bytes
    failed: bool


def encode_files(files: Sequence[str | os.PathLike[str]], *, runs_here: bool, jobs: int | None,
                 pretty: bool) -> list[Encoded]:
    """Each file's record encoded as JSON (indented by 2 when ``pretty``), in order."""
    return _map(functools.partial(_encoded, pretty=pretty), files, runs_here, jobs)


def encode_record(info: BinaryInfo | InspectFailure, pretty: bool) -> bytes:
    """``to_json(info)`` as UTF-8 JSON: the same keys, order and values as ``json.dumps`` of it gives (indented
    by 2 when ``pretty``; compact has no spaces after ``,`` and ``:``)."""
    record: Any = to_json(info) if isinstance(info, InspectFailure) else info
    return orjson.dumps(record, default=_plain, option=orjson.OPT_INDENT_2 if pretty else 0)


def _plain(value: object) -> object:
    """What orjson does not encode by itself: a Mapping field that is not a dict (e.g. a MappingProxyType)."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"the inspection record holds a {type(value).__name__}, which JSON cannot hold")


def json_list(items: Sequence[bytes], pretty: bool) -> bytes:
    """The JSON list of records already encoded by ``encode_record`` with the same ``pretty``: JSON strings
    hold no raw newline, so indenting an element is prefixing its lines."""
    if not items:
        return b"[]"
    if not pretty:
        return b"[" + b",".join(items) + b"]"
    return b"[\n" + b",\n".join(b"  " + item.replace(b"\n", b"\n  ") for item in items) + b"\n]"


def _map(work: Callable[[list[str], bool], list[T]], files: Sequence[str | os.PathLike[str]], runs_here: bool,
         jobs: int | None) -> list[T]:
    workers = jobs or os.cpu_count() or 1
    names = [os.fspath(f) for f in files]
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


def _encoded(names: list[str], runs_here: bool, pretty: bool) -> list[Encoded]:
    return [Encoded(encode_record(info, pretty), isinstance(info, InspectFailure))
            for info in _infos(names, runs_here)]
