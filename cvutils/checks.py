"""Argument checks shared by every cvutils module.

Each raises `ValueError` naming the argument, what was received and what was expected,
so a learner's mistake is reported in the same words wherever it happens.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_int(name: str, value: Any, minimum: int = 0, maximum: int | None = None) -> int:
    """Returns ``value`` as an ``int`` if it is an integer (not a bool) in range, else raises.

    Args:
        name: the argument's name, used in the message.
        value: what was received.
        minimum: smallest allowed value.
        maximum: largest allowed value (None: no upper bound).
    """
    expected = (
        f"an integer >= {minimum}" if maximum is None else f"an integer in {minimum}..{maximum}"
    )
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be {expected}; got {value!r} ({type(value).__name__}).")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {expected}; got {value!r}.")
    return int(value)


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """Returns ``value`` as a float if it is a finite real number (not a bool) in range.

    Args:
        name: the argument's name, used in the message.
        value: what was received.
        low, high: the bounds (None: unbounded on that side).
        low_open, high_open: whether the bound itself is excluded (default ``[low, high)``).
    """
    lo = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
    hi = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number in {lo}, {hi}; got {value!r}.")
    value = float(value)
    too_low = low is not None and (value < low or (low_open and value == low))
    too_high = high is not None and (value > high or (high_open and value == high))
    if too_low or too_high:
        raise ValueError(f"{name} must be in {lo}, {hi}; got {value!r}.")
    return value
