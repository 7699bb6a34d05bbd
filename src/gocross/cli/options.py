"""Option types shared by several commands, checked at parse time so a bad value is one usage line."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click

from gocross.safefs import quoted

# click.ParamType is generic only in newer click releases: subscripted for the type checker alone.
if TYPE_CHECKING:
    _ParamType = click.ParamType[float]
else:
    _ParamType = click.ParamType


class Seconds(_ParamType):
    """A time limit in seconds: a finite number, 0 or more (0 = no limit); nan, inf and negatives are refused."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            seconds = value
        else:
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                self.fail(f"{quoted(value)} is not a number of seconds.", param, ctx)
        if not math.isfinite(seconds) or seconds < 0:
            self.fail(f"{quoted(value)} is not a time limit; give a finite number of seconds, 0 for none.",
                      param, ctx)
        return seconds


SECONDS = Seconds()
