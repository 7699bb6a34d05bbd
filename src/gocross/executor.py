"""Running child processes for build, test and smoke, and cancelling them all the same way.

One :class:`Executor` holds the worker pools (named lanes, each with its own width), the set of live child
processes and a cancel event. Leaving its ``with`` block on any exception (Ctrl-C included) cancels: queued
work is dropped and every live process group gets SIGTERM, then SIGKILL. :func:`start` / :func:`execute`
are the single-process primitives it is built on (``gocross run`` uses them directly).

Why not ``subprocess.run``: a timed-out program must be killed with everything it started (qemu, node and
the wasmtime child are parents of the real program's threads or children), so each run gets its own session
and the whole group is killed. A descendant that left the group (``setsid``, a daemon) is still found: every
child gets a unique ``GOCROSS_RUN_TOKEN`` in its environment, which its descendants inherit, and ending a run
also kills every process whose /proc environ holds that token (one scan of /proc: ≈7 ms with ~110 processes
on the reference machine; no cgroup or subreaper needed, and nothing else on the machine is touched).
Output is kept as a bounded tail (:class:`Tail`, 1 MiB per stream by default), so a program printing
gigabytes costs its last megabyte of memory, and the result says how many bytes were cut.

And the runner's own diagnostics (qemu's "uncaught target signal", its
vector-extension warnings, the wasmtime child's messages) must be kept apart from the program's stderr, so
stderr goes through a line filter that forwards the program's bytes and collects the runner's lines.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

from gocross.interrupts import Terminated as Terminated  # re-exported: the executor's cancel is its cleanup
from gocross.interrupts import interrupt_signal

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
OUTPUT_LIMIT = 1 << 20  # bytes of each captured stream kept (the last ones); earlier bytes are counted, dropped
TOKEN_VAR = "GOCROSS_RUN_TOKEN"  # in every child's environment: finds its descendants, even in other sessions
_SERIAL = itertools.count(1)

Sink = Callable[[bytes], None]


class Tail:
    """The last ``limit`` bytes of a stream, appended chunk by chunk, and how many bytes before them were cut.

    Whole chunks are dropped from the front (a deque), never a byte-wise ``del`` of a large buffer, so keeping
    the tail of a 1 GiB stream costs no more than reading it.
    """

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._dropped = 0

    def extend(self, data: bytes | bytearray) -> None:
        if not data:
            return
        self._chunks.append(bytes(data))
        self._size += len(data)
        while self._chunks and self._size - len(self._chunks[0]) >= self.limit:
            first = self._chunks.popleft()
            self._size -= len(first)
            self._dropped += len(first)

    def __len__(self) -> int:
        return min(self._size, self.limit)

    @property
    def cut(self) -> int:
        """Bytes dropped from the front so far."""
        return self._dropped + max(0, self._size - self.limit)

    def value(self) -> bytes:
        data = b"".join(self._chunks)
        return data[max(0, len(data) - self.limit):]


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
    stdout_cut: int = 0  # bytes dropped from the front of stdout (only its last OUTPUT_LIMIT bytes are kept)
    stderr_cut: int = 0


def write_stderr(data: bytes) -> None:
    """Forward program stderr to ours, unbuffered, as the program wrote it."""
    with contextlib.suppress(OSError):
        os.write(2, data)


class StderrFilter:
    """Splits a stderr byte stream into the program's bytes and the runner's lines."""

    def __init__(self, sink: Sink | None, *, keep_all: bool, limit: int = OUTPUT_LIMIT) -> None:
        self._sink = sink
        self._pending = b""
        self.kept = Tail(limit if keep_all else min(limit, _STDERR_TAIL))
        self.runner_lines: list[str] = []

    @property
    def program(self) -> bytes:
        """The program's stderr as kept (its last ``limit`` bytes when captured, else the last 64 KiB)."""
        return self.kept.value()

    def emit(self, data: bytes) -> None:
        """Pass program bytes on (to the sink) and keep a bounded tail of them."""
        if not data:
            return
        if self._sink is not None:
            self._sink(data)
        self.kept.extend(data)

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
        # A "line" that never ends is the program's output, not qemu's: it is not held back without bound.
        maybe_runner = any(p.startswith(self._pending[: len(p)]) for p in _RUNNER_PREFIXES)
        if self._pending and (not maybe_runner or len(self._pending) > _STDERR_TAIL):
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


def processes_with_token(token: str) -> list[int]:
    """Live processes whose environment holds ``TOKEN_VAR=token``: a run's descendants in any session."""
    needle = f"\0{TOKEN_VAR}={token}\0".encode()
    found = []
    me = os.getpid()
    with os.scandir("/proc") as entries:
        pids = [int(e.name) for e in entries if e.name.isdigit()]
    for pid in pids:
        if pid == me:
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        if needle in b"\0" + environ + b"\0":
            found.append(pid)
    return found


def _signal_all(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def kill_group(proc: subprocess.Popen[bytes], first: int = signal.SIGTERM, token: str | None = None) -> None:
    """Stop the run's whole process group, and with ``token`` every descendant that left it (``setsid``):
    ``first``, then SIGKILL after a grace period."""
    escaped = processes_with_token(token) if token else []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, first)
    _signal_all(escaped, first)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_KILL_GRACE)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if token:
        _signal_all(processes_with_token(token), signal.SIGKILL)
    proc.wait()


def _start_thread(target: Callable[..., None], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


class Running:
    """A started program: its process group, the threads draining its pipes, and its stderr filter."""

    def __init__(self, proc: subprocess.Popen[bytes], filt: StderrFilter, capture: bool,
                 threads: list[threading.Thread], out: Tail, started: float, token: str) -> None:
        self.proc = proc
        self._filt = filt
        self._capture = capture
        self._threads = threads
        self._out = out
        self._started = started
        self.token = token

    def kill(self, first: int = signal.SIGTERM) -> None:
        """Stop the program and everything it started, in its group or not (``first``, then SIGKILL)."""
        kill_group(self.proc, first, self.token)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float | None) -> Completed:
        """Wait for the program to end; past ``timeout`` its whole group is killed (timed_out=True)."""
        timed_out = False
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            timed_out = True
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: passed on to the program's whole tree
            self.kill(interrupt_signal(exc))
            self._finish(False)
            raise
        return self._finish(timed_out)

    def stop(self) -> Completed:
        """End the program now (SIGTERM, then SIGKILL), as a server is stopped after its check."""
        self.kill()
        return self._finish(False)

    def _finish(self, timed_out: bool) -> Completed:
        seconds = time.monotonic() - self._started
        # The run is over when its leader exits: nothing it left behind in its group may outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        _signal_all(processes_with_token(self.token), signal.SIGKILL)  # nor what it started in another session
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
            stdout=self._out.value() if self._capture else None,
            stderr=self._filt.program,
            runner_lines=tuple(self._filt.runner_lines),
            stdout_cut=self._out.cut,
            stderr_cut=self._filt.kept.cut if self._capture else 0,
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
    limit: int = OUTPUT_LIMIT,
) -> Running:
    """Start ``argv`` in a new session (its own process group). Raises OSError when it cannot start.

    capture=True: stdin is ``input`` (or empty), stdout and stderr are collected. capture=False: stdin and
    stdout are ours; stderr is forwarded to ``stderr_sink`` (default: our fd 2) through the runner filter
    when ``filter_stderr``, else inherited. merge_stderr=True (with capture): stderr goes into stdout, as
    ``go build``'s diagnostics are read in the order they were written; with ``filter_stderr`` too, that one
    stream goes through the runner filter (``go test`` reads a test binary this way: one pipe, the order of
    writing kept, qemu's own lines taken out). Each captured stream keeps its last ``limit`` bytes
    (``Completed.stdout_cut``/``stderr_cut`` say how many came before).
    """
    stdin = subprocess.PIPE if input is not None else (subprocess.DEVNULL if capture else None)
    started = time.monotonic()
    token = f"{os.getpid()}.{next(_SERIAL)}.{secrets.token_hex(6)}"
    proc = subprocess.Popen(
        list(argv), env={**env, TOKEN_VAR: token}, cwd=cwd, stdin=stdin,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if merge_stderr else (subprocess.PIPE if capture or filter_stderr else None),
        start_new_session=True,
    )
    out = Tail(limit)
    merged_filter = merge_stderr and filter_stderr and capture
    if merged_filter:
        filt = StderrFilter(out.extend, keep_all=False, limit=limit)
    else:
        filt = StderrFilter(None if capture else (stderr_sink or write_stderr), keep_all=capture, limit=limit)
    threads = []
    if proc.stdout is not None:
        threads.append(_start_thread(_pump, proc.stdout, filt.feed if merged_filter else out.extend))
    if proc.stderr is not None:
        threads.append(_start_thread(_pump, proc.stderr, filt.feed if filter_stderr else filt.emit))
    if proc.stdin is not None and input is not None:
        threads.append(_start_thread(_feed_stdin, proc.stdin, input))
    return Running(proc, filt, capture, threads, out, started, token)


def execute(argv: Sequence[str], *, env: Mapping[str, str], timeout: float | None,
            cwd: Path | None = None, input: bytes | None = None, capture: bool = True,
            filter_stderr: bool = True, stderr_sink: Sink | None = None, merge_stderr: bool = False,
            limit: int = OUTPUT_LIMIT) -> Completed:
    """Run ``argv`` to completion or timeout (see :func:`start`); never raises for the program's outcome."""
    try:
        running = start(argv, env=env, cwd=cwd, input=input, capture=capture, filter_stderr=filter_stderr,
                        stderr_sink=stderr_sink, merge_stderr=merge_stderr, limit=limit)
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
        self._active = 0  # work items running now (see _tracked)
        self._idle = threading.Condition(self._lock)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.cancel()
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=exc_type is not None)
        # The pools join the threads they know; a signal that lands inside a pool's Thread.start() leaves a
        # running worker the pool never recorded. Wait for every work item that started, wherever it runs, so
        # nothing it does (a progress line, a manifest entry) comes after the command's last words.
        with self._idle:
            while self._active:
                self._idle.wait()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def submit(self, fn: Callable[..., T], *args: Any, lane: str = DEFAULT_LANE, **kwargs: Any) -> Future[T]:
        """Queue ``fn(*args, **kwargs)`` on ``lane``'s pool; its future is waited for by :meth:`wait`."""
        future = self._pools[lane].submit(self._tracked, fn, args, kwargs)
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

    def _tracked(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        """Run one work item, counted while it runs; after a cancel, one that had not started never does."""
        with self._lock:  # the cancel is set under this lock too: an item either is counted or sees it
            if self._cancelled.is_set():
                raise CancelledError
            self._active += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def cancel(self) -> None:
        """Drop queued work and stop every live process group (SIGTERM, then SIGKILL); new runs do not start."""
        with self._lock:
            self._cancelled.set()
            futures = list(self._futures)
        for future in futures:
            future.cancel()
        for running in self.live():
            running.kill()

    def live(self) -> list[Running]:
        """The child processes started through this executor that are still tracked."""
        with self._lock:
            return list(self._live)

    def start(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None,
              input: bytes | None = None, capture: bool = True, filter_stderr: bool = False,
              stderr_sink: Sink | None = None, merge_stderr: bool = False,
              limit: int = OUTPUT_LIMIT) -> Running | None:
        """:func:`start`, tracked until :meth:`finish` (a server a check talks to); None once cancelled.

        Raises OSError when the program cannot start.
        """
        with self._lock:  # checked under the lock: a cancel either sees this process or stops its start
            if self._cancelled.is_set():
                return None
            running = start(argv, env=env, cwd=cwd, input=input, capture=capture, filter_stderr=filter_stderr,
                            stderr_sink=stderr_sink, merge_stderr=merge_stderr, limit=limit)
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
            merge_stderr: bool = False, limit: int = OUTPUT_LIMIT) -> Completed | None:
        """Run ``argv`` captured, in its own process group, to completion or ``timeout``.

        None when the executor was cancelled before it started; a program that cannot start is a Completed
        with ``start_error`` (as :func:`execute`).
        """
        try:
            running = self.start(argv, env=env, cwd=cwd, input=input, filter_stderr=filter_stderr,
                                 merge_stderr=merge_stderr, limit=limit)
        except OSError as exc:
            return Completed(None, False, 0.0, b"", b"", (), start_error=exc)
        if running is None:
            return None
        return self.finish(running, timeout)
