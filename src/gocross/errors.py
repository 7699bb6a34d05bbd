"""The one tree of user-facing errors.

Library code raises these; only ``cli.main`` turns them into a one-line message and an exit code. Anything
else that escapes is a bug in gocross and is allowed to show a traceback.
"""

from __future__ import annotations


class GocrossError(Exception):
    """Base of every error a user can cause or fix. The message is one plain sentence with the fix."""

    exit_code = 1


class UsageError(GocrossError):
    """Bad arguments or configuration: unknown target, bad selector, missing package directory."""

    exit_code = 2


class ConfigError(UsageError):
    """gocross.toml cannot be read or holds a value of the wrong kind."""


class ToolchainError(GocrossError):
    """No usable Go toolchain."""

    exit_code = 3


class OutputError(GocrossError):
    """The output folder cannot be created or written."""

    exit_code = 4


class BuildFailed(GocrossError):
    """At least one selected target failed to build; the others' results are kept and recorded."""

    exit_code = 5


class InspectError(GocrossError):
    """A file cannot be read as a binary: missing, unreadable, truncated or corrupt."""

    exit_code = 6


class TestsFailed(GocrossError):
    """At least one target's tests failed, could not build, or could not run."""

    exit_code = 7


class CannotRun(GocrossError):
    """The binary cannot run on this host at all (no runner exists for its OS/arch/variant)."""

    exit_code = 126


class RunnerMissing(CannotRun):
    """A runner exists for the binary but is not installed; the message names the install command."""

    exit_code = 127


class CpuUnsupported(CannotRun):
    """The runner started the binary but the (emulated) CPU lacks an instruction it uses (SIGILL)."""

    exit_code = 132


class RunTimeout(GocrossError):
    """A program under a runner did not finish within its time limit and was killed."""

    exit_code = 124


class ReleaseFailed(GocrossError):
    """`gocross release` could not finish: a packager or signer is missing or failed; nothing was written."""

    exit_code = 8
