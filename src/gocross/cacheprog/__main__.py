"""``python -m gocross.cacheprog [--remote URL] [--stats DIR]``: a GOCACHEPROG helper of its own.

For ``go`` commands that gocross does not start (a user's own ``GOCACHEPROG``; the hidden ``gocross
cacheprog``). gocross's own commands serve all their ``go`` children from one server instead
(:mod:`.server`). Kept to the standard library and this package so that it starts in a few tens of
milliseconds: Go starts one per ``go`` command and waits for its greeting.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gocross.cacheprog.exchange import serve
from gocross.cacheprog.local import LocalCache, default_gocache
from gocross.cacheprog.remote import open_backend
from gocross.cacheprog.stats import write_stats
from gocross.cacheprog.store import Store

LOOKUP_THREADS = 8  # remote lookups in flight at once (Go asks for several packages in parallel)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gocross.cacheprog", description=__doc__)
    parser.add_argument("--remote", help="shared cache: http(s)://host[:port][/prefix] or a folder")
    parser.add_argument("--stats", type=Path, help="folder to write this helper's counters to at exit")
    parser.add_argument("--local", type=Path, help="local level (default: GOCACHE, as go itself finds it)")
    args = parser.parse_args(argv)
    store = Store(LocalCache(args.local or default_gocache()), open_backend(args.remote) if args.remote else None)
    with ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="gocross-get") as lookups:
        serve(store, sys.stdin.buffer, sys.stdout.buffer, lookups)
    stats = store.close()
    if args.stats is not None:
        try:
            write_stats(args.stats, stats)
        except OSError as exc:
            print(f"gocross cache: cannot write statistics to {args.stats}: {exc.strerror}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
