"""One cache server per gocross command, serving every ``go`` child it starts.

Go starts its ``GOCACHEPROG`` once per ``go`` command and builds nothing until the greeting arrives. A Python
helper per command paid the interpreter's start and the standard library's imports every time (≈ 80 ms of a
warm one-target build here). Instead the gocross command serves the protocol from threads of its own
process. ``GOCACHEPROG`` is the compiled helper (:mod:`.native`), which answers local hits itself and hands
this server two pipes of its own for everything else; or, where it cannot be built, the relay (:mod:`.relay`,
only ``_socket`` imported), which passes the pipes Go gave it over this server's Unix socket and exits, so
the server then talks to Go over those pipes directly. Either way the server sees one conversation per
``go`` command.
One store for the whole command also means one breaker, one keep-alive connection per thread to the remote,
and uploads that run across ``go`` commands and are waited for once, at the end.

The socket lives in a private folder (mode 0700, made with ``mkdtemp``), so only this user can connect.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from gocross.cacheprog import prefetch
from gocross.cacheprog.exchange import serve
from gocross.cacheprog.local import LocalCache, default_gocache
from gocross.cacheprog.remote import open_backend
from gocross.cacheprog.session import go_command_line
from gocross.cacheprog.stats import CacheStats
from gocross.cacheprog.store import CLOSE_WAIT, Store

LOOKUP_THREADS = 16  # remote lookups in flight at once, over every go command (each keeps about two waiting)
SOCKET_PATH_MAX = 100  # sun_path holds 104–108 bytes; a longer TMPDIR falls back to /tmp
FOLDER_PREFIX = "gocross-cache-"
SOCKET_NAME = "socket"
MKDTEMP_RANDOM = 8  # the characters tempfile.mkdtemp adds after the prefix
RELAY = Path(__file__).with_name("relay.py")
READ_AHEAD_ENV = "GOCROSS_CACHE_READ_AHEAD"  # "off": no read-ahead (a metered link; the benchmark's baseline)
LOCAL_BUILDS_ENV = "GOCROSS_CACHE_LOCAL_BUILDS"  # "off": every go build goes through the helper, even all-local
HINT_LENGTH = 64  # a read-ahead key in hex, after the relay's one-byte greeting
_Listed = tuple[list[prefetch.Entry] | None, bool]  # a target's list (None: none) and whether all of it is local


class CacheServer:
    """The shared cache for one gocross command; ``env`` is what its ``go`` children need."""

    def __init__(self, url: str, local: Path | None = None, helper: Path | None = None) -> None:
        self.store = Store(LocalCache(local or default_gocache()), open_backend(url))
        self.helper = helper  # the compiled helper (native.py), or None: the relay
        self.lookups = ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="gocross-get")
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=_socket_parent()))
        self.path = self.folder / SOCKET_NAME
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.path))
        self.listener.listen(64)
        self.sessions: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.closed = False
        # Read-ahead (prefetch.py), per target key: what each go command found, the list it was given, and
        # the keys whose build succeeded (only those lists are published, at the end of the command).
        self.journals: dict[str, prefetch.Journal] = {}
        self.given: dict[str, set[prefetch.Entry]] = {}
        self.succeeded: set[str] = set()
        self.lists: dict[str, Future[_Listed]] = {}  # each target's list, fetched once
        self.local_since: int | None = None  # time_ns before the first build that ran without the helper
        threading.Thread(target=self._accept, name="gocross-cache-accept", daemon=True).start()

    @property
    def env(self) -> dict[str, str]:
        """The environment for a ``go`` command with no read-ahead (``go test``, say)."""
        return self.env_for(None)

    def env_for(self, hint: str | None) -> dict[str, str]:
        """The environment for a ``go`` command whose target's read-ahead list is ``hint`` (see prefetch.py)."""
        if self.helper is not None:
            argv = [str(self.helper), str(self.path), str(self.store.local.dir)]
        else:
            argv = [sys.executable, "-I", "-S", str(RELAY), str(self.path)]
        return {"GOCACHEPROG": go_command_line([*argv, *([hint] if hint else [])])}

    def expect(self, hints: list[str], parallel: int) -> None:
        """Start fetching these targets' lists now, in the order they build, ``parallel`` at a time (the
        command's builds at once): each is ready before its build starts, and the first builds do not wait for
        the lists of the last."""
        pool = ThreadPoolExecutor(max(1, parallel), thread_name_prefix="gocross-list")
        for hint in hints:
            self._list(hint, pool)
        pool.shutdown(wait=False)

    def builds_locally(self, hint: str) -> bool:
        """Whether this target's ``go build`` can run without ``GOCACHEPROG``: its list is here and every
        entry of it is in the local GOCACHE.

        Through the helper, each of a warm build's few hundred lookups costs one protocol round trip that Go
        waits for (≈ 100 µs here: two process wake-ups), about 14 % of a warm five-target build. Without it, Go
        reads GOCACHE itself; what that build adds (an edited package, the link's own actions) is found and
        uploaded when the command ends (:meth:`close`).
        """
        if os.environ.get(LOCAL_BUILDS_ENV, "").strip().lower() == "off" or not self._list(hint).result()[1]:
            return False
        with self.lock:
            if self.local_since is None:
                self.local_since = time.time_ns()
        self.store.count_local_build()
        return True

    def _list(self, hint: str, pool: ThreadPoolExecutor | None = None) -> Future[_Listed]:
        """The target's list and whether all of it is local, fetched and looked up once (on ``pool``, else on
        a lookup thread)."""
        with self.lock:
            fetch = self.lists.get(hint)
            if fetch is None:
                fetch = self.lists[hint] = (pool or self.lookups).submit(self._fetch_list, hint)
        return fetch

    def _fetch_list(self, hint: str) -> _Listed:
        entries = self.store.fetch_list(bytes.fromhex(hint))
        local = self.store.local
        return entries, bool(entries) and all(local.holds(e.action_id, e.output_id, e.size) for e in entries or ())

    def build_succeeded(self, hint: str) -> None:
        """The ``go`` command run with ``hint`` built its target: what it found is worth publishing."""
        with self.lock:
            self.succeeded.add(hint)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed: the command is over
                return
            thread = threading.Thread(target=self._session, args=(conn,), name="gocross-cache", daemon=True)
            with self.lock:
                if self.closed:
                    conn.close()
                    return
                self.sessions.append(thread)
            thread.start()

    def _session(self, conn: socket.socket) -> None:
        """Take the two pipes a relay sends, tell it so, and answer its ``go`` command until it is done."""
        with conn:
            try:
                message, fds, _, _ = socket.recv_fds(conn, 1 + HINT_LENGTH, 4)
            except OSError:
                return
            if len(fds) != 2:  # not a relay: close whatever came and ignore it
                for fd in fds:
                    os.close(fd)
                return
            journal = self._start_read_ahead(message[1:].decode("ascii", "replace"))
            with open(fds[0], "rb") as stdin, open(fds[1], "wb") as stdout:  # noqa: PTH123 (file descriptors)
                try:
                    conn.sendall(b"k")
                except OSError:
                    return
                with contextlib.suppress(OSError, ValueError):  # Go killed mid-answer: its pipes are gone
                    serve(self.store, stdin, stdout, self.lookups, journal)

    def _start_read_ahead(self, hint: str) -> prefetch.Journal:
        """The journal for this go command; with a target key, its list is fetched and read ahead."""
        journal = prefetch.Journal()
        if len(hint) != HINT_LENGTH or not all(c in "0123456789abcdef" for c in hint):
            return journal
        with self.lock:
            if hint in self.journals:  # the same target twice in one command: the first one's list is kept
                return journal
            self.journals[hint] = journal
        if os.environ.get(READ_AHEAD_ENV, "").strip().lower() == "off":  # lists still published
            return journal
        threading.Thread(target=self._read_ahead, args=(hint,), name="gocross-ahead", daemon=True).start()
        return journal

    def _read_ahead(self, hint: str) -> None:
        entries = self._list(hint).result()[0]
        if not entries:
            return
        with self.lock:
            self.given[hint] = set(entries)
        queue = iter(entries)
        queue_lock = threading.Lock()
        # A warm local GOCACHE has the list's first entries (the standard library's, asked for first) and,
        # after an edit, all the others the list can name: then reading ahead would only compete with Go.
        local_run = [0]

        def work() -> None:
            while not self.closed and not self.store.down and local_run[0] < prefetch.WARM_PREFIX:
                with queue_lock:
                    entry = next(queue, None)
                if entry is None:
                    return
                try:
                    fetched = self.store.prefetch(entry)
                except Exception as exc:  # a bug or a full disk costs the read-ahead, never the build
                    self.store.trip(f"internal error in read-ahead: {exc!r}")
                    return
                with queue_lock:
                    local_run[0] = -len(entries) if fetched else local_run[0] + 1

        for _ in range(prefetch.THREADS):
            threading.Thread(target=work, name="gocross-ahead", daemon=True).start()

    def close(self, wait: float = CLOSE_WAIT) -> CacheStats:
        """Stop accepting, let the conversations end, give the last uploads ``wait`` seconds; the counters."""
        with self.lock:
            self.closed = True
            sessions = list(self.sessions)
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        deadline = time.monotonic() + wait
        for thread in sessions:  # each ends when its go command closes the pipes (it has exited by now)
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.lookups.shutdown(wait=False, cancel_futures=True)
        with self.lock:  # lists not fetched yet (their targets never built: a Ctrl-C) are not fetched at all
            for fetch in self.lists.values():
                fetch.cancel()
        if wait > 0:  # not after a Ctrl-C: then nothing more is sent
            self._upload_local_builds(deadline)
            self._publish_lists()
        return self.store.close(max(0.0, deadline - time.monotonic()))

    def _upload_local_builds(self, deadline: float) -> None:
        """What the builds without the helper added to GOCACHE, uploaded as the helper would have (less what
        the server has already: the entries of the lists it gave)."""
        with self.lock:
            since = self.local_since
            given = [fetch.result()[0] for fetch in self.lists.values()
                     if fetch.done() and not fetch.cancelled() and not fetch.exception()]
        if since is not None:
            listed = {entry.action_id for entries in given for entry in entries or ()}
            self.store.upload_added(since, listed, max(0.0, deadline - time.monotonic()))

    def _publish_lists(self) -> None:
        """Each successful target's list, unless it names about what the list it was given named."""
        with self.lock:
            chosen = [(hint, self.journals[hint]) for hint in sorted(self.succeeded) if hint in self.journals]
        for hint, journal in chosen:
            entries = journal.entries()
            if entries and prefetch.changed(self.given.get(hint), entries):
                self.store.publish_list(bytes.fromhex(hint), entries)


def _socket_parent() -> str:
    parent = tempfile.gettempdir()
    length = len(parent) + 1 + len(FOLDER_PREFIX) + MKDTEMP_RANDOM + 1 + len(SOCKET_NAME)
    return parent if length <= SOCKET_PATH_MAX else "/tmp"
