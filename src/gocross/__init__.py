"""gocross: build a Go program for every OS and architecture, tell what each binary is, run and test it here.

The public library API is re-exported here lazily, so importing gocross costs nothing until it is used.
"""

# The first lines of gocross that run, so they come before everything, `from __future__` included (which
# imports a module): when this process is the gocross command, a signal from here on, until cli.main installs
# the policy of gocross.interrupts, ends gocross with one line and 128+N. Nothing has been started or written
# yet, so there is nothing to clean up, and a traceback from a half-imported module would say nothing.
# Only modules the interpreter has already loaded (sys, os, _signal) are used until the handlers are in.
import os
import sys

_START_MESSAGES = {2: b"gocross: interrupted\n", 15: b"gocross: stopped by SIGTERM\n",
                   1: b"gocross: stopped by SIGHUP\n"}  # interrupts.message's lines, as bytes (a test checks)


def _stop_while_starting(signum: int, frame: object) -> None:
    """The handler until cli.main's: one line, 128+N, at once (os._exit: there is nothing to clean up)."""
    try:  # noqa: SIM105  (contextlib is not loaded yet)
        os.write(2, _START_MESSAGES.get(signum, b"gocross: interrupted\n"))
    except OSError:  # after a SIGHUP the terminal may be gone
        pass
    os._exit(128 + signum)


def _started_as_command(argv: list[str], orig_argv: list[str]) -> bool:
    """Whether this process is the ``gocross`` command: its console script, or ``python -m gocross``.

    Only then is a handler installed while gocross is imported: a library user's process keeps its own.
    Under ``-m``, runpy imports the package while ``argv[0]`` is ``"-m"``; the module's name is the word of the
    interpreter's command line just before the program's arguments (``-m gocross`` or ``-mgocross``). The
    console script pip writes keeps its path in ``argv[0]`` while it imports.
    """
    if not argv:
        return False
    if argv[0] == "-m":
        return len(orig_argv) > len(argv) and orig_argv[-len(argv)].removeprefix("-m") == "gocross"
    name = argv[0].replace("\\", "/").rsplit("/", 1)[-1]
    return name.removesuffix(".exe").removesuffix("-script.pyw").removesuffix("-script.py") == "gocross"


# Until SIGINT's handler is in, nothing that checks for signals (a call) runs: operators only.
if sys.argv and (sys.argv[0] == "-m" or "gocross" in sys.argv[0]):
    _signal = sys.modules["_signal"]  # loaded by the interpreter itself (importing `signal` runs Python code)
    try:
        _sigint = _signal.signal(2, _stop_while_starting)
        if _sigint is _signal.SIG_IGN or not _started_as_command(sys.argv, sys.orig_argv):
            _signal.signal(2, _sigint)  # one ignored at start stays ignored; a library user keeps its own
        else:
            if _signal.getsignal(15) is not _signal.SIG_IGN:  # their default kills without a traceback
                _signal.signal(15, _stop_while_starting)
            if _signal.getsignal(1) is not _signal.SIG_IGN:
                _signal.signal(1, _stop_while_starting)
    except ValueError:  # imported by a library user's thread, which cannot set handlers: nothing to do
        pass
    del _signal

import importlib  # noqa: E402  (after the signal handlers, on purpose)
from typing import Any  # noqa: E402

__version__ = "0.1.0"

# Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "find_toolchain": "gocross.toolchain",
    "Toolchain": "gocross.toolchain",
    "list_targets": "gocross.targets",
    "select_targets": "gocross.targets",
    "Target": "gocross.targets",
    "TargetInfo": "gocross.targets",
    "build": "gocross.builder",
    "BuildOptions": "gocross.plan",
    "BuildResult": "gocross.builder",
    "Artifact": "gocross.artifacts",
    "ArtifactStatus": "gocross.artifacts",
    "Manifest": "gocross.artifacts",
    "read_manifest": "gocross.artifacts",
    "inspect": "gocross.binary",
    "BinaryInfo": "gocross.binary.model",
    "run": "gocross.launch",
    "RunResult": "gocross.launch",
    "RunPlan": "gocross.launch",
    "RunOutcome": "gocross.launch",
    "plan_for": "gocross.launch",
    "plan_for_artifact": "gocross.launch",
    "choose_runner": "gocross.runners",
    "RunnerChoice": "gocross.runners",
    "smoke": "gocross.smoketest",
    "SmokeOptions": "gocross.smoketest",
    "SmokeReport": "gocross.smoketest",
    "SmokeStatus": "gocross.smoketest",
    "doctor": "gocross.checkup",
    "DoctorReport": "gocross.checkup",
    "test": "gocross.gotest",
    "TestOptions": "gocross.gotest",
    "TestRun": "gocross.gotest",
    # `gocross release` is gocross.release.release (the subpackage holds the name `gocross.release`)
    "ReleaseOptions": "gocross.release.pipeline",
    "ReleaseResult": "gocross.release.pipeline",
    "ReleaseFile": "gocross.artifacts",
    "ReleaseKind": "gocross.artifacts",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gocross' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
