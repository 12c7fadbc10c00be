"""Public checks: the cell after each exercise compares the learner's answer with the reference.

Taught in notebooks/00_setup_and_tour.ipynb; used by every graded notebook
(notebooks/04_convolution_step_by_step.ipynb, notebooks/06_training_convnets_well.ipynb).
"""

from __future__ import annotations

import numpy as np

from cvutils.checks import check_real, check_str


class CheckFailed(AssertionError):
    """A public check failed; the message says what was expected and how it differs."""


def compare(name: str, got, expected, *, atol: float = 1e-8, rtol: float = 1e-6) -> str | None:
    """Compares ``got`` with ``expected``; returns None when they agree, else what differs.

    Args:
        name: what is being compared, used at the start of the message.
        got: an array, a scalar, or a tuple/list of them (nested).
        expected: the reference, same structure.
        atol, rtol: tolerances of `numpy.allclose`.

    Examples:
        >>> compare("x", [1.0, 2.0], [1.0, 2.0]) is None
        True
        >>> compare("x", np.zeros(1), np.zeros(2))
        'x: shape (1,), expected (2,)'
    """
    atol = check_real("atol", atol, low=0)
    rtol = check_real("rtol", rtol, low=0)
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list) or len(got) != len(expected):
            return f"{name}: expected a tuple of {len(expected)} values, got {type(got).__name__}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = compare(f"{name}[{i}]", g, e, atol=atol, rtol=rtol)
            if msg:
                return msg
        return None
    if isinstance(expected, str):
        same = isinstance(got, str) and got == expected  # an array == str is no answer
        return None if same else f"{name}: got {got!r:.80}, expected {expected!r}"
    try:
        g = np.asarray(got)
        e = np.asarray(expected)
    except (TypeError, ValueError) as err:
        return f"{name}: cannot be read as an array ({err})"
    if g.shape != e.shape:
        return f"{name}: shape {g.shape}, expected {e.shape}"
    if g.dtype.kind not in "biuf" or e.dtype.kind not in "biuf":
        return f"{name}: got a {g.dtype} array, expected numbers"
    if g.dtype.kind == "f" and not np.all(np.isfinite(g)):
        return f"{name}: contains NaN or inf"
    if not np.allclose(g, e, atol=atol, rtol=rtol):
        diff = np.abs(g.astype(float) - e.astype(float))
        where = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        return (
            f"{name}: values differ; largest difference {diff.max():.3g} "
            f"at index {tuple(int(i) for i in where)}"
            f" (got {g[where] if diff.ndim else g}, expected {e[where] if diff.ndim else e})"
        )
    return None


def check(name: str, got, expected, *, atol: float = 1e-8, rtol: float = 1e-6) -> None:
    """Compares a learner's result with the reference and prints a helpful message.

    Args:
        name: what is being checked, e.g. ``"zero_pad(x, 3)"``.
        got: the learner's value (array, scalar, tuple of arrays).
        expected: the reference value, same structure.
        atol, rtol: tolerances for `numpy.allclose`.

    Raises:
        CheckFailed: with the shape, dtype or values that differ.
        ValueError: ``name``, ``atol`` or ``rtol`` is not what it must be.

    Taught in notebooks/00_setup_and_tour.ipynb.

    Examples:
        >>> check("double(3)", 6, 6)
        double(3): correct
    """
    check_str("name", name)
    check_real("atol", atol, low=0.0)
    check_real("rtol", rtol, low=0.0)
    msg = compare(name, got, expected, atol=atol, rtol=rtol)
    if msg:
        raise CheckFailed(msg)
    if isinstance(expected, tuple | list):
        print(f"{name}: all {len(expected)} parts correct")
    else:
        print(f"{name}: correct")
