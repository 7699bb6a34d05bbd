"""The compiled GOCACHEPROG helper (``native/main.go``): local hits answered at Go's speed.

The server's Python relay makes Go talk to Python for every lookup; on a warm build (every lookup a local
hit) that cost 20-25 % of the build on this machine kind. So the helper Go starts is compiled once, with the
same Go that builds, from the Go source shipped in this package: it answers GOCACHE hits itself and passes
every other request to the server (``server.py``) unchanged. Built once per Go version and source into
gocross's cache (``cacheprog/``), into an exclusive temporary folder renamed into place, so parallel
gocross commands never see half a binary.

The build is never waited for: it compiles the host's standard library into a GOCACHE of its own (≈ 9 s
here; the user's GOCACHE is left as it was, so a cold build stays cold). The command that finds no helper
is served by the relay while the helper builds beside it at the lowest priority; a command that ends first
stops that build (its process group, and the temporary folder) and the next command tries again. When the
build fails (an unusual toolchain, a read-only cache) the relay serves: slower, never wrong.
``GOCROSS_CACHE_HELPER=python`` chooses the relay.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from gocross.caches import cache_dir
from gocross.executor import kill_group
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
    """The compiled helper for this toolchain, built now if need be (and waited for); None when it cannot be."""
    build = HelperBuild(toolchain)
    return build.wait()


class HelperBuild:
    """The helper for one command: ``ready`` when it was built before, else being built in the background."""

    def __init__(self, toolchain: Toolchain) -> None:
        self.ready: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self.folder: Path | None = None
        if os.environ.get(CHOICE_ENV, "").strip().lower() == "python":
            return
        with contextlib.suppress(OSError):
            folder = cache_dir("cacheprog") / _version_key(toolchain)
            if (folder / BINARY).is_file():
                self.ready = folder / BINARY
                return
            self.folder = folder
            self._thread = threading.Thread(target=self._build, args=(toolchain,), name="gocross-helper-build",
                                            daemon=True)
            self._thread.start()

    def wait(self) -> Path | None:
        """The helper once its build has finished; None when it failed."""
        if self._thread is not None:
            self._thread.join()
        if self.ready is None and self.folder is not None and (self.folder / BINARY).is_file():
            self.ready = self.folder / BINARY
        return self.ready

    def stop(self) -> None:
        """The command is over: a build still running is stopped, with its temporary folder (built: kept)."""
        with self._lock:
            self._stopped = True
            proc = self._proc
        if proc is not None and proc.poll() is None:
            kill_group(proc, signal.SIGKILL)
        if self._thread is not None:
            self._thread.join()

    def _build(self, toolchain: Toolchain) -> None:
        assert self.folder is not None
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.", dir=self.folder.parent))
            try:
                self._compile(toolchain, scratch, self.folder)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)

    def _compile(self, toolchain: Toolchain, scratch: Path, folder: Path) -> None:
        # Its GOCACHE and work folder inside the scratch folder: a stopped build (SIGKILL) leaves nothing behind.
        (scratch / "tmp").mkdir()
        env = toolchain.environ({"CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOCACHE": str(scratch / "gocache"),
                                 "GOTMPDIR": str(scratch / "tmp")})
        for name in TARGET_VARIABLES:
            env.pop(name, None)
        with self._lock:
            if self._stopped:
                return
            self._proc = subprocess.Popen(
                [str(toolchain.go), "build", "-trimpath", "-o", str(scratch / BINARY), "."], cwd=SOURCE, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)  # its own process group: stop() ends go and its compilers together
        with contextlib.suppress(OSError):  # beside the user's builds, never ahead of them
            os.setpriority(os.PRIO_PGRP, self._proc.pid, 19)
        try:
            code = self._proc.wait(timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            kill_group(self._proc, signal.SIGKILL)
            return
        with self._lock:
            if code != 0 or self._stopped:
                return
            shutil.rmtree(scratch / "gocache", ignore_errors=True)
            shutil.rmtree(scratch / "tmp", ignore_errors=True)
            with contextlib.suppress(OSError):  # another gocross command's build won the race: use that one
                scratch.rename(folder)


def _version_key(toolchain: Toolchain) -> str:
    digest = hashlib.sha256(toolchain.version.encode())
    for name in SOURCE_FILES:
        digest.update(b"\0" + (SOURCE / name).read_bytes())
    return digest.hexdigest()[:24]
