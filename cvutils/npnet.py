"""A tiny ConvNet in NumPy, trained with the layers of `cvutils.conv`.

The network is the smallest one that is still a ConvNet::

    x (m, H, W, C) -> conv f x f, n_filters, stride 1, "same" padding -> ReLU
      -> max-pool 2x2, stride 2 -> flatten -> dense(n_classes) -> softmax cross-entropy

Everything is written out: the forward pass keeps the caches of `cvutils.conv`, the
backward pass chains the max-pool backward and `conv_backward` by hand, and the update is
SGD with momentum.

Ties in max pooling matter on real images: on MNIST's black background every entry of a
pooling window holds the same value (the bias). The course's mask (`conv.pool_backward`)
sends the window's gradient to *every* tied entry, which counts the bias gradient up to four
times; the true derivative along the bias is that of *one* entry. So by default the model
routes each window's gradient to its first maximum in row-major order, as TensorFlow does
(``max_pool_ties="first"``); ``"all"`` uses `conv.pool_backward` and the course's mask. It
is fast enough to train one epoch on a few thousand MNIST digits on a laptop CPU in
seconds, which shows that the vectorized layers are correct *and* usable.

Example:
    >>> model = ConvNet(input_shape=(28, 28, 1), n_filters=8, n_classes=10, seed=0)
    >>> losses = train_epoch(model, x_train, y_train, batch_size=32, lr=0.05)
    >>> accuracy(model, x_test, y_test)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cvutils import conv
from cvutils.checks import check_int, check_real

__all__ = ["ConvNet", "accuracy", "max_pool_backward_first", "softmax_cross_entropy", "train_epoch"]

POOL = {"f": 2, "stride": 2}
TIES = ("first", "all")


def _check_labels(y: Any, m: int, n_classes: int) -> np.ndarray:
    """Validates integer class labels of shape (m,) in ``0..n_classes-1``."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"y must be a 1-D array of integer class labels; got dtype {y.dtype}, shape {y.shape}."
        )
    if y.shape[0] != m:
        raise ValueError(f"y has {y.shape[0]} labels but there are {m} examples; expected {m}.")
    if m and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"y must hold class labels in 0..{n_classes - 1}; got values in {y.min()}..{y.max()}."
        )
    return y.astype(np.int64, copy=False)


def max_pool_backward_first(dP: Any, A: Any, f: int = 2) -> np.ndarray:
    """Backward of a non-overlapping f x f max pool (stride f), one maximum per window.

    Each window's gradient goes to its *first* maximum in row-major order, the entry
    TensorFlow's ``MaxPoolGrad`` picks; without ties this equals `conv.pool_backward`.
    Rows and columns that the pool dropped (``H % f``, ``W % f``) get zero gradient.

    Args:
        dP: (m, H // f, W // f, C) gradient with respect to the pool's output.
        A: (m, H, W, C) the pool's input.
        f: window size and stride, >= 1.

    Returns:
        (m, H, W, C) gradient with respect to ``A``.
    """
    f = check_int("f", f, 1)
    A = np.asarray(A)
    dP = np.asarray(dP)
    if A.ndim != 4:
        raise ValueError(f"A must have shape (m, H, W, C); got {A.shape}.")
    m, H, W, C = A.shape
    n_H, n_W = H // f, W // f
    if dP.shape != (m, n_H, n_W, C):
        raise ValueError(
            f"dP must have shape {(m, n_H, n_W, C)} for A.shape={A.shape}, f={f}; got {dP.shape}."
        )
    # (m, n_H, n_W, C, f*f): the entries of each window, in row-major order.
    windows = A[:, : n_H * f, : n_W * f].reshape(m, n_H, f, n_W, f, C).transpose(0, 1, 3, 5, 2, 4)
    first = windows.reshape(m, n_H, n_W, C, f * f).argmax(axis=-1)
    routed = (np.arange(f * f) == first[..., None]) * dP[..., None]
    dA = np.zeros(A.shape, dtype=np.result_type(A.dtype, dP.dtype))
    dA[:, : n_H * f, : n_W * f] = (
        routed.reshape(m, n_H, n_W, C, f, f)
        .transpose(0, 1, 4, 2, 5, 3)
        .reshape(m, n_H * f, n_W * f, C)
    )
    return dA


def softmax_cross_entropy(logits: Any, y: Any) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of a batch and its gradient with respect to the logits.

    ``loss = mean_i( logsumexp(logits_i) - logits_i[y_i] )``, computed stably (the row
    maximum is subtracted first); the gradient is ``(softmax(logits) - one_hot(y)) / m``.

    Args:
        logits: (m, n_classes) unnormalised scores, floating point.
        y: (m,) integer labels in ``0..n_classes-1``.

    Returns:
        ``(loss, dlogits)``: a Python float and the (m, n_classes) gradient, in the dtype
        of ``logits``.

    Raises:
        ValueError: if ``logits`` is not a non-empty 2-D float array or ``y`` does not match.
    """
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[0] == 0 or not np.issubdtype(logits.dtype, np.floating):
        raise ValueError(
            f"logits must be a non-empty 2-D float array (m, n_classes); "
            f"got dtype {logits.dtype}, shape {logits.shape}."
        )
    m, n_classes = logits.shape
    y = _check_labels(y, m, n_classes)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(m)
    loss = float(-log_probs[rows, y].mean())
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    dlogits /= m
    return loss, dlogits


class ConvNet:
    """conv -> ReLU -> max-pool 2x2 -> flatten -> dense, in NumPy, with SGD + momentum.

    Parameters live in ``self.params``: ``W1`` (f, f, C, n_filters), ``b1``
    (1, 1, 1, n_filters), ``W2`` (n_flat, n_classes) and ``b2`` (n_classes,), with
    ``n_flat = (H // 2) * (W // 2) * n_filters``. Weights are He-initialised
    (normal, variance ``2 / fan_in``) from ``seed``; biases start at zero.

    Args:
        input_shape: ``(H, W, C)`` of one example, H and W >= 2.
        n_filters: number of convolution filters.
        n_classes: number of classes (>= 2).
        f: odd filter size; the padding ``(f - 1) // 2`` keeps H x W.
        seed: seeds the initialisation and the shuffling of `train_epoch`.
        momentum: SGD momentum in [0, 1); 0 gives plain SGD.
        dtype: float32 (fast) or float64 (gradient checks).
        max_pool_ties: ``"first"`` routes each pooling window's gradient to one maximum (the
            true derivative where a whole window is flat, as on MNIST's background);
            ``"all"`` uses the course's mask, `conv.pool_backward`.

    Raises:
        ValueError: on any out-of-range argument.
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int] = (28, 28, 1),
        n_filters: int = 8,
        n_classes: int = 10,
        f: int = 3,
        seed: int = 0,
        momentum: float = 0.9,
        dtype: Any = np.float32,
        max_pool_ties: str = "first",
    ) -> None:
        if not isinstance(input_shape, tuple | list) or len(input_shape) != 3:
            raise ValueError(f"input_shape must be (H, W, C); got {input_shape!r}.")
        H, W, C = (check_int(f"input_shape[{i}]", v, 1) for i, v in enumerate(input_shape))
        if H < POOL["f"] or W < POOL["f"]:
            raise ValueError(
                f"input_shape must have H and W >= 2 for the 2x2 pool; got {input_shape!r}."
            )
        self.n_filters = check_int("n_filters", n_filters, 1)
        self.n_classes = check_int("n_classes", n_classes, 2)
        self.f = check_int("f", f, 1)
        self.pad = conv.same_padding(self.f)
        self.seed = check_int("seed", seed, 0)
        self.momentum = check_real("momentum", momentum, low=0.0)
        if self.momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype}.")
        if max_pool_ties not in TIES:
            raise ValueError(f"max_pool_ties must be one of {list(TIES)}; got {max_pool_ties!r}.")
        self.max_pool_ties = max_pool_ties
        self.input_shape = (H, W, C)
        n_flat = (H // 2) * (W // 2) * self.n_filters
        rng = np.random.default_rng(self.seed)
        fan_in_conv = self.f * self.f * C
        self.params = {
            "W1": rng.normal(0.0, np.sqrt(2.0 / fan_in_conv), (self.f, self.f, C, self.n_filters)),
            "b1": np.zeros((1, 1, 1, self.n_filters)),
            "W2": rng.normal(0.0, np.sqrt(2.0 / n_flat), (n_flat, self.n_classes)),
            "b2": np.zeros(self.n_classes),
        }
        self.params = {k: v.astype(self.dtype) for k, v in self.params.items()}
        self.velocity = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.rng = np.random.default_rng(self.seed + 1)

    def __repr__(self) -> str:
        n = sum(p.size for p in self.params.values())
        return (
            f"ConvNet(input_shape={self.input_shape}, conv {self.f}x{self.f}x{self.n_filters} "
            f"pad {self.pad} -> ReLU -> maxpool 2x2 -> dense {self.n_classes}; {n} parameters)"
        )

    def _inputs(self, x: Any) -> np.ndarray:
        """Validates a batch and returns it as (m, H, W, C) in the model's dtype."""
        x = np.asarray(x)
        if x.ndim == 3 and self.input_shape[2] == 1:
            x = x[..., None]
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise ValueError(
                f"x must have shape (m, {', '.join(map(str, self.input_shape))})"
                f"{' or (m, H, W)' if self.input_shape[2] == 1 else ''}; got {x.shape}."
            )
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(
                f"x must be floating point (scale images first, e.g. x / 255.0); "
                f"got dtype {x.dtype}."
            )
        return x.astype(self.dtype, copy=False)

    def forward(self, x: Any) -> tuple[np.ndarray, tuple]:
        """Forward pass.

        Args:
            x: (m, H, W, C) float batch; (m, H, W) is accepted when C == 1.

        Returns:
            ``(logits, cache)``: (m, n_classes) scores and what `backward` needs.
        """
        x = self._inputs(x)
        p = self.params
        Z, conv_cache = conv.conv_forward(x, p["W1"], p["b1"], {"stride": 1, "pad": self.pad})
        A = np.maximum(Z, 0)
        P, pool_cache = conv.pool_forward(A, POOL, mode="max")
        flat = P.reshape(P.shape[0], -1)
        logits = flat @ p["W2"] + p["b2"]
        return logits, (conv_cache, Z, pool_cache, P.shape, flat)

    def backward(self, dlogits: np.ndarray, cache: tuple) -> dict[str, np.ndarray]:
        """Backward pass: gradients of the loss for every parameter.

        Args:
            dlogits: (m, n_classes) gradient of the loss with respect to the logits.
            cache: the second value returned by `forward`.

        Returns:
            Dict with ``W1``, ``b1``, ``W2``, ``b2`` gradients, shaped like ``self.params``.
        """
        conv_cache, Z, pool_cache, P_shape, flat = cache
        dlogits = np.asarray(dlogits)
        if dlogits.shape != (flat.shape[0], self.n_classes):
            raise ValueError(
                f"dlogits must have shape {(flat.shape[0], self.n_classes)}; got {dlogits.shape}."
            )
        dW2 = flat.T @ dlogits
        db2 = dlogits.sum(axis=0)
        dP = (dlogits @ self.params["W2"].T).reshape(P_shape)
        if self.max_pool_ties == "first":
            dA = max_pool_backward_first(dP, pool_cache[0], POOL["f"])
        else:
            dA = conv.pool_backward(dP, pool_cache, mode="max")
        dZ = dA * (Z > 0)
        _, dW1, db1 = conv.conv_backward(dZ, conv_cache)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def loss_and_grads(self, x: Any, y: Any) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy of a batch and its gradients.

        Args:
            x: (m, H, W, C) float batch.
            y: (m,) integer labels.

        Returns:
            ``(loss, grads)``.
        """
        logits, cache = self.forward(x)
        loss, dlogits = softmax_cross_entropy(logits, y)
        return loss, self.backward(dlogits, cache)

    def step(self, grads: dict[str, np.ndarray], lr: float) -> None:
        """One SGD-with-momentum update: ``v = momentum * v - lr * g``; ``p += v``."""
        lr = check_real("lr", lr, low=0.0, low_open=True)
        if set(grads) != set(self.params):
            raise ValueError(f"grads must have keys {sorted(self.params)}; got {sorted(grads)}.")
        for k, g in grads.items():
            if np.shape(g) != self.params[k].shape:
                raise ValueError(
                    f"grads[{k!r}] has shape {np.shape(g)}; expected {self.params[k].shape}."
                )
            v = self.velocity[k]
            v *= self.momentum
            v -= lr * np.asarray(g, dtype=self.dtype)
            self.params[k] += v

    def predict(self, x: Any, batch_size: int = 500) -> np.ndarray:
        """(m, ...) batch -> (m,) predicted class labels, computed ``batch_size`` at a time."""
        batch_size = check_int("batch_size", batch_size, 1)
        x = self._inputs(x)
        out = [
            self.forward(x[i : i + batch_size])[0].argmax(axis=1)
            for i in range(0, len(x), batch_size)
        ]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def train_epoch(
    model: ConvNet, x: Any, y: Any, batch_size: int = 32, lr: float = 0.05, progress: bool = True
) -> np.ndarray:
    """Trains ``model`` for one epoch of shuffled mini-batches.

    The order comes from ``model.rng`` (seeded by the model's seed), so a run is
    reproducible and successive epochs see different orders. The last batch may be smaller.

    Args:
        model: a `ConvNet`.
        x: (m, H, W, C) float inputs ((m, H, W) when C == 1).
        y: (m,) integer labels.
        batch_size: examples per update, >= 1.
        lr: learning rate, > 0.
        progress: show a tqdm progress bar with the running loss.

    Returns:
        (n_batches,) float64 array of the loss of each mini-batch, before its update.

    Raises:
        ValueError: on inputs that do not fit the model, bad labels, ``batch_size < 1`` or
            ``lr <= 0``.
    """
    if not isinstance(model, ConvNet):
        raise ValueError(f"model must be a cvutils.npnet.ConvNet; got {type(model).__name__}.")
    batch_size = check_int("batch_size", batch_size, 1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    x = model._inputs(x)
    y = _check_labels(y, len(x), model.n_classes)
    if len(x) == 0:
        raise ValueError("x must hold at least one example; got 0.")
    order = model.rng.permutation(len(x))
    starts = range(0, len(x), batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="epoch", unit="batch")
    losses = []
    for start in starts:
        idx = order[start : start + batch_size]
        loss, grads = model.loss_and_grads(x[idx], y[idx])
        model.step(grads, lr)
        losses.append(loss)
        if progress and len(losses) % 10 == 0:
            starts.set_postfix(loss=f"{np.mean(losses[-10:]):.3f}")
    return np.asarray(losses, dtype=np.float64)


def accuracy(model: ConvNet, x: Any, y: Any, batch_size: int = 500) -> float:
    """Fraction of examples whose predicted class equals the label.

    Args:
        model: a `ConvNet`.
        x: (m, H, W, C) float inputs.
        y: (m,) integer labels.
        batch_size: examples per forward pass.

    Returns:
        Accuracy in [0, 1], a Python float.
    """
    if not isinstance(model, ConvNet):
        raise ValueError(f"model must be a cvutils.npnet.ConvNet; got {type(model).__name__}.")
    x = model._inputs(x)
    y = _check_labels(y, len(x), model.n_classes)
    if len(x) == 0:
        raise ValueError("x must hold at least one example; got 0.")
    return float(np.mean(model.predict(x, batch_size) == y))
