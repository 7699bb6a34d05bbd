"""The first level: the local GOCACHE, read and written in Go's own format (``cmd/go/internal/cache``).

An action entry ``<dir>/<xx>/<action hex>-a`` is one line ``v1 <action hex> <output hex> <size, 20 wide>
<unix nanoseconds, 20 wide>``; the body is ``<dir>/<xx>/<output hex>-d``. Keeping Go's layout means a GOCACHE
warmed by plain ``go build`` serves the helper, and what the helper stores serves plain ``go build``. Local
bodies are trusted as Go trusts them (size checked); bodies from the remote are verified before they land.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

ENTRY_SIZE = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1
MARK_USED_EVERY = 3600  # Go's mtimeInterval


class LocalCache:
    """GOCACHE as a key → (output ID, size, file) store."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._root = os.fspath(directory)
        self._folders: set[str] = set()  # the xx/ folders known to exist (see _exclusive)

    def _file(self, key: bytes, kind: str) -> str:
        # A string, not a Path: the helper answers hundreds of lookups per `go` command, each one in Go's path.
        hexed = key.hex()
        return f"{self._root}/{hexed[:2]}/{hexed}-{kind}"

    def body_path(self, output_id: bytes) -> Path:
        return Path(self._file(output_id, "d"))

    def get(self, action_id: bytes) -> tuple[bytes, int, Path] | None:
        """(output ID, size, body file) when both the entry and a body of the recorded size are here."""
        entry_name = self._file(action_id, "a")
        try:
            with open(entry_name, "rb") as handle:  # noqa: PTH123 (a str path: see _file)
                entry = handle.read(ENTRY_SIZE + 1)
                entry_mtime = os.fstat(handle.fileno()).st_mtime
        except OSError:
            return None
        parsed = parse_entry(entry, action_id)
        if parsed is None:
            return None
        output_id, size = parsed
        body = self._file(output_id, "d")
        st = _sized_file(body, size)
        if st is None:
            return None
        now = time.time()  # touched at most hourly, as Go does: its trim removes what was not used in days
        for name, mtime in ((entry_name, entry_mtime), (body, st.st_mtime)):
            if now - mtime > MARK_USED_EVERY:
                with contextlib.suppress(OSError):
                    os.utime(name, (now, now))
        return output_id, size, Path(body)

    def added_since(self, since_ns: int) -> Iterator[tuple[bytes, bytes, int]]:
        """(action ID, output ID, size) of every entry put into this GOCACHE since ``since_ns`` (``time_ns``).

        A folder's mtime moves when a file is created in it, so only the ``xx/`` folders changed since then
        are listed (a warm build adds a few entries, a GOCACHE holds tens of thousands); an entry's own line
        holds the time it was put — Go moves the file's mtime when it uses an entry, never the line. An entry
        Go rewrote in place (same action, its body had gone) leaves its folder's mtime alone and is missed.
        """
        for index in range(256):
            folder = f"{self._root}/{index:02x}"
            try:
                if os.stat(folder).st_mtime_ns < since_ns:  # noqa: PTH116 (a str path: see _file)
                    continue
                with os.scandir(folder) as listing:
                    names = [e.name for e in listing if e.name.endswith("-a") and e.stat().st_mtime_ns >= since_ns]
            except OSError:
                continue
            for name in names:
                found = self._added(f"{folder}/{name}", name.removesuffix("-a"), since_ns)
                if found is not None:
                    yield found

    def _added(self, path: str, hexed: str, since_ns: int) -> tuple[bytes, bytes, int] | None:
        try:
            action_id = bytes.fromhex(hexed)
            with open(path, "rb") as handle:  # noqa: PTH123 (a str path: see _file)
                entry = handle.read(ENTRY_SIZE + 1)
            parsed = parse_entry(entry, action_id)
            if parsed is None or int(entry.split()[4]) < since_ns:
                return None
        except (OSError, ValueError):
            return None
        return action_id, *parsed

    def holds(self, action_id: bytes, output_id: bytes, size: int) -> bool:
        """Whether this action's entry and the body a list names for it are here: two stats, no read, no mark
        of use (a look at what a build may need must not keep what it will not use from Go's trim). An entry
        naming another output (a compile that is not reproducible) then fails the look, and the build goes
        through the helper."""
        try:
            os.stat(self._file(action_id, "a"))  # noqa: PTH116 (a str path: see _file)
        except OSError:
            return False
        return self.has_body(output_id, size)

    def has_body(self, output_id: bytes, size: int) -> bool:
        return _sized_file(self._file(output_id, "d"), size) is not None

    def put_entry(self, action_id: bytes, output_id: bytes, size: int) -> None:
        line = f"v1 {action_id.hex()} {output_id.hex()} {size:20d} {time.time_ns():20d}\n".encode()
        self._write(self._file(action_id, "a"), line)

    def put_body(self, output_id: bytes, body: bytes) -> Path:
        path = self._file(output_id, "d")
        if _sized_file(path, len(body)) is None:
            self._write(path, body)
        return Path(path)

    def new_temporary(self, output_id: bytes) -> tuple[int, Path]:
        """An exclusively created temporary beside where ``output_id``'s body goes (same filesystem)."""
        fd, name = self._exclusive(self._file(output_id, "d"))
        return fd, Path(name)

    def _exclusive(self, final: str) -> tuple[int, str]:
        """A new file (``O_EXCL``, mode 0644 as Go's, less the umask) beside ``final``, its folder made once.

        Each create costs about 1 ms on this machine kind's disk, and a remote hit writes two files, so the
        folder is made once per helper rather than asked for on every write, and the mode is set at creation
        rather than by a chmod afterwards.
        """
        folder = final.rsplit("/", 1)[0]
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)  # noqa: PTH103 (a str path: see _file)
            self._folders.add(folder)
        while True:
            name = f"{folder}/.gocross-{secrets.token_hex(8)}.tmp"
            try:
                return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644), name
            except FileExistsError:
                continue
            except FileNotFoundError:  # the folder went away under us (a `go clean -cache`): make it again
                os.makedirs(folder, exist_ok=True)  # noqa: PTH103

    def _write(self, final: str, data: bytes) -> None:
        fd, name = self._exclusive(final)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(name, final)  # noqa: PTH105 (str paths: see _file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)  # noqa: PTH108
            raise


def _sized_file(name: str, size: int) -> os.stat_result | None:
    """The file's stat when it is there with exactly ``size`` bytes (not a folder), else None."""
    try:
        st = os.stat(name)  # noqa: PTH116 (a str path: see LocalCache._file)
    except OSError:
        return None
    return st if st.st_size == size and not stat.S_ISDIR(st.st_mode) else None


def parse_entry(entry: bytes, action_id: bytes) -> tuple[bytes, int] | None:
    """(output ID, size) from an ``-a`` file, or None if it is not a well-formed entry for ``action_id``."""
    if len(entry) != ENTRY_SIZE or not entry.startswith(b"v1 ") or not entry.endswith(b"\n"):
        return None
    parts = entry.split()
    if len(parts) != 5:
        return None
    try:
        if bytes.fromhex(parts[1].decode()) != action_id:
            return None
        return bytes.fromhex(parts[2].decode()), int(parts[3])
    except ValueError:
        return None


def default_gocache() -> Path:
    """Where Go puts its cache when GOCACHE is unset: the user cache directory's ``go-build``."""
    env = os.environ.get("GOCACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "go-build"
