"""The compiled GOCACHEPROG helper (``native/main.go``): local hits answered at Go's speed.

The server's Python relay makes Go talk to Python for every lookup; on a warm build (every lookup a local
hit) that cost 20-25 % of the build on this machine kind. So the helper Go starts is compiled once, with the
same Go that builds, from the Go source shipped in this package: it answers GOCACHE hits itself and passes
every other request to the server (``server.py``) unchanged. Built once per Go version and source into
gocross's cache (``cacheprog/``), into an exclusive temporary folder renamed into place, so parallel
gocross commands never see half a binary. When the build fails (an unusual toolchain, a read-only cache)
the relay serves instead: slower, never wrong. ``GOCROSS_CACHE_HELPER=python`` chooses the relay.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from gocross.caches import cache_dir
from gocross.toolchain import Toolchain

SOURCE = Path(__file__).with_name("native")
SOURCE_FILES = ("go.mod", "main.go")
BINARY = "gocross-cacheprog"
CHOICE_ENV = "GOCROSS_CACHE_HELPER"  # "python": the relay, not the compiled helper
BUILD_TIMEOUT = 300.0
# What the helper's own build must not inherit from the user's build: it runs here, on the host, alone.
TARGET_VARIABLES = ("GOOS", "GOARCH", "GOARM", "GO386", "GOAMD64", "GOARM64", "GOMIPS", "GOMIPS64", "GOPPC64",
                    "GORISCV64", "GOWASM", "GOCACHEPROG", "GOEXPERIMENT", "GOWORK", "CC", "CXX")


def native_helper(toolchain: Toolchain) -> Path | None:
    """The compiled helper for this toolchain, built on first use; None when it cannot be (use the relay)."""
    if os.environ.get(CHOICE_ENV, "").strip().lower() == "python":
        return None
    folder = cache_dir("cacheprog") / _version_key(toolchain)
    binary = folder / BINARY
    if binary.is_file():
        return binary
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return _build(toolchain, folder)
    return None


def _version_key(toolchain: Toolchain) -> str:
    digest = hashlib.sha256(toolchain.version.encode())
    for name in SOURCE_FILES:
        digest.update(b"\0" + (SOURCE / name).read_bytes())
    return digest.hexdigest()[:24]


def _build(toolchain: Toolchain, folder: Path) -> Path | None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        env = toolchain.environ({"CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"})
        for name in TARGET_VARIABLES:
            env.pop(name, None)
        proc = subprocess.run([str(toolchain.go), "build", "-trimpath", "-o", str(scratch / BINARY), "."],
                              cwd=SOURCE, env=env, capture_output=True, timeout=BUILD_TIMEOUT, check=False)
        if proc.returncode != 0:
            return None
        with contextlib.suppress(OSError):  # another gocross command's build won the race: use that one
            scratch.rename(folder)
        binary = folder / BINARY
        return binary if binary.is_file() else None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
