"""Shared test fixtures: one Go toolchain, one GOCACHE for the whole session, small Go programs built once.

Every test runs the real toolchain. The GOCACHE is shared across the session (and, on a developer's machine,
across sessions) so that the standard library is compiled once per architecture, and only for the
architectures a test actually asks for.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from gocross.toolchain import Toolchain, find_toolchain

REPO = Path(__file__).resolve().parent.parent
HELLO = REPO / "examples" / "hello"

# Pin the environment gocross and go see, so results do not depend on the developer's shell.
_CACHE_ROOT = Path(os.environ.get("GOCROSS_TEST_CACHE", Path.home() / ".cache" / "gocross-tests"))
os.environ["GOCACHE"] = str(_CACHE_ROOT / "go-build")
os.environ["ZIG_GLOBAL_CACHE_DIR"] = str(_CACHE_ROOT / "zig")  # zig's libc builds for cgo, kept like GOCACHE
os.environ["GOFLAGS"] = "-mod=mod"
os.environ["GOTOOLCHAIN"] = "local"
os.environ["GOPROXY"] = "off"
# One wine prefix for every session (creating one costs 20-80 s); gocross's other caches stay per session.
os.environ["GOCROSS_WINEPREFIX"] = str(_CACHE_ROOT / "wine-prefix")
os.environ.pop("GOOS", None)
os.environ.pop("GOARCH", None)
os.environ.pop("CGO_ENABLED", None)
os.environ.pop("GOCROSS_GO", None)
os.environ["CI"] = "1"  # plain, non-animated output everywhere in tests


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """gocross's own caches (kept test binaries, toolchain facts) live for one session: most tests make
    modules in temporary folders, and each would otherwise leave a test-binary folder in ~/.cache.

    A fixture, not module code: test modules import this file as ``tests.conftest`` as well, which would
    run module code twice.
    """
    path = tmp_path_factory.mktemp("xdg-cache")
    os.environ["XDG_CACHE_HOME"] = str(path)
    yield
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def toolchain() -> Toolchain:
    return find_toolchain()


def write_module(root: Path, files: Mapping[str, str], module: str = "example.com/prog") -> Path:
    """Write a tiny Go module (go.mod + the given files) under root and return root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text(f"module {module}\n\ngo 1.21\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


BuildGo = Callable[..., Path]


@pytest.fixture(scope="session")
def build_go(toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuildGo]:
    """Build a Go program for a target with plain `go build`, once per (source, target, flags) per session.

    Usage: ``build_go(source_or_dir, "linux", "arm64", env={"GOARM": "7"}, flags=["-ldflags=-s -w"])``
    where ``source_or_dir`` is either Go source text for a one-file main package or a module directory.
    """
    out_root = tmp_path_factory.mktemp("gobuilds")
    built: dict[str, Path] = {}

    def build(
        source: str | Path,
        goos: str,
        goarch: str,
        *,
        env: Mapping[str, str] | None = None,
        flags: list[str] | None = None,
        name: str = "prog",
    ) -> Path:
        env = dict(env or {})
        # -trimpath like `gocross build`, so both share the standard library already in the GOCACHE.
        flags = list(flags if flags is not None else ["-trimpath"])
        key_src = source.read_text() if isinstance(source, Path) and source.is_file() else str(source)
        key = hashlib.sha256(repr((key_src, goos, goarch, sorted(env.items()), flags)).encode()).hexdigest()[:16]
        if key in built:
            return built[key]
        if isinstance(source, Path):
            moddir = source
        else:
            moddir = write_module(out_root / f"src-{key}", {"main.go": source})
        ext = ".exe" if goos == "windows" else ".wasm" if goarch == "wasm" else ""
        out = out_root / f"{name}-{goos}-{goarch}-{key}{ext}"
        full_env = {"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": env.pop("CGO_ENABLED", "0"), **env}
        proc = subprocess.run(
            [str(toolchain.go), "build", "-o", str(out), *flags, "."],
            cwd=moddir, env=toolchain.environ(full_env), capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"go build {goos}/{goarch} failed:\n{proc.stderr}")
        built[key] = out
        return out

    yield build


POST_TARGETS = ("linux/amd64", "linux/arm64", "linux/ppc64le", "linux/ppc64", "linux/s390x")


@pytest.fixture(scope="session")
def hello_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/hello built once by `gocross build` for the post's five architectures; returns the dist dir."""
    from gocross.builder import build
    from gocross.plan import BuildOptions

    out = tmp_path_factory.mktemp("hello-dist")
    result = build(BuildOptions(package_dir=HELLO, targets=POST_TARGETS, out_dir=out))
    assert result.ok, [a.error for a in result.failed]
    return out
