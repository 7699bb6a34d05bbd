"""The command line: a thin layer that parses arguments, calls library functions and renders their results.

``main`` is the entry point and the only place a GocrossError becomes a message and an exit code. The click
command tree lives in :mod:`gocross.cli.root` (sub-commands are imported lazily from there).

One signal policy (:mod:`gocross.interrupts`): SIGINT, SIGTERM and SIGHUP all raise
:class:`gocross.interrupts.Terminated` (a KeyboardInterrupt) in the main thread while ``main`` works, so every
command cleans up after each of them exactly as after Ctrl-C (children's process trees stopped, temporaries
removed, the manifest of finished targets written) and exits with 128 + the signal's number. Before ``main``
(the imports, installed first thing by ``gocross/__init__.py``) a signal ends gocross at once with one line;
after the cleanup has started or the work is over, signals are absorbed.
"""

from __future__ import annotations

import contextlib
import sys

from gocross import interrupts
from gocross.errors import GocrossError
from gocross.interrupts import HANDLED_SIGNALS


def install_signal_handlers() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to the policy: from now on each raises Terminated once."""
    interrupts.install(interrupts.Phase.RUNNING)


def _say(text: str) -> None:
    with contextlib.suppress(OSError):  # after a SIGHUP the terminal may be gone
        sys.stderr.write(text)
        sys.stderr.flush()


def _interrupted(exc: KeyboardInterrupt) -> int:
    signum = interrupts.interrupt_signal(exc)
    _say(interrupts.message(signum))
    return 128 + signum


def _wrapped_interrupt(exc: BaseException) -> KeyboardInterrupt | None:
    """The signal's KeyboardInterrupt when the interpreter wrapped it in another exception: a signal that lands
    while a class is created (``RuntimeError: Error calling __set_name__``, seen for platform.uname_result in a
    SIGTERM 60 ms after start) comes out as the cause of that error, not as itself."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point: parse, run, and turn a GocrossError into ``gocross: error: …`` and its exit code."""
    try:
        code = _main(argv)
    except KeyboardInterrupt as exc:  # also one that arrives while an error is being reported
        code = _interrupted(exc)
    except Exception as exc:
        interrupt = _wrapped_interrupt(exc)
        if interrupt is None:
            raise
        code = _interrupted(interrupt)
    finally:
        interrupts.stop()  # the work is over: a signal now is ignored, not a KeyboardInterrupt at exit
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
