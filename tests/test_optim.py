"""Tests of cvutils.optim: every optimizer step for step against keras.optimizers, the
schedules against keras.optimizers.schedules, the 2-D surfaces against numerical gradients."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from refusals import assert_refused

from cvutils import optim

N_STEPS = 20


def _grads(seed=0, shape=(3, 4)):
    """A fixed sequence of N_STEPS gradients (float32-representable)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) for _ in range(N_STEPS)]


# (name, ours, Keras's, exact in float64). Keras keeps the learning rate in a float32
# variable and computes some hyperparameter terms in float32, so the "exact" cases use dyadic
# values (exact in float32) and agree to rounding in float64; the others use Keras's defaults
# and are held to float32 precision.
OPTIMIZERS = [
    ("sgd", lambda: optim.SGD(0.125), lambda: keras.optimizers.SGD(0.125), True),
    (
        "momentum",
        lambda: optim.SGD(0.0625, momentum=0.875),
        lambda: keras.optimizers.SGD(0.0625, momentum=0.875),
        True,
    ),
    (
        "nesterov",
        lambda: optim.SGD(0.0625, momentum=0.875, nesterov=True),
        lambda: keras.optimizers.SGD(0.0625, momentum=0.875, nesterov=True),
        True,
    ),
    (
        "adagrad",
        lambda: optim.Adagrad(0.125, initial_accumulator_value=0.125),
        lambda: keras.optimizers.Adagrad(0.125, initial_accumulator_value=0.125),
        True,
    ),
    ("rmsprop", lambda: optim.RMSprop(0.015625), lambda: keras.optimizers.RMSprop(0.015625), True),
    (
        "adam",
        lambda: optim.Adam(0.015625, beta_1=0.875, beta_2=0.998046875),
        lambda: keras.optimizers.Adam(0.015625, beta_1=0.875, beta_2=0.998046875),
        True,
    ),
    (
        "adam_eps",
        lambda: optim.Adam(0.03125, beta_1=0.75, beta_2=0.9375, epsilon=2**-13),
        lambda: keras.optimizers.Adam(0.03125, beta_1=0.75, beta_2=0.9375, epsilon=2**-13),
        True,
    ),
    (
        "momentum_defaults",
        lambda: optim.SGD(momentum=0.9),
        lambda: keras.optimizers.SGD(momentum=0.9),
        False,
    ),
    ("adagrad_defaults", lambda: optim.Adagrad(0.1), lambda: keras.optimizers.Adagrad(0.1), False),
    ("rmsprop_defaults", lambda: optim.RMSprop(), lambda: keras.optimizers.RMSprop(), False),
    ("adam_defaults", lambda: optim.Adam(0.01), lambda: keras.optimizers.Adam(0.01), False),
    (
        "momentum_step_schedule",
        lambda: optim.SGD(optim.StepDecay(0.125, drop=0.5, every=6), momentum=0.875),
        lambda: keras.optimizers.SGD(
            optim.StepDecay(0.125, drop=0.5, every=6).to_keras(), momentum=0.875
        ),
        True,
    ),
    (
        "sgd_schedule",
        lambda: optim.SGD(optim.ExponentialDecay(0.1, 0.1)),
        lambda: keras.optimizers.SGD(optim.ExponentialDecay(0.1, 0.1).to_keras()),
        False,
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("name", "mine", "theirs", "exact"), OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS]
)
def test_optimizer_matches_keras_step_for_step(name, mine, theirs, exact, dtype):
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal((3, 4)).astype(dtype)
    p = p0.copy()
    var = keras.Variable(p0.copy(), dtype=dtype)
    opt_np, opt_k = mine(), theirs()
    tol = 1e-12 if dtype == "float64" and exact else 1e-6
    for t, g in enumerate(_grads()):
        g = g.astype(dtype)
        opt_np.apply([g], [p])
        opt_k.apply([keras.ops.convert_to_tensor(g)], [var])
        np.testing.assert_allclose(
            p, keras.ops.convert_to_numpy(var), rtol=tol * 10, atol=tol, err_msg=f"step {t}"
        )
    assert opt_np.iterations == N_STEPS == int(keras.ops.convert_to_numpy(opt_k.iterations))
    assert p.dtype == np.dtype(dtype)


def test_optimizer_updates_several_params_in_place():
    a, b = np.ones(3), np.ones((2, 2))
    opt = optim.SGD(0.5, momentum=0.5)
    opt.apply([np.ones(3), 2 * np.ones((2, 2))], [a, b])
    np.testing.assert_allclose(a, 0.5)
    np.testing.assert_allclose(b, 0.0)
    opt.apply([np.ones(3), 2 * np.ones((2, 2))], [a, b])
    # v = 0.5 * (-0.5) - 0.5 = -0.75
    np.testing.assert_allclose(a, -0.25)


def test_hand_worked_adam_first_step_is_lr_times_sign():
    # After one step, m_hat = g and v_hat = g^2, so the step is lr * g / |g| (eps aside).
    p = np.array([1.0, -2.0, 3.0])
    optim.Adam(0.1, epsilon=1e-300).apply([np.array([5.0, -0.01, 2.0])], [p])
    np.testing.assert_allclose(p, [0.9, -1.9, 2.9], rtol=1e-12)


def test_momentum_on_constant_gradient_approaches_lr_over_one_minus_mu():
    opt, p = optim.SGD(0.1, momentum=0.9), np.zeros(1)
    for _ in range(300):
        opt.apply([np.ones(1)], [p])
    np.testing.assert_allclose(opt.velocities[0], -0.1 / (1 - 0.9), rtol=1e-9)


SCHEDULES = [
    ("step", optim.StepDecay(0.1, drop=0.5, every=7)),
    ("exponential", optim.ExponentialDecay(0.1, k=0.05)),
    ("inverse_time", optim.InverseTimeDecay(0.1, k=0.2)),
]


@pytest.mark.parametrize(("name", "schedule"), SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedules_match_keras(name, schedule):
    steps = np.arange(0, 120)
    ks = schedule.to_keras()
    theirs = np.array([float(keras.ops.convert_to_numpy(ks(int(t)))) for t in steps])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ks(steps)), theirs, rtol=1e-6)
    # Keras evaluates schedules in float32
    np.testing.assert_allclose(schedule(steps), theirs, rtol=1e-5)


def test_schedule_formulas_by_hand():
    assert optim.step_decay(13, 0.1, 0.5, 5) == pytest.approx(0.1 * 0.25)
    assert optim.exponential_decay(10, 2.0, 0.1) == pytest.approx(2.0 * math.exp(-1.0))
    assert optim.inverse_time_decay(4, 1.0, 0.25) == pytest.approx(0.5)
    np.testing.assert_allclose(
        optim.step_decay([0, 4, 5, 9, 10], 1.0, 0.1, 5), [1, 1, 0.1, 0.1, 0.01]
    )


def test_step_decay_matches_keras_staircase_exponential():
    ks = keras.optimizers.schedules.ExponentialDecay(
        0.3, decay_steps=4, decay_rate=0.7, staircase=True
    )
    steps = np.arange(50)
    theirs = np.array([float(keras.ops.convert_to_numpy(ks(int(t)))) for t in steps])
    np.testing.assert_allclose(optim.step_decay(steps, 0.3, 0.7, 4), theirs, rtol=1e-6)


@pytest.mark.parametrize("fn", [optim.ill_conditioned_quadratic, optim.rosenbrock])
def test_surface_gradients_match_numerical(fn):
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1.5, 1.5, size=(10, 2))
    _, g = fn(pts)
    h = 1e-6
    num = np.stack(
        [(fn(pts + h * e)[0] - fn(pts - h * e)[0]) / (2 * h) for e in np.eye(2)], axis=-1
    )
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-6)


def test_trajectory_shape_and_convergence():
    path = optim.trajectory(
        optim.SGD(0.03, momentum=0.875), optim.ill_conditioned_quadratic, [-2.0, 1.0], 200
    )
    assert path.shape == (201, 2)
    np.testing.assert_allclose(path[0], [-2.0, 1.0])
    assert np.linalg.norm(path[-1]) < 1e-3
    # plain SGD with lr > 2 / 25 diverges along the steep y axis
    bad = optim.trajectory(optim.SGD(0.081), optim.ill_conditioned_quadratic, [0.0, 1.0], 50)
    assert abs(bad[-1, 1]) > abs(bad[0, 1])


Q = optim.ill_conditioned_quadratic


@pytest.mark.parametrize(
    ("make", "arg"),
    [
        (lambda: optim.SGD(-0.1), "learning_rate"),
        (lambda: optim.SGD(float("nan")), "learning_rate"),
        (lambda: optim.SGD("0.1"), "learning_rate"),
        (lambda: optim.SGD(None), "learning_rate"),
        (lambda: optim.SGD(0.1, momentum=1.0), "momentum"),
        (lambda: optim.SGD(0.1, momentum=-0.1), "momentum"),
        (lambda: optim.SGD(0.1, momentum=0.9, nesterov="no"), "nesterov"),
        (lambda: optim.SGD(0.1, momentum=0.9, nesterov=2), "nesterov"),
        (lambda: optim.SGD(0.1, momentum=0.9, nesterov=None), "nesterov"),
        (lambda: optim.Adagrad(0.1, initial_accumulator_value=-1), "initial_accumulator_value"),
        (lambda: optim.Adagrad(0.1, epsilon=0.0), "epsilon"),
        (lambda: optim.RMSprop(0.1, rho=1.5), "rho"),
        (lambda: optim.RMSprop(0.1, epsilon=0.0), "epsilon"),
        (lambda: optim.Adam(0.1, beta_1=1.0), "beta_1"),
        (lambda: optim.Adam(0.1, beta_2=-0.5), "beta_2"),
        (lambda: optim.Adam(0.1, epsilon=-1e-7), "epsilon"),
        (lambda: optim.Adam(0.01, epsilon=0.0), "epsilon"),
        (lambda: optim.StepDecay(0.1, drop=0.0), "drop"),
        (lambda: optim.StepDecay(0.1, every=0), "every"),
        (lambda: optim.StepDecay(0.1, every=2.0), "every"),
        (lambda: optim.StepDecay(0.1).to_keras(n_drops=0), "n_drops"),
        (lambda: optim.StepDecay(0.1).to_keras(n_drops=10**9), "n_drops"),
        (lambda: optim.StepDecay(0.1)([1, np.nan]), "step"),
        (lambda: optim.ExponentialDecay(-1.0, 0.1), "initial_learning_rate"),
        (lambda: optim.ExponentialDecay(1.0, np.inf), "k"),
        (lambda: optim.InverseTimeDecay(1.0, -0.1), "k"),
        (lambda: optim.step_decay(-1, 0.1, 0.5, 2), "step"),
        (lambda: optim.step_decay("1", 0.1, 0.5, 2), "step"),
        (lambda: optim.exponential_decay(None, 0.1, 0.5), "step"),
        (lambda: optim.inverse_time_decay([0, -2], 0.1, 0.5), "step"),
        (lambda: optim.ill_conditioned_quadratic(np.zeros(3)), "p"),
        (lambda: optim.ill_conditioned_quadratic([np.nan, 0.0]), "p"),
        (lambda: optim.ill_conditioned_quadratic([0.0, 0.0], a=0), "a"),
        (lambda: optim.ill_conditioned_quadratic([0.0, 0.0], b=None), "b"),
        (lambda: optim.rosenbrock(5.0), "p"),
        (lambda: optim.rosenbrock([0.0, 0.0], a=np.nan), "a"),
        (lambda: optim.rosenbrock([0.0, 0.0], b=-1.0), "b"),
        (lambda: optim.trajectory(optim.SGD(0.1), optim.rosenbrock, [0.0, 0.0], -1), "steps"),
        (lambda: optim.trajectory(optim.SGD(0.1), optim.rosenbrock, [0.0, 0.0], 10**9), "steps"),
        (lambda: optim.trajectory(optim.SGD(0.1), optim.rosenbrock, [0.0, 0.0], 1.0), "steps"),
        (lambda: optim.trajectory("sgd", optim.rosenbrock, [0.0, 0.0], 1), "optimizer"),
        (lambda: optim.trajectory(optim.SGD(0.1), None, [0.0, 0.0], 1), "loss_fn"),
        (lambda: optim.trajectory(optim.SGD(0.1), Q, [0.0, 0.0, 0.0], 1), "start"),
        (lambda: optim.trajectory(optim.SGD(0.1), Q, [np.inf, 0.0], 1), "start"),
        (
            lambda: optim.trajectory(optim.SGD(0.1), lambda p: (0.0, p * np.nan), [1.0, 0.0], 1),
            "grads[0]",
        ),
        (
            lambda: optim.SGD(lambda t: float("nan")).update(np.ones(2), np.ones(2)),
            "learning_rate(0)",
        ),
        (lambda: optim.SGD(lambda t: -1.0).update(np.ones(2), np.ones(2)), "learning_rate(0)"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(make, arg):
    assert_refused(make, arg)


@pytest.mark.parametrize(
    ("grads", "params", "arg"),
    [
        ([np.ones(3)], [np.ones(4)], "grads[0]"),
        ([np.ones(3), np.ones(3)], [np.ones(3)], "grads"),
        ([np.ones(3)], [np.ones(3, dtype=int)], "params[0]"),
        ([np.ones(3)], [np.ones(3, dtype=complex)], "params[0]"),
        ([np.ones(3)], [[1.0, 2.0, 3.0]], "params[0]"),
        ([np.ones(3)], [np.array([1.0, np.nan, 0.0])], "params[0]"),
        ([np.array([1.0, np.nan, 0.0])], [np.ones(3)], "grads[0]"),
        ([np.array([1.0, np.inf, 0.0])], [np.ones(3)], "grads[0]"),
        ([np.array([1e300, 0.0, 0.0])], [np.ones(3, dtype=np.float32)], "grads[0]"),
        ([None], [np.ones(3)], "grads[0]"),
        ([np.ones(3) + 1j], [np.ones(3)], "grads[0]"),
        (np.ones(3), [np.ones(3)], "grads"),
        ([np.ones(3)], np.ones(3), "params"),
        ([np.ones(3)], None, "params"),
    ],
)
@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam])
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_apply_rejects_bad_grads_and_params_and_changes_nothing(grads, params, arg, cls):
    opt = cls(0.1)
    before = [np.array(p, copy=True) for p in params] if isinstance(params, list) else None
    assert_refused(lambda: opt.apply(grads, params), arg)
    assert opt.iterations == 0
    if before is not None:
        for p, b in zip(params, before, strict=True):
            np.testing.assert_array_equal(np.asarray(p), b)


def test_update_refuses_nan_gradients_and_keeps_the_parameter():
    p = np.ones(2)
    opt = optim.SGD(0.1)
    assert_refused(lambda: opt.update(p, np.array([np.nan, 0.0])), "grads[0]")
    np.testing.assert_array_equal(p, np.ones(2))


def test_adam_with_zero_gradient_stays_finite():
    p = np.ones(3)
    for _ in range(3):
        optim.Adam(0.01).update(p, np.zeros(3))
    np.testing.assert_array_equal(p, np.ones(3))


def test_apply_rejects_changed_params():
    opt = optim.Adam(0.1)
    opt.apply([np.ones(3)], [np.ones(3)])
    assert_refused(lambda: opt.apply([np.ones(4)], [np.ones(4)]), "params")


# Found by tests/test_bad_input.py: the messages now say which params entry the grads match.
def test_apply_and_update_messages_name_params():
    opt = optim.SGD(0.1)
    err = assert_refused(lambda: opt.apply([np.ones(3)], [np.zeros(3), np.zeros(3)]), "grads")
    assert "params" in str(err)
    err = assert_refused(lambda: opt.update(np.zeros(4), np.ones(3)), "grads[0]")
    assert "params[0]" in str(err)
