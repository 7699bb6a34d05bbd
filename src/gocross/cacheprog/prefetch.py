"""Read-ahead from the shared cache: fetch what a target's ``go build`` will ask for before it asks.

Go asks its cache one action at a time, in dependency order, with about two lookups in flight, so a runner
with an empty GOCACHE waits one remote round trip (the record, then the body) per package, one after
another. But a target's build asks for much the same actions every time: the standard library's and the
dependencies' are the same until the Go version, the flags or a dependency changes. So after a target builds
successfully, gocross stores the list of action IDs its ``go build`` found (in the order it asked) in the
shared cache, under a key made from what decides those actions (:func:`hint_for`); the next runner fetches
that list first and downloads the entries on a few threads while Go is still starting, and Go's own lookups
then find them local.

Each entry of a list names an action and the output it found (ID and size), so read-ahead downloads the
body from ``cas/`` at once, one round trip per entry instead of two (the record from ``ac/``, then the body).
That trusts the list as much as a record: it comes from the same server, and the body must still hash to the
output ID it names, so a corrupt or malicious list costs downloads, never a wrong object. A stale list is as
harmless: an output Go stored for an action stays a right answer for it, and a body the server no longer
has is left to Go's own lookup. A list travels as an ordinary cache entry: the record under the key points
at a body (72 bytes per entry: action ID, output ID, size as 8 bytes big-endian) named by its own sha256.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from gocross.cacheprog.remote import decode_action_result
from gocross.config import module_root, workspace_file

ID_SIZE = 32
SIZE_FIELD = 8
ENTRY_SIZE = 2 * ID_SIZE + SIZE_FIELD
MAX_ENTRIES = 50_000  # a list longer than any real build's (a large program asks for a few thousand)
THREADS = 8  # downloads ahead at once, besides Go's own lookups
WARM_PREFIX = 32  # a list whose first this many entries are all in the local GOCACHE is not read ahead
KEY_DOMAIN = b"gocross prefetch list v2\n"  # v1 lists held action IDs alone
# A build's link asks for a few actions of its own each time (they depend on the temporary output name), so
# a list is re-published only when more than that changed: not on every build.
UNCHANGED_SLACK = 16
UNCHANGED_SHARE = 50  # …or more than 1 in 50 of its entries


class Entry(NamedTuple):
    """What a build asked its cache for and got: the action, and the output (its sha256 and size)."""

    action_id: bytes
    output_id: bytes
    size: int


def hint_for(go_version: str, fields: Iterable[object]) -> str:
    """The key (hex) of a target's list: the Go version and what the build step is made of, nothing of paths
    that differ between runners (the output file, the checkout's folder). Two builds with the same key ask
    for mostly the same actions; a collision only costs downloads that are not used."""
    digest = hashlib.sha256(KEY_DOMAIN + go_version.encode())
    for value in fields:
        digest.update(b"\0" + repr(value).encode())
    return digest.hexdigest()


def requirements(package_dir: Path) -> str:
    """A digest of what picks the module's dependencies: its go.mod and go.sum, and a workspace's go.work and
    go.work.sum. Part of a list's key, so a list names the dependencies' actions of this very set: a
    dependency update gets lists of its own (the first runner after it reads nothing ahead), and a warm
    GOCACHE that holds all of a list has every package but the module's own edits (server.builds_locally),
    never an older version of a dependency the shared cache may already hold the new one of."""
    root = module_root(package_dir) or package_dir
    files = [root / "go.mod", root / "go.sum"]
    work = workspace_file(root)
    if work is not None:
        files += [work, work.with_name("go.work.sum")]
    digest = hashlib.sha256()
    for path in files:
        try:
            body = path.read_bytes()
        except OSError:
            body = b""
        digest.update(f"{path.name} {len(body)}\n".encode() + body)
    return digest.hexdigest()


def changed(given: set[Entry] | None, found: Sequence[Entry]) -> bool:
    """Whether a build found enough that its list did not name (or did not find enough it named) to publish;
    always when it had no list."""
    if not given:
        return True
    differing = len(given.symmetric_difference(found))
    return differing > max(UNCHANGED_SLACK, len(found) // UNCHANGED_SHARE)


def encode_list(entries: Sequence[Entry]) -> bytes:
    return b"".join(e.action_id + e.output_id + e.size.to_bytes(SIZE_FIELD, "big") for e in entries)


def decode_list(body: bytes) -> list[Entry] | None:
    """The entries in a list body, or None when it is not one (wrong length, too long)."""
    if len(body) % ENTRY_SIZE or len(body) // ENTRY_SIZE > MAX_ENTRIES:
        return None
    return [Entry(body[i:i + ID_SIZE], body[i + ID_SIZE:i + 2 * ID_SIZE],
                  int.from_bytes(body[i + 2 * ID_SIZE:i + ENTRY_SIZE], "big"))
            for i in range(0, len(body), ENTRY_SIZE)]


def list_record(record: bytes) -> tuple[bytes, int] | None:
    """The (body hash, size) a list's record names, or None when it is not a record for a list."""
    parsed = decode_action_result(record)
    if parsed is None or parsed[1] % ENTRY_SIZE or parsed[1] // ENTRY_SIZE > MAX_ENTRIES:
        return None
    return parsed


class Journal:
    """What one ``go`` command asked its cache for and found, in order: the list to publish after it.

    Thread-safe: remote answers are sent from the lookup threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked: dict[bytes, None] = {}  # insertion-ordered set
        self._found: dict[bytes, Entry] = {}

    def asked(self, action_id: bytes) -> None:
        with self._lock:
            self._asked.setdefault(action_id)

    def found(self, action_id: bytes, output_id: bytes, size: int) -> None:
        """Go got an entry for this action: a hit, or a ``put``. Only those it asked for count: Go also puts
        entries it reads only in other kinds of build (a package's ``stdout`` or ``srcfiles``)."""
        with self._lock:
            self._found[action_id] = Entry(action_id, output_id, size)

    def entries(self) -> list[Entry]:
        """What Go asked for and got, in the order it first asked."""
        with self._lock:
            return [self._found[a] for a in self._asked if a in self._found]
