"""A tiny ConvNet in NumPy, trained with the layers of `cvutils.conv`.

Taught in notebooks/04_convolution_step_by_step.ipynb.

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
(``max_pool_ties="first"``, i.e. ``conv.pool_backward(..., ties="first")``); ``"all"`` uses
the course's mask. It
is fast enough to train one epoch on a few thousand MNIST digits on a laptop CPU in
seconds, which shows that the vectorized layers are correct *and* usable.

Example:
    Learn which half of an 8x8 image is bright (two classes):

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 64)
    >>> x = rng.uniform(0, 0.2, (64, 8, 8))
    >>> x[y == 0, :, :4] += 0.8
    >>> x[y == 1, :, 4:] += 0.8
    >>> model = ConvNet(input_shape=(8, 8, 1), n_filters=4, n_classes=2, seed=0)
    >>> for _ in range(5):
    ...     losses = train_epoch(model, x, y, batch_size=16, lr=0.05, progress=False)
    >>> accuracy(model, x, y)
    1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cvutils import conv
from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_labels,
    check_real,
    check_shape,
    describe,
    fail,
)

__all__ = ["ConvNet", "accuracy", "softmax_cross_entropy_and_grad", "train_epoch"]

POOL = {"f": 2, "stride": 2}


def softmax_cross_entropy_and_grad(logits: Any, y: Any) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of a batch *and* its gradient with respect to the logits.

    ``loss = mean_i( logsumexp(logits_i) - logits_i[y_i] )``, computed stably (the row
    maximum is subtracted first); the gradient is ``(softmax(logits) - one_hot(y)) / m``.
    (`cvutils.classic.softmax_cross_entropy_losses` returns the per-example losses instead.)

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        logits: (m, n_classes) unnormalised scores, finite (integers become float64).
        y: (m,) integer labels in ``0..n_classes-1`` (integer-valued floats accepted).

    Returns:
        ``(loss, dlogits)``: a Python float and the (m, n_classes) gradient, in the floating
        dtype of ``logits``.

    Raises:
        ValueError: if ``logits`` is not a non-empty, finite 2-D array or ``y`` does not
            match it (the message names the argument).

    Example:
        >>> loss, dlogits = softmax_cross_entropy_and_grad(np.zeros((2, 4)), [0, 3])
        >>> round(loss, 6), dlogits[0].tolist()
        (1.386294, [-0.375, 0.125, 0.125, 0.125])
    """
    logits = check_array(
        "logits", logits, ndim=2, dtype="float", allow_empty=False, layout="(m, n_classes)"
    )
    m, n_classes = logits.shape
    y = check_labels("y", y, n_classes, n=m)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(m)
    loss = float(-log_probs[rows, y].mean())
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    dlogits /= m
    return loss, dlogits


def _check_model(model: Any) -> ConvNet:
    if not isinstance(model, ConvNet):
        fail("model", "a cvutils.npnet.ConvNet", describe(model), kind=True)
    return model


class ConvNet:
    """conv -> ReLU -> max-pool 2x2 -> flatten -> dense, in NumPy, with SGD + momentum.

    Parameters live in ``self.params``: ``W1`` (f, f, C, n_filters), ``b1``
    (1, 1, 1, n_filters), ``W2`` (n_flat, n_classes) and ``b2`` (n_classes,), with
    ``n_flat = (H // 2) * (W // 2) * n_filters``. Weights are He-initialised
    (normal, variance ``2 / fan_in``) from ``seed``; biases start at zero.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        input_shape: ``(H, W, C)`` of one example, H and W >= 2.
        n_filters: number of convolution filters, >= 1.
        n_classes: number of classes (>= 2).
        f: odd filter size; the padding ``(f - 1) // 2`` keeps H x W.
        seed: seeds the initialisation and the shuffling of `train_epoch`.
        momentum: SGD momentum in [0, 1); 0 gives plain SGD.
        dtype: float32 (fast) or float64 (gradient checks).
        max_pool_ties: ``"first"`` routes each pooling window's gradient to one maximum (the
            true derivative where a whole window is flat, as on MNIST's background);
            ``"all"`` uses the course's mask. Passed to `conv.pool_backward` as ``ties``.

    Raises:
        ValueError: on any out-of-range argument, naming it.

    Example:
        >>> model = ConvNet(input_shape=(8, 8, 1), n_filters=2, n_classes=3)
        >>> {k: v.shape for k, v in model.params.items()}
        {'W1': (3, 3, 1, 2), 'b1': (1, 1, 1, 2), 'W2': (32, 3), 'b2': (3,)}
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
        H, W, C = check_shape("input_shape", input_shape, ndim=3)
        if H < POOL["f"] or W < POOL["f"]:
            fail("input_shape", "(H, W, C) with H and W >= 2 for the 2x2 pool", repr(input_shape))
        self.n_filters = check_int("n_filters", n_filters, 1, MAX_COUNT)
        self.n_classes = check_int("n_classes", n_classes, 2, MAX_COUNT)
        self.f = check_int("f", f, 1, MAX_COUNT)
        self.pad = conv.same_padding(self.f)
        self.seed = check_int("seed", seed, 0)
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0)
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            fail("dtype", "float32 or float64", describe(dtype), kind=True)
        if self.dtype not in (np.float32, np.float64):
            fail("dtype", "float32 or float64", str(self.dtype))
        self.max_pool_ties = check_choice("max_pool_ties", max_pool_ties, conv.TIES)
        self.input_shape = (H, W, C)
        n_flat = (H // 2) * (W // 2) * self.n_filters
        for name, count in (
            ("input_shape", H * W * C),
            ("f", self.f * self.f * C * self.n_filters),
            ("n_filters", H * W * self.n_filters),
            ("n_classes", n_flat * self.n_classes),
        ):
            if count > MAX_COUNT:
                fail(name, f"small enough for layers of at most {MAX_COUNT} entries", repr(count))
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
        H, W, C = self.input_shape
        layout = f"(m, {H}, {W}, {C})" + (f" or (m, {H}, {W})" if C == 1 else "")
        x = check_array("x", x, ndim=(3, 4) if C == 1 else 4, layout=layout)
        if x.ndim == 3:
            x = x[..., None]
        if x.shape[1:] != self.input_shape:
            fail("x", f"an array of shape {layout}", describe(x))
        if not np.issubdtype(x.dtype, np.floating):
            fail("x", "floating point (scale images first, e.g. x / 255.0)", describe(x))
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

    def backward(self, dlogits: Any, cache: tuple) -> dict[str, np.ndarray]:
        """Backward pass: gradients of the loss for every parameter.

        Args:
            dlogits: (m, n_classes) gradient of the loss with respect to the logits.
            cache: the second value returned by `forward`.

        Returns:
            Dict with ``W1``, ``b1``, ``W2``, ``b2`` gradients, shaped like ``self.params``.
        """
        conv_cache, Z, pool_cache, P_shape, flat = self._check_cache(cache)
        dlogits = check_array("dlogits", dlogits, shape=(flat.shape[0], self.n_classes))
        dW2 = flat.T @ dlogits
        db2 = dlogits.sum(axis=0)
        dP = (dlogits @ self.params["W2"].T).reshape(P_shape)
        dA = conv.pool_backward(dP, pool_cache, mode="max", ties=self.max_pool_ties)
        dZ = dA * (Z > 0)
        _, dW1, db1 = conv.conv_backward(dZ, conv_cache)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def _check_cache(self, cache: Any) -> tuple:
        """The 5-tuple of `forward`, with the shapes of this model (the layers' own caches
        inside are checked by `conv.pool_backward` and `conv.conv_backward`)."""
        expected = "the cache returned by this model's forward"
        if not isinstance(cache, tuple) or len(cache) != 5:
            fail("cache", expected, describe(cache), kind=True)
        _, Z, _, P_shape, flat = cache
        if not (isinstance(Z, np.ndarray) and isinstance(flat, np.ndarray) and flat.ndim == 2):
            fail("cache", expected, f"a tuple holding {describe(Z)} and {describe(flat)}")
        H, W, _ = self.input_shape
        m, k = len(flat), self.n_filters
        if (
            Z.shape != (m, H, W, k)
            or P_shape != (m, H // 2, W // 2, k)
            or flat.shape[1] != self.params["W2"].shape[0]
        ):
            fail("cache", expected, f"a tuple holding Z {describe(Z)} and flat {describe(flat)}")
        return cache

    def loss_and_grads(self, x: Any, y: Any) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy of a batch and its gradients.

        Args:
            x: (m, H, W, C) float batch.
            y: (m,) integer labels.

        Returns:
            ``(loss, grads)``.
        """
        logits, cache = self.forward(x)
        loss, dlogits = softmax_cross_entropy_and_grad(logits, y)
        return loss, self.backward(dlogits, cache)

    def step(self, grads: Mapping[str, Any], lr: float) -> None:
        """One SGD-with-momentum update: ``v = momentum * v - lr * g``; ``p += v``.

        All-or-nothing: every gradient is checked (keys, shapes, finite values) and the
        update computed before any parameter changes, and an update that would overflow
        to inf is refused, so a bad step never poisons the model.

        Args:
            grads: ``{"W1", "b1", "W2", "b2"}`` gradients shaped like ``self.params``.
            lr: learning rate, a finite number > 0.

        Raises:
            ValueError: naming ``lr`` or ``grads[...]``.
        """
        lr = check_real("lr", lr, low=0.0, low_open=True)
        if not isinstance(grads, Mapping):
            fail("grads", f"a dict with keys {sorted(self.params)}", describe(grads), kind=True)
        if set(grads) != set(self.params):
            fail("grads", f"a dict with keys {sorted(self.params)}", f"keys {sorted(grads)}")
        new_v, new_p = {}, {}
        with np.errstate(over="ignore", invalid="ignore"):
            for k, p in self.params.items():
                g = check_array(f"grads[{k!r}]", grads[k], shape=p.shape)
                new_v[k] = self.momentum * self.velocity[k] - lr * g.astype(self.dtype)
                new_p[k] = p + new_v[k]
                if not np.isfinite(new_p[k]).all():
                    fail("lr", f"small enough to keep {k} finite", f"{lr!r}")
        for k in self.params:
            self.velocity[k][...] = new_v[k]
            self.params[k][...] = new_p[k]

    def predict(self, x: Any, batch_size: int = 500) -> np.ndarray:
        """(m, ...) batch -> (m,) predicted class labels, computed ``batch_size`` at a time."""
        batch_size = check_int("batch_size", batch_size, 1, MAX_COUNT)
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

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        model: a `ConvNet`.
        x: (m, H, W, C) float inputs ((m, H, W) when C == 1).
        y: (m,) integer labels.
        batch_size: examples per update, >= 1.
        lr: learning rate, > 0.
        progress: show a progress line (`cvutils.runtime.progress`; nothing is left of it
            in a notebook's saved outputs).

    Returns:
        (n_batches,) float64 array of the loss of each mini-batch, before its update.

    Raises:
        ValueError: on inputs that do not fit the model, bad labels, ``batch_size < 1`` or
            ``lr <= 0``, naming the argument.
    """
    model = _check_model(model)
    batch_size = check_int("batch_size", batch_size, 1, MAX_COUNT)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    progress = check_bool("progress", progress)
    x = model._inputs(x)
    if len(x) == 0:
        fail("x", "at least one example", describe(x))
    y = check_labels("y", y, model.n_classes, n=len(x))
    order = model.rng.permutation(len(x))
    starts = range(0, len(x), batch_size)
    if progress:
        from cvutils.runtime import progress as progress_line

        # the project's progress line: nothing of it is left in a notebook's saved outputs
        starts = progress_line(starts, desc="epoch")
    losses = []
    for start in starts:
        idx = order[start : start + batch_size]
        loss, grads = model.loss_and_grads(x[idx], y[idx])
        model.step(grads, lr)
        losses.append(loss)
    return np.asarray(losses, dtype=np.float64)


def accuracy(model: ConvNet, x: Any, y: Any, batch_size: int = 500) -> float:
    """Fraction of examples whose predicted class equals the label.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        model: a `ConvNet`.
        x: (m, H, W, C) float inputs.
        y: (m,) integer labels.
        batch_size: examples per forward pass.

    Returns:
        Accuracy in [0, 1], a Python float.

    Raises:
        ValueError: naming ``model``, ``x``, ``y`` or ``batch_size``.
    """
    model = _check_model(model)
    x = model._inputs(x)
    if len(x) == 0:
        fail("x", "at least one example", describe(x))
    y = check_labels("y", y, model.n_classes, n=len(x))
    return float(np.mean(model.predict(x, batch_size) == y))
