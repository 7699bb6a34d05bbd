"""Waiting on worker threads without making the main thread deaf to Ctrl-C."""

from __future__ import annotations

from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.2


def result_interruptibly(future: Future[T]) -> T:
    """``future.result()``, in short waits: a plain blocking wait would hold off KeyboardInterrupt until the
    future finished, and a cancelled build must stop its compilers at once."""
    while True:
        try:
            return future.result(timeout=_POLL_SECONDS)
        except TimeoutError:
            continue
