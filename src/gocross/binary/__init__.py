"""Reading binaries of every format Go produces: what a file is, which target it is for, whether it runs here.

``inspect(path)`` maps the file read-only and reads only the headers and the few ranges that hold facts
(build info, notes, pclntab header), so it is fast enough to call on every artifact of a build; it has no
side effects. Damaged files raise InspectError; files that are simply not Go programs are described, with
``is_go=False``. The format libraries (lief, pyelftools, ...) are test oracles only: their import time alone
would make a single ``gocross inspect`` slower than ``file``.

The result is a ``BinaryInfo`` (:mod:`gocross.binary.model`, the schema); ``to_json`` is its ``--json``
form. ``inspect_many`` spreads a large batch over a process pool (:mod:`gocross.binary.batch`).
"""

from __future__ import annotations

import dataclasses
import mmap
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gocross.binary import macho
from gocross.binary.assemble import facts_for, go_facts, slice_view
from gocross.binary.facts import Facts
from gocross.binary.model import BinaryInfo, Evidence, InspectFailure, Module, RunsHere, to_json
from gocross.binary.reader import Corrupt, Reader
from gocross.binary.verdict import RunnerCache, verdict
from gocross.errors import InspectError

_FIX = "rebuild it or copy it again"


def inspect(path: str | os.PathLike[str], *, runs_here: bool = True) -> BinaryInfo:
    """Describe one file. ``runs_here=False`` skips the verdict (which looks at this host's tools and CPU)."""
    return _inspect(path, runs_here, None)


def inspect_record(path: str | os.PathLike[str], *, runs_here: bool = True) -> dict[str, Any]:
    """``to_json(inspect(path))``: the ``--json`` record of one file, for callers that keep plain dicts."""
    return to_json(inspect(path, runs_here=runs_here))


def _inspect(path: str | os.PathLike[str], runs_here: bool, cache: RunnerCache | None) -> BinaryInfo:
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)  # a FIFO or a tty never blocks the open
    except FileNotFoundError:
        raise InspectError(f"{p} does not exist; check the path.") from None
    except IsADirectoryError:
        raise InspectError(f"{p} is a directory; pass the files in it or use inspect_many.") from None
    except OSError as exc:
        raise InspectError(f"{p} cannot be opened ({exc.strerror}); check its permissions.") from None
    try:
        info = _inspect_fd(fd, p)
    finally:
        os.close(fd)
    if runs_here:
        # The record is completed here, before any other code holds it, so its last field is set in place:
        # dataclasses.replace would run the 39-field frozen __init__ again, ≈30 µs a file, an eighth of
        # inspecting a folder (benchmarks/bench_inspect.py).
        object.__setattr__(info, "runs_here", verdict(info, cache))
    return info


def _inspect_fd(fd: int, p: Path) -> BinaryInfo:
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        raise InspectError(f"{p} is a directory; pass the files in it or use inspect_many.")
    if not stat.S_ISREG(st.st_mode):
        raise InspectError(f"{p} is not a regular file; inspect reads files only.")
    if st.st_size == 0:
        if _has_data(fd):  # /proc, /sys: "regular" files whose size says nothing
            raise InspectError(f"{p} is not a regular file (a kernel file whose size is unknown); "
                               "inspect reads files only.")
        return _empty(str(p))
    try:
        mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise InspectError(f"{p} cannot be read ({exc}); check that it is a readable file.") from None
    try:
        return _from_buffer(mm, str(p), st.st_size)
    except Corrupt as exc:
        raise InspectError(f"{p} is truncated or corrupt: {exc}; {_FIX}.") from None
    except OSError as exc:  # e.g. the file shrank under the mapping (SIGBUS is not catchable; EIO is)
        raise InspectError(f"{p} could not be read to the end ({exc}); {_FIX}.") from None
    finally:
        mm.close()


def _has_data(fd: int) -> bool:
    try:
        return bool(os.read(fd, 1))
    except OSError:
        return True


def inspect_bytes(data: bytes, path: str = "<bytes>") -> BinaryInfo:
    """Describe an in-memory file (no verdict): the same readers as ``inspect``, for tests and fuzzing."""
    if not data:
        return _empty(path)
    try:
        return _from_buffer(data, path, len(data))
    except Corrupt as exc:
        raise InspectError(f"{path} is truncated or corrupt: {exc}; {_FIX}.") from None


def _empty(path: str) -> BinaryInfo:
    """The record of an empty file: described by the same code as every other file that is not a program."""
    return go_facts(Reader(b""), Facts(format="empty", base_description="empty file"), path, 0)


def _from_buffer(mm: mmap.mmap | bytes, path: str, size: int) -> BinaryInfo:
    r = Reader(mm)
    if macho.is_fat(r):
        return _universal(mm, r, path, size)
    return go_facts(r, facts_for(r), path, size)


def _universal(mm: mmap.mmap | bytes, r: Reader, path: str, size: int) -> BinaryInfo:
    """A Mach-O universal file: inspect each slice; the top level describes the first Go slice."""
    slices = []
    with memoryview(mm) as buf:
        for off, length, _cpu in macho.fat_slices(r):
            sub = slice_view(buf, off, length)
            try:
                reader = Reader(sub)
                slices.append(go_facts(reader, facts_for(reader), f"{path}[{off:#x}]", length))
            finally:
                sub.release()
    first = next((s for s in slices if s.is_go), slices[0] if slices else None)
    if first is None:
        raise Corrupt("the universal file holds no slices")
    arches = ", ".join(s.goarch or s.machine or "?" for s in slices)
    return dataclasses.replace(
        first, path=path, size=size, format="Mach-O universal", slices=tuple(slices),
        description=f"Mach-O universal binary with {len(slices)} architectures ({arches}): {first.description}")


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """The files named, with directories expanded recursively: each folder's files (sorted), then its
    sub-folders (sorted); symlinked folders and unreadable ones are skipped, symlinks to files kept."""
    return map(Path, iter_file_names(paths))


def iter_file_names(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """``iter_files`` as plain strings, for batches: a Path per file (and back to str for the workers) was
    ≈ 70 ms of the serial start of a 10,000-file `inspect`."""
    for item in paths:
        name = str(Path(item))  # as a Path spells it ("./dist/" is "dist"), so records name files the same way
        if os.path.isdir(name):  # noqa: PTH112 (strings out: no Path per file)
            yield from _folder_files(name)
        else:
            yield name


def _folder_files(folder: str) -> Iterator[str]:
    # scandir's entries know their type from the directory itself (d_type): no stat per file, where
    # os.walk plus Path.is_file stats each one (≈ 3× the time over 10,000 files).
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    subfolders = []
    for entry in entries:
        path = entry.name if folder == "." else entry.path  # Path("./x") is "x"
        try:
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(path)
            elif entry.is_file():
                yield path
        except OSError:
            continue
    for sub in subfolders:
        yield from _folder_files(sub)


def inspect_many(paths: Iterable[str | os.PathLike[str]], *, runs_here: bool = True,
                 jobs: int | None = None) -> list[BinaryInfo | InspectFailure]:
    """Inspect files and directories, in order; a file that cannot be read becomes an InspectFailure.

    A large batch (``batch._POOL_MIN_FILES`` files or more) is spread over ``jobs`` processes (default: one per CPU)
    in order-preserving chunks; a smaller one stays in this process, where a pool would cost more to start
    than it saves.
    """
    from gocross.binary import batch  # here: batch imports this package's _inspect

    return batch.inspect_files(list(iter_file_names(paths)), runs_here=runs_here, jobs=jobs)


def inspect_many_records(paths: Iterable[str | os.PathLike[str]], *, runs_here: bool = True,
                         jobs: int | None = None) -> list[dict[str, Any]]:
    """``[to_json(i) for i in inspect_many(paths)]``: the records ``--json`` prints; a failure is
    ``{"path", "error"}``."""
    return [to_json(info) for info in inspect_many(paths, runs_here=runs_here, jobs=jobs)]


__all__ = [
    "BinaryInfo",
    "Evidence",
    "InspectFailure",
    "Module",
    "RunsHere",
    "inspect",
    "inspect_bytes",
    "inspect_many",
    "inspect_many_records",
    "inspect_record",
    "iter_file_names",
    "iter_files",
    "to_json",
]
