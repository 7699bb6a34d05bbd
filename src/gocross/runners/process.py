"""Starting a program under a runner, with a time limit, in its own process group.

Why not ``subprocess.run``: a timed-out program must be killed with everything it started (qemu, node and
the wasmtime child are parents of the real program's threads or children), so each run gets its own session
and the whole group is killed. And the runner's own diagnostics (qemu's "uncaught target signal", its
vector-extension warnings, the wasmtime child's messages) must be kept apart from the program's stderr, so
stderr goes through a line filter that forwards the program's bytes and collects the runner's lines.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# Lines a runner (not the program) writes to stderr.
_RUNNER_LINE = re.compile(
    rb"^(qemu(-[\w.]+)?: |vector version is not specified|gocross wasmtime: )"
)
_RUNNER_PREFIXES = (b"qemu", b"vector version", b"gocross wasmtime: ")
_STDERR_TAIL = 64 * 1024  # kept even when forwarding, to recognise Go's own crash messages
_KILL_GRACE = 2.0  # seconds between SIGTERM/SIGINT and SIGKILL
_DRAIN_WAIT = 5.0  # seconds to wait for pipes to close after the group is gone

Sink = Callable[[bytes], None]


@dataclass(frozen=True)
class Completed:
    """What happened to one process: raw facts, classified by ``gocross.run``."""

    returncode: int | None  # None when it could not start; negative = killed by that signal
    timed_out: bool
    seconds: float
    stdout: bytes | None  # None when it went straight to our stdout
    stderr: bytes  # the program's stderr when captured, else its last 64 KiB (runner lines removed)
    runner_lines: tuple[str, ...]
    start_error: OSError | None = None


def write_stderr(data: bytes) -> None:
    """Forward program stderr to ours, unbuffered, as the program wrote it."""
    with contextlib.suppress(OSError):
        os.write(2, data)


class StderrFilter:
    """Splits a stderr byte stream into the program's bytes and the runner's lines."""

    def __init__(self, sink: Sink | None, *, keep_all: bool) -> None:
        self._sink = sink
        self._keep_all = keep_all
        self._pending = b""
        self.program = bytearray()
        self.runner_lines: list[str] = []

    def emit(self, data: bytes) -> None:
        """Pass program bytes on (to the sink) and keep them (all, or a bounded tail)."""
        if not data:
            return
        if self._sink is not None:
            self._sink(data)
        self.program += data
        if not self._keep_all and len(self.program) > _STDERR_TAIL:
            del self.program[: len(self.program) - _STDERR_TAIL]

    def _line(self, line: bytes) -> None:
        if _RUNNER_LINE.match(line):
            self.runner_lines.append(line.decode("utf-8", "replace").rstrip())
        else:
            self.emit(line)

    def feed(self, chunk: bytes) -> None:
        data = self._pending + chunk
        *lines, self._pending = data.split(b"\n")
        for line in lines:
            self._line(line + b"\n")
        # A partial line is forwarded at once (progress output) unless it may become a runner line.
        if self._pending and not any(p.startswith(self._pending[: len(p)]) for p in _RUNNER_PREFIXES):
            self.emit(self._pending)
            self._pending = b""

    def close(self) -> None:
        if self._pending:
            self._line(self._pending)
            self._pending = b""


def _pump(stream: IO[bytes], consume: Callable[[bytes], None]) -> None:
    fd = stream.fileno()
    while chunk := os.read(fd, 65536):
        consume(chunk)


def _feed_stdin(stream: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        stream.write(data)
    with contextlib.suppress(BrokenPipeError, OSError):
        stream.close()


def kill_group(proc: subprocess.Popen[bytes], first: signal.Signals = signal.SIGTERM) -> None:
    """Stop the run's whole process group: ``first``, then SIGKILL after a grace period."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, first)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_KILL_GRACE)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _start_thread(target: Callable[..., None], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


class Running:
    """A started program: its process group, the threads draining its pipes, and its stderr filter."""

    def __init__(self, proc: subprocess.Popen[bytes], filt: StderrFilter, capture: bool,
                 threads: list[threading.Thread], out: bytearray, started: float) -> None:
        self.proc = proc
        self._filt = filt
        self._capture = capture
        self._threads = threads
        self._out = out
        self._started = started

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float | None) -> Completed:
        """Wait for the program to end; past ``timeout`` its whole group is killed (timed_out=True)."""
        timed_out = False
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)
            timed_out = True
        except KeyboardInterrupt:
            kill_group(self.proc, signal.SIGINT)
            raise
        return self._finish(timed_out)

    def stop(self) -> Completed:
        """End the program now (SIGTERM, then SIGKILL), as a server is stopped after its check."""
        kill_group(self.proc)
        return self._finish(False)

    def _finish(self, timed_out: bool) -> Completed:
        seconds = time.monotonic() - self._started
        # The run is over when its leader exits: nothing it left behind in its group may outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        for thread in self._threads:
            thread.join(_DRAIN_WAIT)
        self._filt.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return Completed(
            returncode=self.proc.returncode,
            timed_out=timed_out,
            seconds=seconds,
            stdout=bytes(self._out) if self._capture else None,
            stderr=bytes(self._filt.program),
            runner_lines=tuple(self._filt.runner_lines),
        )


def start(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    input: bytes | None = None,
    capture: bool = True,
    filter_stderr: bool = True,
    stderr_sink: Sink | None = None,
) -> Running:
    """Start ``argv`` in a new session (its own process group). Raises OSError when it cannot start.

    capture=True: stdin is ``input`` (or empty), stdout and stderr are collected. capture=False: stdin and
    stdout are ours; stderr is forwarded to ``stderr_sink`` (default: our fd 2) through the runner filter
    when ``filter_stderr``, else inherited.
    """
    stdin = subprocess.PIPE if input is not None else (subprocess.DEVNULL if capture else None)
    started = time.monotonic()
    proc = subprocess.Popen(
        list(argv), env=dict(env), cwd=cwd, stdin=stdin,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture or filter_stderr else None,
        start_new_session=True,
    )
    filt = StderrFilter(None if capture else (stderr_sink or write_stderr), keep_all=capture)
    threads = []
    out = bytearray()
    if proc.stdout is not None:
        threads.append(_start_thread(_pump, proc.stdout, out.extend))
    if proc.stderr is not None:
        threads.append(_start_thread(_pump, proc.stderr, filt.feed if filter_stderr else filt.emit))
    if proc.stdin is not None and input is not None:
        threads.append(_start_thread(_feed_stdin, proc.stdin, input))
    return Running(proc, filt, capture, threads, out, started)


def execute(argv: Sequence[str], *, env: Mapping[str, str], timeout: float | None,
            cwd: Path | None = None, input: bytes | None = None, capture: bool = True,
            filter_stderr: bool = True, stderr_sink: Sink | None = None) -> Completed:
    """Run ``argv`` to completion or timeout (see :func:`start`); never raises for the program's outcome."""
    try:
        running = start(argv, env=env, cwd=cwd, input=input, capture=capture,
                        filter_stderr=filter_stderr, stderr_sink=stderr_sink)
    except OSError as exc:
        return Completed(None, False, 0.0, b"" if capture else None, b"", (), start_error=exc)
    return running.wait(timeout)
