"""A corpus of small Go binaries, one per target the toolchain builds without cgo.

Shared by the inspect tests and ``benchmarks/bench_inspect.py``. Builds run two or three at a time (the
machine is small and shared) and reuse the shared GOCACHE, so the standard library of each architecture is
compiled once; an output that already exists is kept, which makes a second run nearly free.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gocross.toolchain import Toolchain

# The runtime alone, no import: every Go binary's format, build info and runtime are there, and each port's
# first build compiles about 40 % less of the standard library than with fmt and os (10.5 s -> 6 s of CPU
# for freebsd/riscv64 measured here), which is most of the cold corpus's time over its 40-odd ports.
HELLO_SOURCE = """\
package main

func main() {
\tprintln("hello from a Go program")
}
"""

# Ports that cannot link without an external (cgo) linker; `go build` refuses them with CGO_ENABLED=0.
NEEDS_EXTERNAL_LINKER = frozenset({"android/386", "android/amd64", "android/arm", "ios/amd64", "ios/arm64"})


def buildable_targets(toolchain: Toolchain) -> list[tuple[str, str]]:
    """Every (goos, goarch) of ``go tool dist list`` that builds with CGO_ENABLED=0."""
    targets = [(str(p["GOOS"]), str(p["GOARCH"])) for p in toolchain.dist_list()]
    return [(os_, arch) for os_, arch in targets if f"{os_}/{arch}" not in NEEDS_EXTERNAL_LINKER]


def write_hello(root: Path) -> Path:
    """Write the hello-world module under root (idempotent) and return it.

    Files are replaced whole, never truncated in place: another pytest-xdist worker may be compiling them.
    """
    root.mkdir(parents=True, exist_ok=True)
    for name, text in (("go.mod", "module example.com/hello\n\ngo 1.21\n"), ("main.go", HELLO_SOURCE)):
        path = root / name
        if path.exists() and path.read_text() == text:
            continue
        fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{name}.")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        Path(tmp).replace(path)
    return root


def output_name(goos: str, goarch: str) -> str:
    ext = ".exe" if goos == "windows" else ".wasm" if goarch == "wasm" else ""
    return f"hello-{goos}-{goarch}{ext}"


def _build_one(toolchain: Toolchain, moddir: Path, out: Path, goos: str, goarch: str,
               env: Mapping[str, str]) -> Path:
    # One lock per output, beside the corpus: two pytest-xdist workers wanting the same binary build it once.
    lockdir = out.parent.with_name(out.parent.name + "-locks")
    lockdir.mkdir(exist_ok=True)
    with (lockdir / out.name).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if out.exists():
            return out
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        os.close(fd)
        tmp = Path(name)
        full_env = {"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", **env}
        proc = subprocess.run(
            [str(toolchain.go), "build", "-trimpath", "-o", str(tmp), "."],  # as gocross builds: one stdlib
            cwd=moddir, env=toolchain.environ(full_env), capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            tmp.unlink()
            raise RuntimeError(f"go build {goos}/{goarch} failed:\n{proc.stderr}")
        tmp.replace(out)
        return out


def build_corpus(toolchain: Toolchain, outdir: Path, *, jobs: int = 2,
                 env: Mapping[str, str] | None = None,
                 targets: Sequence[tuple[str, str]] | None = None) -> dict[tuple[str, str], Path]:
    """Build hello world for every buildable target (or only ``targets``) into outdir; return {(goos, goarch): path}."""
    outdir.mkdir(parents=True, exist_ok=True)
    moddir = write_hello(outdir.with_name(outdir.name + "-src"))  # outside: the folder holds binaries only
    targets = buildable_targets(toolchain) if targets is None else targets
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            t: pool.submit(_build_one, toolchain, moddir, outdir / output_name(*t), t[0], t[1], env or {})
            for t in targets
        }
        return {t: f.result() for t, f in futures.items()}


def default_cache_dir(toolchain: Toolchain) -> Path:
    """Where the corpus is kept between sessions: next to the tests' shared GOCACHE, one per Go version."""
    root = Path(os.environ.get("GOCROSS_TEST_CACHE", Path.home() / ".cache" / "gocross-tests"))
    source = hashlib.sha256(HELLO_SOURCE.encode()).hexdigest()[:8]  # outputs are kept: a new source, a new folder
    return root / f"inspect-corpus-{toolchain.version}-{source}"
