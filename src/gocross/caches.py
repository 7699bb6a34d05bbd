"""Where gocross keeps what it can rebuild: toolchain facts, zig's libc builds, the wine prefix.

One root for all of them (``$XDG_CACHE_HOME/gocross``, default ``~/.cache/gocross``; ``GOCROSS_CACHE_DIR``
overrides it), so a CI job caches one folder and a user deletes one folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """gocross's cache folder (not created here: each user of it creates its own sub-folder)."""
    own = os.environ.get("GOCROSS_CACHE_DIR")
    if own:
        return Path(own)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gocross"


def cache_dir(name: str) -> Path:
    """The sub-folder ``name`` of the cache root, e.g. ``toolchains``, ``zig``, ``wine``."""
    return cache_root() / name
