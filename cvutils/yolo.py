"""YOLO building blocks: decoding, filtering, NMS, targets, anchors, losses and mAP.

The course's post-processing functions keep the course's names, argument order, defaults
and return types (tensors in, TensorFlow tensors out), so the course's own tests run
against them unchanged:

* `yolo_head` (feats, anchors, num_classes) -> ``(box_xy, box_wh, box_confidence,
  box_class_probs)``, the YAD2K decoding;
* `yolo_boxes_to_corners` (box_xy, box_wh) -> one tensor ``(..., 4)`` holding
  ``(y_min, x_min, y_max, x_max)``; `scale_boxes` (boxes, image_shape);
* `yolo_filter_boxes` (boxes, box_confidence, box_class_probs, threshold=0.6) ->
  ``(scores, boxes, classes)``;
* `yolo_non_max_suppression` (scores, boxes, classes, max_boxes=10, iou_threshold=0.5);
* `yolo_eval` (yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6,
  iou_threshold=0.5).

Training and decoding a small detector (notebooks 13 and 14 share them): `train_tiny_yolo`
(targets, `cvutils.models.tiny_yolo`, `YoloLoss` with cross-entropy, Adam with a cosine
schedule) and `decode_detections` (the course's order: filter by score, then NMS).

Beyond the course (NumPy unless said): `encode_targets` (each object goes to the grid cell
that holds its midpoint and to the anchor of highest IoU), `kmeans_anchors` (k-means with
the distance ``1 - IoU``), `YoloLoss` (a YOLOv2-style loss, a registered
``keras.losses.Loss``) and `mean_average_precision` (VOC all-point interpolated AP at IoU
0.5, detections matched to the truth by `cvutils.boxes.match_detections`: IoU >= the threshold).

Conventions. Anchors are ``(A, 2)`` ``(width, height)`` in grid-cell units, as in YAD2K.
A target vector follows the course: ``[p_c, b_x, b_y, b_h, b_w, c_1, ..., c_C]`` where
``(b_x, b_y)`` is the midpoint relative to its cell's top-left corner (in ``[0, 1)``) and
``(b_h, b_w)`` the size in cell units (it can exceed 1). The network's raw output for one
anchor follows YAD2K: ``[t_x, t_y, t_w, t_h, t_o, class logits...]``.

`LocalizationLoss`, the course's classification-with-localization loss on the same target
vector (a 1x1 grid with one anchor), lives in `cvutils.losses` with the course's other
losses; ``cvutils.yolo.LocalizationLoss`` is the same class (notebook 11 imports it from
here, next to `encode_targets`).

Taught in notebooks/13_yolo_building_blocks.ipynb and
notebooks/14_training_a_yolo_detector.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from cvutils.boxes import check_boxes, convert_boxes, match_detections
from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_bool,
    check_choice,
    check_float_tensor,
    check_int,
    check_labels,
    check_real,
    check_same_shape,
    check_shape,
    check_tensor,
    describe,
    fail,
)
from cvutils.losses import MAX_WEIGHT, CheckedInputsLoss, LocalizationLoss

__all__ = [
    "LocalizationLoss",
    "YoloLoss",
    "anchor_iou",
    "average_precision",
    "decode_detections",
    "encode_targets",
    "encode_targets_tf",
    "kmeans_anchors",
    "mean_average_precision",
    "mean_best_iou",
    "precision_recall_curves",
    "scale_boxes",
    "train_tiny_yolo",
    "yolo_boxes_to_corners",
    "yolo_eval",
    "yolo_filter_boxes",
    "yolo_head",
    "yolo_non_max_suppression",
]


#: The largest anchor side (in grid cells or pixels) accepted: squares of larger sides overflow.
MAX_ANCHOR = 1e15


def _check_anchors(anchors: Any) -> np.ndarray:
    arr = check_array("anchors", anchors, shape=(None, 2), dtype="float", layout="(A, 2) (w, h)")
    if arr.shape[0] == 0 or (arr <= 0).any() or (arr > MAX_ANCHOR).any():
        fail(
            "anchors",
            f"a non-empty (A, 2) array of positive (width, height) <= {MAX_ANCHOR:g}",
            str(arr.tolist()),
        )
    return arr


def _last_dim(name: str, x: Any, size: int, what: str) -> None:
    last = x.shape[-1] if len(x.shape) else None
    if last is not None and int(last) != size:
        fail(name, f"a tensor whose last dimension is {size} ({what})", f"shape {tuple(x.shape)}")


# ----------------------------------------------------------------------------------------
# The course's post-processing (TensorFlow)
# ----------------------------------------------------------------------------------------


def yolo_head(feats: Any, anchors: Any, num_classes: int):
    """Decodes the raw YOLO output into boxes, objectness and class probabilities (YAD2K).

    For the anchor ``a`` of the cell in row ``i`` and column ``j`` of an ``S_h x S_w`` grid::

        box_xy = (sigmoid(t_xy) + (j, i)) / (S_w, S_h)      # midpoint, relative to the image
        box_wh = exp(t_wh) * anchors[a] / (S_w, S_h)         # size, relative to the image
        box_confidence = sigmoid(t_o);  box_class_probs = softmax(class logits)

    (On square grids this is YAD2K's ``yolo_head`` number for number.)

    Args:
        feats: ``(batch, S_h, S_w, A * (num_classes + 5))`` or
            ``(batch, S_h, S_w, A, num_classes + 5)`` raw outputs.
        anchors: ``(A, 2)`` anchor ``(width, height)`` in grid cells.
        num_classes: the number of classes ``C``.

    Returns:
        ``(box_xy, box_wh, box_confidence, box_class_probs)``, float tensors of shapes
        ``(batch, S_h, S_w, A, 2)``, ``(..., 2)``, ``(..., 1)`` and ``(..., C)``.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> xy, wh, conf, probs = yolo_head(tf.zeros((1, 3, 3, 2 * 8)), [[1, 1], [2, 1]], 3)
        >>> tuple(xy.shape), round(float(xy[0, 1, 2, 0, 0]), 4), round(float(wh[0, 0, 0, 1, 0]), 4)
        ((1, 3, 3, 2, 2), 0.8333, 0.6667)
    """
    anchors = _check_anchors(anchors)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    n_anchors = anchors.shape[0]
    feats = check_float_tensor("feats", feats)
    if not feats.dtype.is_floating:
        feats = tf.cast(feats, tf.float32)
    if feats.shape.rank not in (4, 5):
        fail("feats", "a rank-4 or rank-5 tensor (batch, S_h, S_w, ...)", describe(feats))
    depth = n_anchors * (num_classes + 5)
    if feats.shape.rank == 5:
        _last_dim("feats", feats, num_classes + 5, "num_classes + 5")
        _last_dim("feats[..., 0, :]", feats[..., 0], n_anchors, "the number of anchors")
    else:
        _last_dim("feats", feats, depth, f"{n_anchors} anchors x (num_classes + 5)")
    dims = tf.shape(feats)[1:3]
    feats = tf.reshape(feats, tf.concat([[-1], dims, [n_anchors, num_classes + 5]], axis=0))
    rows, cols = tf.meshgrid(tf.range(dims[0]), tf.range(dims[1]), indexing="ij")
    conv_index = tf.cast(tf.stack([cols, rows], axis=-1)[None, :, :, None, :], feats.dtype)
    conv_dims = tf.cast(tf.reverse(dims, [0]), feats.dtype)  # (S_w, S_h), matches (x, y)
    anchors_tensor = tf.constant(anchors.reshape(1, 1, 1, n_anchors, 2), dtype=feats.dtype)
    box_xy = (tf.sigmoid(feats[..., :2]) + conv_index) / conv_dims
    box_wh = tf.exp(feats[..., 2:4]) * anchors_tensor / conv_dims
    box_confidence = tf.sigmoid(feats[..., 4:5])
    box_class_probs = tf.nn.softmax(feats[..., 5:])
    return box_xy, box_wh, box_confidence, box_class_probs


def yolo_boxes_to_corners(box_xy: Any, box_wh: Any):
    """Midpoint and size to corners, as one tensor ``(..., 4)`` of ``(y_min, x_min, y_max, x_max)``.

    Args:
        box_xy: ``(..., 2)`` midpoints ``(x, y)``.
        box_wh: ``(..., 2)`` sizes ``(w, h)``, same shape as ``box_xy``.

    Returns:
        ``(..., 4)`` tensor: ``y_min, x_min, y_max, x_max`` concatenated on the last axis
        (the course's return type; the order of ``tf.image.non_max_suppression``).

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> yolo_boxes_to_corners(tf.constant([[0.5, 0.25]]), tf.constant([[0.2, 0.1]])).numpy()
        array([[0.2, 0.4, 0.3, 0.6]], dtype=float32)
    """
    box_xy, box_wh = check_float_tensor("box_xy", box_xy), check_float_tensor("box_wh", box_wh)
    _last_dim("box_xy", box_xy, 2, "(x, y)")
    _last_dim("box_wh", box_wh, 2, "(w, h)")
    check_same_shape("box_xy", box_xy, "box_wh", box_wh)
    box_wh = tf.cast(box_wh, box_xy.dtype)
    box_mins = box_xy - (box_wh / 2.0)
    box_maxes = box_xy + (box_wh / 2.0)
    return tf.concat(
        [box_mins[..., 1:2], box_mins[..., 0:1], box_maxes[..., 1:2], box_maxes[..., 0:1]],
        axis=-1,
    )


def scale_boxes(boxes: Any, image_shape: Any):
    """Scales relative ``(y_min, x_min, y_max, x_max)`` boxes to pixels of ``image_shape``.

    Args:
        boxes: ``(..., 4)`` relative corner boxes.
        image_shape: ``(height, width)`` of the image.

    Returns:
        ``(..., 4)`` tensor: ``boxes * [height, width, height, width]``.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> scale_boxes(tf.constant([[0.5, 0.5, 1.0, 1.0]]), (720, 1280)).numpy()
        array([[ 360.,  640.,  720., 1280.]], dtype=float32)
    """
    boxes = check_float_tensor("boxes", boxes)
    if len(boxes.shape) < 1:
        fail("boxes", "a (..., 4) tensor of (y_min, x_min, y_max, x_max) boxes", describe(boxes))
    _last_dim("boxes", boxes, 4, "(y_min, x_min, y_max, x_max)")
    height, width = (float(v) for v in check_shape("image_shape", image_shape, ndim=2))
    image_dims = tf.reshape(tf.constant([height, width, height, width], boxes.dtype), [1, 4])
    return boxes * image_dims


def yolo_filter_boxes(boxes: Any, box_confidence: Any, box_class_probs: Any, threshold=0.6):
    """Keeps the boxes whose best class score ``p_c * c_k`` is at least ``threshold``.

    ``box_scores = box_confidence * box_class_probs``; each box's class is the argmax of its
    scores and its score the max; boxes with ``score >= threshold`` are kept
    (``tf.boolean_mask``), in their row-major order.

    Args:
        boxes: ``(..., 4)`` boxes (any format; passed through).
        box_confidence: ``(..., 1)`` objectness ``p_c``.
        box_class_probs: ``(..., C)`` class probabilities.
        threshold: the score a box needs to be kept.

    Returns:
        ``(scores, boxes, classes)``: tensors of shapes ``(K,)``, ``(K, 4)`` and ``(K,)``
        (classes int64).

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> s, b, c = yolo_filter_boxes(tf.ones((2, 4)), tf.constant([[0.9], [0.5]]),
        ...                             tf.constant([[0.2, 0.8], [0.6, 0.4]]), 0.5)
        >>> s.numpy().round(3), c.numpy()
        (array([0.72], dtype=float32), array([1]))
    """
    boxes = check_float_tensor("boxes", boxes)
    box_confidence = check_float_tensor("box_confidence", box_confidence)
    box_class_probs = check_float_tensor("box_class_probs", box_class_probs)
    _last_dim("boxes", boxes, 4, "4 box coordinates")
    _last_dim("box_confidence", box_confidence, 1, "one objectness per box")
    if boxes.shape[:-1] != box_class_probs.shape[:-1] or (
        boxes.shape[:-1] != box_confidence.shape[:-1]
    ):
        fail(
            "boxes, box_confidence and box_class_probs",
            "tensors with the same leading shape",
            f"shapes {tuple(boxes.shape)}, {tuple(box_confidence.shape)} and "
            f"{tuple(box_class_probs.shape)}",
        )
    threshold = check_real("threshold", threshold, low=0)
    box_scores = box_confidence * box_class_probs
    box_classes = tf.math.argmax(box_scores, axis=-1)
    box_class_scores = tf.math.reduce_max(box_scores, axis=-1)
    filtering_mask = box_class_scores >= threshold
    scores = tf.boolean_mask(box_class_scores, filtering_mask)
    boxes = tf.boolean_mask(boxes, filtering_mask)
    classes = tf.boolean_mask(box_classes, filtering_mask)
    return scores, boxes, classes


def yolo_non_max_suppression(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    """Class-agnostic non-max suppression with ``tf.image.non_max_suppression`` (the course's).

    Args:
        scores: ``(K,)`` scores.
        boxes: ``(K, 4)`` ``(y_min, x_min, y_max, x_max)`` boxes.
        classes: ``(K,)`` classes (passed through).
        max_boxes: the most boxes kept.
        iou_threshold: the IoU above which a box is suppressed, in ``[0, 1]``.

    Returns:
        ``(scores, boxes, classes)`` of the kept boxes, best score first.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> s, b, c = yolo_non_max_suppression(tf.constant([0.9, 0.8]),
        ...     tf.constant([[0.0, 0, 1, 1], [0, 0, 1, 1.1]]), tf.constant([1, 2]))
        >>> c.numpy()
        array([1], dtype=int32)
    """
    scores, boxes = check_float_tensor("scores", scores), check_float_tensor("boxes", boxes)
    classes = check_tensor("classes", classes)
    if (
        tf.executing_eagerly()
        and classes.dtype.is_floating
        and not bool(tf.reduce_all(tf.math.is_finite(classes)))
    ):
        fail("classes", "finite class ids", "NaN or infinite values")  # checked when eager
    _last_dim("boxes", boxes, 4, "(y_min, x_min, y_max, x_max)")
    if scores.shape.rank != 1 or boxes.shape.rank != 2 or classes.shape.rank != 1:
        fail(
            "scores, boxes and classes",
            "tensors of shapes (K,), (K, 4) and (K,)",
            f"shapes {tuple(scores.shape)}, {tuple(boxes.shape)} and {tuple(classes.shape)}",
        )
    if not scores.shape[0] == boxes.shape[0] == classes.shape[0]:
        fail(
            "scores, boxes and classes",
            "one score, box and class per box (same length K)",
            f"lengths {scores.shape[0]}, {boxes.shape[0]} and {classes.shape[0]}",
        )
    max_boxes = check_int("max_boxes", max_boxes, minimum=0, maximum=MAX_COUNT)
    iou_threshold = check_real("iou_threshold", iou_threshold, low=0, high=1, high_open=False)
    nms_indices = tf.image.non_max_suppression(boxes, scores, max_boxes, iou_threshold)
    return (
        tf.gather(scores, nms_indices),
        tf.gather(boxes, nms_indices),
        tf.gather(classes, nms_indices),
    )


def yolo_eval(
    yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6, iou_threshold=0.5
):
    """The course's whole post-processing: corners, filter, scale, non-max suppression.

    Args:
        yolo_outputs: ``(box_xy, box_wh, box_confidence, box_class_probs)`` as returned by
            `yolo_head` (shapes ``(..., 2)``, ``(..., 2)``, ``(..., 1)``, ``(..., C)``).
        image_shape: ``(height, width)`` of the image, to scale the boxes to pixels.
        max_boxes: the most boxes kept.
        score_threshold: the class score a box needs (see `yolo_filter_boxes`).
        iou_threshold: the NMS threshold.

    Returns:
        ``(scores, boxes, classes)``: ``(K,)``, ``(K, 4)`` pixel
        ``(y_min, x_min, y_max, x_max)``, ``(K,)`` int64, with ``K <= max_boxes``.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> outputs = yolo_head(tf.zeros((1, 2, 2, 7)), [[1.0, 1.0]], 2)
        >>> scores, boxes, classes = yolo_eval(outputs, (64, 64), score_threshold=0.2)
        >>> boxes.numpy()[0]
        array([ 0.,  0., 32., 32.], dtype=float32)
    """
    if not isinstance(yolo_outputs, Sequence) or len(yolo_outputs) != 4:
        fail(
            "yolo_outputs",
            "(box_xy, box_wh, box_confidence, box_class_probs)",
            repr(type(yolo_outputs).__name__),
            kind=True,
        )
    box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
    score_threshold = check_real("score_threshold", score_threshold, low=0)
    check_shape("image_shape", image_shape, ndim=2)
    max_boxes = check_int("max_boxes", max_boxes, minimum=0, maximum=MAX_COUNT)
    iou_threshold = check_real("iou_threshold", iou_threshold, low=0, high=1, high_open=False)
    boxes = yolo_boxes_to_corners(box_xy, box_wh)
    scores, boxes, classes = yolo_filter_boxes(
        boxes, box_confidence, box_class_probs, threshold=score_threshold
    )
    boxes = scale_boxes(boxes, image_shape)
    return yolo_non_max_suppression(scores, boxes, classes, max_boxes, iou_threshold)


# ----------------------------------------------------------------------------------------
# Targets and anchors (NumPy)
# ----------------------------------------------------------------------------------------


def anchor_iou(wh: Any, anchors: Any) -> np.ndarray:
    """IoU of box sizes with anchor sizes, both centred at the origin.

    Args:
        wh: ``(N, 2)`` box ``(width, height)``, >= 0.
        anchors: ``(A, 2)`` anchor ``(width, height)``, > 0, in the same unit.

    Returns:
        ``(N, A)`` IoUs ``min(w)min(h) / (w h + w_a h_a - min(w)min(h))``.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> anchor_iou([[2, 2]], [[1, 1], [2, 4]])
        array([[0.25, 0.5 ]])
    """
    wh = check_array("wh", wh, shape=(None, 2), dtype="float", layout="(N, 2) (w, h)")
    if (wh > MAX_ANCHOR).any():
        fail("wh", f"sizes <= {MAX_ANCHOR:g}", f"{float(wh.max()):g}")
    if (wh < 0).any():
        fail("wh", "non-negative sizes", f"{int((wh < 0).sum())} negative value(s)")
    anchors = _check_anchors(anchors)
    inter = np.prod(np.minimum(wh[:, None, :], anchors[None]), axis=-1)
    union = np.prod(wh, axis=1)[:, None] + np.prod(anchors, axis=1)[None] - inter
    return inter / union


def mean_best_iou(wh: Any, anchors: Any) -> float:
    """Average over boxes of the IoU with their best anchor: how well anchors fit the sizes.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> mean_best_iou([[2, 2], [1, 1]], [[1, 1], [2, 2]])
        1.0
    """
    ious = anchor_iou(wh, anchors)
    if not len(ious):
        fail("wh", "at least one box size", "an empty array")
    return float(ious.max(axis=1).mean())


def kmeans_anchors(wh: Any, k: int, *, seed: int = 0, max_iter: int = 300) -> np.ndarray:
    """Anchors by k-means on box sizes with the distance ``1 - IoU`` (YOLOv2).

    Starts from ``k`` distinct sizes drawn with k-means++ seeding (on ``1 - IoU``), then
    alternates assigning each box to its nearest anchor and moving each anchor to the
    median size of its boxes, until nothing changes.

    Args:
        wh: ``(N, 2)`` box ``(width, height)``, > 0, with at least ``k`` distinct sizes.
        k: the number of anchors.
        seed: the random seed (same seed, same anchors).
        max_iter: the most iterations.

    Returns:
        ``(k, 2)`` anchors ``(width, height)``, sorted by area.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> wh = [[1, 1], [1.1, 1], [5, 2], [5, 2.2], [1, 1.1]]
        >>> kmeans_anchors(wh, 2).round(2)
        array([[1. , 1. ],
               [5. , 2.1]])
    """
    wh = check_array("wh", wh, shape=(None, 2), dtype="float", layout="(N, 2) (w, h)")
    if (wh > MAX_ANCHOR).any():
        fail("wh", f"sizes <= {MAX_ANCHOR:g}", f"{float(wh.max()):g}")
    k = check_int("k", k, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    if (wh <= 0).any():
        fail("wh", "positive sizes", f"{int((wh <= 0).sum())} value(s) <= 0")
    distinct = np.unique(wh, axis=0)
    if len(distinct) < k:
        fail("wh", f"at least k={k} distinct sizes", f"{len(distinct)}")
    rng = np.random.default_rng(seed)
    centres = [distinct[rng.integers(len(distinct))]]
    for _ in range(1, k):
        d = 1 - anchor_iou(distinct, np.array(centres)).max(axis=1)
        centres.append(distinct[rng.choice(len(distinct), p=d / d.sum())])
    centres = np.array(centres)
    assign = None
    for _ in range(max_iter):
        new = np.argmax(anchor_iou(wh, centres), axis=1)
        if assign is not None and np.array_equal(new, assign):
            break
        assign = new
        for c in range(k):
            if (assign == c).any():
                centres[c] = np.median(wh[assign == c], axis=0)
    return centres[np.argsort(np.prod(centres, axis=1), kind="stable")]


def encode_targets(
    boxes: Any,
    class_ids: Any,
    anchors: Any,
    grid_shape: Any,
    num_classes: int,
    image_shape: Any,
    fmt: str = "xyxy",
) -> np.ndarray:
    """Encodes one image's objects as a YOLO target ``(S_h, S_w, A, 5 + C)``.

    Each object goes to the cell that holds its midpoint and, in that cell, to the anchor
    whose shape has the highest IoU with the object's (both centred). That slot gets
    ``[1, b_x, b_y, b_h, b_w, one-hot class]``: ``(b_x, b_y)`` the midpoint relative to the
    cell's top-left corner, ``(b_h, b_w)`` the size in cells. Every other slot is zero.
    When two objects want the same slot, the first one keeps it.

    Args:
        boxes: ``(N, 4)`` pixel boxes in format ``fmt`` (``N = 0`` gives an all-zero target).
        class_ids: ``(N,)`` class ids in ``0..num_classes-1``.
        anchors: ``(A, 2)`` anchor ``(width, height)`` in cells.
        grid_shape: ``(S_h, S_w)``; each must divide the image's height and width.
        num_classes: ``C``.
        image_shape: ``(height, width)`` (or with channels) of the image.
        fmt: the boxes' format (`cvutils.boxes.FORMATS`).

    Returns:
        ``(S_h, S_w, A, 5 + C)`` float32; ``reshape(S_h, S_w, A * (5 + C))`` gives the
        course's ``3 x 3 x 16`` for a 3x3 grid, 2 anchors and 3 classes.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> y = encode_targets([[30, 20, 62, 74]], [2], [[1, 1], [1, 2]], (3, 3), 3, (90, 90))
        >>> y.shape, np.flatnonzero(y[1, 1, 1])
        ((3, 3, 2, 8), array([0, 1, 2, 3, 4, 7]))
        >>> y[1, 1, 1, :5].round(3)
        array([1.   , 0.533, 0.567, 1.8  , 1.067], dtype=float32)
    """
    anchors = _check_anchors(anchors)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    s_h, s_w = check_shape("grid_shape", grid_shape, ndim=2)
    if s_h * s_w * len(anchors) * (num_classes + 5) > MAX_COUNT:
        fail(
            "num_classes",
            f"small enough for a target of at most {MAX_COUNT} values",
            f"{num_classes} (grid {s_h}x{s_w}, {len(anchors)} anchors)",
        )
    height, width = check_shape("image_shape", image_shape, ndim=(2, 3))[:2]
    if height % s_h or width % s_w:
        fail(
            "grid_shape",
            f"a grid that divides the image ({height}x{width})",
            f"{s_h}x{s_w}, which leaves cells of {height / s_h:g}x{width / s_w:g} pixels",
        )
    xywh = convert_boxes(check_boxes("boxes", boxes, fmt), fmt, "center_xywh")
    class_ids = check_labels("class_ids", class_ids, num_classes, n=len(xywh))
    if len(xywh) and (
        (xywh[:, 0] < 0).any()
        or (xywh[:, 0] > width).any()
        or (xywh[:, 1] < 0).any()
        or (xywh[:, 1] > height).any()
    ):
        fail("boxes", f"boxes whose midpoints lie in the {height}x{width} image", "one outside")
    cell_h, cell_w = height / s_h, width / s_w
    gx, gy = xywh[:, 0] / cell_w, xywh[:, 1] / cell_h
    cols = np.minimum(np.floor(gx), s_w - 1).astype(int)
    rows = np.minimum(np.floor(gy), s_h - 1).astype(int)
    size = xywh[:, 2:] / [cell_w, cell_h]
    best = np.argmax(anchor_iou(size, anchors), axis=1) if len(xywh) else np.zeros(0, int)
    y = np.zeros((s_h, s_w, len(anchors), 5 + num_classes), dtype=np.float32)
    for n in range(len(xywh)):
        slot = y[rows[n], cols[n], best[n]]
        if slot[0]:
            continue
        slot[:5] = [1, gx[n] - cols[n], gy[n] - rows[n], size[n, 1], size[n, 0]]
        slot[5 + class_ids[n]] = 1
    return y


# ----------------------------------------------------------------------------------------
# Losses (Keras 3)
# ----------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="cvutils")
class YoloLoss(CheckedInputsLoss):
    """A YOLOv2-style loss on raw outputs and `encode_targets` targets.

    With ``1_obj`` the slots that hold an object and ``1_noobj`` the others, per image,
    ``p_c^ = sigmoid(t_o)`` the predicted "is there an object" and ``c^ = softmax(logits)``
    the class probabilities, with ``probability_loss="squared"`` (YOLOv1/v2's)::

        L = lambda_coord * sum 1_obj [(x - x^)^2 + (y - y^)^2
                                      + (sqrt w - sqrt w^)^2 + (sqrt h - sqrt h^)^2]
          + sum 1_obj (1 - p_c^)^2 + lambda_noobj * sum 1_noobj (p_c^)^2
          + sum 1_obj sum_k (c_k - c^_k)^2

    and with ``probability_loss="cross_entropy"`` the last three terms become binary
    cross-entropies, ``BCE(q, q^) = -q log q^ - (1 - q) log(1 - q^)``::

          + sum 1_obj BCE(1, p_c^) + lambda_noobj * sum 1_noobj BCE(0, p_c^)
          + sum 1_obj sum_k BCE(c_k, c^_k)

    (a wrong answer given with confidence costs much more than its square, so objectness
    and classes keep learning where the squared error has flattened). ``x^ = sigmoid(t_x)``,
    ``y^ = sigmoid(t_y)`` (in the cell), ``w^ = exp(t_w) a_w``, ``h^ = exp(t_h) a_h`` (in
    cells) and ``x, y, w, h`` come from the target ``[p_c, b_x, b_y, b_h, b_w, classes]``;
    the square roots are YOLOv1's.

    Args:
        anchors: ``(A, 2)`` anchor ``(width, height)`` in cells.
        num_classes: ``C``.
        lambda_coord: weight of the coordinate terms (5 in YOLO).
        lambda_noobj: weight of the no-object term (0.5 in YOLO).
        probability_loss: ``"squared"`` or ``"cross_entropy"``: how ``p_c`` and the class
            probabilities are compared with the target.

    ``y_true``: ``(batch, S_h, S_w, A, 5 + C)`` (or with the last two axes merged);
    ``y_pred``: raw ``(batch, S_h, S_w, A * (5 + C))`` (or ``(..., A, 5 + C)``).

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> loss = YoloLoss([[1.0, 1.0]], num_classes=2)
        >>> y = np.zeros((1, 2, 2, 1, 7), "float32")
        >>> round(float(loss(y, np.zeros((1, 2, 2, 7), "float32"))), 4)  # 4 * 0.5 * 0.25
        0.5
    """

    def __init__(
        self,
        anchors,
        num_classes: int,
        lambda_coord: float = 5.0,
        lambda_noobj: float = 0.5,
        probability_loss: str = "squared",
        name: str = "yolo_loss",
        reduction="sum_over_batch_size",
        **kw,
    ):
        super().__init__(name=name, reduction=reduction, **kw)
        self.anchors = _check_anchors(anchors).tolist()
        self.num_classes = check_int("num_classes", num_classes, minimum=1)
        self.lambda_coord = check_real("lambda_coord", lambda_coord, low=0, high=MAX_WEIGHT)
        self.lambda_noobj = check_real("lambda_noobj", lambda_noobj, low=0, high=MAX_WEIGHT)
        self.probability_loss = check_choice(
            "probability_loss", probability_loss, ("squared", "cross_entropy")
        )

    def call(self, y_true, y_pred):
        n_a, depth = len(self.anchors), self.num_classes + 5
        y_pred = check_tensor("y_pred", y_pred)
        y_true = ops.cast(check_tensor("y_true", y_true), y_pred.dtype)
        for name, t in (("y_true", y_true), ("y_pred", y_pred)):
            if len(t.shape) not in (4, 5):
                fail(name, "a (batch, S_h, S_w, A * (5 + C)) or 5-D tensor", describe(t))
        if y_pred.shape[-1] not in (depth, n_a * depth) or y_true.shape[-1] not in (
            depth,
            n_a * depth,
        ):
            fail(
                "y_true and y_pred",
                f"tensors whose last axis is {depth} or {n_a * depth}",
                f"shapes {tuple(y_true.shape)} and {tuple(y_pred.shape)}",
            )
        known = [tuple(t.shape[:3]) for t in (y_true, y_pred)]
        if any(a is not None and b is not None and a != b for a, b in zip(*known, strict=True)):
            fail(
                "y_true",
                "targets for y_pred's batch and grid (batch, S_h, S_w) = "
                f"{tuple(y_pred.shape[:3])}",
                f"shape {tuple(y_true.shape)}",
            )
        lead = ops.shape(y_pred)[:3]
        shape = (-1, lead[1], lead[2], n_a, depth)
        p, t = ops.reshape(y_pred, shape), ops.reshape(y_true, shape)
        anchors = ops.cast(ops.reshape(ops.convert_to_tensor(self.anchors), (n_a, 2)), p.dtype)
        obj = t[..., 0]
        xy_hat = ops.sigmoid(p[..., 0:2])
        wh_hat = ops.exp(p[..., 2:4]) * anchors
        wh = ops.stack([t[..., 4], t[..., 3]], axis=-1)  # target is (b_h, b_w)
        coord = ops.sum(ops.square(t[..., 1:3] - xy_hat), -1) + ops.sum(
            ops.square(ops.sqrt(wh) - ops.sqrt(wh_hat)), -1
        )
        if self.probability_loss == "squared":
            conf = ops.sigmoid(p[..., 4])
            cls = ops.sum(ops.square(t[..., 5:] - ops.softmax(p[..., 5:], axis=-1)), -1)
            obj_term, noobj_term = ops.square(1 - conf), ops.square(conf)
        else:  # from the logits, stable: -log sigmoid(t) = softplus(-t),
            # -log(1 - sigmoid(t)) = softplus(t)
            obj_term, noobj_term = ops.softplus(-p[..., 4]), ops.softplus(p[..., 4])
            log_c = ops.log_softmax(p[..., 5:], axis=-1)
            # log(1 - c_k) = log(sum of the other classes' probabilities), also stable
            log_not_c = _log_one_minus_softmax(p[..., 5:])
            cls = -ops.sum(t[..., 5:] * log_c + (1 - t[..., 5:]) * log_not_c, -1)
        per_slot = (
            obj * (self.lambda_coord * coord + obj_term + cls)
            + (1 - obj) * self.lambda_noobj * noobj_term
        )
        return ops.sum(ops.reshape(per_slot, (ops.shape(per_slot)[0], -1)), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update(
            anchors=self.anchors,
            num_classes=self.num_classes,
            lambda_coord=self.lambda_coord,
            lambda_noobj=self.lambda_noobj,
            probability_loss=self.probability_loss,
        )
        return config


def _log_one_minus_softmax(logits):
    """``log(1 - softmax(logits))`` on the last axis, without cancellation: for each ``k``
    the log-sum-exp of the other logits minus the log-sum-exp of all of them."""
    n = logits.shape[-1]
    eye = ops.cast(ops.eye(n), logits.dtype)
    # (..., K, K): row k holds the logits with the k-th one pushed to -inf
    others = ops.expand_dims(logits, -2) - 1e9 * eye
    return ops.logsumexp(others, axis=-1) - ops.logsumexp(logits, axis=-1, keepdims=True)


# ----------------------------------------------------------------------------------------
# Mean average precision (NumPy)
# ----------------------------------------------------------------------------------------


def average_precision(recall: Any, precision: Any) -> float:
    """All-point interpolated average precision (PASCAL VOC 2010+).

    The precision envelope ``p_interp(r) = max_{r' >= r} p(r')`` integrated over recall.

    Args:
        recall: ``(K,)`` non-decreasing recalls in ``[0, 1]`` after each ranked detection.
        precision: ``(K,)`` precisions in ``[0, 1]`` after each ranked detection.

    Raises:
        ValueError: for arrays of different lengths, values outside ``[0, 1]``, NaN, or a
            recall that decreases (not a precision-recall curve).

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> average_precision([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3])
        0.8333333333333333
    """
    recall = check_array("recall", recall, ndim=1, dtype="float")
    precision = check_array("precision", precision, ndim=1, dtype="float")
    if len(recall) != len(precision):
        fail("precision", f"of the same length as recall ({len(recall)})", f"{len(precision)}")
    for name, values in (("recall", recall), ("precision", precision)):
        if values.size and (values.min() < 0 or values.max() > 1):
            fail(name, "values in [0, 1]", f"values in {values.min():g}..{values.max():g}")
    if np.any(np.diff(recall) < 0):
        first = int(np.flatnonzero(np.diff(recall) < 0)[0])
        fail(
            "recall",
            "non-decreasing (recall after each ranked detection)",
            f"{recall[first]:g} then {recall[first + 1]:g} at positions {first}, {first + 1}",
        )
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def mean_average_precision(
    pred_boxes: Sequence[Any],
    pred_scores: Sequence[Any],
    pred_classes: Sequence[Any],
    true_boxes: Sequence[Any],
    true_classes: Sequence[Any],
    iou_threshold: float = 0.5,
    fmt: str = "xyxy",
) -> tuple[float, dict[int, float]]:
    """mAP@``iou_threshold``, VOC style, over a list of images.

    Per class, the detections of all images are ranked by score (equal scores by image,
    then by position). Each one is matched to the ground-truth box of its class in its
    image with the highest IoU: a true positive when that IoU is at least
    ``iou_threshold`` and the box is not yet matched, else a false positive
    (`cvutils.boxes.match_detections`, the one matching rule of cvutils).
    The class's AP is `average_precision` of the resulting precision/recall curve; the mAP
    is the mean over the classes that have ground truth (a class without detections has AP
    0; one without ground truth is left out).

    Args:
        pred_boxes: per image ``(n_i, 4)`` predicted boxes in format ``fmt``.
        pred_scores: per image ``(n_i,)`` scores.
        pred_classes: per image ``(n_i,)`` class ids.
        true_boxes: per image ``(m_i, 4)`` ground-truth boxes.
        true_classes: per image ``(m_i,)`` class ids.
        iou_threshold: the IoU a match needs at least, in ``[0, 1]``.
        fmt: the boxes' format.

    Returns:
        ``(mAP, {class_id: AP})``; mAP is NaN when there is no ground truth at all.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> gt = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]])]
        >>> pred = [np.array([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 31]])]
        >>> mean_average_precision(pred, [[0.9, 0.8, 0.7]], [[0, 0, 0]], gt, [[0, 0]])
        (0.8333333333333333, {0: 0.8333333333333333})
    """
    curves = precision_recall_curves(
        pred_boxes, pred_scores, pred_classes, true_boxes, true_classes, iou_threshold, fmt
    )
    aps = {
        k: average_precision(c["recall"], c["precision"]) if len(c["tp"]) else 0.0
        for k, c in curves.items()
    }
    m = float(np.mean(list(aps.values()))) if aps else float("nan")
    return m, aps


def _check_lists(*lists: Any) -> int:
    """Checks that the per-image lists of `mean_average_precision` have one entry per image."""
    names = ("pred_boxes", "pred_scores", "pred_classes", "true_boxes", "true_classes")
    for name, value in zip(names, lists, strict=True):
        if isinstance(value, str | bytes | np.ndarray) or not isinstance(value, Sequence):
            fail(name, "a list with one array per image", type(value).__name__, kind=True)
    lengths = [len(v) for v in lists]
    if len(set(lengths)) > 1:
        fail(", ".join(names), "lists of the same length (one entry per image)", str(lengths))
    return lengths[0]


# ----------------------------------------------------------------------------------------
# Training and evaluation helpers of notebook 14: targets inside tf.data, PR curves
# ----------------------------------------------------------------------------------------


def encode_targets_tf(boxes, class_ids, anchors, grid_shape, num_classes: int, image_shape):
    """`encode_targets` inside a ``tf.data`` pipeline (or ``tf.function``), padding dropped.

    ``(N, 4)`` ``xyxy`` pixel boxes and ``(N,)`` class ids (``-1`` marks padding or a box an
    augmentation dropped) -> the ``(S_h, S_w, A, 5 + C)`` float32 target tensor, computed by
    `encode_targets` itself through ``tf.numpy_function`` (so the two are equal by
    construction), with its static shape set.

    Args:
        boxes: ``(N, 4)`` tensor of pixel boxes ``(x1, y1, x2, y2)``.
        class_ids: ``(N,)`` integer tensor of ids in ``0..C-1``, ``-1`` for rows to ignore.
        anchors: ``(A, 2)`` anchor ``(width, height)`` in cells.
        grid_shape: ``(S_h, S_w)``.
        num_classes: ``C``.
        image_shape: ``(height, width)`` of the images.

    Returns:
        A float32 tensor ``(S_h, S_w, A, 5 + C)``.

    Raises:
        ValueError: for a bad argument; a class id below -1 or >= ``C`` is refused at once
            for eager input, and when the graph runs (``InvalidArgumentError`` carrying the
            same message) inside ``tf.data`` or a ``tf.function``.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> y = encode_targets_tf([[0, 0, 8, 8], [0, 0, 0, 0]], [1, -1], [[1, 1]], (2, 2), 2,
        ...                       (16, 16))
        >>> tuple(y.shape), y.numpy()[0, 0, 0].tolist()
        ((2, 2, 1, 7), [1.0, 0.5, 0.5, 1.0, 1.0, 0.0, 1.0])
    """
    anchors = _check_anchors(anchors)
    num_classes = check_int("num_classes", num_classes, minimum=1)
    s_h, s_w = check_shape("grid_shape", grid_shape, ndim=2)
    height, width = check_shape("image_shape", image_shape, ndim=(2, 3))[:2]
    # one call on no box checks the grid, the image and the target size once, eagerly
    encode_targets(np.zeros((0, 4)), [], anchors, (s_h, s_w), num_classes, (height, width))
    boxes = check_tensor("boxes", boxes, dtype="float32")
    if boxes.shape.rank != 2 or boxes.shape[-1] != 4:
        fail("boxes", "an (N, 4) tensor of (x1, y1, x2, y2) pixel boxes", describe(boxes))
    class_ids = check_tensor("class_ids", class_ids)
    if class_ids.dtype == tf.bool or not class_ids.dtype.is_integer:
        fail("class_ids", "an (N,) tensor of integer class ids", describe(class_ids), kind=True)
    if class_ids.shape.rank != 1:
        fail("class_ids", "an (N,) tensor of class ids (-1 for padding)", describe(class_ids))
    n_b, n_c = boxes.shape[0], class_ids.shape[0]
    if n_b is not None and n_c is not None and n_b != n_c:
        fail("class_ids", f"one class id per box ({n_b})", f"{n_c}")

    if tf.executing_eagerly():
        _check_class_ids(class_ids.numpy(), num_classes)

    def encode(b, c):
        _check_class_ids(c, num_classes)
        keep = c >= 0
        return encode_targets(b[keep], c[keep], anchors, (s_h, s_w), num_classes, (height, width))

    y = tf.numpy_function(encode, [boxes, tf.cast(class_ids, tf.int64)], tf.float32)
    y.set_shape((s_h, s_w, len(anchors), 5 + num_classes))
    return y


def _check_class_ids(c: np.ndarray, num_classes: int) -> None:
    """Class ids in ``-1..num_classes-1`` (``-1`` marks padding), or the one error."""
    if c.size and (c.min() < -1 or c.max() >= num_classes):
        fail(
            "class_ids",
            f"class ids in 0..{num_classes - 1}, or -1 for padding",
            f"values in {int(c.min())}..{int(c.max())}",
        )


def precision_recall_curves(
    pred_boxes: Sequence[Any],
    pred_scores: Sequence[Any],
    pred_classes: Sequence[Any],
    true_boxes: Sequence[Any],
    true_classes: Sequence[Any],
    iou_threshold: float = 0.5,
    fmt: str = "xyxy",
) -> dict[int, dict[str, np.ndarray]]:
    """The precision-recall curve of each class, matched as `mean_average_precision` does.

    Per class, the detections of all images ranked by score (ties: by image, then position)
    are matched greedily to unmatched true boxes of their class with IoU >= ``iou_threshold``
    (`cvutils.boxes.match_detections`).
    After the ``k`` best detections, recall is ``TP_k / n_true`` and precision
    ``TP_k / k``: the point of the curve reached by keeping the detections whose score is at
    least the ``k``-th score. ``average_precision(recall, precision)`` is the class's AP.

    Args:
        pred_boxes, pred_scores, pred_classes, true_boxes, true_classes, iou_threshold,
            fmt: as for `mean_average_precision`.

    Returns:
        ``{class_id: {"scores", "precision", "recall", "tp"}}`` for every class that has
        ground truth; each array ``(K,)`` in rank order (``K = 0`` for a class never
        detected); ``tp`` is 1 for a true positive.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> gt = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]])]
        >>> pred = [np.array([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 31]])]
        >>> pr = precision_recall_curves(pred, [[0.9, 0.8, 0.7]], [[0, 0, 0]], gt, [[0, 0]])
        >>> pr[0]["recall"].tolist(), pr[0]["precision"].round(3).tolist()
        ([0.5, 0.5, 1.0], [1.0, 0.5, 0.667])
    """
    iou_threshold = check_real("iou_threshold", iou_threshold, low=0, high=1, high_open=False)
    n_images = _check_lists(pred_boxes, pred_scores, pred_classes, true_boxes, true_classes)
    det_img, det_idx, det_box, det_score, det_cls = [], [], [], [], []
    gts = []
    for i in range(n_images):
        pb = check_boxes(f"pred_boxes[{i}]", pred_boxes[i], fmt)
        ps = check_array(f"pred_scores[{i}]", pred_scores[i], shape=(len(pb),), dtype="float")
        pc = check_labels(f"pred_classes[{i}]", pred_classes[i], n=len(pb))
        tb = check_boxes(f"true_boxes[{i}]", true_boxes[i], fmt)
        tc = check_labels(f"true_classes[{i}]", true_classes[i], n=len(tb))
        gts.append((convert_boxes(tb, fmt, "xyxy"), tc))
        det_img.append(np.full(len(pb), i))
        det_idx.append(np.arange(len(pb)))
        det_box.append(convert_boxes(pb, fmt, "xyxy").reshape(-1, 4))
        det_score.append(ps)
        det_cls.append(pc)
    img = np.concatenate(det_img) if n_images else np.zeros(0, int)
    box = np.concatenate(det_box) if n_images else np.zeros((0, 4))
    score = np.concatenate(det_score).astype(float) if n_images else np.zeros(0)
    cls = np.concatenate(det_cls) if n_images else np.zeros(0, int)
    curves: dict[int, dict[str, np.ndarray]] = {}
    for k in sorted({int(c) for _, tc in gts for c in tc}):
        n_pos = sum(int((tc == k).sum()) for _, tc in gts)
        rows = np.flatnonzero(cls == k)  # already in (image, position) order
        rows = rows[np.argsort(-score[rows], kind="stable")]
        # Matching within one image does not depend on the other images: match each image's
        # detections of class k (in rank order) to its true boxes of class k.
        tp = np.zeros(len(rows))
        for i in np.unique(img[rows]):
            ranks = np.flatnonzero(img[rows] == i)
            tp[ranks] = match_detections(
                box[rows[ranks]], gts[i][0][gts[i][1] == k], None, iou_threshold
            )
        ctp = np.cumsum(tp)
        curves[k] = {
            "scores": score[rows],
            "precision": ctp / np.arange(1, len(rows) + 1),
            "recall": ctp / n_pos,
            "tp": tp,
        }
    return curves


# ----------------------------------------------------------------------------------------
# A small detector, trained and decoded (notebooks 13 and 14)
# ----------------------------------------------------------------------------------------


#: The most epochs `train_tiny_yolo` accepts (a typo of a few digits is refused, not run).
MAX_EPOCHS = 10_000


def _check_padded(images: Any, boxes: Any, class_ids: Any) -> tuple[np.ndarray, ...]:
    """``(N, H, W, C)`` images in [0, 1] (floats) or 0..255 (integers), as float32 in [0, 1];
    ``(N, M, 4)`` boxes and ``(N, M)`` class ids (``-1`` pads)."""
    x = check_array("images", images, ndim=4, dtype="float", layout="(N, H, W, C)")
    if len(x) == 0 or 0 in x.shape[1:]:
        fail("images", "at least one non-empty image", f"shape {x.shape}")
    integer = np.issubdtype(np.asarray(images).dtype, np.integer)
    top = 255 if integer else 1
    if x.min() < 0 or x.max() > top:
        fail(
            "images",
            "integers in 0..255 or floats in [0, 1]",
            f"values from {x.min():g} to {x.max():g}",
        )
    b = check_array("boxes", boxes, shape=(len(x), None, 4), dtype="float", layout="(N, M, 4)")
    c = check_array("class_ids", class_ids, shape=b.shape[:2], dtype="int", layout="(N, M)")
    return (x / top).astype(np.float32), b, c


def train_tiny_yolo(
    images: Any,
    boxes: Any,
    class_ids: Any,
    anchors: Any,
    num_classes: int,
    *,
    filters: Sequence[int] = (8, 16, 32),
    head_filters: int = 64,
    epochs: int = 15,
    batch_size: int = 16,
    lr: float = 3e-3,
    probability_loss: str = "cross_entropy",
    seed: int = 0,
):
    """Encodes the targets, builds `cvutils.models.tiny_yolo` and trains it with `YoloLoss`.

    The grid is ``H / 2**len(filters)`` (64x64 images and three stages: an 8x8 grid of
    8-pixel cells); each box goes to its slot with `encode_targets`; the loss is
    `YoloLoss` with ``probability_loss`` (binary cross-entropy for ``p_c`` and the classes
    by default); Adam with a cosine decay of the learning rate from ``lr`` to 0; the
    images are shuffled every epoch (seeded). Integer images are divided by 255.

    Args:
        images: ``(N, H, W, C)`` training images (uint8 0..255 or floats in [0, 1]).
        boxes: ``(N, M, 4)`` pixel boxes ``xyxy``, padded.
        class_ids: ``(N, M)`` class ids, ``-1`` for padding.
        anchors: ``(A, 2)`` anchor ``(width, height)`` in cells of this grid.
        num_classes: ``C``.
        filters, head_filters: passed to `cvutils.models.tiny_yolo`.
        epochs, batch_size, lr: the training budget.
        probability_loss: passed to `YoloLoss`.
        seed: seeds the weights and the shuffling (`cvutils.runtime.set_seed`).

    Returns:
        ``(model, history)``: the trained `keras.Model` (its loss holds the anchors) and
        Keras's ``History``.

    Taught in notebooks/13_yolo_building_blocks.ipynb and
    notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> x = np.zeros((4, 16, 16, 3), "uint8"); b = np.array([[[2, 2, 10, 12]]] * 4)
        >>> model, history = train_tiny_yolo(x, b, np.zeros((4, 1), int), [[1.0, 1.0]], 2,
        ...     filters=(4,), head_filters=4, epochs=1, batch_size=4)
        >>> model.output_shape, len(history.history["loss"])
        ((None, 8, 8, 7), 1)
    """
    from cvutils import models, runtime  # models builds on keras layers only; no cycle

    x, b, c = _check_padded(images, boxes, class_ids)
    anchors = _check_anchors(anchors)
    num_classes = check_int("num_classes", num_classes, minimum=1, maximum=MAX_COUNT)
    epochs = check_int("epochs", epochs, minimum=1, maximum=MAX_EPOCHS)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=MAX_COUNT)
    lr = check_real("lr", lr, low=0, low_open=True, high=1)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    check_choice("probability_loss", probability_loss, ("squared", "cross_entropy"))
    if isinstance(filters, str) or not isinstance(filters, Sequence) or not filters:
        fail("filters", "a non-empty sequence of positive ints", repr(filters), kind=True)
    stride = 2 ** len(filters)
    if x.shape[1] % stride or x.shape[2] % stride:
        fail("images", f"a height and width that are multiples of {stride}", f"{x.shape[1:3]}")
    grid = (x.shape[1] // stride, x.shape[2] // stride)
    y = np.stack(
        [
            encode_targets(bi[ci >= 0], ci[ci >= 0], anchors, grid, num_classes, x.shape[1:3])
            for bi, ci in zip(b, c, strict=True)
        ]
    )
    runtime.set_seed(seed)
    model = models.tiny_yolo(x.shape[1:], len(anchors), num_classes, filters, head_filters)
    steps = epochs * int(np.ceil(len(x) / batch_size))
    model.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(lr, steps)),
        loss=YoloLoss(anchors, num_classes, probability_loss=probability_loss),
    )
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    return model, history


def decode_detections(
    raw: Any,
    anchors: Any,
    num_classes: int,
    image_shape: Any,
    score_threshold: float = 0.05,
    iou_threshold: float = 0.5,
    max_boxes: int = 20,
    per_class: bool = True,
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Raw YOLO outputs -> per image boxes, scores and classes, in the course's order.

    `yolo_head` decodes the raw output; per image, `yolo_boxes_to_corners`, then
    `yolo_filter_boxes` keeps the boxes whose score ``p_c * c_k`` is at least
    ``score_threshold`` (the filter first), `scale_boxes` to pixels, and non-max
    suppression: within each class (`cvutils.nms.per_class_non_max_suppression`) or, with
    ``per_class=False``, across classes as the course's `yolo_non_max_suppression`.

    Args:
        raw: ``(batch, S_h, S_w, A * (5 + C))`` raw outputs.
        anchors: ``(A, 2)`` anchors in cells.
        num_classes: ``C``.
        image_shape: ``(height, width)`` in pixels.
        score_threshold: the least score kept.
        iou_threshold: NMS discards a box whose IoU with a kept box of its class (of any
            class when ``per_class=False``) is above this (``tf.image``'s rule).
        max_boxes: the most boxes kept per image (per class when ``per_class``).
        per_class: NMS within each class.

    Returns:
        ``(boxes, scores, classes)``: lists with one entry per image, ``(K_i, 4)`` pixel
        boxes ``xyxy``, ``(K_i,)`` scores (best first) and ``(K_i,)`` int64 classes.

    Taught in notebooks/13_yolo_building_blocks.ipynb and
    notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> raw = np.zeros((1, 2, 2, 7), "float32"); raw[0, 0, 0, 4] = 5.0
        >>> boxes, scores, classes = decode_detections(raw, [[1.0, 1.0]], 2, (64, 64), 0.4)
        >>> boxes[0], scores[0].round(3), classes[0]
        (array([[ 0.,  0., 32., 32.]], dtype=float32), array([0.497], dtype=float32), array([0]))
    """
    from cvutils.nms import per_class_non_max_suppression

    anchors = _check_anchors(anchors)
    num_classes = check_int("num_classes", num_classes, minimum=1, maximum=MAX_COUNT)
    raw = check_array("raw", raw, ndim=4, dtype="float", layout="(batch, S_h, S_w, A * (5 + C))")
    depth = len(anchors) * (5 + num_classes)
    if raw.shape[-1] != depth:
        fail(
            "raw",
            f"a last axis of {len(anchors)} anchors x (5 + {num_classes} classes) = {depth}",
            f"shape {raw.shape}",
        )
    if np.abs(raw).max(initial=0) > np.finfo(np.float32).max:
        fail("raw", "values that fit float32", f"up to {np.abs(raw).max():g}")
    check_shape("image_shape", image_shape, ndim=2)
    score_threshold = check_real("score_threshold", score_threshold, low=0)
    iou_threshold = check_real("iou_threshold", iou_threshold, low=0, high=1, high_open=False)
    max_boxes = check_int("max_boxes", max_boxes, minimum=0, maximum=MAX_COUNT)
    per_class = check_bool("per_class", per_class)
    box_xy, box_wh, box_confidence, box_class_probs = yolo_head(
        raw.astype(np.float32), anchors, num_classes
    )
    corners = yolo_boxes_to_corners(box_xy, box_wh)
    out_boxes, out_scores, out_classes = [], [], []
    for i in range(int(corners.shape[0])):
        scores, boxes, classes = yolo_filter_boxes(
            corners[i], box_confidence[i], box_class_probs[i], score_threshold
        )
        boxes = scale_boxes(boxes, image_shape)
        if per_class:
            s, b, c = scores.numpy(), boxes.numpy(), classes.numpy()
            keep = per_class_non_max_suppression(b, s, c, max_boxes, iou_threshold)
        else:
            s, b, c = (
                t.numpy()
                for t in yolo_non_max_suppression(scores, boxes, classes, max_boxes, iou_threshold)
            )
            keep = np.arange(len(s))
        out_boxes.append(b[keep][:, [1, 0, 3, 2]])
        out_scores.append(s[keep])
        out_classes.append(c[keep].astype(np.int64))
    return out_boxes, out_scores, out_classes
