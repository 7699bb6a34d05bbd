"""The two levels together: local GOCACHE first, the remote read through and written back.

Reads: a local hit never touches the network; a local miss asks the remote for the action's record, then
downloads the body into a temporary beside GOCACHE while hashing it, and keeps it only if its sha256 and size
are the ones recorded — a corrupt or malicious entry is a miss, never a wrong object file.

Writes: a ``put`` is stored locally and answered at once; the upload (body to ``cas/``, then the record to
``ac/``) is queued on a few background threads. A full queue drops the upload rather than making Go wait.

Failures: the first time the remote cannot answer (refused, timed out, HTTP error) the breaker opens and this
helper stops asking; every lookup it could not put to the remote is counted, and the build goes on locally.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from gocross.cacheprog.local import LocalCache
from gocross.cacheprog.prefetch import Entry, decode_list, encode_list, list_record
from gocross.cacheprog.remote import Backend, RemoteError, decode_action_result, encode_action_result
from gocross.cacheprog.stats import CacheStats

UPLOAD_THREADS = 4
UPLOAD_QUEUE = 256  # pending uploads at most; beyond that an upload is dropped (counted), never waited for
CLOSE_WAIT = 10.0  # seconds Go's `close` waits for the last uploads before they are abandoned


@dataclass
class _Counters:
    local_hits: int = 0
    remote_hits: int = 0
    misses: int = 0
    corrupt: int = 0
    failed: int = 0
    uploads: int = 0
    upload_failures: int = 0
    bytes_down: int = 0
    bytes_up: int = 0
    seconds: float = 0.0
    sessions: int = 0
    prefetched: int = 0
    local_builds: int = 0
    errors: list[str] = field(default_factory=list)


class Store:
    """What the helper answers Go with; thread-safe (Go keeps several requests in flight)."""

    def __init__(self, local: LocalCache, remote: Backend | None) -> None:
        self.local = local
        self.remote = remote
        self.lock = threading.Lock()
        self.count = _Counters()
        self.down = False
        self.uploader = ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="gocross-upload")
        self.pending = threading.BoundedSemaphore(UPLOAD_QUEUE)
        self.futures: set[Future[None]] = set()
        # Index entries are written after Go has its answer (a file create costs ≈ 1 ms on this machine kind,
        # and Go only needs the body): until then this store answers from what it remembers.
        self.entry_writer = ThreadPoolExecutor(1, thread_name_prefix="gocross-entry")
        self.known: dict[bytes, tuple[bytes, int]] = {}
        # One download per entry: a lookup for an entry being fetched (by read-ahead, or for another go
        # command) waits for that fetch instead of starting its own.
        self.inflight: dict[bytes, threading.Event] = {}
        self.ahead: set[bytes] = set()  # fetched by read-ahead and not asked for yet (counted when they are)

    def note_session(self) -> None:
        """One more ``go`` command talks to this store (the summary's ``helpers``)."""
        self._add(sessions=1)

    # -- reads

    def get_local(self, action_id: bytes) -> tuple[bytes, int, Path] | None:
        known = self.known.get(action_id)
        if known is not None:
            self._count_known(action_id)
            return (*known, self.local.body_path(known[0]))
        found = self.local.get(action_id)
        if found is not None:
            self._add(local_hits=1)
        elif self.remote is None:
            self._add(misses=1)
        return found

    def count_local_build(self) -> None:
        """One more target built without the helper, everything it needed local (server.py)."""
        self._add(local_builds=1)

    def note_local_hit(self, action_id: bytes) -> None:
        """The compiled helper found this entry in GOCACHE and answered Go itself."""
        self._count_known(action_id)

    def _count_known(self, action_id: bytes) -> None:
        """An entry answered from memory: a remote hit when read-ahead fetched it, else a local one."""
        with self.lock:
            if action_id in self.ahead:
                self.ahead.discard(action_id)
                self.count.remote_hits += 1
            else:
                self.count.local_hits += 1

    def get_remote(self, action_id: bytes) -> tuple[bytes, int, Path] | None:
        """After a local miss: the remote's entry, verified and stored locally; None is a miss."""
        found, fetched = self._fetch_once(action_id, ahead=False)
        if found is None:
            self._add(misses=1)
        elif fetched:
            self._add(remote_hits=1)
        else:  # another thread's fetch brought it
            self._count_known(action_id)
        return found

    def prefetch(self, entry: Entry) -> bool:
        """Read-ahead: fetch the body of an entry a list names, unless it is here or on its way already; False
        when it was here already."""
        if entry.action_id in self.known or self.local.get(entry.action_id) is not None:
            return False
        if not self.down:
            self._fetch_once(entry.action_id, ahead=True, listed=entry)
        return True

    def _fetch_once(self, action_id: bytes, ahead: bool,
                    listed: Entry | None = None) -> tuple[tuple[bytes, int, Path] | None, bool]:
        """(the entry or None, whether this call fetched it); waits when another thread is fetching it.

        A read-ahead fetch marks its entry before it is remembered or written to GOCACHE (:meth:`_fetch`), so
        whoever finds it next — a lookup that waited, or the compiled helper reading GOCACHE — counts it as the
        remote hit it is, never as a local hit followed by an unused read-ahead.
        """
        with self.lock:
            event = self.inflight.get(action_id)
            mine = event is None
            if event is None:
                event = self.inflight[action_id] = threading.Event()
        if not mine:
            event.wait()
            known = self.known.get(action_id)
            return ((*known, self.local.body_path(known[0])) if known else None), False
        found = None
        try:
            found = self._fetch_counted(action_id, listed)
            return found, True
        finally:
            with self.lock:
                del self.inflight[action_id]
                if ahead and found is not None:
                    self.count.prefetched += 1
            event.set()

    def _fetch_counted(self, action_id: bytes, listed: Entry | None) -> tuple[bytes, int, Path] | None:
        assert self.remote is not None
        if self.down:
            self._add(failed=1)
            return None
        started = time.monotonic()
        try:
            found = self._fetch(self.remote, action_id, listed)
        except RemoteError as exc:
            self.trip(str(exc))
            self._add(failed=1, seconds=time.monotonic() - started)
            return None
        self._add(seconds=time.monotonic() - started)
        return found

    def _fetch(self, remote: Backend, action_id: bytes, listed: Entry | None) -> tuple[bytes, int, Path] | None:
        """The entry from the remote: its record from ``ac/`` (or, read ahead, from the list), then the body."""
        if listed is not None:
            output_id, size = listed.output_id, listed.size
        else:
            record = remote.get_ac(action_id)
            if record is None:
                return None
            parsed = decode_action_result(record)
            if parsed is None:
                self._add(corrupt=1)
                return None
            output_id, size = parsed
        if not self.local.has_body(output_id, size) and not self._download(remote, output_id, size):
            return None
        if listed is not None:  # read ahead: marked before anyone can find it (see _fetch_once)
            with self.lock:
                self.ahead.add(action_id)
        self._record(action_id, output_id, size)
        return output_id, size, self.local.body_path(output_id)

    # -- read-ahead lists (see prefetch.py)

    def fetch_list(self, key: bytes) -> list[Entry] | None:
        """The entries stored under ``key``, verified like any body; None when absent, corrupt or down."""
        if self.remote is None or self.down:
            return None
        started = time.monotonic()
        try:
            record = self.remote.get_ac(key)
            parsed = list_record(record) if record is not None else None
            if parsed is None:
                return None
            sink = _HashingWriter(io.BytesIO())
            found = self.remote.get_cas(parsed[0], sink)  # type: ignore[arg-type]
        except RemoteError as exc:
            self.trip(str(exc))
            return None
        finally:
            self._add(seconds=time.monotonic() - started)
        if not found or sink.digest.digest() != parsed[0] or sink.size != parsed[1]:
            if found:
                self._add(corrupt=1)
            return None
        return decode_list(sink.handle.getvalue())  # type: ignore[attr-defined]

    def publish_list(self, key: bytes, entries: list[Entry]) -> None:
        """Store a target's list under ``key`` (an upload like any other: queued, never waited for by Go)."""
        if self.remote is None:
            return
        body = encode_list(entries)
        self._queue_upload(key, hashlib.sha256(body).digest(), body, len(body))

    def _download(self, remote: Backend, output_id: bytes, size: int) -> bool:
        fd, tmp = self.local.new_temporary(output_id)
        try:
            with os.fdopen(fd, "wb") as handle:
                sink = _HashingWriter(handle)
                found = remote.get_cas(output_id, sink)  # type: ignore[arg-type]
            if not found or sink.digest.digest() != output_id or sink.size != size:
                tmp.unlink()
                if found:  # a body that is not what the record names
                    self._add(corrupt=1)
                return False
            tmp.replace(self.local.body_path(output_id))
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self._add(bytes_down=size)
        return True

    # -- writes

    def put(self, action_id: bytes, output_id: bytes, body: bytes) -> Path:
        path = self.local.put_body(output_id, body)
        self._record(action_id, output_id, len(body))
        if self.remote is not None:
            self._queue_upload(action_id, output_id, path, len(body))
        return path

    def _record(self, action_id: bytes, output_id: bytes, size: int) -> None:
        """Remember the entry at once, write it to GOCACHE in the background (for plain go, later helpers)."""
        self.known[action_id] = (output_id, size)
        self.entry_writer.submit(self._write_entry, action_id, output_id, size)

    def _write_entry(self, action_id: bytes, output_id: bytes, size: int) -> None:
        with contextlib.suppress(OSError):  # a lost entry is a later miss, never a wrong answer
            self.local.put_entry(action_id, output_id, size)

    def upload_added(self, since_ns: int, skip: set[bytes], wait: float) -> None:
        """Queue the upload of what ``go`` commands that ran without this store added to GOCACHE since
        ``since_ns`` (server.py's local builds), leaving out what this store stored or fetched itself and
        ``skip`` (what the server has already: the entries of the lists it gave); waits at most ``wait``
        seconds for room in the queue — the builds are over, nobody is kept waiting but the command's end."""
        if self.remote is None:
            return
        deadline = time.monotonic() + wait
        for action_id, output_id, size in self.local.added_since(since_ns):
            if action_id in self.known or action_id in skip or not self.local.has_body(output_id, size):
                continue
            if self.down or time.monotonic() >= deadline:
                return
            self._queue_upload(action_id, output_id, self.local.body_path(output_id), size,
                               wait=max(0.0, deadline - time.monotonic()))

    def _queue_upload(self, action_id: bytes, output_id: bytes, path: Path | bytes, size: int,
                      wait: float = 0.0) -> None:
        if self.down or not self.pending.acquire(blocking=wait > 0, timeout=wait if wait > 0 else None):
            self._add(upload_failures=1)
            return
        future = self.uploader.submit(self._upload, action_id, output_id, path, size)
        with self.lock:
            self.futures.add(future)
        future.add_done_callback(self._upload_done)

    def _upload_done(self, future: Future[None]) -> None:
        self.pending.release()
        with self.lock:
            self.futures.discard(future)

    def _upload(self, action_id: bytes, output_id: bytes, path: Path | bytes, size: int) -> None:
        assert self.remote is not None
        if self.down:
            self._add(upload_failures=1)
            return
        started = time.monotonic()
        try:
            self.remote.put_cas(output_id, path)
            self.remote.put_ac(action_id, encode_action_result(output_id, size))
        except (RemoteError, OSError) as exc:
            self.trip(str(exc))
            self._add(upload_failures=1, seconds=time.monotonic() - started)
            return
        self._add(uploads=1, bytes_up=size, seconds=time.monotonic() - started)

    # -- the end

    def close(self, wait: float = CLOSE_WAIT) -> CacheStats:
        """Give the last uploads up to ``wait`` seconds, abandon the rest, and return the counters."""
        deadline = time.monotonic() + wait
        while True:
            with self.lock:
                left = list(self.futures)
            if not left or time.monotonic() >= deadline:
                break
            with contextlib.suppress(Exception):
                left[0].result(timeout=max(0.0, deadline - time.monotonic()))
        self.entry_writer.shutdown(wait=True)  # local writes, quick: every entry answered is kept
        abandoned = sum(1 for f in left if f.cancel() or not f.done())
        if abandoned:
            self._add(upload_failures=abandoned)
            self.trip(f"{abandoned} uploads not finished within {wait:.0f}s")
        self.uploader.shutdown(wait=False, cancel_futures=True)
        c = self.count
        with self.lock:
            return CacheStats(c.local_hits, c.remote_hits, c.misses, c.corrupt, c.failed, c.uploads,
                              c.upload_failures, c.bytes_down, c.bytes_up, c.seconds, c.sessions, tuple(c.errors),
                              c.prefetched, len(self.ahead), c.local_builds)

    def trip(self, reason: str) -> None:
        with self.lock:
            self.down = True
            if reason not in self.count.errors:
                self.count.errors.append(reason)

    def _add(self, **amounts: float) -> None:
        with self.lock:
            for name, amount in amounts.items():
                setattr(self.count, name, getattr(self.count, name) + amount)


class _HashingWriter:
    """A file-like sink that hashes and counts what passes through it to the real file."""

    def __init__(self, handle: object) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.handle.write(data)  # type: ignore[attr-defined, no-any-return]
