"""A toolchain made of recorded answers, for tests of pure logic (selectors, variants, names, plans).

``tests/fixtures/toolchain/`` keeps what go1.27.3 answered to ``go tool dist list -json`` and ``go env -json``
(see its README). ``recorded_toolchain()`` serves those answers and never starts go: its ``go`` is a path
that does not exist, and ``run`` fails the test outright. It can pretend to be an older or newer Go release,
so the version gating of variants (GORISCV64 from go1.23, rva23u64 from go1.25, …) is testable with one
recording; the port list stays go1.27.3's whatever the version.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from gocross.toolchain import Toolchain

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "toolchain"
NO_GO = Path("/nonexistent/recorded-go/bin/go")  # never executed: a pure test that tried would fail


@cache
def _load(name: str) -> str:
    return (FIXTURES / name).read_text()


def recorded_dist_list() -> list[dict[str, object]]:
    """``go tool dist list -json`` as go1.27.3 printed it (a fresh copy each call)."""
    data: list[dict[str, object]] = json.loads(_load("dist-list.json"))
    return data


def recorded_go_env() -> dict[str, str]:
    """``go env -json`` as go1.27.3 printed it (a fresh copy each call)."""
    data: dict[str, str] = json.loads(_load("go-env.json"))
    return data


@dataclass(frozen=True)
class RecordedToolchain(Toolchain):
    """A Toolchain whose answers are the recording: ``dist_list`` reads the fixture, ``run`` is refused."""

    def dist_list(self) -> list[dict[str, object]]:
        return recorded_dist_list()

    def run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float | None = 600,
    ) -> subprocess.CompletedProcess[str]:
        raise AssertionError(f"a pure-logic test asked the recorded toolchain to run `go {' '.join(args)}`")


def recorded_toolchain(version: str | None = None) -> RecordedToolchain:
    """The recorded go1.27.3, or the same ports pretending to be ``version`` (e.g. "go1.22.0")."""
    env = recorded_go_env()
    return RecordedToolchain(go=NO_GO, goroot=Path(env["GOROOT"]), version=version or env["GOVERSION"],
                             source="recording")



def forbid_go(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Fail the test as soon as it starts a ``go`` process; return the argv of every process it does start.

    Patched at ``Popen._execute_child``, under ``subprocess.run`` and every other way of starting a child.
    """
    started: list[list[str]] = []
    original = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def execute_child(popen: subprocess.Popen[str], args: object, *rest: object) -> object:
        argv = [str(a) for a in args] if isinstance(args, list | tuple) else [str(args)]
        started.append(argv)
        if Path(argv[0]).name == "go":
            raise AssertionError(f"a pure-logic test started go: {argv}")
        return original(popen, args, *rest)

    monkeypatch.setattr(subprocess.Popen, "_execute_child", execute_child)
    return started
