"""Running child processes for build, test and smoke, and cancelling them all the same way.

One :class:`Executor` holds the worker pools (named lanes, each with its own width), the set of live child
processes and a cancel event. Leaving its ``with`` block on any exception (Ctrl-C included) cancels: queued
work is dropped and every live process group gets SIGTERM, then SIGKILL. :func:`start` / :func:`execute`
are the single-process primitives it is built on (``gocross run`` uses them directly).

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

T = TypeVar("T")

# Lines a runner (not the program) writes to stderr.
_RUNNER_LINE = re.compile(
    rb"^(qemu(-[\w.]+)*: |vector version is not specified|gocross wasmtime: |gocross wine: |wine: )"
)
_RUNNER_PREFIXES = (b"qemu", b"vector version", b"gocross wasmtime: ", b"gocross wine: ", b"wine: ")
_STDERR_TAIL = 64 * 1024  # kept even when forwarding, to recognise Go's own crash messages
_KILL_GRACE = 2.0  # seconds between SIGTERM/SIGINT and SIGKILL
_DRAIN_WAIT = 5.0  # seconds to wait for pipes to close after the group is gone
_POLL_SECONDS = 0.2  # how often a waiting main thread wakes up to notice Ctrl-C
DEFAULT_LANE = "default"

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
    merge_stderr: bool = False,
) -> Running:
    """Start ``argv`` in a new session (its own process group). Raises OSError when it cannot start.

    capture=True: stdin is ``input`` (or empty), stdout and stderr are collected. capture=False: stdin and
    stdout are ours; stderr is forwarded to ``stderr_sink`` (default: our fd 2) through the runner filter
    when ``filter_stderr``, else inherited. merge_stderr=True (with capture): stderr goes into stdout, as
    ``go build``'s diagnostics are read in the order they were written; with ``filter_stderr`` too, that one
    stream goes through the runner filter (``go test`` reads a test binary this way: one pipe, the order of
    writing kept, qemu's own lines taken out), and ``Completed.stderr`` is its last 64 KiB.
    """
    stdin = subprocess.PIPE if input is not None else (subprocess.DEVNULL if capture else None)
    started = time.monotonic()
    proc = subprocess.Popen(
        list(argv), env=dict(env), cwd=cwd, stdin=stdin,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if merge_stderr else (subprocess.PIPE if capture or filter_stderr else None),
        start_new_session=True,
    )
    out = bytearray()
    merged_filter = merge_stderr and filter_stderr and capture
    if merged_filter:
        filt = StderrFilter(out.extend, keep_all=False)
    else:
        filt = StderrFilter(None if capture else (stderr_sink or write_stderr), keep_all=capture)
    threads = []
    if proc.stdout is not None:
        threads.append(_start_thread(_pump, proc.stdout, filt.feed if merged_filter else out.extend))
    if proc.stderr is not None:
        threads.append(_start_thread(_pump, proc.stderr, filt.feed if filter_stderr else filt.emit))
    if proc.stdin is not None and input is not None:
        threads.append(_start_thread(_feed_stdin, proc.stdin, input))
    return Running(proc, filt, capture, threads, out, started)


def execute(argv: Sequence[str], *, env: Mapping[str, str], timeout: float | None,
            cwd: Path | None = None, input: bytes | None = None, capture: bool = True,
            filter_stderr: bool = True, stderr_sink: Sink | None = None, merge_stderr: bool = False) -> Completed:
    """Run ``argv`` to completion or timeout (see :func:`start`); never raises for the program's outcome."""
    try:
        running = start(argv, env=env, cwd=cwd, input=input, capture=capture,
                        filter_stderr=filter_stderr, stderr_sink=stderr_sink, merge_stderr=merge_stderr)
    except OSError as exc:
        return Completed(None, False, 0.0, b"" if capture else None, b"", (), start_error=exc)
    return running.wait(timeout)


def result_interruptibly(future: Future[T]) -> T:
    """``future.result()``, in short waits: a plain blocking wait would hold off KeyboardInterrupt until the
    future finished, and a cancelled build must stop its compilers at once."""
    while True:
        try:
            return future.result(timeout=_POLL_SECONDS)
        except TimeoutError:
            continue


def output_tail(output: bytes | str | Iterable[bytes | None], *, lines: int, what: str | None = "the command",
                returncode: int | None = None, width: int | None = None) -> str:
    """The last ``lines`` non-blank lines of a child's output, or a sentence saying it printed nothing.

    ``output`` may be several captured streams (stdout, stderr), joined in that order. ``width`` shortens
    each line to that many characters (ending in …), for a one-line detail; ``what=None`` gives "" for
    no output instead of the sentence.
    """
    if isinstance(output, str):
        text = output
    else:
        chunks = [output] if isinstance(output, bytes) else [c for c in output if c]
        text = b"".join(chunks).decode("utf-8", "replace")
    kept = [ln for ln in text.strip().splitlines() if ln.strip()][-lines:]
    if width is not None:
        kept = [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in kept]
    if kept or what is None:
        return "\n".join(kept)
    return f"{what} exited with status {returncode} and printed nothing"


class Executor:
    """Worker pools (named lanes) + the live child processes + a cancel event, for one command's work.

    ``with Executor({"build": 3, "run": jobs}) as ex:`` — ``ex.submit(fn, ..., lane="run")`` queues work,
    ``ex.run(argv, ...)`` runs a child process from inside that work (tracked, so a cancel kills its whole
    group), ``ex.wait()`` waits for everything submitted (including work submitted by work), interruptibly.
    Leaving the block on an exception cancels; leaving it normally waits for the pools to finish.
    """

    def __init__(self, lanes: int | Mapping[str, int], *, name: str = "gocross") -> None:
        widths = {DEFAULT_LANE: lanes} if isinstance(lanes, int) else dict(lanes)
        self._pools = {lane: ThreadPoolExecutor(max_workers=max(1, width), thread_name_prefix=f"{name}-{lane}")
                       for lane, width in widths.items()}
        self._lock = threading.Lock()
        self._live: set[Running] = set()
        self._futures: list[Future[Any]] = []
        self._cancelled = threading.Event()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.cancel()
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=exc_type is not None)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def submit(self, fn: Callable[..., T], *args: Any, lane: str = DEFAULT_LANE, **kwargs: Any) -> Future[T]:
        """Queue ``fn(*args, **kwargs)`` on ``lane``'s pool; its future is waited for by :meth:`wait`."""
        future = self._pools[lane].submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def wait(self) -> None:
        """Wait for every submitted future, also those submitted meanwhile; re-raises the first error."""
        done = 0
        while True:
            with self._lock:
                if done >= len(self._futures):
                    return
                future = self._futures[done]
            result_interruptibly(future)
            done += 1

    def cancel(self) -> None:
        """Drop queued work and stop every live process group (SIGTERM, then SIGKILL); new runs do not start."""
        self._cancelled.set()
        with self._lock:
            futures = list(self._futures)
        for future in futures:
            future.cancel()
        for running in self.live():
            kill_group(running.proc)

    def live(self) -> list[Running]:
        """The child processes started through this executor that are still tracked."""
        with self._lock:
            return list(self._live)

    def start(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None,
              input: bytes | None = None, capture: bool = True, filter_stderr: bool = False,
              stderr_sink: Sink | None = None, merge_stderr: bool = False) -> Running | None:
        """:func:`start`, tracked until :meth:`finish` (a server a check talks to); None once cancelled.

        Raises OSError when the program cannot start.
        """
        with self._lock:  # checked under the lock: a cancel either sees this process or stops its start
            if self._cancelled.is_set():
                return None
            running = start(argv, env=env, cwd=cwd, input=input, capture=capture,
                            filter_stderr=filter_stderr, stderr_sink=stderr_sink, merge_stderr=merge_stderr)
            self._live.add(running)
        return running

    def finish(self, running: Running, timeout: float | None = None, *, stop: bool = False) -> Completed:
        """Wait for (or, with ``stop``, end) a process from :meth:`start`, and stop tracking it."""
        try:
            return running.stop() if stop else running.wait(timeout)
        finally:
            with self._lock:
                self._live.discard(running)

    def run(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None,
            timeout: float | None = None, input: bytes | None = None, filter_stderr: bool = False,
            merge_stderr: bool = False) -> Completed | None:
        """Run ``argv`` captured, in its own process group, to completion or ``timeout``.

        None when the executor was cancelled before it started; a program that cannot start is a Completed
        with ``start_error`` (as :func:`execute`).
        """
        try:
            running = self.start(argv, env=env, cwd=cwd, input=input, filter_stderr=filter_stderr,
                                 merge_stderr=merge_stderr)
        except OSError as exc:
            return Completed(None, False, 0.0, b"", b"", (), start_error=exc)
        if running is None:
            return None
        return self.finish(running, timeout)
