"""What kind of output stream this is; click-free, for the commands main() answers without click."""

from __future__ import annotations

import os
import sys


def plain_output() -> bool:
    """Non-animated, uncoloured output: not a terminal, or running under CI."""
    return bool(os.environ.get("CI")) or not sys.stdout.isatty()
