"""Bad-input specs of `cvutils.gradcheck`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


# --- gradcheck
def _quad(x):
    return float(np.sum(x**2))


@spec("gradcheck.numerical_gradient", mutates=())
def _():
    return _mod("gradcheck").numerical_gradient, dict(f=_quad, x=np.array([1.0, -2.0]), eps=1e-6)


@spec("gradcheck.relative_error")
def _():
    return _mod("gradcheck").relative_error, dict(a=np.array([1.0, 2.0]), b=np.array([1.0, 2.1]))


# A gradient check's answer to a wrong gradient (or tol=0) is its documented AssertionError.
@spec("gradcheck.check_gradient", verdicts=(AssertionError,))
def _():
    x = np.array([1.0, -2.0])
    return _mod("gradcheck").check_gradient, dict(
        f=_quad, x=x, analytic_grad=2 * x, eps=1e-6, tol=1e-6
    )


def _dense_forward(x, w):
    return x @ w, (x, w)


def _dense_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout


@spec("gradcheck.check_layer_gradients", verdicts=(AssertionError,))
def _():
    return _mod("gradcheck").check_layer_gradients, dict(
        forward=_dense_forward,
        backward=_dense_backward,
        inputs={"x": rng().normal(size=(3, 2)), "w": rng(1).normal(size=(2, 4))},
        upstream_seed=0,
        eps=1e-6,
        tol=1e-6,
    )
