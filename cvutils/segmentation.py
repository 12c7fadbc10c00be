"""Semantic segmentation: masks from scores, and the metrics that judge them.

A semantic segmentation network (the U-Net of `cvutils.models.unet_model`) gives every
pixel a score per class, ``(m, H, W, n_classes)``; `create_mask` takes the arg-max, a label
per pixel, as the course's ``create_mask`` does. Two metrics compare label masks:

* `pixel_accuracy`: the share of pixels whose label is right. Easy to read, but a model
  that paints everything background scores high when the background is most of the image.
* `per_class_iou` and `mean_iou`: for each class ``k``, ``IoU_k = TP_k / (TP_k + FP_k +
  FN_k)``, the overlap of the predicted and true regions of class ``k`` over their union,
  then the mean over the classes present in the prediction or the truth (as
  ``keras.metrics.MeanIoU``, which skips classes with an empty union).

`confusion_matrix` counts ``(true, predicted)`` label pairs; every metric is read off it.

Taught in notebooks/15_semantic_segmentation_unet.ipynb.

Examples:
    >>> y_true = np.array([[0, 0, 1], [0, 1, 1]])
    >>> y_pred = np.array([[0, 1, 1], [0, 1, 1]])
    >>> float(pixel_accuracy(y_true, y_pred)), per_class_iou(y_true, y_pred, 2).tolist()
    (0.8333333333333334, [0.6666666666666666, 0.75])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cvutils.checks import MAX_COUNT, check_array, check_int, describe, fail

__all__ = ["confusion_matrix", "create_mask", "mean_iou", "per_class_iou", "pixel_accuracy"]


def create_mask(pred_mask: Any) -> np.ndarray:
    """The label of each pixel: the arg-max over the class scores (the last axis).

    ``(..., H, W, n_classes)`` scores (logits or probabilities) -> ``(..., H, W)`` int64
    labels. Unlike the course's ``create_mask`` it keeps every image of a batch and adds no
    trailing channel axis (``create_mask(pred)[0][..., None]`` is the course's result).

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        pred_mask: an array of rank >= 3 with ``n_classes >= 1`` scores on its last axis.

    Returns:
        The int64 label mask (a new array).

    Raises:
        ValueError: a rank below 3, no classes, non-finite scores.

    Example:
        >>> create_mask(np.array([[[[0.1, 0.9], [0.8, 0.2]]]])).tolist()
        [[[1, 0]]]
    """
    scores = check_array("pred_mask", pred_mask, min_ndim=3, layout="(..., H, W, n_classes)")
    if scores.shape[-1] < 1:
        fail("pred_mask", "scores of at least one class on the last axis", describe(scores))
    return np.argmax(scores, axis=-1).astype(np.int64)


def _labels(y_true: Any, y_pred: Any, n_classes: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Checks two label masks of one shape (integers in ``0..n_classes-1``)."""
    t = check_array("y_true", y_true, dtype="int", min_ndim=1, layout="(..., H, W) labels")
    p = check_array("y_pred", y_pred, dtype="int", min_ndim=1, layout="(..., H, W) labels")
    if p.shape != t.shape:
        fail("y_pred", f"labels of the shape of y_true {t.shape}", describe(p))
    if t.size == 0:
        fail("y_true", "a non-empty label mask", describe(t))
    top = None if n_classes is None else n_classes - 1
    for name, a in (("y_true", t), ("y_pred", p)):
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or (top is not None and hi > top):
            what = "labels >= 0" if top is None else f"labels in 0..{top} (n_classes={n_classes})"
            fail(name, what, f"labels in {lo}..{hi}")
    return t.reshape(-1), p.reshape(-1)


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    """``C[i, j]``: the number of pixels of true class ``i`` predicted as class ``j``.

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        y_true: integer labels of any shape (e.g. ``(m, H, W)``), in ``0..n_classes-1``.
        y_pred: integer labels of the same shape.
        n_classes: the number of classes, an integer >= 1.

    Returns:
        ``(n_classes, n_classes)`` int64 counts.

    Raises:
        ValueError: shapes differ, empty masks, labels out of range, non-integer labels.

    Example:
        >>> confusion_matrix([0, 1, 1], [1, 1, 1], 2).tolist()
        [[0, 1], [0, 2]]
    """
    n_classes = check_int("n_classes", n_classes, 1, 100_000)
    t, p = _labels(y_true, y_pred, n_classes)
    if t.size > MAX_COUNT:
        fail("y_true", f"at most {MAX_COUNT} labels", describe(t))
    return _count_label_pairs(t, p, n_classes)


def _count_label_pairs(t: np.ndarray, p: np.ndarray, n_classes: int) -> np.ndarray:
    """``C[i, j]`` = the number of positions where ``t == i`` and ``p == j``; no checks.

    The one counter of label pairs: `confusion_matrix` here and
    `cvutils.plotting.confusion_matrix` check their arguments, then count with it.

    Args:
        t, p: ``(N,)`` int arrays of labels in ``0..n_classes-1`` (already checked).
        n_classes: ``K``, an int >= 1.

    Returns:
        ``(K, K)`` int64 counts.
    """
    counts = np.bincount(t * n_classes + p, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)


def pixel_accuracy(y_true: Any, y_pred: Any) -> float:
    """The share of pixels whose predicted label equals the true one.

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        y_true: integer labels of any shape (e.g. ``(m, H, W)``), >= 0.
        y_pred: integer labels of the same shape.

    Returns:
        A float in ``[0, 1]``.

    Raises:
        ValueError: shapes differ, empty masks, negative or non-integer labels.

    Example:
        >>> pixel_accuracy([[0, 1], [1, 1]], [[0, 1], [0, 1]])
        0.75
    """
    t, p = _labels(y_true, y_pred)
    return float(np.mean(t == p))


def per_class_iou(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    """``IoU_k = TP_k / (TP_k + FP_k + FN_k)`` for each class ``k``.

    A class absent from both masks (an empty union) has no IoU: NaN.

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        y_true: integer labels of any shape (e.g. ``(m, H, W)``), in ``0..n_classes-1``.
        y_pred: integer labels of the same shape.
        n_classes: the number of classes, an integer >= 1.

    Returns:
        ``(n_classes,)`` float64 IoUs in ``[0, 1]`` (NaN for absent classes).

    Raises:
        ValueError: as `confusion_matrix`.

    Example:
        >>> per_class_iou([0, 0, 1], [0, 1, 1], 3).round(3).tolist()
        [0.5, 0.5, nan]
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    tp = np.diag(cm).astype(float)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def mean_iou(y_true: Any, y_pred: Any, n_classes: int) -> float:
    """The mean of `per_class_iou` over the classes present in either mask.

    The same number as ``keras.metrics.MeanIoU(num_classes=n_classes)`` updated with the
    two masks (computed here in float64).

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        y_true: integer labels of any shape (e.g. ``(m, H, W)``), in ``0..n_classes-1``.
        y_pred: integer labels of the same shape.
        n_classes: the number of classes, an integer >= 1.

    Returns:
        A float in ``[0, 1]``.

    Raises:
        ValueError: as `confusion_matrix`.

    Example:
        >>> mean_iou([0, 0, 1], [0, 1, 1], 3)
        0.5
    """
    return float(np.nanmean(per_class_iou(y_true, y_pred, n_classes)))
