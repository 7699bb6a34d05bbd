"""gocross's one logger. Verbosity is set once by the CLI; the library only ever logs through it."""

from __future__ import annotations

import logging

logger = logging.getLogger("gocross")
