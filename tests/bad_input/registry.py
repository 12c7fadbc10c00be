"""The registry of the bad-input sweep: one `Spec` (a valid call) per public callable.

Each module of this package registers the specs of one cvutils module with `spec` and
`exempt`; tests/test_bad_input.py corrupts them.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Spec:
    """One valid call: ``make()`` returns ``(callable, kwargs)`` built fresh each time.

    Attributes:
        make: builds the callable (a function, a class, or a bound method of a fresh
            instance) and a dict of valid keyword arguments.
        skip: argument names not to corrupt (with the reason in a comment at the spec).
        mutates: argument names the callable is documented to change in place.
        aliases: names a message may use for an argument (e.g. ``{"cache": ["A_prev"]}``).
        propagates: tensor arguments of a Keras layer or loss, which (like every Keras layer)
            pass non-finite values through instead of checking them inside a graph: a NaN
            result is accepted when the bad value itself holds NaN, inf or numbers beyond
            float32 (which become inf in the layer's dtype).
        verdicts: exception types that are the callable's documented *answer*, not a crash
            (the ``AssertionError`` of a gradient check that finds a gradient wrong).
        nan_ok: arguments for which an *empty* value makes NaN the documented answer (the
            precision of no detections, the recall of no ground truth).
        costly: swept with `COSTLY_EXAMPLES` bad calls instead of `EXAMPLES` (model builders:
            every accepted call builds a network).
        seconds: the time limit of one call (a call that trains a network, even a tiny one,
            traces Keras's training step first: seconds on a loaded CPU).
    """

    make: Callable[[], tuple[Callable, dict]]
    skip: tuple[str, ...] = ()
    mutates: tuple[str, ...] = ()
    aliases: Mapping[str, list[str]] = field(default_factory=dict)
    propagates: tuple[str, ...] = ()
    verdicts: tuple[type[BaseException], ...] = ()
    nan_ok: tuple[str, ...] = ()
    costly: bool = False
    seconds: float = 10.0


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _mod(name: str):
    return importlib.import_module(f"cvutils.{name}")


SPECS: dict[str, Spec] = {}


EXEMPT: dict[str, str] = {}

#: ``key`` -> the spec module that registered it (`test_specs_sit_with_their_module`).
ORIGIN: dict[str, str] = {}


def _registering_module() -> str:
    """The spec module whose top level made this registration (through helpers or not)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    return frame.f_globals["__name__"] if frame is not None else "?"


def _register(key: str, module: str) -> None:
    if key in ORIGIN:
        raise ValueError(f"{key} is registered twice: in {ORIGIN[key]} and in {module}")
    ORIGIN[key] = module


def spec(key: str, **kw):
    """Registers the decorated ``make`` function as the spec of ``key``."""

    def deco(make):
        _register(key, _registering_module())
        SPECS[key] = Spec(make=make, **kw)
        return make

    return deco


def exempt(key: str, why: str) -> None:
    """Records a public callable that takes no argument to corrupt."""
    _register(key, _registering_module())
    EXEMPT[key] = why


# Tests need a temporary folder for file specs; one per session is enough.
TMP = Path(tempfile.mkdtemp(prefix="cvutils-bad-input-"))
