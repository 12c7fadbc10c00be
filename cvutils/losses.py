"""The course's losses: triplet losses, content, Gram, style, total variation, localization.

Face recognition (taught in notebooks/16_face_recognition.ipynb):

* `triplet_loss` -- the course's loss on explicit ``(anchor, positive, negative)`` triplets,
  summed over the batch; `TripletLoss` is the same as a `keras.losses.Loss`.
* `triplet_semihard_loss` and `triplet_hard_loss` -- label-based losses that mine triplets
  inside a batch of embeddings, with the semantics of the retired ``tensorflow-addons``
  losses (``tfa.losses.TripletSemiHardLoss``, ``tfa.losses.TripletHardLoss``);
  `TripletSemiHardLoss` and `TripletHardLoss` are the `keras.losses.Loss` classes.
* `pairwise_distances` -- the distance matrices they use ("L2", "squared-L2", "angular").

Neural style transfer (taught in notebooks/18_neural_style_transfer.ipynb):

* `gram_matrix`, `compute_content_cost`, `compute_layer_style_cost`, `compute_style_cost`,
  `total_cost` -- the course's names, argument order, defaults and return types;
* `total_variation` -- equal to ``tf.image.total_variation``;
* `ContentLoss`, `StyleLoss`, `TotalVariationLoss` -- the same as `keras.losses.Loss` classes.

Classification with localization (taught in notebooks/11_localization_and_landmarks.ipynb):

* `LocalizationLoss` -- the course's loss on ``[p_c, b_x, b_y, b_h, b_w, c_1, ..., c_C]``
  (every component where an object is, only ``p_c`` where none is). The YOLO loss stays in
  `cvutils.yolo` with the anchors and the raw output it decodes.

`CheckedInputsLoss` is the base class of every loss class here and of `cvutils.yolo.YoloLoss`:
it names ``y_true``, ``y_pred`` or ``sample_weight`` when one is not a real tensor.

Everything is written with `keras.ops`, so the functions take NumPy arrays, eager TensorFlow
tensors or symbolic Keras tensors, and (with the TensorFlow backend) return TensorFlow
tensors. Arguments are checked on their *static* shapes, so the checks also hold inside a
``tf.function`` and on symbolic inputs; a bad argument raises ``ValueError`` naming it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from cvutils.checks import (
    check_array,
    check_bool,
    check_choice,
    check_float_tensor,
    check_labels,
    check_real,
    check_same_shape,
    check_tensor,
    describe,
    fail,
)

#: The largest margin or weight accepted: beyond float32's range it becomes inf in the
#: float32 graph, and inf - inf poisons the loss with NaN.
MAX_WEIGHT = 3.4e38


def _check_weight(name: str, value: Any, low: float | None = -MAX_WEIGHT) -> float:
    """A finite real margin or weight that float32 can hold (``low``: the smallest allowed)."""
    return check_real(name, value, low=low, high=MAX_WEIGHT, high_open=False)


__all__ = [
    "MAX_WEIGHT",
    "STYLE_LAYERS",
    "CheckedInputsLoss",
    "ContentLoss",
    "LocalizationLoss",
    "StyleLoss",
    "TotalVariationLoss",
    "TripletHardLoss",
    "TripletLoss",
    "TripletSemiHardLoss",
    "compute_content_cost",
    "compute_layer_style_cost",
    "compute_style_cost",
    "gram_matrix",
    "pairwise_distances",
    "total_cost",
    "total_variation",
    "triplet_hard_loss",
    "triplet_loss",
    "triplet_semihard_loss",
]

#: The course's style layers of VGG-19 and their weights (the content layer comes after them).
STYLE_LAYERS = [
    ("block1_conv1", 0.2),
    ("block2_conv1", 0.2),
    ("block3_conv1", 0.2),
    ("block4_conv1", 0.2),
    ("block5_conv1", 0.2),
]

DISTANCE_METRICS = ("L2", "squared-L2", "angular")


# ----------------------------------------------------------------------------- helpers


def _static_shape(x) -> tuple:
    return tuple(None if d is None else int(d) for d in x.shape)


def _check_rank(name: str, x, ranks: tuple[int, ...], layout: str) -> tuple:
    shape = _static_shape(x)
    if len(shape) not in ranks:
        want = " or ".join(str(r) for r in ranks)
        fail(name, f"a tensor of rank {want} {layout}", describe(x))
    return shape


def _identity_like(square):
    """The identity matrix of a ``(n, n)`` tensor's size and dtype (also for an unknown n)."""
    return ops.diag(ops.ones_like(square[0]))


def _precise(embeddings):
    """TFA's rule: float16/bfloat16 embeddings are computed in float32."""
    if keras.backend.standardize_dtype(embeddings.dtype) in ("float16", "bfloat16"):
        return ops.cast(embeddings, "float32")
    return embeddings


def _fused(core, *static):
    """``core(*tensors, weight, *static)``, as one TensorFlow graph when run eagerly.

    A triplet loss is some twenty small tensor ops; run eagerly, their dispatch costs more
    than their arithmetic. With the TensorFlow backend and outside a graph, the same
    ``keras.ops`` code is traced once per static arguments, dtypes and ranks (any sizes:
    the batch may change without a retrace) into a ``tf.function`` and run as one call; in a
    graph (``model.fit``, a ``tf.function``), on symbolic Keras tensors or with another
    backend it runs as written. ``weight`` (a margin) travels as a float64 tensor, so that a
    new value does not retrace; the core casts it to the embeddings' dtype, which rounds it
    as a Python float would be rounded.
    """

    def run(*tensors, weight):
        if keras.backend.backend() != "tensorflow" or any(
            isinstance(t, keras.KerasTensor) for t in tensors
        ):
            return core(*tensors, weight, *static)
        import tensorflow as tf

        if not tf.executing_eagerly():
            return core(*tensors, weight, *static)
        specs = tuple(tf.TensorSpec([None] * len(t.shape), t.dtype) for t in tensors)
        return _traced(core, static, specs)(*tensors, tf.constant(weight, tf.float64))

    return run


@functools.cache
def _traced(core, static: tuple, specs: tuple):
    """The traced graph of ``core`` for tensors of ``specs``, its static arguments bound."""
    import tensorflow as tf

    # A partial, not a closure: TensorFlow counts traces per code object, and would warn of
    # "excessive retracing" after five of these functions, each traced only once.
    traced = functools.partial(_call_with_static, core, static)
    signature = (*specs, tf.TensorSpec([], tf.float64))
    # The concrete function: calling it skips tf.function's dispatch (~0.25 ms a call).
    return tf.function(traced, input_signature=signature, autograph=False).get_concrete_function()


def _call_with_static(core, static: tuple, *args):
    return core(*args, *static)


# ----------------------------------------------------------------------------- triplet losses


def triplet_loss(y_true, y_pred, alpha=0.2):
    """The course's triplet loss on explicit triplets, summed over the batch.

    ``y_pred = (anchor, positive, negative)``, each ``(m, d)`` (or ``(d,)`` for one triplet):

        loss = sum_i max(||A_i - P_i||^2 - ||A_i - N_i||^2 + alpha, 0)

    Taught in notebooks/16_face_recognition.ipynb.

    Args:
        y_true: ignored (the triplets carry their own labels); kept for the Keras signature.
        y_pred: a sequence of three ``(m, d)`` arrays or tensors, or one ``(3, m, d)`` tensor.
        alpha: the margin, a real number (the course's tests also use 0 and negative values).

    Returns:
        A scalar tensor (float32 for float32 or Python-float input).

    Raises:
        ValueError: ``y_pred`` is not three embeddings of one shape, or ``alpha`` is not real.

    Examples:
        >>> float(triplet_loss(None, ([1.0, 1.0], [1.0, 1.0], [0.0, 0.0]), alpha=3))
        1.0
        >>> float(triplet_loss(None, ([1.0, 1.0], [0.0, 0.0], [1.0, 1.0]), alpha=0))
        2.0
    """
    alpha = _check_weight("alpha", alpha)
    if isinstance(y_pred, Sequence) and not isinstance(y_pred, str | bytes):
        if len(y_pred) != 3:
            fail("y_pred", "a sequence (anchor, positive, negative)", f"{len(y_pred)} items")
        anchor, positive, negative = (
            check_float_tensor(f"y_pred[{i}]", t) for i, t in enumerate(y_pred)
        )
    else:
        stacked = check_float_tensor("y_pred", y_pred)
        shape = _static_shape(stacked)
        if len(shape) < 2 or shape[0] not in (3, None):
            fail(
                "y_pred",
                "(anchor, positive, negative) or a tensor of shape (3, m, d)",
                describe(y_pred),
            )
        anchor, positive, negative = stacked[0], stacked[1], stacked[2]
    check_same_shape("anchor", anchor, "positive", positive)
    check_same_shape("anchor", anchor, "negative", negative)
    return _fused(_triplet_core)(anchor, positive, negative, weight=alpha)


def _triplet_core(anchor, positive, negative, alpha):
    pos_dist = ops.sum(ops.square(anchor - positive), axis=-1)
    neg_dist = ops.sum(ops.square(anchor - negative), axis=-1)
    basic_loss = pos_dist - neg_dist + ops.cast(alpha, pos_dist.dtype)
    return ops.sum(ops.maximum(basic_loss, 0.0))


def pairwise_distances(embeddings, distance_metric="L2"):
    """``(batch, d)`` embeddings -> ``(batch, batch)`` distances, computed as tensorflow-addons did.

    * ``"squared-L2"``: ``||a||^2 + ||b||^2 - 2 a.b``, negatives clipped to 0, zero diagonal;
    * ``"L2"``: the square root of that, with a gradient of 0 (not inf) at zero distances;
    * ``"angular"``: ``1 - cos(a, b)`` on l2-normalized embeddings, clipped at 0.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> d = pairwise_distances([[0.0, 0.0], [3.0, 4.0]])
        >>> [[float(v) for v in row] for row in d]
        [[0.0, 5.0], [5.0, 0.0]]
    """
    check_choice("distance_metric", distance_metric, DISTANCE_METRICS)
    x = check_float_tensor("embeddings", embeddings)
    shape = _check_rank("embeddings", x, (2,), "(batch, d)")
    if 0 in shape:
        fail("embeddings", "at least one embedding of at least one number", describe(x))
    if distance_metric == "angular":
        x = x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=1, keepdims=True), 1e-12))
        return ops.maximum(1.0 - ops.matmul(x, ops.transpose(x)), 0.0)
    sq = ops.sum(ops.square(x), axis=1, keepdims=True)
    d2 = ops.maximum(sq + ops.transpose(sq) - 2.0 * ops.matmul(x, ops.transpose(x)), 0.0)
    zero = ops.cast(ops.less_equal(d2, 0.0), x.dtype)
    if distance_metric == "L2":
        d2 = ops.sqrt(d2 + zero * 1e-16) * (1.0 - zero)
    return d2 * (1.0 - _identity_like(d2))


def _labels_and_embeddings(y_true, y_pred):
    embeddings = check_float_tensor("y_pred", y_pred)
    shape = _check_rank("y_pred", embeddings, (2,), "(batch, d) embeddings")
    labels = check_tensor("y_true", y_true)
    lshape = _static_shape(labels)
    if not (len(lshape) == 1 or (len(lshape) == 2 and lshape[1] in (1, None))):
        fail("y_true", "a tensor of rank 1 (batch,) class labels", describe(y_true))
    if lshape[0] is not None and shape[0] is not None and lshape[0] != shape[0]:
        fail("y_true", f"{shape[0]} labels (one per row of y_pred)", f"{lshape[0]} labels")
    _check_concrete("y_true", labels, labels=True)
    labels = ops.reshape(labels, (-1, 1))
    return labels, embeddings


def _concrete(x):
    """``x`` as a NumPy array when its values are known here (NumPy, eager), else None
    (a symbolic tensor in a graph: its values are not known until the graph runs)."""
    if isinstance(x, keras.KerasTensor):
        return None
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception:  # a graph tensor (tf.function, model.fit): nothing to check here
        return None


def _check_concrete(name: str, x, *, labels: bool = False) -> None:
    """Checks the values of a tensor whose values are known: class labels (integers >= 0,
    integer-valued floats accepted) or, without ``labels``, finite weights >= 0.

    Inside a graph the values are not known when the loss is traced, and are not checked
    (like every Keras loss, the graph then propagates what it is given).
    """
    values = _concrete(x)
    if values is None:
        return
    if labels:
        check_labels(name, values.reshape(-1))
        return
    values = check_array(name, values, dtype="float")
    if values.size and values.min() < 0:
        fail(name, "weights >= 0", f"minimum {values.min()!r}")


def _masked_maximum(data, mask):
    """Row-wise max of ``data`` where ``mask`` is 1; the row minimum where the mask is empty."""
    mins = ops.min(data, axis=1, keepdims=True)
    return ops.max((data - mins) * mask, axis=1, keepdims=True) + mins


def _masked_minimum(data, mask):
    """Row-wise min of ``data`` where ``mask`` is 1; the row maximum where the mask is empty."""
    maxs = ops.max(data, axis=1, keepdims=True)
    return ops.min((data - maxs) * mask, axis=1, keepdims=True) + maxs


def triplet_semihard_loss(y_true, y_pred, margin=1.0, distance_metric="L2"):
    """Semi-hard triplet loss over all positive pairs of a labelled batch (tensorflow-addons).

    ``y_true`` ``(batch,)`` labels, ``y_pred`` ``(batch, d)`` embeddings (not normalized
    here: normalize them in the model, e.g. with `keras.layers.UnitNormalization`). For every
    positive pair ``(a, p)``, ``a != p``, the negative is the *semi-hard* one, the closest
    negative farther than the positive (``d(a, n) > d(a, p)``); when there is none, the
    farthest negative. The loss is the mean over positive pairs of
    ``max(margin + d(a, p) - d(a, n), 0)``.

    float16/bfloat16 embeddings are computed in float32 and the loss is cast back, as in
    tensorflow-addons. One deliberate difference: a batch without any positive pair gives 0
    (tensorflow-addons divided 0 by 0 and returned NaN).

    Taught in notebooks/16_face_recognition.ipynb.

    Args:
        y_true: ``(batch,)`` (or ``(batch, 1)``) class labels, integers >= 0 (checked where
            their values are known: NumPy or eager tensors).
        y_pred: ``(batch, d)`` embeddings.
        margin: the margin, a real number >= 0.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"``.

    Returns:
        A scalar tensor of the embeddings' dtype.

    Examples:
        >>> y_pred = [[0.0, 0.0], [0.0, 1.0], [3.0, 0.0]]
        >>> float(triplet_semihard_loss([0, 0, 1], y_pred, margin=1.0))
        0.0
        >>> # squared-L2: d(0,1) = 1, d(0,2) = 9, d(1,2) = 10; pairs (0,1): 1, (1,0): 0
        >>> float(triplet_semihard_loss([0, 0, 1], y_pred, 9.0, "squared-L2"))
        0.5
    """
    margin = _check_weight("margin", margin, low=0.0)
    check_choice("distance_metric", distance_metric, DISTANCE_METRICS)
    labels, embeddings = _labels_and_embeddings(y_true, y_pred)
    return _fused(_semihard_core, distance_metric)(labels, embeddings, weight=margin)


def _semihard_core(labels, embeddings, margin, distance_metric):
    x = _precise(embeddings)
    dt = x.dtype
    margin = ops.cast(margin, dt)
    pdist = pairwise_distances(x, distance_metric)
    adjacency = ops.equal(labels, ops.transpose(labels))
    adjacency_not = ops.logical_not(adjacency)
    # semi[a, p, k]: k is a negative of a with d(a, k) > d(a, p)
    semi = ops.logical_and(
        ops.expand_dims(adjacency_not, 1),
        ops.greater(ops.expand_dims(pdist, 1), ops.expand_dims(pdist, 2)),
    )
    has_semi = ops.any(semi, axis=2)
    # outside[a, p]: the smallest semi-hard negative distance (the row maximum if none)
    maxs = ops.max(pdist, axis=1, keepdims=True)
    outside = ops.min(ops.where(semi, ops.expand_dims(pdist, 1), ops.expand_dims(maxs, 1)), axis=2)
    inside = _masked_maximum(pdist, ops.cast(adjacency_not, dt))  # (a, 1): largest negative
    negatives = ops.where(has_semi, outside, inside)
    loss_mat = margin + pdist - negatives
    mask_positives = ops.cast(adjacency, dt) - _identity_like(pdist)
    num_positives = ops.sum(mask_positives)
    total = ops.sum(ops.maximum(loss_mat * mask_positives, 0.0))
    loss = ops.divide_no_nan(total, num_positives)
    return ops.cast(loss, embeddings.dtype)


def triplet_hard_loss(y_true, y_pred, margin=1.0, soft=False, distance_metric="L2"):
    """Batch-hard triplet loss (tensorflow-addons): hardest positive and negative per anchor.

    ``y_true`` ``(batch,)`` labels, ``y_pred`` ``(batch, d)`` embeddings. For every anchor
    ``a``: the hardest positive ``max_p d(a, p)`` (``p != a``, same label) and the hardest
    negative ``min_n d(a, n)``; the loss is the mean over anchors of
    ``max(hardest_pos - hardest_neg + margin, 0)``, or ``softplus(hardest_pos - hardest_neg)``
    when ``soft``. As in tensorflow-addons, an anchor without positives uses the smallest
    distance of its row (0, itself) and an anchor without negatives the largest.

    Taught in notebooks/16_face_recognition.ipynb.

    Args:
        y_true: ``(batch,)`` (or ``(batch, 1)``) class labels, integers >= 0 (checked where
            their values are known: NumPy or eager tensors).
        y_pred: ``(batch, d)`` embeddings.
        margin: the margin, a real number >= 0 (unused when ``soft``).
        soft: use the soft margin ``log(1 + exp(pos - neg))``.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"``.

    Returns:
        A scalar tensor of the embeddings' dtype.

    Examples:
        >>> y_pred = [[0.0, 0.0], [0.0, 1.0], [3.0, 0.0]]
        >>> # squared-L2; anchors 0, 1, 2 give max(1-9+9, 0), max(1-10+9, 0), max(0-9+9, 0)
        >>> round(float(triplet_hard_loss([0, 0, 1], y_pred, 9.0, distance_metric="squared-L2")), 4)
        0.3333
    """
    margin = _check_weight("margin", margin, low=0.0)
    soft = check_bool("soft", soft)
    check_choice("distance_metric", distance_metric, DISTANCE_METRICS)
    labels, embeddings = _labels_and_embeddings(y_true, y_pred)
    return _fused(_hard_core, soft, distance_metric)(labels, embeddings, weight=margin)


def _hard_core(labels, embeddings, margin, soft, distance_metric):
    x = _precise(embeddings)
    dt = x.dtype
    margin = ops.cast(margin, dt)
    pdist = pairwise_distances(x, distance_metric)
    adjacency = ops.equal(labels, ops.transpose(labels))
    hard_negatives = _masked_minimum(pdist, ops.cast(ops.logical_not(adjacency), dt))
    mask_positives = ops.cast(adjacency, dt) - _identity_like(pdist)
    hard_positives = _masked_maximum(pdist, mask_positives)
    if soft:
        per_anchor = ops.softplus(hard_positives - hard_negatives)
    else:
        per_anchor = ops.maximum(hard_positives - hard_negatives + margin, 0.0)
    return ops.cast(ops.mean(per_anchor), embeddings.dtype)


# ----------------------------------------------------------------------------- style transfer


def gram_matrix(A):
    """``(n_C, n_H*n_W)`` unrolled activations -> ``(n_C, n_C)`` Gram matrix ``A A^T``.

    Entry ``(i, j)`` is the inner product of channels ``i`` and ``j``: how much the two
    features fire together, whatever the position.

    Taught in notebooks/18_neural_style_transfer.ipynb.

    Examples:
        >>> G = gram_matrix([[1.0, 2.0], [0.0, 3.0]])
        >>> [[float(v) for v in row] for row in G]
        [[5.0, 6.0], [6.0, 9.0]]
    """
    A = check_float_tensor("A", A)
    _check_rank("A", A, (2,), "(n_C, n_H*n_W)")
    return ops.matmul(A, ops.transpose(A))


def _last_output(name: str, x):
    """The course passes lists of layer outputs whose last one is the content layer."""
    if isinstance(x, list | tuple):
        if not x:
            fail(name, "a non-empty list of layer outputs", "an empty list")
        return check_float_tensor(f"{name}[-1]", x[-1])
    t = check_float_tensor(name, x)
    if len(_static_shape(t)) == 5:
        return t[-1]
    return t


def _activation_dims(name: str, a) -> tuple:
    shape = _check_rank(name, a, (4,), "(m, n_H, n_W, n_C)")
    dims = ops.shape(a)
    return tuple(s if s is not None else d for s, d in zip(shape, dims, strict=True))


def compute_content_cost(a_C, a_G):
    """Content cost between two ``(1, n_H, n_W, n_C)`` activations of one layer.

        J_content = sum((a_C - a_G)^2) / (4 n_H n_W n_C)

    As in the course, each argument may also be the list of a model's layer outputs (or a
    tensor stacking them on a first axis), of which the last is the content layer.

    Taught in notebooks/18_neural_style_transfer.ipynb.

    Args:
        a_C: ``(1, n_H, n_W, n_C)`` activations of the content image.
        a_G: ``(1, n_H, n_W, n_C)`` activations of the generated image.

    Returns:
        A scalar tensor.

    Examples:
        >>> import numpy as np
        >>> a_C = np.ones((1, 2, 2, 1), "float32")
        >>> float(compute_content_cost(a_C, np.zeros_like(a_C)))
        0.25
    """
    a_C = _last_output("a_C", a_C)
    a_G = _last_output("a_G", a_G)
    m, n_H, n_W, n_C = _activation_dims("a_G", a_G)
    _check_rank("a_C", a_C, (4,), "(m, n_H, n_W, n_C)")
    check_same_shape("a_G", a_G, "a_C", a_C)
    a_C_unrolled = ops.reshape(a_C, (m, -1, n_C))
    a_G_unrolled = ops.reshape(a_G, (m, -1, n_C))
    norm = ops.cast(4 * n_H * n_W * n_C, a_G.dtype)
    return ops.sum(ops.square(a_C_unrolled - a_G_unrolled)) / norm


def compute_layer_style_cost(a_S, a_G):
    """Style cost of one layer: the squared distance of the Gram matrices, normalized.

    ``a_S`` and ``a_G`` are ``(1, n_H, n_W, n_C)``; each is unrolled to ``(n_C, n_H*n_W)``
    (reshape to ``(-1, n_C)``, then transpose) and

        J_style_layer = sum((G_S - G_G)^2) / (4 n_C^2 (n_H n_W)^2)

    Taught in notebooks/18_neural_style_transfer.ipynb.

    Returns:
        A scalar tensor.

    Examples:
        >>> import numpy as np
        >>> a_S = np.ones((1, 1, 2, 1), "float32")
        >>> float(compute_layer_style_cost(a_S, np.zeros_like(a_S)))  # (2 - 0)^2 / (4 * 1 * 4)
        0.25
    """
    a_S = check_float_tensor("a_S", a_S)
    a_G = check_float_tensor("a_G", a_G)
    _m, n_H, n_W, n_C = _activation_dims("a_G", a_G)
    _check_rank("a_S", a_S, (4,), "(m, n_H, n_W, n_C)")
    check_same_shape("a_G", a_G, "a_S", a_S)
    GS = gram_matrix(ops.transpose(ops.reshape(a_S, (-1, n_C))))
    GG = gram_matrix(ops.transpose(ops.reshape(a_G, (-1, n_C))))
    norm = ops.cast(4 * n_C**2 * (n_H * n_W) ** 2, a_G.dtype)
    return ops.sum(ops.square(GS - GG)) / norm


def compute_style_cost(style_image_output, generated_image_output, STYLE_LAYERS=STYLE_LAYERS):
    """Weighted sum of the layer style costs over the style layers.

    ``style_image_output`` and ``generated_image_output`` are the lists of a model's layer
    outputs, one per entry of ``STYLE_LAYERS`` followed by the content layer (which is
    skipped, as in the course):

        J_style = sum_l coeff_l * compute_layer_style_cost(a_S[l], a_G[l])

    Taught in notebooks/18_neural_style_transfer.ipynb.

    Args:
        style_image_output: ``len(STYLE_LAYERS) + 1`` activations ``(1, n_H, n_W, n_C)``.
        generated_image_output: the same for the generated image.
        STYLE_LAYERS: ``(layer_name, coeff)`` pairs; the default is the course's five VGG-19
            layers with weight 0.2 each.

    Returns:
        A scalar tensor.

    Examples:
        >>> import numpy as np
        >>> a = [np.ones((1, 1, 2, 1), "float32")] * 2
        >>> g = [np.zeros((1, 1, 2, 1), "float32")] * 2
        >>> float(compute_style_cost(a, g, STYLE_LAYERS=[("conv", 0.5)]))
        0.125
    """
    if not isinstance(STYLE_LAYERS, list | tuple) or not STYLE_LAYERS:
        fail(
            "STYLE_LAYERS", "a non-empty list of (layer_name, coeff) pairs", describe(STYLE_LAYERS)
        )
    coeffs = []
    for i, pair in enumerate(STYLE_LAYERS):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            fail(f"STYLE_LAYERS[{i}]", "a (layer_name, coeff) pair", describe(pair), kind=True)
        coeffs.append(check_real(f"STYLE_LAYERS[{i}][1]", pair[1]))
    for name, outputs in (
        ("style_image_output", style_image_output),
        ("generated_image_output", generated_image_output),
    ):
        if not isinstance(outputs, list | tuple):
            fail(name, "a list of layer outputs", describe(outputs), kind=True)
        if len(outputs) != len(coeffs) + 1:
            fail(
                name,
                f"{len(coeffs) + 1} layer outputs (one per entry of STYLE_LAYERS, then the "
                "content layer)",
                f"{len(outputs)}",
            )
    layout = "(1, n_H, n_W, n_C)"
    a_S, a_G = [], []
    for name, outputs, checked in (
        ("style_image_output", style_image_output, a_S),
        ("generated_image_output", generated_image_output, a_G),
    ):
        for i, a in enumerate(outputs[:-1]):
            checked.append(check_float_tensor(f"{name}[{i}]", a))
            _check_rank(f"{name}[{i}]", checked[-1], (4,), layout)
    J_style = 0.0
    for i, coeff in enumerate(coeffs):
        J_style = J_style + coeff * compute_layer_style_cost(a_S[i], a_G[i])
    return J_style


def total_cost(J_content, J_style, alpha=10, beta=40):
    """The neural-style-transfer objective ``alpha * J_content + beta * J_style``.

    Taught in notebooks/18_neural_style_transfer.ipynb.

    Args:
        J_content, J_style: scalars (Python numbers or scalar tensors).
        alpha, beta: the weights of the two costs (real numbers).

    Returns:
        A scalar tensor (float32 for Python numbers).

    Examples:
        >>> float(total_cost(0.2, 0.8))
        34.0
        >>> round(float(total_cost(0.3, 0.5, 3, 8)), 5)
        4.9
    """
    alpha, beta = _check_weight("alpha", alpha), _check_weight("beta", beta)
    J_content = check_float_tensor("J_content", J_content)
    J_style = check_float_tensor("J_style", J_style)
    dtype = keras.backend.result_type(J_content.dtype, J_style.dtype)  # float64 with float32
    return alpha * ops.cast(J_content, dtype) + beta * ops.cast(J_style, dtype)


def total_variation(image):
    """``(H, W, C)`` -> scalar, ``(batch, H, W, C)`` -> ``(batch,)``: ``tf.image.total_variation``.

    The sum of absolute differences between vertical and horizontal neighbours: a scalar for
    one image, ``(batch,)`` for a batch. Penalizing it smooths a generated image.

    Taught in notebooks/18_neural_style_transfer.ipynb.

    Examples:
        >>> import numpy as np
        >>> # vertical |3 - 0| + |1 - 1|, horizontal |1 - 0| + |1 - 3|
        >>> float(total_variation(np.array([[[0.0], [1.0]], [[3.0], [1.0]]])))
        6.0
    """
    x = check_float_tensor("image", image)
    _check_rank("image", x, (3, 4), "(H, W, C) or (batch, H, W, C)")
    axes = (-3, -2, -1)
    dh = ops.abs(x[..., 1:, :, :] - x[..., :-1, :, :])
    dw = ops.abs(x[..., :, 1:, :] - x[..., :, :-1, :])
    return ops.sum(dh, axis=axes) + ops.sum(dw, axis=axes)


# ----------------------------------------------------------------------------- Keras losses


class CheckedInputsLoss(keras.losses.Loss):
    """A Keras loss whose call names ``y_true`` or ``y_pred`` when one is not a real array or
    tensor (Keras's own conversion would raise an error that names neither)."""

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Checks the arguments by name, then calls the loss as Keras does.

        ``sample_weight`` (None, a number or a tensor broadcastable to the per-example
        losses) must hold finite weights >= 0 where its values are known (NumPy or eager):
        a NaN weight would silently make the loss NaN.
        """
        if sample_weight is not None:
            sample_weight = check_tensor("sample_weight", sample_weight)
            _check_concrete("sample_weight", sample_weight)
        return super().__call__(
            check_tensor("y_true", y_true), check_tensor("y_pred", y_pred), sample_weight
        )


@keras.saving.register_keras_serializable(package="cvutils")
class TripletLoss(CheckedInputsLoss):
    """`triplet_loss` as a Keras loss: ``y_pred`` is ``(3, m, d)`` (anchor, positive, negative).

    Taught in notebooks/16_face_recognition.ipynb.

    Args:
        alpha: the margin (a real number).
        name, reduction, dtype: passed to `keras.losses.Loss`.
    """

    def __init__(self, alpha=0.2, name="triplet_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.alpha = _check_weight("alpha", alpha)

    def call(self, y_true, y_pred):
        return triplet_loss(y_true, y_pred, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="cvutils")
class TripletSemiHardLoss(CheckedInputsLoss):
    """`triplet_semihard_loss` as a Keras loss (labels ``(batch,)``, embeddings ``(batch, d)``).

    Compile a model whose output is an l2-normalized embedding with it and fit on
    ``(images, labels)``; batches should hold several examples of each class.

    Taught in notebooks/16_face_recognition.ipynb.

    Args:
        margin: the margin, >= 0.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"``.
        name, reduction, dtype: passed to `keras.losses.Loss`.
    """

    def __init__(self, margin=1.0, distance_metric="L2", name="triplet_semihard_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.margin = _check_weight("margin", margin, low=0.0)
        self.distance_metric = check_choice("distance_metric", distance_metric, DISTANCE_METRICS)

    def call(self, y_true, y_pred):
        return triplet_semihard_loss(y_true, y_pred, self.margin, self.distance_metric)

    def get_config(self):
        config = {"margin": self.margin, "distance_metric": self.distance_metric}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="cvutils")
class TripletHardLoss(CheckedInputsLoss):
    """`triplet_hard_loss` (batch-hard) as a Keras loss.

    Taught in notebooks/16_face_recognition.ipynb.

    Args:
        margin: the margin, >= 0.
        soft: use the soft margin.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"``.
        name, reduction, dtype: passed to `keras.losses.Loss`.
    """

    def __init__(
        self, margin=1.0, soft=False, distance_metric="L2", name="triplet_hard_loss", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        self.margin = _check_weight("margin", margin, low=0.0)
        self.soft = check_bool("soft", soft)
        self.distance_metric = check_choice("distance_metric", distance_metric, DISTANCE_METRICS)

    def call(self, y_true, y_pred):
        return triplet_hard_loss(y_true, y_pred, self.margin, self.soft, self.distance_metric)

    def get_config(self):
        config = {"margin": self.margin, "soft": self.soft, "distance_metric": self.distance_metric}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="cvutils")
class ContentLoss(CheckedInputsLoss):
    """`compute_content_cost` as a Keras loss: ``y_true = a_C``, ``y_pred = a_G``.

    Taught in notebooks/18_neural_style_transfer.ipynb.
    """

    def __init__(self, name="content_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return compute_content_cost(y_true, y_pred)


@keras.saving.register_keras_serializable(package="cvutils")
class StyleLoss(CheckedInputsLoss):
    """`compute_layer_style_cost` as a Keras loss: ``y_true = a_S``, ``y_pred = a_G``.

    Taught in notebooks/18_neural_style_transfer.ipynb.
    """

    def __init__(self, name="style_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return compute_layer_style_cost(y_true, y_pred)


@keras.saving.register_keras_serializable(package="cvutils")
class TotalVariationLoss(CheckedInputsLoss):
    """``weight * total_variation(y_pred)`` as a Keras loss (``y_true`` is ignored).

    ``y_pred`` is ``(batch, H, W, C)``; the per-image values are reduced over the batch.

    Taught in notebooks/18_neural_style_transfer.ipynb.

    Args:
        weight: a real number >= 0.
    """

    def __init__(self, weight=1.0, name="total_variation_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.weight = check_real("weight", weight, low=0.0)

    def call(self, y_true, y_pred):
        del y_true
        return self.weight * total_variation(y_pred)

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="cvutils")
class LocalizationLoss(CheckedInputsLoss):
    """The course's classification-with-localization loss, per example.

    ``y = [p_c, b_x, b_y, b_h, b_w, c_1, ..., c_C]``::

        loss = sum_k (y_hat_k - y_k)^2   if p_c = 1   (every component)
        loss = (y_hat_1 - y_1)^2         if p_c = 0   (only p_c)

    Inputs ``(batch, 5 + C)``; the per-example losses ``(batch,)`` are reduced by Keras
    (mean over the batch by default).

    Taught in notebooks/11_localization_and_landmarks.ipynb.

    The targets are `cvutils.yolo.encode_targets` on a 1x1 grid with one anchor;
    ``cvutils.yolo.LocalizationLoss`` is this class (notebook 11 imports it from there).

    Examples:
        >>> import numpy as np
        >>> loss = LocalizationLoss()
        >>> y = np.array([[1, .4, .3, .9, .8, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0]], "float32")
        >>> y_hat = y + 0.1
        >>> round(float(loss(y, y_hat)), 4)  # (8 * 0.01 + 0.01) / 2
        0.045
    """

    def __init__(self, name: str = "localization_loss", reduction="sum_over_batch_size", **kw):
        super().__init__(name=name, reduction=reduction, **kw)

    def call(self, y_true, y_pred):
        y_true = check_tensor("y_true", y_true)
        y_pred = ops.cast(check_tensor("y_pred", y_pred), y_true.dtype)
        if len(y_true.shape) < 1:
            fail("y_true", "a (..., 1 + 4 + C) tensor", describe(y_true))
        check_same_shape("y_true", y_true, "y_pred", y_pred)
        sq = ops.square(y_pred - y_true)
        present = ops.cast(y_true[..., 0] > 0.5, sq.dtype)
        return present * ops.sum(sq, axis=-1) + (1 - present) * sq[..., 0]
