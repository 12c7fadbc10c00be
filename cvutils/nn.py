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
expected. Only NumPy is imported.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
    """
    for name, v in (("fan_in", fan_in), ("fan_out", fan_out)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    w = rng.standard_normal((int(fan_in), int(fan_out)))
    if init == "small":
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        return w * float(scale)
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
    """

    init: str
    activation: str
    means: np.ndarray
    stds: np.ndarray
    activations: list
    input_std: float

    def table(self) -> str:
        """The per-layer mean/std table as text."""
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
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    for name, v in (("n_examples", n_examples), ("n_features", n_features)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    sizes = list(hidden_sizes)
    if not sizes or any(
        isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1 for h in sizes
    ):
        raise ValueError(
            f"hidden_sizes must be a non-empty sequence of positive ints, got {hidden_sizes!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}[activation]
    rng = np.random.default_rng(int(seed))
    h = rng.standard_normal((int(n_examples), int(n_features)))
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


def _check_float_array(name: str, x, min_ndim: int = 1) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf")
    return x


def batchnorm_forward(x, gamma, beta, bn_param: dict):
    """Batch normalization, forward, over every axis but the last.

    Training (``bn_param["mode"] == "train"``)::

        mu = mean(x), var = mean((x - mu)^2)         # per feature, biased variance
        x_hat = (x - mu) / sqrt(var + eps);  out = gamma * x_hat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu    (same for var)

    Test (``"test"``): ``x_hat`` uses ``running_mean`` and ``running_var`` and nothing is
    updated.

    Args:
        x: ``(N, D)`` or ``(N, H, W, C)`` (any rank >= 2; features on the last axis ``D``).
        gamma, beta: ``(D,)`` scale and shift.
        bn_param: dict with ``"mode"`` (``"train"`` or ``"test"``) and optional ``"eps"``
            (default 1e-3), ``"momentum"`` (0.99), ``"running_mean"`` (zeros ``(D,)``),
            ``"running_var"`` (ones ``(D,)``). The running statistics are stored back into
            this dict in training mode.

    Returns:
        ``(out, cache)``: ``out`` of the shape of ``x``; ``cache`` for `batchnorm_backward`.
    """
    x = _check_float_array("x", x, min_ndim=2)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    d = x.shape[-1]
    gamma = _check_float_array("gamma", gamma)
    beta = _check_float_array("beta", beta)
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v.shape != (d,):
            raise ValueError(
                f"{name} must have shape ({d},) (one per feature of x {x.shape}), got {v.shape}"
            )
    if not isinstance(bn_param, dict):
        raise ValueError(
            f"bn_param must be a dict with at least 'mode', got {type(bn_param).__name__}"
        )
    mode = bn_param.get("mode")
    if mode not in ("train", "test"):
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    eps = bn_param.get("eps", 1e-3)
    momentum = bn_param.get("momentum", 0.99)
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
        raise ValueError(f"bn_param['eps'] must be a positive number, got {eps!r}")
    if (
        isinstance(momentum, bool)
        or not isinstance(momentum, numbers.Real)
        or not 0 <= momentum <= 1
    ):
        raise ValueError(f"bn_param['momentum'] must be in [0, 1], got {momentum!r}")
    running_mean = np.asarray(bn_param.get("running_mean", np.zeros(d, dtype=x.dtype)))
    running_var = np.asarray(bn_param.get("running_var", np.ones(d, dtype=x.dtype)))
    for name, v in (("running_mean", running_mean), ("running_var", running_var)):
        if v.shape != (d,):
            raise ValueError(f"bn_param['{name}'] must have shape ({d},), got {v.shape}")
    axes = tuple(range(x.ndim - 1))
    if mode == "train":
        mu = x.mean(axis=axes)
        var = x.var(axis=axes)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        mu, var = running_mean, running_var
        bn_param.setdefault("running_mean", running_mean)
        bn_param.setdefault("running_var", running_var)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    cache = {"x_hat": x_hat, "gamma": gamma, "inv_std": inv_std, "mode": mode, "axes": axes}
    return out, cache


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
    """
    if not isinstance(cache, dict) or "x_hat" not in cache:
        raise ValueError("cache must be the cache returned by batchnorm_forward")
    x_hat, gamma, inv_std, axes = cache["x_hat"], cache["gamma"], cache["inv_std"], cache["axes"]
    dout = np.asarray(dout)
    if dout.shape != x_hat.shape:
        raise ValueError(f"dout must have the shape of x {x_hat.shape}, got {dout.shape}")
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
    """
    x = _check_float_array("x", x, min_ndim=0)
    if isinstance(p_drop, bool) or not isinstance(p_drop, numbers.Real) or not 0 <= p_drop < 1:
        raise ValueError(f"p_drop must be a probability in [0, 1), got {p_drop!r}")
    if not train:
        return x, None
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator when train=True, got {type(rng).__name__}"
        )
    keep = 1.0 - float(p_drop)
    mask = (rng.random(x.shape) < keep) / keep
    return x * mask, mask


def dropout_backward(dout, mask):
    """Inverted dropout, backward: ``dx = dout * mask`` (``dout`` itself when ``mask`` is None)."""
    dout = np.asarray(dout)
    if mask is None:
        return dout
    if np.shape(mask) != dout.shape:
        raise ValueError(f"mask must have the shape of dout {dout.shape}, got {np.shape(mask)}")
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
    """
    if (
        isinstance(reg, bool)
        or not isinstance(reg, numbers.Real)
        or not reg >= 0
        or not math.isfinite(reg)
    ):
        raise ValueError(f"reg must be a finite number >= 0, got {reg!r}")
    if isinstance(weights, np.ndarray):
        raise ValueError("weights must be a list of arrays (wrap a single array as [W])")
    ws = [_check_float_array(f"weights[{i}]", w, min_ndim=0) for i, w in enumerate(weights)]
    penalty = 0.5 * float(reg) * sum(float(np.sum(np.square(w, dtype=np.float64))) for w in ws)
    return penalty, [float(reg) * w for w in ws]
