"""Skipping ``go build`` altogether when nothing it reads has changed since the last build into this folder.

Go's own build-ID check already avoids relinking an up-to-date output, but every ``go build`` still loads the
package graph and hashes the sources of every dependency: about 0.1 CPU-second per target, so a no-op over
42 targets costs seconds on two cores. gocross records, per output, a fingerprint of everything that build
read — the toolchain, the environment, the argv, the module's files (path, size, mtime), go.mod/go.sum and
the VCS state that Go stamps — and the output's own identity. When all of it is unchanged the previous
artifact is reused as is. Where the module reaches outside itself in ways this cannot see cheaply (a go.work
file, a ``replace`` to a local directory), there is no fast path and Go decides, as it always can.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gocross.artifacts import Artifact
from gocross.config import module_root, workspace_file
from gocross.plan import BuildStep
from gocross.safefs import atomic_write
from gocross.toolchain import Toolchain

STATE_NAME = ".gocross-state.json"
_ENV_PREFIXES = ("GO", "CGO_", "CC", "CXX", "AR", "PKG_CONFIG")
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class OutputId:
    """Who the output file is: if any of this differs, someone replaced or edited it since we built it.

    ctime is what makes an in-place edit visible: writing to a file (same inode, same size, even with its
    mtime set back) always moves its ctime, which no user can set. The file itself is never followed
    through a link (lstat): a link planted at the output's name is not the file we built.
    """

    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @staticmethod
    def of(path: Path) -> OutputId | None:
        try:
            st = path.lstat()
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return OutputId(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def as_list(self) -> list[int]:
        return [self.inode, self.size, self.mtime_ns, self.ctime_ns]


def source_fingerprint(toolchain: Toolchain, package_dir: Path, out_dir: Path) -> str | None:
    """A digest of everything shared by every target's build, or None when no fast path is safe."""
    root = module_root(package_dir) or package_dir
    if _uses_workspace(root) or _has_local_replace(root / "go.mod"):
        return None
    digest = hashlib.sha256()
    go_stat = toolchain.go.stat()
    digest.update(repr((toolchain.version, str(toolchain.go), str(toolchain.goroot), go_stat.st_mtime_ns,
                        go_stat.st_size)).encode())
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES))
    digest.update(repr(env).encode())
    go_env_file = _go_env_file()
    if go_env_file is not None:
        digest.update(repr(_stat_key(go_env_file)).encode())
    for path in _module_files(root, out_dir):
        digest.update(repr((str(path.relative_to(root)), _stat_key(path))).encode())
    digest.update(_vcs_state(root).encode())
    return digest.hexdigest()


def step_key(source: str, step: BuildStep) -> str:
    """The fingerprint of one target's build: the shared sources plus its own flags and environment."""
    inputs = (source, str(step.go), step.flags, step.package, sorted(step.env.items()))
    return hashlib.sha256(repr(inputs).encode()).hexdigest()


class State:
    """The per-folder record of what each output was built from, kept next to artifacts.json.

    Each entry is the output's fingerprint key, its identity on disk, and the very Artifact the manifest
    got (its manifest JSON), so a cached target is reported exactly as it was when it was built.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / STATE_NAME
        self.entries: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
            self.entries = _valid_entries(json.loads(self.path.read_text(encoding="utf-8")))

    def lookup(self, output: Path, key: str | None) -> Artifact | None:
        """The recorded artifact for this output if it was built from exactly these inputs and is untouched."""
        entry = self.entries.get(output.name)
        if key is None or entry is None or entry["key"] != key:
            return None
        return self._verified(entry, output, OutputId.of(output))

    def same_file(self, output: Path, before: OutputId | None) -> Artifact | None:
        """The recorded artifact when ``before`` (the output as it was before go build ran) is the very file
        recorded, to the ctime; None means the file must be hashed and inspected again."""
        entry = self.entries.get(output.name)
        return None if entry is None else self._verified(entry, output, before)

    def _verified(self, entry: Mapping[str, Any], output: Path, current: OutputId | None) -> Artifact | None:
        """The entry's artifact, only if the file on disk is the one it describes (never copied unverified)."""
        if current is None or current.as_list() != entry["output"]:
            return None
        try:
            artifact = Artifact.from_json(entry["artifact"], self.out_dir)
        except (KeyError, ValueError, TypeError):  # a record from an older gocross: build again
            return None
        if not artifact.ok or artifact.path != output.resolve() or artifact.size != current.size:
            return None
        return artifact

    def record(self, artifact: Artifact, key: str | None) -> None:
        assert artifact.path is not None
        current = OutputId.of(artifact.path)
        if current is not None:
            self.entries[artifact.path.name] = {"key": key, "output": current.as_list(),
                                                "artifact": artifact.to_json(self.out_dir)}

    def forget(self, output: Path) -> None:
        self.entries.pop(output.name, None)

    def save(self) -> None:
        with contextlib.suppress(OSError):  # a state file that cannot be written only costs a rebuild
            atomic_write(self.path, json.dumps(self.entries))


def _valid_entries(loaded: Any) -> dict[str, dict[str, Any]]:
    """The state file's entries if every one has the shape :meth:`State.record` writes; otherwise the whole
    cache is discarded (it only costs a rebuild) — a number where an object belongs is never trusted."""
    if not isinstance(loaded, dict):
        return {}
    for name, entry in loaded.items():
        ok = (isinstance(name, str) and isinstance(entry, dict) and isinstance(entry.get("key"), str | None)
              and isinstance(entry.get("artifact"), dict) and isinstance(entry.get("output"), list)
              and len(entry["output"]) == 4
              and all(isinstance(v, int) and not isinstance(v, bool) for v in entry["output"]))
        if not ok:
            return {}
    return loaded


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _module_files(root: Path, out_dir: Path) -> Iterator[Path]:
    """Every file of the module (a superset of what Go reads), minus outputs, VCS data and nested modules."""
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and here / d != out_dir
                         and not (here / d / "go.mod").exists())
        for name in sorted(files):
            path = here / name
            if path.is_file():
                yield path


def _uses_workspace(root: Path) -> bool:
    return workspace_file(root) is not None


def _has_local_replace(go_mod: Path) -> bool:
    try:
        text = go_mod.read_text(encoding="utf-8")
    except OSError:
        return True
    for line in text.splitlines():
        _, arrow, target = line.partition("=>")
        if arrow and target.strip().startswith((".", "/")):
            return True
    return False


def _go_env_file() -> Path | None:
    """`go env -w` settings live here and change what go build does."""
    path = Path(os.environ.get("GOENV") or Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
                / "go" / "env")
    return path if path.is_file() else None


def _vcs_state(root: Path) -> str:
    """What Go stamps as vcs.revision / vcs.modified: the commit, and whether the tree is dirty."""
    if not any((d / ".git").exists() for d in (root, *root.parents)):
        return "no-vcs"
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=30, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                               timeout=60, check=False).stdout
    except OSError:
        return "vcs-unreadable"
    return f"{head}:{hashlib.sha256(dirty.encode()).hexdigest()}"
