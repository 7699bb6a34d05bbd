"""The ``go test`` flags after ``--``: split into build flags and test-binary flags, as go test reads them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gocross.errors import UsageError

GO_DEFAULT_TIMEOUT = 600.0  # `go test`'s own default -timeout (10m)


@dataclass(frozen=True)
class GoTestFlags:
    """``go test`` flags after ``--``, split into build flags (for ``go test -c``) and test-binary flags."""

    build: tuple[str, ...] = ()
    test: tuple[str, ...] = ()
    timeout: float | None = GO_DEFAULT_TIMEOUT  # seconds; None = no limit (-timeout 0)
    verbose: bool = False


# flag -> takes a value. Test flags become -test.NAME; build flags go to `go test -c` and `go vet`.
_TEST_FLAGS = {"run": True, "skip": True, "count": True, "timeout": True, "bench": True, "benchtime": True,
               "cpu": True, "parallel": True, "shuffle": True, "list": True, "short": False, "v": False,
               "failfast": False, "benchmem": False, "fullpath": False}
_BUILD_FLAGS = {"tags": True, "ldflags": True, "gcflags": True, "asmflags": True, "mod": True, "modfile": True,
                "overlay": True, "pgo": True, "buildvcs": True, "vet": True, "a": False, "trimpath": False, "x": False,
                "work": False}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """A Go duration ("90s", "1m30s", "500ms", "0") in seconds, or UsageError."""
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match[1]) * _UNITS[match[2]]
        pos = match.end()
    if pos != len(text) or not text:
        raise UsageError(f"-timeout {text!r} is not a Go duration; write it like 30s, 5m or 1m30s.")
    return total


def parse_go_test_flags(args: Sequence[str]) -> GoTestFlags:
    """Split the arguments after ``--`` the way ``go test`` reads them; unknown flags are a UsageError."""
    build: list[str] = []
    test: list[str] = []
    timeout: float | None = GO_DEFAULT_TIMEOUT
    verbose = False
    items = list(args)
    while items:
        name, value = _one_flag(items)
        if name == "timeout":
            seconds = parse_duration(value or "")
            timeout = seconds or None
        elif name == "v":
            verbose = value in (None, "true", "1")
        elif name in _TEST_FLAGS:
            test.append(f"-test.{name}" + ("" if value is None else f"={value}"))
        else:
            build.append(f"-{name}" + ("" if value is None else f"={value}"))
    return GoTestFlags(tuple(build), tuple(test), timeout, verbose)


def _one_flag(items: list[str]) -> tuple[str, str | None]:
    """Take one flag (and its value) off the front of ``items``."""
    raw = items.pop(0)
    if not raw.startswith("-") or raw in ("-", "--"):
        raise UsageError(f"{raw!r} after -- is not a go test flag; put packages before --, flags after it.")
    name, eq, value = raw.lstrip("-").partition("=")
    name = name.removeprefix("test.")
    takes_value = _TEST_FLAGS.get(name, _BUILD_FLAGS.get(name))
    if takes_value is None:
        known = ", ".join(f"-{f}" for f in [*_TEST_FLAGS, *_BUILD_FLAGS])
        raise UsageError(f"Unknown go test flag -{name}; gocross test passes through {known}.")
    if not takes_value:
        return name, value if eq else None
    if eq:
        return name, value
    if not items:
        raise UsageError(f"The flag -{name} needs a value, e.g. -{name} X.")
    return name, items.pop(0)
