"""The one signal policy of the gocross command, in a module that imports only the standard library's smallest.

SIGINT, SIGTERM and SIGHUP are handled in three phases:

* starting — the command's own imports (click, the sub-command, the library). Nothing has been started or
  written yet, so a signal ends gocross at once: one line (``gocross: interrupted``) and exit 128 + N, never a
  traceback from a half-imported module. That handler is ``gocross/__init__.py``'s, installed by its very
  first lines when the process is the ``gocross`` command (console script or ``python -m gocross``), before
  even this module is imported; only the interpreter's own start (and ``site``) comes before it.
* ``RUNNING`` — ``cli.main``'s work: a signal raises :class:`Terminated` (a KeyboardInterrupt), so everything
  that cleans up on Ctrl-C (the executor's cancel, the builder's manifest of finished targets, a run's kill of
  its process tree) covers all three signals; ``cli.main`` exits with 128 + ``signum``.
* ``STOPPING`` — that cleanup runs, or the work is over: later signals are absorbed, so a second Ctrl-C cannot
  cut the cleanup short and leave a temporary or a compiler behind.

A signal ignored when gocross started (``nohup``, a background job's SIGINT) stays ignored. The handler
itself imports nothing: a signal can arrive while any module is half imported.
"""

from __future__ import annotations

import _thread
import enum
import os
import signal
import sys
import time
from types import FrameType

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived: handled exactly as Ctrl-C (a KeyboardInterrupt), with its number.

    Everything that cleans up on Ctrl-C (the executor's cancel, the builder's manifest of finished targets,
    a run's kill of its process tree) catches KeyboardInterrupt, so one signal policy covers every command;
    ``cli.main`` exits with 128 + ``signum``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Phase(enum.Enum):
    """What a handled signal does now (see the module docstring)."""

    RUNNING = "running"
    STOPPING = "stopping"


_phase = Phase.STOPPING  # until install(): only cli.main installs the policy


def interrupt_signal(exc: BaseException) -> int:
    """The signal a KeyboardInterrupt stands for (SIGINT unless it is a :class:`Terminated`)."""
    return exc.signum if isinstance(exc, Terminated) else int(signal.SIGINT)


def message(signum: int) -> str:
    """The one line gocross prints when a signal stops it."""
    if signum == signal.SIGINT:
        return "gocross: interrupted\n"
    return f"gocross: stopped by {signal.Signals(signum).name}\n"


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _phase
    if _phase is not Phase.RUNNING:
        return  # STOPPING: absorbed while the cleanup that the first signal started runs
    _phase = Phase.STOPPING
    raise Terminated(signum)


def _lost_terminated(unraisable: sys.UnraisableHookArgs) -> None:
    """A Terminated raised where Python cannot propagate it (a weakref callback such as importlib's module
    lock cleanup, a ``__del__``) is not lost, nor printed as "Exception ignored": the signal is sent again a
    moment later, from a thread, so that it lands after this callback, where it can stop gocross (sent from
    here, it would be handled at once, inside this hook). Any other unraisable error is shown as before."""
    global _phase
    if not isinstance(unraisable.exc_value, Terminated):
        _previous_hook(unraisable)
        return
    _phase = Phase.RUNNING
    _thread.start_new_thread(_send_again, (unraisable.exc_value.signum,))


def _send_again(signum: int) -> None:
    time.sleep(0.001)
    os.kill(os.getpid(), signum)


_previous_hook = sys.unraisablehook


def install(phase: Phase) -> None:
    """Enter ``phase`` and route SIGINT, SIGTERM and SIGHUP to the policy (unless ignored at start)."""
    global _phase
    _phase = phase
    if sys.unraisablehook is not _lost_terminated:
        global _previous_hook
        _previous_hook = sys.unraisablehook
        sys.unraisablehook = _lost_terminated
    for signum in HANDLED_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _on_signal)


def stop() -> None:
    """The work is over: the three signals are ignored from now on, not only absorbed by the handler.

    The interpreter's shutdown puts Python-level handlers back to the default: a Ctrl-C in that last moment
    killed gocross by SIGINT (exit -2) instead of its code.
    """
    global _phase
    _phase = Phase.STOPPING
    for signum in HANDLED_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


__all__ = ["HANDLED_SIGNALS", "Phase", "Terminated", "install", "interrupt_signal", "message", "stop"]
