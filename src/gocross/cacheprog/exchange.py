"""One ``go`` command's conversation with the cache: read its requests, answer each from the store.

Used by the helper Go starts itself (``python -m gocross.cacheprog``, one per ``go`` command) and by the
server a gocross command runs for all its ``go`` children (:mod:`.server`), which talks over the pipes the
relay hands it.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import IO

from gocross.cacheprog.prefetch import Journal
from gocross.cacheprog.protocol import LOCAL_HIT_NOTE, Request, Responder, read_request
from gocross.cacheprog.store import Store


def serve(store: Store, stdin: IO[bytes], stdout: IO[bytes], lookups: ThreadPoolExecutor,
          journal: Journal | None = None) -> None:
    """Answer Go until it says ``close`` (or closes our stdin); remote lookups run on ``lookups``.

    Local hits and puts are answered on this thread at once; a local miss with a remote goes to the pool, so
    Go's parallel requests wait on the network together. ``close`` is answered once this command's own
    lookups are done; the store (its uploads) outlives the conversation. ``journal`` records what Go asked
    for and found (the read-ahead list of its target).
    """
    journal = journal or Journal()
    out = Responder(stdout)
    out.hello()
    store.note_session()
    pending: set[Future[None]] = set()
    lock = threading.Lock()

    def forget(future: Future[None]) -> None:
        with lock:
            pending.discard(future)

    while (request := read_request(stdin)) is not None:
        if request.command == "get":
            journal.asked(request.action_id)
            found = store.get_local(request.action_id)
            if found is not None:
                journal.found(request.action_id, found[0], found[1])
                out.hit(request.id, found[0], found[1], str(found[2]))
            elif store.remote is None:
                out.miss(request.id)
            else:
                future = lookups.submit(_remote_get, store, out, request, journal)
                with lock:
                    pending.add(future)
                future.add_done_callback(forget)
        elif request.command == "put":
            try:
                path = store.put(request.action_id, request.output_id, request.body or b"")
            except OSError as exc:
                out.error(request.id, f"gocross cache: cannot write to GOCACHE: {exc.strerror}")
            else:
                journal.found(request.action_id, request.output_id, len(request.body or b""))
                out.stored(request.id, str(path))
        elif request.command == LOCAL_HIT_NOTE:  # answered by the compiled helper already: count it only
            journal.asked(request.action_id)
            journal.found(request.action_id, request.output_id, request.size)
            store.note_local_hit(request.action_id)
        elif request.command == "close":
            with lock:
                left = list(pending)
            wait(left)
            out.done(request.id)
            return
        else:
            out.error(request.id, f"unknown command {request.command!r}")


def _remote_get(store: Store, out: Responder, request: Request, journal: Journal) -> None:
    try:
        found = store.get_remote(request.action_id)
    except Exception as exc:  # a bug here must cost a miss, not Go's "GOCACHEPROG exited pre-Close"
        store.trip(f"internal error: {exc!r}")
        found = None
    try:
        if found is None:
            out.miss(request.id)
        else:
            journal.found(request.action_id, found[0], found[1])
            out.hit(request.id, found[0], found[1], str(found[2]))
    except OSError:  # Go has gone (killed, or the build was cancelled): nobody is waiting for the answer
        pass
