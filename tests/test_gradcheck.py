"""Tests of cvutils.gradcheck: centred differences, relative error, gradient checks."""

from __future__ import annotations

import numpy as np
import pytest

from cvutils import conv
from cvutils.gradcheck import (
    check_gradient,
    check_layer_gradients,
    numerical_gradient,
    relative_error,
)


def quadratic(x):
    return float(np.sum(x**2))


def test_numerical_gradient_of_a_quadratic():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    np.testing.assert_allclose(numerical_gradient(quadratic, x), 2 * x, atol=1e-8)


def test_numerical_gradient_of_a_matrix_function():
    rng = np.random.default_rng(0)
    M, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    # f(x) = sum(tanh(M x)); grad = M^T (1 - tanh(Mx)^2)
    grad = numerical_gradient(lambda v: np.sum(np.tanh(M @ v)), x)
    np.testing.assert_allclose(grad, M.T @ (1 - np.tanh(M @ x) ** 2), rtol=1e-7, atol=1e-9)


def test_numerical_gradient_accepts_scalars_and_one_element_arrays():
    x = np.array(3.0)
    assert numerical_gradient(lambda v: v**3, x) == pytest.approx(27.0, rel=1e-7)
    x = np.array([2.0])
    assert numerical_gradient(lambda v: np.array([v[0] ** 2]), x)[0] == pytest.approx(4.0)


def test_numerical_gradient_restores_x():
    x = np.random.default_rng(1).standard_normal((2, 3))
    before = x.copy()
    numerical_gradient(quadratic, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])
    before = x.copy()

    def f(v):
        if v[0] != before[0]:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (np.ones(3, dtype=np.float32), r"x must be an array of dtype float64; .*dtype float32"),
        (np.ones(3, dtype=int), r"x must be an array of dtype float64"),
        ([1.0, 2.0], r"x must be a float64 NumPy array .*\(list\)"),
        (None, r"x must be a float64 NumPy array"),
        (np.array([1.0, np.nan]), r"x must be an array of finite numbers; got 1 NaN or inf"),
        (np.array([np.inf, 1.0, -np.inf]), r"x must be an array of finite numbers; got 2 NaN"),
    ],
)
def test_numerical_gradient_bad_x(x, match):
    with pytest.raises(ValueError, match=match):
        numerical_gradient(quadratic, x)


def test_numerical_gradient_read_only_x():
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="x must be a writeable array"):
        numerical_gradient(quadratic, x)


@pytest.mark.parametrize("eps", [0, -1e-6, float("nan"), True, "1e-6"])
def test_numerical_gradient_bad_eps(eps):
    with pytest.raises(ValueError, match="eps must be"):
        numerical_gradient(quadratic, np.ones(2), eps=eps)


@pytest.mark.parametrize(
    ("f", "match"),
    [
        (lambda v: v, r"f must be a function returning a scalar .*shape \(2,\)"),
        (
            lambda v: float("nan"),
            r"f must be a function returning a finite real cost at x \+- eps; got nan",
        ),
        (lambda v: "cost", r"f must be a function returning a scalar"),
        (lambda v: 1j, r"f must be a function returning a finite real cost"),
        ("not callable", r"f must be callable"),
    ],
)
def test_numerical_gradient_bad_f(f, match):
    with pytest.raises(ValueError, match=match):
        numerical_gradient(f, np.ones(2))


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2)
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.1])
    assert relative_error(a, b) == pytest.approx(relative_error(b, a))
    assert relative_error(a, b) == pytest.approx(0.1 / (np.linalg.norm(a) + np.linalg.norm(b)))
    assert relative_error([1.0], [-1.0]) == 1.0


def test_relative_error_shape_mismatch():
    with pytest.raises(
        ValueError, match=r"b must be an array of the shape of a \(2, 3\); got .*\(3, 2\)"
    ):
        relative_error(np.zeros((2, 3)), np.zeros((3, 2)))


def test_check_gradient_passes_and_returns_the_error():
    x = np.array([1.0, -2.0, 3.0])
    error = check_gradient(quadratic, x, 2 * x)
    assert 0 <= error < 1e-7


def test_check_gradient_catches_a_wrong_gradient():
    x = np.array([1.0, -2.0, 3.0])
    wrong = 2 * x
    wrong[1] *= -1  # a sign error in one entry
    with pytest.raises(AssertionError, match=r"relative error .* > tol .* index \(1,\)"):
        check_gradient(quadratic, x, wrong)


def test_check_gradient_shape_mismatch():
    with pytest.raises(
        ValueError, match=r"analytic_grad must be an array of the shape of x \(3,\); got .*\(2,\)"
    ):
        check_gradient(quadratic, np.ones(3), np.ones(2))


def test_check_layer_gradients_on_conv_and_pool():
    rng = np.random.default_rng(2)
    hp = {"stride": 1, "pad": 1}
    errors = check_layer_gradients(
        lambda A_prev, W, b: conv.conv_forward(A_prev, W, b, hp),
        conv.conv_backward,
        {
            "A_prev": rng.standard_normal((1, 3, 4, 2)),
            "W": rng.standard_normal((2, 2, 2, 2)),
            "b": rng.standard_normal((1, 1, 1, 2)),
        },
        upstream_seed=5,
    )
    assert set(errors) == {"A_prev", "W", "b"} and max(errors.values()) < 1e-7
    errors = check_layer_gradients(
        lambda A_prev: conv.pool_forward(A_prev, {"f": 2, "stride": 1}, mode="average"),
        lambda d, cache: conv.pool_backward(d, cache, mode="average"),
        {"A_prev": rng.standard_normal((1, 3, 3, 2))},
    )
    assert errors["A_prev"] < 1e-7


def test_check_layer_gradients_names_the_wrong_input():
    def forward(x, y):
        return x * y, (x, y)

    def backward(d, cache):
        x, y = cache
        return d * y, d * y  # the second should be d * x

    rng = np.random.default_rng(3)
    with pytest.raises(AssertionError, match=r"^y: gradient check failed"):
        check_layer_gradients(
            forward, backward, {"x": rng.standard_normal(3), "y": rng.standard_normal(3)}
        )


def test_check_layer_gradients_wrong_number_of_gradients():
    with pytest.raises(
        ValueError,
        match=r"backward must be a function returning one gradient per input \['x', 'y'\]",
    ):
        check_layer_gradients(
            lambda x, y: (x * y, None), lambda d, cache: (d,), {"x": np.ones(2), "y": np.ones(2)}
        )


def test_check_layer_gradients_leaves_inputs_untouched():
    x = np.arange(3.0)
    before = x.copy()
    check_layer_gradients(lambda x: (x**2, x), lambda d, cache: 2 * cache * d, {"x": x})
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: relative_error([1.0, np.nan], [1.0, 2.0]), r"a must be an array of finite"),
        (lambda: relative_error([1.0, 2.0], [np.inf, 2.0]), r"b must be an array of finite"),
        (lambda: relative_error("ab", [1.0]), r"a must be a numeric array"),
        (lambda: check_gradient(quadratic, np.ones(2), [np.nan, 1.0]), r"analytic_grad must be"),
        (lambda: check_gradient(quadratic, np.ones(2), 2 * np.ones(2), tol=-1.0), r"tol must be"),
        (lambda: check_gradient(quadratic, np.ones(2), 2 * np.ones(2), tol=np.nan), r"tol must"),
        (lambda: check_layer_gradients(None, lambda d, c: d, {"x": np.ones(2)}), r"forward must"),
        (lambda: check_layer_gradients(lambda x: (x, x), 3, {"x": np.ones(2)}), r"backward must"),
        (lambda: check_layer_gradients(lambda x: (x, x), lambda d, c: d, {}), r"inputs must"),
        (lambda: check_layer_gradients(lambda x: (x, x), lambda d, c: d, [1.0]), r"inputs must"),
        (
            lambda: check_layer_gradients(
                lambda x: (x, x), lambda d, c: d, {"x": np.ones(2, dtype=np.float32)}
            ),
            r"inputs\['x'\] must be an array of dtype float64",
        ),
        (
            lambda: check_layer_gradients(
                lambda x: (x, x), lambda d, c: d, {"x": np.ones(2)}, upstream_seed=-1
            ),
            r"upstream_seed must be an integer >= 0",
        ),
        (
            lambda: check_layer_gradients(
                lambda x: (x, x), lambda d, c: d, {"x": np.ones(2)}, eps=0
            ),
            r"eps must be",
        ),
    ],
)
def test_bad_inputs_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_relative_error_of_huge_values_does_not_overflow():
    a = np.array([1e200, 2e200])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, 2 * a) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("x", "eps"), [(np.array([1e300, -2e300]), 1e-6), (np.array([1.0, 2.0]), 1e300)]
)
def test_an_overflowing_cost_names_x_and_eps(x, eps):
    # The sweep (tests/test_bad_input.py) found that a huge x or eps was reported as a fault
    # of f alone; the cost overflows at x +- eps, so the message names all three.
    with pytest.raises(ValueError, match=r"f must be .* finite real cost at x \+- eps; got inf"):
        numerical_gradient(quadratic, x.copy(), eps=eps)


def test_inputs_that_forward_does_not_take_are_named():
    # A learner's dict missing an input used to escape as forward's own TypeError.
    def forward(x, w):
        return x @ w, (x, w)

    with pytest.raises(
        ValueError, match=r"inputs must be the keyword arguments of forward\(x, w\)"
    ):
        check_layer_gradients(forward, lambda d, c: (d, d), {"x": np.ones((2, 2))})
    with pytest.raises(ValueError, match=r"inputs must be .*unexpected keyword argument 'v'"):
        check_layer_gradients(
            forward,
            lambda d, c: (d, d),
            {"x": np.ones((2, 2)), "w": np.ones((2, 2)), "v": np.ones(1)},
        )
