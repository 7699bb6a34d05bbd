"""What gocross.toml says for test builds, as it does for ``gocross build``: tags, ldflags, cgo.

The command line wins over the config, as in ``build``: a ``-tags`` or ``-ldflags`` after ``--`` replaces
the config's. cgo follows ``go test`` on this host's own target (on when a C compiler is present) and stays
off for foreign targets, unless gocross.toml's ``cgo`` (or :attr:`TestOptions.cgo`) says otherwise.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import replace

from gocross.config import Config
from gocross.gotest.flags import GoTestFlags
from gocross.targets import Target
from gocross.toolchain import Toolchain


def with_config_flags(flags: GoTestFlags, config: Config) -> GoTestFlags:
    """``flags`` with the config's -tags and -ldflags in front, where the command line does not give them."""
    given = {f.split("=", 1)[0] for f in flags.build}
    extra: list[str] = []
    if config.tags and "-tags" not in given:
        extra.append(f"-tags={','.join(config.tags)}")
    if config.ldflags and "-ldflags" not in given:
        extra.append(f"-ldflags={config.ldflags}")
    return replace(flags, build=(*extra, *flags.build)) if extra else flags


def cgo_by_target(tc: Toolchain, targets: Iterable[Target], native: Target | None,
                  asked: bool | None) -> Mapping[str, bool]:
    """Per target name: is its test binary built with CGO_ENABLED=1?

    ``asked`` (the options' or gocross.toml's ``cgo``) decides for every target when set; otherwise only the
    host's own target gets cgo, and only when ``go env CC`` names a compiler that is installed — what
    ``go test`` itself does here.
    """
    def host(t: Target) -> bool:
        return native is not None and (t.goos, t.goarch) == (native.goos, native.goarch)

    return {t.name: asked if asked is not None else (host(t) and has_c_compiler(tc)) for t in targets}


@functools.cache
def has_c_compiler(tc: Toolchain) -> bool:
    """Whether the C compiler Go would use for this host (``go env CC``, else gcc) is on PATH."""
    proc = tc.run(["env", "CC"], timeout=60)
    words = proc.stdout.split() if proc.returncode == 0 else []
    return shutil.which(words[0] if words else "gcc") is not None
