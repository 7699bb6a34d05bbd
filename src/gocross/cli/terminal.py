"""What kind of output stream this is: a terminal to animate and colour, or plain text for a pipe or CI."""

from __future__ import annotations

import os
import sys


def plain_output() -> bool:
    """Non-animated, uncoloured output: not a terminal, or running under CI."""
    return bool(os.environ.get("CI")) or not sys.stdout.isatty()
