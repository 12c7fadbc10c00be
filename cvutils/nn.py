"""Training ConvNets well, in NumPy: weight initialization, batch normalization, dropout, L2.

* `init_experiment` repeats the course's weight-initialization experiment: 1,000 examples of
  500 unit-variance features pushed through ten 500-unit layers (``tanh`` or ``relu``) with
  ``W = 0.01 * randn`` (``"small"``), Xavier ``randn(fan_in, fan_out) / sqrt(fan_in)`` or He
  ``randn(fan_in, fan_out) * sqrt(2 / fan_in)``; it returns each layer's mean, standard
  deviation and activations.
* `batchnorm_forward` / `batchnorm_backward` keep the course assignment's names
  (``bn_param`` dict with ``mode``, ``eps``, ``momentum``, ``running_mean``, ``running_var``)
  and Keras's conventions: statistics over every axis but the last (``(N, D)`` or NHWC),
  *biased* batch variance, ``running = momentum * running + (1 - momentum) * batch`` and
  defaults ``eps=1e-3``, ``momentum=0.99`` as `keras.layers.BatchNormalization`; the running
  mean starts at 0 and the running variance at 1, as Keras's moving statistics.
* `dropout_forward` / `dropout_backward`: inverted dropout. ``p_drop`` is the probability of
  *dropping* a unit (Keras's ``rate``); survivors are scaled by ``1 / (1 - p_drop)`` at
  training time so nothing changes at test time.
* `l2_penalty`: ``0.5 * reg * sum(W^2)`` over weight arrays and its gradient ``reg * W``.
  Keras's ``keras.regularizers.L2(l2)`` adds ``l2 * sum(W^2)`` (no one half).

Bad arguments raise ``ValueError`` naming the argument, what was received and what was
expected, through `cvutils.checks` (``"<name> must be <expected>; got <actual>."``). No
function writes into its inputs: `batchnorm_forward` returns the new running statistics.
Only NumPy is imported.

Taught in notebooks/06_training_convnets_well.ipynb.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_shape,
    describe,
    fail,
)

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "InitExperiment",
    "batchnorm_backward",
    "batchnorm_forward",
    "dropout_backward",
    "dropout_forward",
    "init_experiment",
    "init_weights",
    "l2_penalty",
]

INITS = ("small", "xavier", "he")
ACTIVATIONS = ("tanh", "relu", "linear")


# ----------------------------------------------------------------------------- initialization


def _check_rng(rng, when: str = "") -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        fail(
            "rng",
            f"a numpy.random.Generator{when} (np.random.default_rng(seed))",
            describe(rng),
            kind=True,
        )
    return rng


def init_weights(
    fan_in: int, fan_out: int, init: str, rng: np.random.Generator, scale: float = 0.01
) -> np.ndarray:
    """One weight matrix ``(fan_in, fan_out)`` drawn with the named scheme.

    Args:
        fan_in, fan_out: positive ints.
        init: ``"small"`` (``scale * randn``), ``"xavier"`` (``randn / sqrt(fan_in)``) or
            ``"he"`` (``randn * sqrt(2 / fan_in)``).
        rng: a `numpy.random.Generator`.
        scale: the standard deviation of ``"small"``.

    Returns:
        ``(fan_in, fan_out)`` float64.

    Raises:
        ValueError: for non-positive or too large sizes, an unknown ``init``, a ``rng`` that is
            not a Generator or a ``scale`` that is not a finite number > 0.

    Taught in notebooks/06_training_convnets_well.ipynb.

    Examples:
        >>> init_weights(500, 10, "xavier", np.random.default_rng(0)).shape
        (500, 10)
    """
    fan_in = check_int("fan_in", fan_in, 1, MAX_COUNT)
    fan_out = check_int("fan_out", fan_out, 1, MAX_COUNT)
    if fan_in * fan_out > MAX_COUNT:
        fail("fan_out", f"at most {MAX_COUNT} weights in all", f"{fan_in} x {fan_out}")
    check_choice("init", init, INITS)
    _check_rng(rng)
    scale = check_real("scale", scale, low=0.0, low_open=True)
    w = rng.standard_normal((fan_in, fan_out))
    if init == "small":
        return w * scale
    if init == "xavier":
        return w / math.sqrt(fan_in)
    return w * math.sqrt(2.0 / fan_in)


@dataclass(frozen=True)
class InitExperiment:
    """Result of `init_experiment`.

    Attributes:
        init, activation: what was run.
        means: ``(L,)`` mean of each hidden layer's activations.
        stds: ``(L,)`` standard deviation of each hidden layer's activations.
        activations: ``L`` arrays ``(n_examples, units)``, the activations of each layer.
        input_std: standard deviation of the input data.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """

    init: str
    activation: str
    means: np.ndarray
    stds: np.ndarray
    activations: list
    input_std: float

    def table(self) -> str:
        """The per-layer mean/std table as text (notebooks/06_training_convnets_well.ipynb)."""
        lines = [
            f"{self.init} init, {self.activation}: input std {self.input_std:.3f}",
            "layer      mean       std",
        ]
        lines += [
            f"{i + 1:5d} {m:+.6f} {s:.6f}"
            for i, (m, s) in enumerate(zip(self.means, self.stds, strict=True))
        ]
        return "\n".join(lines)


def init_experiment(
    init: str,
    activation: str = "tanh",
    *,
    n_examples: int = 1000,
    n_features: int = 500,
    hidden_sizes: Sequence[int] = (500,) * 10,
    scale: float = 0.01,
    seed: int = 0,
) -> InitExperiment:
    """The course's initialization experiment: unit-Gaussian data through a deep net.

    ``D = randn(n_examples, n_features)``; for each layer ``H = act(H @ W)`` with
    ``W = init_weights(fan_in, fan_out, init)`` (no biases), all drawn from
    ``np.random.default_rng(seed)`` (data first, then the layers in order).

    Args:
        init: one of `INITS`: ``"small"``, ``"xavier"``, ``"he"``.
        activation: one of `ACTIVATIONS`: ``"tanh"``, ``"relu"``, ``"linear"``.
        n_examples, n_features: size of the input ``D``.
        hidden_sizes: units of each hidden layer.
        scale: standard deviation of ``"small"``.
        seed: seed of the generator.

    Returns:
        An `InitExperiment` with per-layer ``means``, ``stds`` and ``activations``.

    Raises:
        ValueError: for an unknown ``init`` or ``activation``, non-positive sizes, more than
            `MAX_COUNT` activations in one layer, an empty ``hidden_sizes`` or a negative seed.

    Taught in notebooks/06_training_convnets_well.ipynb.

    Examples:
        >>> e = init_experiment("xavier", n_examples=50, n_features=20, hidden_sizes=(20, 20))
        >>> e.stds.shape
        (2,)
    """
    check_choice("init", init, INITS)
    check_choice("activation", activation, ACTIVATIONS)
    scale = check_real("scale", scale, low=0.0, low_open=True)
    n_examples = check_int("n_examples", n_examples, 1, MAX_COUNT)
    n_features = check_int("n_features", n_features, 1, MAX_COUNT)
    sizes = list(check_shape("hidden_sizes", hidden_sizes))
    if not sizes:
        fail("hidden_sizes", "a non-empty sequence of positive integers", describe(hidden_sizes))
    widest = max([n_features, *sizes])
    if n_examples * widest > MAX_COUNT:
        fail(
            "n_examples",
            f"at most {MAX_COUNT // widest} for layers of {widest} units",
            repr(n_examples),
        )
    seed = check_int("seed", seed, 0)
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}[activation]
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((n_examples, n_features))
    input_std = float(h.std())
    acts = []
    for units in sizes:
        w = init_weights(h.shape[1], int(units), init, rng, scale)
        h = act(h @ w)
        acts.append(h)
    means = np.array([a.mean() for a in acts])
    stds = np.array([a.std() for a in acts])
    return InitExperiment(init, activation, means, stds, acts, input_std)


# ----------------------------------------------------------------------------- batch norm


def batchnorm_forward(x, gamma, beta, bn_param: dict):
    """Batch normalization, forward, over every axis but the last.

    Training (``bn_param["mode"] == "train"``)::

        mu = mean(x), var = mean((x - mu)^2)         # per feature, biased variance
        x_hat = (x - mu) / sqrt(var + eps);  out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu    (same for var)

    Test (``"test"``): ``x_hat`` uses ``running_mean`` and ``running_var`` and nothing is
    updated.

    ``bn_param`` is never written to: the updated running statistics come back in a new dict
    (``bn_param = batchnorm_forward(x, gamma, beta, bn_param)[2]`` carries them to the next
    batch), not stored into the caller's one as in the CS231n assignment.

    Args:
        x: ``(N, D)`` or ``(N, H, W, C)`` (any rank >= 2; features on the last axis ``D``);
            finite; at least one example in training mode.
        gamma, beta: ``(D,)`` scale and shift.
        bn_param: dict with ``"mode"`` (``"train"`` or ``"test"``) and optional ``"eps"``
            (> 0, default 1e-3), ``"momentum"`` (in [0, 1], default 0.99),
            ``"running_mean"`` (``(D,)``, zeros) and ``"running_var"`` (``(D,)`` and
            >= 0, ones).

    Returns:
        ``(out, cache, new_bn_param)``: ``out`` of the shape of ``x``; ``cache`` for
        `batchnorm_backward`; ``new_bn_param`` a copy of ``bn_param`` holding the running
        statistics after this batch (the same values in test mode).

    Raises:
        ValueError: for a bad ``x``, ``gamma``, ``beta`` or ``bn_param`` entry, each named.

    Taught in notebooks/06_training_convnets_well.ipynb.

    Examples:
        >>> bn = {"mode": "train", "momentum": 0.5}
        >>> out, cache, new_bn = batchnorm_forward([[0.0], [2.0]], [1.0], [0.0], bn)
        >>> out.round(4).ravel().tolist(), new_bn["running_mean"].tolist(), "running_mean" in bn
        ([-0.9995, 0.9995], [0.5], False)
    """
    x = check_array("x", x, min_ndim=2, dtype="float", layout="(N, D) or (N, H, W, C)")
    d = x.shape[-1]
    layout = f"(D,) with D = x.shape[-1] = {d}"
    gamma = check_array("gamma", gamma, shape=(d,), dtype=x.dtype, layout=layout)
    beta = check_array("beta", beta, shape=(d,), dtype=x.dtype, layout=layout)
    if not isinstance(bn_param, dict):
        fail("bn_param", "a dict with at least 'mode'", describe(bn_param), kind=True)
    mode = check_choice("bn_param['mode']", bn_param.get("mode"), ("train", "test"))
    eps = check_real("bn_param['eps']", bn_param.get("eps", 1e-3), low=0.0, low_open=True)
    momentum = check_real(
        "bn_param['momentum']", bn_param.get("momentum", 0.99), low=0.0, high=1.0, high_open=False
    )
    running_mean = bn_param.get("running_mean")
    running_var = bn_param.get("running_var")
    running_mean = (
        np.zeros(d, dtype=x.dtype)
        if running_mean is None
        else check_array("bn_param['running_mean']", running_mean, shape=(d,), dtype="float")
    )
    running_var = (
        np.ones(d, dtype=x.dtype)
        if running_var is None
        else check_array("bn_param['running_var']", running_var, shape=(d,), dtype="float")
    )
    if running_var.size and running_var.min() < 0:
        fail("bn_param['running_var']", "variances >= 0", f"minimum {running_var.min()!r}")
    axes = tuple(range(x.ndim - 1))
    if mode == "train":
        if x.size == 0:
            fail("x", "a non-empty batch in training mode", describe(x))
        mu = x.mean(axis=axes)
        var = x.var(axis=axes)
        new_mean = momentum * running_mean + (1 - momentum) * mu
        new_var = momentum * running_var + (1 - momentum) * var
    else:
        mu, var = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    cache = {"x_hat": x_hat, "gamma": gamma, "inv_std": inv_std, "mode": mode, "axes": axes}
    new_bn_param = {**bn_param, "running_mean": new_mean, "running_var": new_var}
    return out, cache, new_bn_param


def batchnorm_backward(dout, cache):
    """Batch normalization, backward.

    In training mode the batch statistics depend on ``x``; with ``m`` the number of values
    per feature the compact form is::

        dx = gamma * inv_std / m * (m * dout - sum(dout) - x_hat * sum(dout * x_hat))

    In test mode the statistics are constants: ``dx = gamma * inv_std * dout``.

    Args:
        dout: upstream gradient, the shape of ``x``.
        cache: from `batchnorm_forward`.

    Returns:
        ``(dx, dgamma, dbeta)``: ``dx`` of the shape of ``x``, ``dgamma`` and ``dbeta`` ``(D,)``.

    Raises:
        ValueError: for a ``cache`` not made by `batchnorm_forward` or a ``dout`` of another
            shape or holding NaN or inf.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """
    keys = {"x_hat", "gamma", "inv_std", "mode", "axes"}
    if not isinstance(cache, dict) or not keys <= set(cache):
        fail("cache", "the cache returned by batchnorm_forward", describe(cache), kind=True)
    x_hat, gamma, inv_std, axes = cache["x_hat"], cache["gamma"], cache["inv_std"], cache["axes"]
    arrays = (x_hat, gamma, inv_std)
    if not all(isinstance(a, np.ndarray) for a in arrays) or cache["mode"] not in ("train", "test"):
        fail("cache", "the cache returned by batchnorm_forward", "a dict of other values")
    dout = check_array("dout", dout, shape=x_hat.shape, dtype="float", layout="(the shape of x)")
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    if cache["mode"] == "test":
        return gamma * inv_std * dout, dgamma, dbeta
    m = x_hat.size // x_hat.shape[-1]
    dx = gamma * inv_std / m * (m * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


# ----------------------------------------------------------------------------- dropout


def dropout_forward(x, p_drop: float, rng: np.random.Generator | None = None, train: bool = True):
    """Inverted dropout, forward.

    Training: each unit is kept with probability ``1 - p_drop`` and the kept ones are scaled
    by ``1 / (1 - p_drop)``, so ``E[out] = x``. Test (``train=False``): ``out`` is ``x``
    itself, unchanged.

    Args:
        x: any shape.
        p_drop: probability of dropping a unit, in ``[0, 1)`` (Keras's ``rate``).
        rng: a `numpy.random.Generator`; needed when ``train`` is true.
        train: training or test behaviour.

    Returns:
        ``(out, mask)``: ``out`` of the shape of ``x``; ``mask`` is ``0`` where a unit was
        dropped and ``1 / (1 - p_drop)`` where kept (``None`` at test time).

    Raises:
        ValueError: for a non-finite ``x``, ``p_drop`` outside ``[0, 1)``, a non-bool
            ``train`` or a missing ``rng`` in training.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """
    x = check_array("x", x)
    p_drop = check_real("p_drop", p_drop, low=0.0, high=1.0)
    if not check_bool("train", train):
        return x, None
    _check_rng(rng, " when train=True")
    keep = 1.0 - p_drop
    mask = (rng.random(x.shape) < keep) / keep
    return x * mask, mask


def dropout_backward(dout, mask):
    """Inverted dropout, backward: ``dx = dout * mask`` (``dout`` itself when ``mask`` is None).

    Args:
        dout: upstream gradient, any shape, finite.
        mask: the mask from `dropout_forward` (the shape of ``dout``, finite), or None.

    Raises:
        ValueError: for NaN or inf in either, or a ``mask`` of another shape.

    Taught in notebooks/06_training_convnets_well.ipynb.
    """
    dout = check_array("dout", dout)
    if mask is None:
        return dout
    mask = check_array("mask", mask, shape=dout.shape, layout="(the shape of dout)")
    return dout * mask


# ----------------------------------------------------------------------------- L2


def l2_penalty(weights: Sequence, reg: float):
    """L2 regularization as the course writes it: ``0.5 * reg * sum_W sum(W^2)``.

    (`keras.regularizers.L2(l2)` computes ``l2 * sum(W^2)``: the same for ``l2 = reg / 2``.)

    Args:
        weights: a list of weight arrays.
        reg: the strength ``lambda >= 0``.

    Returns:
        ``(penalty, grads)``: the float penalty and ``reg * W`` for each array.

    Raises:
        ValueError: for a ``reg`` that is not a finite number >= 0, ``weights`` that is not a
            list or tuple of finite arrays.

    Taught in notebooks/06_training_convnets_well.ipynb.

    Examples:
        >>> penalty, grads = l2_penalty([np.array([1.0, 2.0])], reg=0.1)
        >>> round(penalty, 6), grads[0].tolist()
        (0.25, [0.1, 0.2])
    """
    reg = check_real("reg", reg, low=0.0)
    if not isinstance(weights, list | tuple):
        fail(
            "weights", "a list of arrays (wrap a single array as [W])", describe(weights), kind=True
        )
    ws = [check_array(f"weights[{i}]", w) for i, w in enumerate(weights)]
    penalty = 0.5 * reg * sum(float(np.sum(np.square(w, dtype=np.float64))) for w in ws)
    return penalty, [reg * w for w in ws]
