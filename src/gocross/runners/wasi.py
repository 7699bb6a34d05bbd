"""The wasmtime runner for wasip1/wasm, from the ``wasmtime`` PyPI package, in a child process.

The child (``wasmtime_child.py``) is started with this interpreter and the file's path, so a wasmtime panic
ends only the child, and no import path setup is needed in it.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path

from gocross.runners.base import RunnerChoice, RunnerStatus

INSTALL_HINT = "pip install wasmtime"
CHILD = Path(__file__).with_name("wasmtime_child.py")
# Compiling the module (first run, cold cache) costs seconds; wasm code itself runs near native speed.
WASMTIME_TIMEOUT_FACTOR = 3.0


def wasmtime_installed() -> bool:
    return importlib.util.find_spec("wasmtime") is not None


def wasmtime_version() -> str | None:
    import importlib.metadata  # only `gocross doctor` asks; importing it costs every command start-up time

    try:
        return importlib.metadata.version("wasmtime")
    except importlib.metadata.PackageNotFoundError:
        return None


class WasmtimeRunner:
    """Runs wasip1/wasm binaries with wasmtime in a child Python process."""

    name = "wasmtime"
    kind = "wasmtime"

    def targets(self) -> Iterable[tuple[str, str]]:
        return [("wasip1", "wasm")]

    def choose(self, goos: str, goarch: str, variant: str | None) -> RunnerChoice | None:
        if (goos, goarch) != ("wasip1", "wasm"):
            return None
        installed = wasmtime_installed()
        return RunnerChoice(
            name="wasmtime",
            program="wasmtime",
            installed=installed,
            install_hint=None if installed else INSTALL_HINT,
            prefix=(sys.executable, str(CHILD)),
            timeout_factor=WASMTIME_TIMEOUT_FACTOR,
        )

    def why_not(self, goos: str, goarch: str, variant: str | None) -> str:
        return f"wasmtime runs wasip1/wasm only, not {goos}/{goarch}"

    def status(self) -> RunnerStatus:
        installed = wasmtime_installed()
        return RunnerStatus(
            name="wasmtime",
            covers=("wasip1/wasm",),
            installed=installed,
            programs={"wasmtime (PyPI)": str(CHILD) if installed else None},
            version=wasmtime_version(),
            install_hint=None if installed else INSTALL_HINT,
            detail="runs in a child Python process" if installed else None,
        )


RUNNER = WasmtimeRunner()
