"""Numerical gradients and relative error: check a backward pass against centred differences.

The check the course teaches: perturb every entry of an input by ``+eps`` and ``-eps``,
estimate ``dJ/dx ~ (J(x + eps) - J(x - eps)) / (2 eps)``, and compare it with the analytic
gradient by the relative error

    ||analytic - numerical|| / (||analytic|| + ||numerical||).

In float64 with ``eps = 1e-6`` a correct backward pass of a smooth (or piecewise-linear,
away from its kinks) function gives about 1e-9 or less; a wrong one gives 1e-2 or more.
Float32 is not precise enough for the check, so float64 is required.

Taught in notebooks/04_convolution_step_by_step.ipynb.

Example:
    >>> import numpy as np
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> err = check_gradient(lambda v: float(np.sum(v**2)), x, 2 * x)
    >>> err < 1e-7
    True
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from cvutils.checks import (
    check_array,
    check_callable,
    check_int,
    check_real,
    describe,
    fail,
)

__all__ = ["check_gradient", "check_layer_gradients", "numerical_gradient", "relative_error"]


def _check_float64_input(x: Any) -> np.ndarray:
    """Checks that ``x`` is a writeable, finite float64 NumPy array (it is perturbed in place)."""
    if not isinstance(x, np.ndarray):
        fail("x", "a float64 NumPy array (it is perturbed in place)", describe(x), kind=True)
    check_array("x", x, dtype=np.float64, cast=False)  # float32 rounding swamps differences
    if not x.flags.writeable:
        fail("x", "a writeable array (it is perturbed in place)", f"a read-only {describe(x)}")
    return x


def _scalar(value: Any) -> float:
    """The scalar value of ``f(x)``, checked to be one finite number.

    A non-finite cost may come from ``f`` or from a point ``x +- eps`` where ``f``
    overflows, so the message names all three.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = np.asarray(None)
    if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
        fail("f", "a function returning a scalar (the cost)", describe(value), kind=True)
    out = float(np.real(arr.reshape(())))
    if not np.isfinite(out) or np.iscomplexobj(arr):
        fail("f", "a function returning a finite real cost at x +- eps", repr(value))
    return out


def numerical_gradient(
    f: Callable[[np.ndarray], Any], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Gradient of a scalar function by centred differences, one entry of ``x`` at a time.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    ``grad[idx] = (f(x + eps e_idx) - f(x - eps e_idx)) / (2 eps)``. ``x`` is modified in
    place during the evaluation and restored afterwards (also if ``f`` raises).

    Args:
        f: function of ``x`` returning a scalar (a float or a one-element array).
        x: float64 array of any shape, writeable, finite.
        eps: the step, a finite number > 0.

    Returns:
        Float64 array of the shape of ``x``.

    Raises:
        ValueError: if ``x`` is not a finite, writeable float64 array, ``eps`` is not
            positive, or ``f`` does not return one finite number.
    """
    f = check_callable("f", f)
    x = _check_float64_input(x)
    eps = check_real("eps", eps, low=0.0, low_open=True)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + eps
            plus = _scalar(f(x))
            x[idx] = old - eps
            minus = _scalar(f(x))
        finally:
            x[idx] = old
        grad[idx] = (plus - minus) / (2.0 * eps)
    return grad


def relative_error(a: Any, b: Any) -> float:
    """Relative error ``||a - b|| / max(||a|| + ||b||, tiny)`` (Frobenius norms).

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Symmetric, between 0 and 1, and 0 when both are zero.

    Example:
        >>> relative_error([1.0, 2.0], [1.0, 2.0]), round(relative_error([1.0, 0.0], [0.0, 1.0]), 4)
        (0.0, 0.7071)

    Args:
        a: array of any shape.
        b: array of the same shape.

    Returns:
        The relative error, a float.

    Raises:
        ValueError: if the shapes differ.
    """
    a = check_array("a", a, dtype=np.float64)
    b = check_array("b", b, dtype=np.float64)
    if a.shape != b.shape:
        fail("b", f"an array of the shape of a {a.shape}", describe(b))
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    if scale > 0:  # the ratio does not change; the norms of huge values no longer overflow
        a, b = a / scale, b / scale
    denominator = max(np.linalg.norm(a) + np.linalg.norm(b), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b) / denominator)


def check_gradient(
    f: Callable[[np.ndarray], Any],
    x: np.ndarray,
    analytic_grad: Any,
    eps: float = 1e-6,
    tol: float = 1e-7,
) -> float:
    """Compares an analytic gradient with centred differences.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        f: scalar function of ``x`` (the cost).
        x: float64 array, the point where the gradient is checked (restored afterwards).
        analytic_grad: the gradient to check, same shape as ``x``.
        eps: finite-difference step.
        tol: the largest relative error accepted.

    Returns:
        The relative error between ``analytic_grad`` and the numerical gradient.

    Raises:
        AssertionError: if the relative error exceeds ``tol``; the message gives the error,
            the tolerance and the entry that differs most.
        ValueError: on invalid arguments (see :func:`numerical_gradient`) or a shape mismatch.
    """
    tol = check_real("tol", tol, low=0.0)
    x = _check_float64_input(x)
    analytic = check_array("analytic_grad", analytic_grad, dtype=np.float64)
    if analytic.shape != x.shape:
        fail("analytic_grad", f"an array of the shape of x {x.shape}", describe(analytic))
    numeric = numerical_gradient(f, x, eps)
    error = relative_error(analytic, numeric)
    if not error <= tol:
        worst = (
            np.unravel_index(np.argmax(np.abs(analytic - numeric)), analytic.shape)
            if analytic.size
            else ()
        )
        raise AssertionError(
            f"gradient check failed: relative error {error:.3e} > tol {tol:.1e}. "
            f"Largest difference at index {tuple(int(i) for i in worst)}: "
            f"analytic {analytic[worst]:.6e} vs numerical {numeric[worst]:.6e}. "
            f"Look for a missing term, a wrong sign or a transposed axis in the backward pass."
        )
    return error


def check_layer_gradients(
    forward: Callable[..., tuple],
    backward: Callable[[np.ndarray, Any], Any],
    inputs: Mapping[str, np.ndarray],
    upstream_seed: int = 0,
    eps: float = 1e-6,
    tol: float = 1e-7,
) -> dict[str, float]:
    """Gradient-checks a layer with the course's ``forward``/``backward`` convention.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    The cost is ``J = sum(out * dout)`` for a fixed random upstream gradient ``dout``, so
    ``backward(dout, cache)`` must return ``dJ/d(input)`` for every input.

    Args:
        forward: ``forward(**inputs) -> (out, cache)``.
        backward: ``backward(dout, cache)`` returning one gradient per input, in the order
            of ``inputs`` (a tuple, or a single array for a single input).
        inputs: the layer's float64 inputs by keyword, e.g. ``{"A_prev": A, "W": W, "b": b}``.
        upstream_seed: seed of the standard-normal ``dout``.
        eps: finite-difference step.
        tol: the largest relative error accepted.

    Returns:
        ``{name: relative error}`` for every input.

    Raises:
        AssertionError: naming every input whose relative error exceeds ``tol``.
        ValueError: if ``backward`` does not return one gradient per input.

    Example:
        >>> from cvutils.conv import conv_forward, conv_backward
        >>> rng = np.random.default_rng(0)
        >>> hp = {"stride": 1, "pad": 1}
        >>> errs = check_layer_gradients(
        ...     lambda A_prev, W, b: conv_forward(A_prev, W, b, hp), conv_backward,
        ...     {"A_prev": rng.standard_normal((1, 3, 3, 2)),
        ...      "W": rng.standard_normal((2, 2, 2, 1)), "b": rng.standard_normal((1, 1, 1, 1))})
        >>> max(errs.values()) < 1e-7
        True
    """
    forward = check_callable("forward", forward)
    backward = check_callable("backward", backward)
    if not isinstance(inputs, Mapping) or not inputs:
        fail("inputs", "a non-empty dict of float64 arrays by name", describe(inputs), kind=True)
    upstream_seed = check_int("upstream_seed", upstream_seed, 0)
    eps = check_real("eps", eps, low=0.0, low_open=True)
    tol = check_real("tol", tol, low=0.0)
    inputs = {
        name: check_array(f"inputs[{name!r}]", value, dtype=np.float64, cast=False).copy()
        for name, value in inputs.items()
    }
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # some builtins have none: let the call itself tell
        signature = None
    if signature is not None:
        try:
            signature.bind(**inputs)
        except TypeError as err:
            fail("inputs", f"the keyword arguments of forward{signature}", f"{list(inputs)}: {err}")
    out, cache = forward(**inputs)
    dout = np.random.default_rng(upstream_seed).standard_normal(np.shape(out))
    grads = backward(dout, cache)
    if isinstance(grads, np.ndarray):
        grads = (grads,)
    if not isinstance(grads, tuple | list) or len(grads) != len(inputs):
        fail(
            "backward",
            f"a function returning one gradient per input {list(inputs)}",
            describe(grads),
            kind=not isinstance(grads, tuple | list),
        )
    errors: dict[str, float] = {}
    failures = []
    for (name, x), grad in zip(inputs.items(), grads, strict=True):

        def cost(value: np.ndarray, name: str = name) -> float:
            return float(np.sum(forward(**{**inputs, name: value})[0] * dout))

        try:
            errors[name] = check_gradient(cost, x, grad, eps=eps, tol=tol)
        except AssertionError as err:
            failures.append(f"{name}: {err}")
    if failures:
        raise AssertionError("\n".join(failures))
    return errors
