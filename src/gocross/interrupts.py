"""The one exception every handled signal becomes (a module of its own: the signal handler imports nothing).

A signal can arrive while any module is half imported; the handler in ``cli.main`` must then raise without
importing, so the class lives here, imported by ``gocross.cli`` up front at no cost.
"""

from __future__ import annotations

import signal


class Terminated(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived: handled exactly as Ctrl-C (a KeyboardInterrupt), with its number.

    Everything that cleans up on Ctrl-C (the executor's cancel, the builder's manifest of finished targets,
    a run's kill of its process tree) catches KeyboardInterrupt, so one signal policy covers every command;
    ``cli.main`` exits with 128 + ``signum``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def interrupt_signal(exc: BaseException) -> int:
    """The signal a KeyboardInterrupt stands for (SIGINT unless it is a :class:`Terminated`)."""
    return exc.signum if isinstance(exc, Terminated) else int(signal.SIGINT)


__all__ = ["Terminated", "interrupt_signal"]
