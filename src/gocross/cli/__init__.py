"""The command line: a thin layer that parses arguments, calls library functions and renders their results.

``main`` is the entry point and the only place a GocrossError becomes a message and an exit code. The click
command tree lives in :mod:`gocross.cli.root` (sub-commands are imported lazily from there).

One signal policy: SIGINT, SIGTERM and SIGHUP all raise :class:`gocross.interrupts.Terminated` (a
KeyboardInterrupt) in the main thread, so every command cleans up after each of them exactly as after Ctrl-C
(children's process trees stopped, temporaries removed, the manifest of finished targets written) and exits
with 128 + the signal's number. A signal ignored when gocross started (``nohup``, a background job's SIGINT)
stays ignored. Signals that arrive while that cleanup runs are absorbed, so a second Ctrl-C cannot cut it
short and leave a temporary or a compiler behind.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from types import FrameType

from gocross.errors import GocrossError
from gocross.interrupts import Terminated

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_raised = False


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Raise Terminated once; later signals are absorbed while the cleanup it started runs."""
    global _raised
    if _raised:
        return
    _raised = True
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to :func:`_on_signal` (unless ignored at start)."""
    global _raised
    _raised = False
    for signum in HANDLED_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _on_signal)


def _say(text: str) -> None:
    with contextlib.suppress(OSError):  # after a SIGHUP the terminal may be gone
        sys.stderr.write(text)
        sys.stderr.flush()


def _interrupted(exc: KeyboardInterrupt) -> int:
    signum = getattr(exc, "signum", signal.SIGINT)
    name = signal.Signals(signum).name
    _say("gocross: interrupted\n" if signum == signal.SIGINT else f"gocross: stopped by {name}\n")
    return 128 + int(signum)


def main(argv: list[str] | None = None) -> None:
    """Entry point: parse, run, and turn a GocrossError into ``gocross: error: …`` and its exit code."""
    global _raised
    try:
        code = _main(argv)
    except KeyboardInterrupt as exc:  # also one that arrives while an error is being reported
        code = _interrupted(exc)
    finally:
        _raised = True  # the work is over: a signal now is absorbed, not a KeyboardInterrupt at exit
        # ... and so it stays while the interpreter shuts down, which puts Python-level handlers back to the
        # default: a Ctrl-C in that last moment killed gocross by SIGINT (exit -2) instead of its code.
        for signum in HANDLED_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)


def _main(argv: list[str] | None) -> int:
    try:
        install_signal_handlers()
        from gocross.cli.root import run_click

        run_click(sys.argv[1:] if argv is None else argv)
    except GocrossError as exc:
        _say(f"gocross: error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        return 141
    return 0


__all__ = ["HANDLED_SIGNALS", "install_signal_handlers", "main"]
