"""Few-shot experiments: k labelled examples per class, many draws, means with standard errors.

A transfer-learning curve with one or five labelled examples per class depends heavily on
*which* examples were drawn, so one run says little. This module holds the three pieces an
honest comparison needs:

* `sample_per_class`: the indices of ``k`` examples of every class, drawn without replacement
  from a seed, so every draw is reproducible and every method sees the same examples;
* `StepTrainer`: one Keras classifier trained again and again (one run per draw) for a fixed
  number of Adam steps, compiled once: each run restarts from the weights it is given with a
  fresh optimizer, without the tracing and per-epoch start-up of ``model.fit``;
* `mean_and_se`: the mean over draws and its standard error, ``std(ddof=1) / sqrt(n)``.

Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cvutils.checks import (
    check_array,
    check_int,
    check_labels,
    check_real,
    check_size,
    describe,
    fail,
)

#: The most Adam steps one `StepTrainer.fit` runs, and the most examples it indexes.
MAX_STEPS = 10**6
MAX_EXAMPLES = 10**7

__all__ = ["StepTrainer", "mean_and_se", "sample_per_class"]


def sample_per_class(y: Any, k: int, seed: int = 0, classes: Any = None) -> np.ndarray:
    """Indices of ``k`` examples of every class of ``y``, drawn without replacement.

    Args:
        y: ``(N,)`` integer class labels.
        k: examples per class, ``>= 1``; every class must have at least ``k``.
        seed: seed of the draw (``numpy.random.default_rng(seed)``), ``>= 0``.
        classes: the classes to draw from, in this order (default: the sorted classes of y).

    Returns:
        ``(k * n_classes,)`` int64 indices into ``y``: the ``k`` of the first class, then the
        ``k`` of the next, and so on.

    Raises:
        ValueError: bad labels, ``k < 1``, a class with fewer than ``k`` examples, or a class
            in ``classes`` that ``y`` does not hold.
    """
    y = check_labels("y", y)
    k = check_int("k", k, 1)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if classes is None:
        classes = np.unique(y)
    else:
        classes = check_labels("classes", classes)
        if len(classes) == 0 or len(np.unique(classes)) != len(classes):
            fail("classes", "distinct class labels, at least one", f"{classes.tolist()}")
    rng = np.random.default_rng(seed)
    picked = []
    for c in classes:
        members = np.flatnonzero(y == c)
        if len(members) == 0:
            fail("classes", "classes that y holds", f"class {c}, absent from y")
        if len(members) < k:
            fail("k", f"at most {len(members)} (the examples of class {c} in y)", str(k))
        picked.append(rng.choice(members, k, replace=False))
    return np.concatenate(picked).astype(np.int64)


def mean_and_se(values: Any, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean over repeated draws and its standard error.

    Args:
        values: results of ``n >= 2`` draws along ``axis`` (e.g. ``(n_draws, n_settings)``).
        axis: the axis of the draws.

    Returns:
        ``(mean, se)``, both with ``axis`` removed; ``se = std(ddof=1) / sqrt(n)``.

    Raises:
        ValueError: non-finite values, or fewer than two draws along ``axis``.
    """
    values = check_array("values", values, min_ndim=1)
    axis = check_int("axis", axis, -values.ndim, values.ndim - 1)
    n = values.shape[axis]
    if n < 2:
        fail("values", f"at least 2 draws along axis {axis}", f"shape {values.shape}")
    return values.mean(axis=axis), values.std(axis=axis, ddof=1) / np.sqrt(n)


class StepTrainer:
    """Trains one Keras classifier for a fixed number of Adam steps, again and again.

    The training step (forward pass, sparse categorical cross-entropy, gradients of the
    trainable weights, Adam update) is traced once into a TensorFlow graph, together with the
    loop over the steps; every call of `fit` then restarts from the weights it is given,
    with Adam's moments and step count set back to zero, and runs all its steps in one call.
    The trainable weights are the model's trainable weights when the trainer is made
    (freeze layers first).

    Args:
        model: a Keras model mapping ``(m, ...)`` inputs to ``(m, n_classes)`` softmax
            probabilities.
        learning_rate: Adam's learning rate, ``> 0``.
        batch_size: examples per step, ``>= 1``; a training set of at most this many is used
            whole at every step, a larger one in shuffled batches of exactly this many.
    """

    def __init__(self, model: Any, learning_rate: float = 1e-3, batch_size: int = 32) -> None:
        import keras
        import tensorflow as tf

        if not isinstance(model, keras.Model):
            fail("model", "a keras.Model", type(model).__name__, kind=True)
        self.model = model
        self.learning_rate = check_real("learning_rate", learning_rate, low=0, low_open=True)
        self.batch_size = check_int("batch_size", batch_size, 1, MAX_EXAMPLES)
        self.optimizer = keras.optimizers.Adam(self.learning_rate)
        variables = model.trainable_variables
        if not variables:
            fail("model", "a model with trainable weights", "every layer frozen")
        self.optimizer.build(variables)
        loss_fn = keras.losses.SparseCategoricalCrossentropy()
        shape = [None, *model.input_shape[1:]]

        def run(x, y, batches):
            loss = tf.constant(0.0)
            for i in tf.range(tf.shape(batches)[0]):
                xb, yb = tf.gather(x, batches[i]), tf.gather(y, batches[i])
                with tf.GradientTape() as tape:
                    loss = loss_fn(yb, model(xb, training=True))
                grads = tape.gradient(loss, variables)
                self.optimizer.apply_gradients(zip(grads, variables, strict=True))
            return loss

        self._run = tf.function(
            run,
            input_signature=[
                tf.TensorSpec(shape, tf.float32),
                tf.TensorSpec([None], tf.int64),
                tf.TensorSpec([None, None], tf.int32),
            ],
        )

    def batches(self, n: int, steps: int, seed: int = 0) -> np.ndarray:
        """``(steps, min(n, batch_size))`` indices of the examples of every step.

        With ``n <= batch_size`` every step uses all ``n`` examples in order; otherwise the
        examples are shuffled (``default_rng(seed)``) once per pass and cut into batches of
        ``batch_size``, a pass continuing into the next where it does not divide evenly.
        """
        n = check_int("n", n, 1, MAX_EXAMPLES)
        steps = check_int("steps", steps, 1, MAX_STEPS)
        seed = check_int("seed", seed, 0, 2**32 - 1)
        check_size("steps and n", steps * min(n, self.batch_size), maximum=10**8, what="indices")
        if n <= self.batch_size:
            return np.tile(np.arange(n, dtype=np.int32), (steps, 1))
        rng = np.random.default_rng(seed)
        passes = -(-steps * self.batch_size // n)
        order = np.concatenate([rng.permutation(n) for _ in range(passes)]).astype(np.int32)
        return order[: steps * self.batch_size].reshape(steps, self.batch_size)

    def fit(
        self,
        x: Any,
        y: Any,
        steps: int,
        seed: int = 0,
        weights: list | None = None,
        learning_rate: float | None = None,
    ) -> float:
        """Runs ``steps`` Adam steps on ``(x, y)`` from ``weights``; returns the last loss.

        Args:
            x: ``(n, ...)`` inputs of the model's input shape.
            y: ``(n,)`` integer class labels.
            steps: Adam steps, ``>= 1``.
            seed: seed of the batch order (only used when ``n > batch_size``).
            weights: ``model.get_weights()``-style list to start from (default: the model's
                current weights).
            learning_rate: Adam's learning rate for this run (default: the trainer's);
                changing it does not retrace.

        Returns:
            The training loss of the last step's batch (before its update).
        """
        rate = self.learning_rate
        if learning_rate is not None:
            rate = check_real("learning_rate", learning_rate, low=0, low_open=True)
        shape = (None, *self.model.input_shape[1:])
        x = check_array("x", x, shape=shape, dtype=np.float32, allow_empty=False)
        y = check_labels("y", y, self.model.output_shape[-1], n=len(x))
        steps = check_int("steps", steps, 1, MAX_STEPS)
        seed = check_int("seed", seed, 0, 2**32 - 1)
        if weights is not None:
            self.model.set_weights(self._check_weights(weights))
        for v in self.optimizer.variables:  # step count, moments (and the rate, set below)
            v.assign(np.zeros(v.shape, dtype=v.dtype))
        self.optimizer.learning_rate = rate
        batches = self.batches(len(x), steps, seed)
        return float(self._run(x, y.astype(np.int64), batches))

    def _check_weights(self, weights: Any) -> list[np.ndarray]:
        """``weights`` as a list of arrays shaped like ``model.get_weights()``, or raises."""
        shapes = [tuple(w.shape) for w in self.model.weights]
        if not isinstance(weights, list | tuple) or len(weights) != len(shapes):
            fail(
                "weights",
                f"a list of {len(shapes)} arrays (model.get_weights())",
                describe(weights),
            )
        return [
            check_array(f"weights[{i}]", w, shape=want, dtype=np.float32)
            for i, (w, want) in enumerate(zip(weights, shapes, strict=True))
        ]
