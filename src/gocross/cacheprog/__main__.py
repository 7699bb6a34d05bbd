"""``python -m gocross.cacheprog [--remote URL] [--stats DIR]``: the child Go runs as GOCACHEPROG.

Kept to the standard library and this package so that it starts in a few tens of milliseconds: Go starts one
per ``go`` command and waits for its greeting.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from gocross.cacheprog.local import LocalCache, default_gocache
from gocross.cacheprog.protocol import Request, Responder, read_request
from gocross.cacheprog.remote import open_backend
from gocross.cacheprog.stats import CacheStats, write_stats
from gocross.cacheprog.store import Store

LOOKUP_THREADS = 8  # remote lookups in flight at once (Go asks for several packages in parallel)


def serve(store: Store, stdin: IO[bytes], stdout: IO[bytes]) -> CacheStats:
    """Answer Go until it says ``close`` (or closes our stdin); the last uploads are awaited then."""
    out = Responder(stdout)
    out.hello()
    with ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="gocross-get") as lookups:
        while (request := read_request(stdin)) is not None:
            if request.command == "get":
                found = store.get_local(request.action_id)
                if found is not None:
                    out.hit(request.id, found[0], found[1], str(found[2]))
                elif store.remote is None:
                    out.miss(request.id)
                else:
                    lookups.submit(_remote_get, store, out, request)
            elif request.command == "put":
                try:
                    path = store.put(request.action_id, request.output_id, request.body or b"")
                except OSError as exc:
                    out.error(request.id, f"gocross cache: cannot write to GOCACHE: {exc.strerror}")
                else:
                    out.stored(request.id, str(path))
            elif request.command == "close":
                lookups.shutdown(wait=True)
                stats = store.close()
                out.done(request.id)
                return stats
            else:
                out.error(request.id, f"unknown command {request.command!r}")
    return store.close()


def _remote_get(store: Store, out: Responder, request: Request) -> None:
    try:
        found = store.get_remote(request.action_id)
    except Exception as exc:  # a bug here must cost a miss, not Go's "GOCACHEPROG exited pre-Close"
        store.trip(f"internal error: {exc!r}")
        found = None
    if found is None:
        out.miss(request.id)
    else:
        out.hit(request.id, found[0], found[1], str(found[2]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gocross.cacheprog", description=__doc__)
    parser.add_argument("--remote", help="shared cache: http(s)://host[:port][/prefix] or a folder")
    parser.add_argument("--stats", type=Path, help="folder to write this helper's counters to at exit")
    parser.add_argument("--local", type=Path, help="local level (default: GOCACHE, as go itself finds it)")
    args = parser.parse_args(argv)
    store = Store(LocalCache(args.local or default_gocache()), open_backend(args.remote) if args.remote else None)
    stats = serve(store, sys.stdin.buffer, sys.stdout.buffer)
    if args.stats is not None:
        try:
            write_stats(args.stats, stats)
        except OSError as exc:
            print(f"gocross cache: cannot write statistics to {args.stats}: {exc.strerror}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
