"""Optimizers and learning-rate schedules in NumPy, step for step like `keras.optimizers`.

The update rules follow Keras 3 exactly (read ``keras/src/optimizers/*.py``), so a learner
can check each one against the library on the same gradients. With ``g`` the gradient,
``p`` the parameter, ``lr`` the learning rate at the current step and ``t`` the step count
starting at 1:

* `SGD`: ``p -= lr * g``.
* `SGD` with ``momentum=mu`` (Keras's form, identical to CS231n's ``sgd_momentum``):
  ``v = mu * v - lr * g; p += v``. With ``nesterov=True``: ``v = mu * v - lr * g;
  p += mu * v - lr * g``.
* `Adagrad`: ``a += g**2; p -= lr * g / sqrt(a + eps)``; ``a`` starts at
  ``initial_accumulator_value=0.1`` and ``eps=1e-7`` sits *inside* the square root.
* `RMSprop`: ``s = rho * s + (1 - rho) * g**2; p -= lr * g / sqrt(s + eps)`` (``rho=0.9``,
  ``eps=1e-7`` inside the root, ``s`` starts at 0).
* `Adam`: ``m += (1 - b1) * (g - m); v += (1 - b2) * (g**2 - v)``;
  ``alpha = lr * sqrt(1 - b2**t) / (1 - b1**t); p -= alpha * m / (sqrt(v) + eps)``. The bias
  correction is folded into ``alpha``, so ``eps=1e-7`` is added to the *uncorrected*
  ``sqrt(v)``; this differs from the paper's ``m_hat / (sqrt(v_hat) + eps)`` only by the size
  of ``eps``.

An optimizer is used like a Keras one: ``opt.apply(grads, params)`` updates the NumPy arrays
in ``params`` in place and counts ``opt.iterations``. The learning rate may be a number or a
schedule (any callable ``step -> lr``, for example `StepDecay`); as in Keras it is evaluated at
``iterations`` *before* the step.

Schedules (each a NumPy function of the step, vectorised over arrays of steps, and an object
with ``to_keras()`` returning the equivalent ``keras.optimizers.schedules`` object):

* step decay ``a0 * drop ** floor(t / every)`` (`step_decay`, `StepDecay`),
* exponential decay ``a0 * exp(-k t)`` (`exponential_decay`, `ExponentialDecay`),
* 1/t decay ``a0 / (1 + k t)`` (`inverse_time_decay`, `InverseTimeDecay`);
* one-cycle, the triangle ``0 -> peak -> 0`` of the ResNet-9 speed-run (`one_cycle`, and
  `OneCycle`, a ``keras.optimizers.schedules.LearningRateSchedule`` itself, registered for
  saving; taught in notebooks/08_residual_networks.ipynb).

Two 2-D loss surfaces for trajectory plots: `ill_conditioned_quadratic` (the bowl
``0.5 (x^2 + 25 y^2)``) and `rosenbrock`; `trajectory` runs an optimizer on one.

Bad arguments (negative learning rates, ``momentum``/``rho``/``beta`` outside ``[0, 1)``,
``epsilon <= 0``, gradients whose shapes differ from the parameters' or that hold NaN or inf)
raise ``ValueError`` naming the argument, through `cvutils.checks`.

Taught in notebooks/06_training_convnets_well.ipynb (the one-cycle schedule in
notebooks/08_residual_networks.ipynb). The optimizers and schedules are NumPy; the module
imports Keras for `OneCycle` alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras
import numpy as np

from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_bool,
    check_callable,
    check_int,
    check_real,
    describe,
    fail,
)

#: The most drops `StepDecay.to_keras` writes out (``drop ** 10_000`` is 0 in float64).
MAX_DROPS = 10_000
#: The most steps `trajectory` records.
MAX_STEPS = 10**6

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "ExponentialDecay",
    "InverseTimeDecay",
    "OneCycle",
    "Optimizer",
    "RMSprop",
    "StepDecay",
    "exponential_decay",
    "ill_conditioned_quadratic",
    "inverse_time_decay",
    "one_cycle",
    "rosenbrock",
    "step_decay",
    "trajectory",
]


# ----------------------------------------------------------------------------- checks


def _check_learning_rate(learning_rate):
    """A finite number >= 0 or a callable schedule ``step -> lr``."""
    if callable(learning_rate):
        return learning_rate
    return check_real("learning_rate", learning_rate, low=0.0)


def _bool_array(x) -> bool:
    """Whether ``x`` is an array (or nested list) of booleans."""
    if isinstance(x, str | bytes):
        return False
    try:
        return np.asarray(x).dtype == np.bool_
    except (ValueError, TypeError):
        return False


def _check_step(step) -> np.ndarray:
    if isinstance(step, bool | np.bool_) or _bool_array(step):
        fail("step", "step counts (numbers >= 0, not flags)", describe(step), kind=True)
    s = check_array("step", step, dtype=np.float64)
    if s.size and s.min() < 0:
        fail("step", "non-negative steps", f"minimum {s.min()!r}")
    return s


def _check_initial_rate(initial_learning_rate) -> float:
    """``a0``: the rate of every schedule at step 0, a finite number > 0."""
    return check_real(
        "initial_learning_rate", initial_learning_rate, low=0.0, low_open=True, high=None
    )


def _check_decay(step, initial_learning_rate, k) -> tuple[np.ndarray, float, float]:
    """``(step, a0, k)`` of a schedule ``a0 * g(k * step)``, each checked and named."""
    a0 = _check_initial_rate(initial_learning_rate)
    return _check_step(step), a0, check_real("k", k, low=0.0)


# ----------------------------------------------------------------------------- schedules


def step_decay(step, initial_learning_rate: float, drop: float, every: int):
    """Step decay: ``a0 * drop ** floor(step / every)``.

    Args:
        step: scalar or array of steps ``t >= 0`` (any shape).
        initial_learning_rate: ``a0 > 0``.
        drop: factor in ``(0, 1]`` applied every ``every`` steps (e.g. 0.5: halve).
        every: steps between drops, a positive int.

    Returns:
        Learning rates, float64 of the shape of ``step``.

    Raises:
        ValueError: for a negative or non-finite step or a bad rate or constant, each named.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """
    a0 = _check_initial_rate(initial_learning_rate)
    d = check_real("drop", drop, low=0.0, low_open=True, high=1.0, high_open=False)
    every = check_int("every", every, 1, MAX_COUNT)
    t = _check_step(step)
    return a0 * d ** np.floor(t / every)


def exponential_decay(step, initial_learning_rate: float, k: float):
    """Exponential decay: ``a0 * exp(-k * step)``.

    Args:
        step: scalar or array of steps ``t >= 0``.
        initial_learning_rate: ``a0 > 0``.
        k: decay constant ``>= 0``.

    Returns:
        Learning rates, float64 of the shape of ``step``.

    Raises:
        ValueError: for a negative or non-finite step or a bad rate or constant, each named.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """
    t, a0, k = _check_decay(step, initial_learning_rate, k)
    return a0 * np.exp(-k * t)


def inverse_time_decay(step, initial_learning_rate: float, k: float):
    """1/t decay: ``a0 / (1 + k * step)``.

    Args:
        step: scalar or array of steps ``t >= 0``.
        initial_learning_rate: ``a0 > 0``.
        k: decay constant ``>= 0``.

    Returns:
        Learning rates, float64 of the shape of ``step``.

    Raises:
        ValueError: for a negative or non-finite step or a bad rate or constant, each named.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """
    t, a0, k = _check_decay(step, initial_learning_rate, k)
    return a0 / (1.0 + k * t)


class StepDecay:
    """Callable `step_decay` schedule; ``to_keras()`` gives ``PiecewiseConstantDecay``.

    Keras's ``PiecewiseConstantDecay(boundaries, values)`` returns ``values[i]`` for
    ``boundaries[i-1] < step <= boundaries[i]``; for integer steps, ``floor(t / every)``
    changes *at* ``t = k * every``, so the boundaries are ``k * every - 1``.

    Taught in notebooks/06_training_convnets_well.ipynb.

    Examples:
        >>> StepDecay(0.1, drop=0.5, every=10)([0, 9, 10, 25]).tolist()
        [0.1, 0.1, 0.05, 0.025]
    """

    def __init__(self, initial_learning_rate: float, drop: float = 0.5, every: int = 10):
        step_decay(0, initial_learning_rate, drop, every)  # validates
        self.initial_learning_rate, self.drop, self.every = (
            float(initial_learning_rate),
            float(drop),
            int(every),
        )

    def __call__(self, step):
        return step_decay(step, self.initial_learning_rate, self.drop, self.every)

    def to_keras(self, n_drops: int = 20):
        """``keras.optimizers.schedules.PiecewiseConstantDecay`` equal for ``n_drops`` drops.

        Args:
            n_drops: how many drops to write out, ``1..MAX_DROPS``; after the last one the
                rate stays constant.
        """
        n_drops = check_int("n_drops", n_drops, 1, MAX_DROPS)
        import keras

        boundaries = [k * self.every - 1 for k in range(1, n_drops + 1)]
        values = [self.initial_learning_rate * self.drop**k for k in range(n_drops + 1)]
        return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)

    def __repr__(self) -> str:
        return (
            f"StepDecay(initial_learning_rate={self.initial_learning_rate}, "
            f"drop={self.drop}, every={self.every})"
        )


class _DecayWithK:
    """A callable schedule ``a0 * g(k * step)``: the shared part of the two classes below."""

    #: The schedule function ``(step, initial_learning_rate, k) -> rates``.
    _schedule: Callable

    def __init__(self, initial_learning_rate: float, k: float):
        _, self.initial_learning_rate, self.k = _check_decay(0, initial_learning_rate, k)

    def __call__(self, step):
        return type(self)._schedule(step, self.initial_learning_rate, self.k)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(initial_learning_rate={self.initial_learning_rate}, k={self.k})"
        )


class ExponentialDecay(_DecayWithK):
    """Callable `exponential_decay` schedule ``a0 exp(-k t)``.

    ``to_keras()`` gives ``ExponentialDecay(a0, decay_steps=1, decay_rate=exp(-k))``, which
    computes ``a0 * exp(-k) ** t``: the same function.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """

    _schedule = staticmethod(exponential_decay)

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.ExponentialDecay(
            self.initial_learning_rate, decay_steps=1, decay_rate=math.exp(-self.k)
        )


class InverseTimeDecay(_DecayWithK):
    """Callable `inverse_time_decay` schedule ``a0 / (1 + k t)``.

    ``to_keras()`` gives ``InverseTimeDecay(a0, decay_steps=1, decay_rate=k)``.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """

    _schedule = staticmethod(inverse_time_decay)

    def to_keras(self):
        import keras

        return keras.optimizers.schedules.InverseTimeDecay(
            self.initial_learning_rate, decay_steps=1, decay_rate=self.k
        )


# ----------------------------------------------------------------------------- optimizers


class Optimizer:
    """Base class: keeps per-parameter state and the step counter, applies `update`.

    Subclasses implement ``_update(i, p, g, lr)``, which changes the array ``p`` in place using
    the state slots created by ``_build``.

    Attributes:
        iterations: number of steps taken so far (Keras's ``optimizer.iterations``).

    Taught in notebooks/06_training_convnets_well.ipynb.
    """

    def __init__(self, learning_rate=0.01):
        self.learning_rate = _check_learning_rate(learning_rate)
        self.iterations = 0
        self._n_params: int | None = None
        self._shapes: list[tuple] = []

    def current_learning_rate(self) -> float:
        """The learning rate of the next step (a schedule is evaluated at ``iterations``).

        Raises:
            ValueError: if a schedule returns anything but a finite number >= 0.
        """
        if callable(self.learning_rate):
            value = self.learning_rate(self.iterations)
            if isinstance(value, np.ndarray) and value.shape == ():
                value = value[()]
            return check_real(f"learning_rate({self.iterations})", value, low=0.0)
        return float(self.learning_rate)

    def _build(self, params: Sequence[np.ndarray]) -> None:  # pragma: no cover - overridden
        pass

    def _update(self, i: int, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    def apply(self, grads: Sequence[np.ndarray], params: Sequence[np.ndarray]) -> None:
        """Takes one step: updates every array of ``params`` in place.

        Args:
            grads: one gradient per parameter, each of the parameter's shape.
            params: float NumPy arrays (writeable); the same list, in the same order, at
                every call.

        Raises:
            ValueError: if the lists differ in length, a gradient's shape differs from its
                parameter's or holds NaN or inf, a parameter is not a writeable, finite float
                array, or the set of parameters changed since the first call. Nothing is
                changed when a check fails.

        Taught in notebooks/06_training_convnets_well.ipynb.
        """
        for name, value in (("params", params), ("grads", grads)):
            if not isinstance(value, list | tuple):
                fail(
                    name,
                    "a list of arrays (wrap a single array as [p])",
                    describe(value),
                    kind=True,
                )
        if len(params) != len(grads):
            fail("grads", f"one entry per array of params ({len(params)})", f"{len(grads)} entries")
        checked = []
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f" or not p.flags.writeable:
                fail(f"params[{i}]", "a writeable float NumPy array", describe(p), kind=True)
            check_array(f"params[{i}]", p)
            checked.append(
                check_array(
                    f"grads[{i}]", g, shape=p.shape, dtype=p.dtype, layout=f"of params[{i}]"
                )
            )
        shapes = [p.shape for p in params]
        if self._n_params is not None and shapes != self._shapes:
            fail("params", f"the parameters of the first step, shapes {self._shapes}", f"{shapes}")
        lr = self.current_learning_rate()
        if self._n_params is None:
            self._n_params, self._shapes = len(params), shapes
            self._build(params)
        for i, (p, g) in enumerate(zip(params, checked, strict=True)):
            self._update(i, p, g, lr)
        self.iterations += 1

    def update(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Convenience for a single parameter: ``apply([grad], [param])``; returns ``param``.

        Raises:
            ValueError: as `apply`, naming ``params[0]`` and ``grads[0]``.
        """
        self.apply([grad], [param])
        return param

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as `keras.optimizers.SGD`.

    ``momentum=0``: ``p -= lr g``. ``momentum=mu > 0``: ``v = mu v - lr g; p += v`` (Nesterov:
    ``p += mu v - lr g``). Defaults are Keras's (``learning_rate=0.01``).

    Taught in notebooks/06_training_convnets_well.ipynb.

    Examples:
        >>> p = np.array([1.0])
        >>> SGD(0.1).update(p, np.array([2.0])).tolist()
        [0.8]
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0)
        self.nesterov = check_bool("nesterov", nesterov)

    def _build(self, params):
        self.velocities = [np.zeros_like(p) for p in params]

    def _update(self, i, p, g, lr):
        if self.momentum == 0:
            p -= lr * g
            return
        v = self.velocities[i]
        v *= self.momentum
        v -= lr * g
        if self.nesterov:
            p += self.momentum * v - lr * g
        else:
            p += v


class Adagrad(Optimizer):
    """AdaGrad as `keras.optimizers.Adagrad`: ``a += g^2; p -= lr g / sqrt(a + eps)``.

    Keras starts the accumulator at ``initial_accumulator_value=0.1`` (CS231n at 0) and puts
    ``epsilon=1e-7`` inside the square root. ``epsilon`` must be > 0: with ``0`` a
    parameter whose gradient and accumulator are 0 would become NaN.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """

    def __init__(
        self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7
    ):
        super().__init__(learning_rate)
        self.initial_accumulator_value = check_real(
            "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        self.epsilon = check_real("epsilon", epsilon, low=0.0, low_open=True)

    def _build(self, params):
        self.accumulators = [np.full_like(p, self.initial_accumulator_value) for p in params]

    def _update(self, i, p, g, lr):
        a = self.accumulators[i]
        a += g * g
        p -= lr * g / np.sqrt(a + self.epsilon)


class RMSprop(Optimizer):
    """RMSProp as `keras.optimizers.RMSprop` (not centred, no momentum).

    ``s = rho s + (1 - rho) g^2; p -= lr g / sqrt(s + eps)``, with ``s`` starting at 0 and
    ``epsilon=1e-7`` inside the square root (CS231n adds ``eps`` outside it); ``epsilon``
    must be > 0.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = check_real("rho", rho, low=0.0, high=1.0)
        self.epsilon = check_real("epsilon", epsilon, low=0.0, low_open=True)

    def _build(self, params):
        self.velocities = [np.zeros_like(p) for p in params]

    def _update(self, i, p, g, lr):
        s = self.velocities[i]
        s *= self.rho
        s += (1.0 - self.rho) * g * g
        p -= lr * g / np.sqrt(s + self.epsilon)


class Adam(Optimizer):
    """Adam with bias correction, as `keras.optimizers.Adam`.

    ``m += (1 - b1)(g - m); v += (1 - b2)(g^2 - v)``;
    ``alpha = lr sqrt(1 - b2^t) / (1 - b1^t)``; ``p -= alpha m / (sqrt(v) + eps)``.
    ``epsilon`` must be > 0: with ``0`` an exactly-zero gradient gives ``0 / 0 = NaN``.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """

    def __init__(
        self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
    ):
        super().__init__(learning_rate)
        self.beta_1 = check_real("beta_1", beta_1, low=0.0, high=1.0)
        self.beta_2 = check_real("beta_2", beta_2, low=0.0, high=1.0)
        self.epsilon = check_real("epsilon", epsilon, low=0.0, low_open=True)

    def _build(self, params):
        self.momentums = [np.zeros_like(p) for p in params]
        self.velocities = [np.zeros_like(p) for p in params]

    def _update(self, i, p, g, lr):
        t = self.iterations + 1
        m, v = self.momentums[i], self.velocities[i]
        m += (1.0 - self.beta_1) * (g - m)
        v += (1.0 - self.beta_2) * (g * g - v)
        alpha = lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        p -= alpha * m / (np.sqrt(v) + self.epsilon)


# ----------------------------------------------------------------------------- 2-D surfaces


def _check_point(p, name: str = "p") -> np.ndarray:
    p = check_array(name, p, min_ndim=1, dtype=np.float64)
    if p.shape[-1] != 2:
        fail(name, "an array of shape (..., 2) (points (x, y))", describe(p))
    return p


def ill_conditioned_quadratic(p, a: float = 1.0, b: float = 25.0):
    """The bowl ``f(x, y) = 0.5 (a x^2 + b y^2)``: condition number ``b / a``.

    Args:
        p: points ``(..., 2)``.
        a, b: curvatures along x and y (positive).

    Returns:
        ``(f, grad)``: ``f`` of shape ``(...)``, ``grad`` of shape ``(..., 2)``.

    Taught in notebooks/06_training_convnets_well.ipynb.

    Examples:
        >>> f, g = ill_conditioned_quadratic([1.0, 1.0])
        >>> float(f), g.tolist()
        (13.0, [1.0, 25.0])
    """
    p = _check_point(p)
    a = check_real("a", a, low=0.0, low_open=True, high=None)
    b = check_real("b", b, low=0.0, low_open=True, high=None)
    x, y = p[..., 0], p[..., 1]
    return 0.5 * (a * x**2 + b * y**2), np.stack([a * x, b * y], axis=-1)


def rosenbrock(p, a: float = 1.0, b: float = 100.0):
    """Rosenbrock's banana ``(a - x)^2 + b (y - x^2)^2``, minimum 0 at ``(a, a^2)``.

    Args:
        p: points ``(..., 2)``.
        a, b: the constants (finite; the course's are 1 and 100).

    Returns:
        ``(f, grad)``: ``f`` of shape ``(...)``, ``grad`` of shape ``(..., 2)``.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """
    p = _check_point(p)
    a = check_real("a", a)
    b = check_real("b", b, low=0.0, low_open=True)
    x, y = p[..., 0], p[..., 1]
    f = (a - x) ** 2 + b * (y - x**2) ** 2
    gx = -2 * (a - x) - 4 * b * x * (y - x**2)
    gy = 2 * b * (y - x**2)
    return f, np.stack([gx, gy], axis=-1)


def trajectory(optimizer: Optimizer, loss_fn: Callable, start, steps: int) -> np.ndarray:
    """Runs ``optimizer`` on a 2-D surface and records the path.

    Args:
        optimizer: a fresh `Optimizer` (its state is used and changed).
        loss_fn: ``p -> (f, grad)`` for ``p`` of shape ``(2,)``, e.g. `ill_conditioned_quadratic`.
        start: starting point ``(2,)``.
        steps: number of steps, ``>= 0``.

    Returns:
        ``(steps + 1, 2)`` float64: the start and every point after a step.

    Raises:
        ValueError: for a bad argument, or a ``loss_fn`` whose gradient is not finite (the
            message names ``grads[0]``).

    Taught in notebooks/06_training_convnets_well.ipynb.
    """
    if not isinstance(optimizer, Optimizer):
        fail("optimizer", "a cvutils.optim.Optimizer", describe(optimizer), kind=True)
    check_callable("loss_fn", loss_fn)
    steps = check_int("steps", steps, 0, MAX_STEPS)
    p = check_array("start", start, shape=(2,), dtype=np.float64).copy()
    path = [p.copy()]
    for _ in range(steps):
        _, g = loss_fn(p)
        optimizer.apply([g], [p])
        path.append(p.copy())
    return np.stack(path)


# ----------------------------------------------------------------------------- one-cycle
# The one-cycle schedule of the ResNet-9 speed-run (notebooks/08_residual_networks.ipynb):
# a NumPy function and a Keras `LearningRateSchedule` (registered for saving and loading,
# which is why this module imports Keras).


def _check_one_cycle(peak_learning_rate, total_steps, warmup_fraction) -> tuple[float, int, float]:
    """``(peak, total_steps, warmup_fraction)`` of a one-cycle schedule, each checked."""
    peak = check_real("peak_learning_rate", peak_learning_rate, low=0.0, low_open=True)
    total = check_int("total_steps", total_steps, 1, MAX_STEPS)
    fraction = check_real(
        "warmup_fraction", warmup_fraction, low=0.0, low_open=True, high=1.0, high_open=True
    )
    return peak, total, fraction


def one_cycle(step, peak_learning_rate: float, total_steps: int, warmup_fraction: float = 0.25):
    """One-cycle learning rate, the triangle ``0 -> peak -> 0`` of fast ResNet training.

    Piecewise linear in the step ``t``, with ``T = total_steps`` and ``W = warmup_fraction * T``
    (a real number, not rounded): it rises linearly from 0 at ``t = 0`` to ``peak`` at
    ``t = W``, falls linearly to 0 at ``t = T`` and stays 0 after::

        lr(t) = peak * min(t / W, max(0, (T - t) / (T - W)))

    (Smith's "1cycle" policy in the simple triangular form of Page's ResNet-9 runs, which
    start and end at 0 instead of at a tenth of the peak.)

    Args:
        step: scalar or array of steps ``t >= 0`` (any shape).
        peak_learning_rate: the largest rate, reached at ``t = W``; a finite number > 0.
        total_steps: ``T``, the step at which the rate is back to 0, an integer >= 1.
        warmup_fraction: ``W / T``, in the open interval ``(0, 1)``.

    Returns:
        Learning rates, float64 of the shape of ``step``.

    Raises:
        ValueError: for a negative or non-finite step or a bad constant, each named.

    Taught in notebooks/08_residual_networks.ipynb.

    Examples:
        >>> one_cycle([0, 1, 2, 4, 6, 8, 9], 0.4, total_steps=8, warmup_fraction=0.25).tolist()
        [0.0, 0.2, 0.4, 0.26666666666666666, 0.13333333333333333, 0.0, 0.0]
    """
    peak, total, fraction = _check_one_cycle(peak_learning_rate, total_steps, warmup_fraction)
    t = _check_step(step)
    warmup = fraction * total
    return peak * np.minimum(t / warmup, np.maximum(0.0, (total - t) / (total - warmup)))


@keras.saving.register_keras_serializable(package="cvutils")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """`one_cycle` as a Keras schedule: ``keras.optimizers.SGD(OneCycle(0.4, 1000))``.

    Keras calls it with the optimizer's step count (``iterations``, 0 before the first
    update) and uses the result as that step's learning rate. It computes the same formula
    as `one_cycle` with `keras.ops`, in float32, so it runs inside a compiled (and XLA)
    training step; `get_config` makes it save and load with the model
    (``keras.saving.register_keras_serializable``, package ``cvutils``).

    Args:
        peak_learning_rate: the largest rate, a finite number > 0.
        total_steps: the step at which the rate is back to 0, an integer >= 1.
        warmup_fraction: the fraction of ``total_steps`` spent rising, in ``(0, 1)``.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/08_residual_networks.ipynb.

    Examples:
        >>> schedule = OneCycle(0.4, total_steps=8, warmup_fraction=0.25)
        >>> [round(float(schedule(t)), 4) for t in (0, 2, 5, 8)]
        [0.0, 0.4, 0.2, 0.0]
    """

    def __init__(self, peak_learning_rate: float, total_steps: int, warmup_fraction: float = 0.25):
        super().__init__()
        self.peak_learning_rate, self.total_steps, self.warmup_fraction = _check_one_cycle(
            peak_learning_rate, total_steps, warmup_fraction
        )

    def __call__(self, step):
        """The learning rate at ``step`` (a number >= 0, or an integer or float tensor)."""
        ops = keras.ops
        if hasattr(step, "dtype") and not isinstance(step, np.ndarray | np.generic):
            dtype = keras.backend.standardize_dtype(step.dtype)  # Keras's iteration counter
            if dtype == "bool" or not dtype.startswith(("int", "uint", "float", "bfloat")):
                fail("step", "a step count (an integer or float tensor)", describe(step), kind=True)
        else:
            step = _check_step(step)
        t = ops.cast(step, "float32")
        total = float(self.total_steps)
        warmup = self.warmup_fraction * total
        up = t / warmup
        down = ops.maximum(0.0, (total - t) / (total - warmup))
        return self.peak_learning_rate * ops.minimum(up, down)

    def get_config(self) -> dict:
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_fraction": self.warmup_fraction,
        }
