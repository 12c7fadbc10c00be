"""Bounding boxes: named formats, conversions and intersection over union (NumPy).

A set of boxes is an ``(N, 4)`` array whose format is always *named*:

``"xyxy"``
    corners ``(x_min, y_min, x_max, y_max)``: the course's ``(x1, y1, x2, y2)``.
``"yxyx"``
    corners ``(y_min, x_min, y_max, x_max)``: the order of ``tf.image`` and
    ``tf.image.non_max_suppression``.
``"center_xywh"``
    centre and size ``(x_center, y_center, width, height)``: what YOLO predicts.

Coordinates are either pixels or *relative* (divided by the image width and height, so
that they lie in ``[0, 1]``); `to_relative` and `to_pixels` move between the two. Corner
boxes must have ``x_max >= x_min`` and ``y_max >= y_min`` and sizes must be ``>= 0``:
anything else is refused with a ``ValueError``. Empty sets ``(0, 4)`` are valid everywhere.

IoU does not depend on whether the corners are given ``xyxy`` or ``yxyx`` (both boxes swap
the same axes), so `iou` and `pairwise_iou` give the same numbers for either corner order.

**One matching rule, the course's.** A detection *matches* a true box when their IoU is
**at least** the threshold (``IoU >= 0.5`` by default): the course's non-max suppression
discards any remaining box whose IoU with the box just kept is ``>= 0.5``, and PASCAL VOC
counts a detection as correct when the overlap is ``>= 0.5`` (its development kit's
``ov >= 0.5``). (`cvutils.nms` follows ``tf.image.non_max_suppression`` index for index,
which suppresses at IoU strictly above the threshold; the two differ only for an IoU
exactly equal to it.)
`match_detections` is that rule, written once: detections are taken best score first, each
claims the true box it overlaps most if that box is still free, and a second detection of
the same object is a false positive. Every precision, recall and mAP of cvutils
(`cvutils.sliding`, `cvutils.yolo`) counts its true positives with it. Before matching, a
detector's output is filtered by score first (``p_c * c_k`` above a threshold) and then
thinned by non-max suppression: the course's order.

Taught in notebooks/13_yolo_building_blocks.ipynb.

Examples:
    >>> iou((2, 1, 4, 3), (1, 2, 3, 4))  # the course's example: 1/7
    0.14285714285714285
    >>> convert_boxes([[10, 20, 30, 60]], "xyxy", "center_xywh")
    array([[20., 40., 20., 40.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cvutils.checks import check_array, check_choice, check_real, check_shape, check_str, fail

__all__ = [
    "FORMATS",
    "check_boxes",
    "convert_boxes",
    "iou",
    "match_detections",
    "pairwise_iou",
    "to_pixels",
    "to_relative",
]

#: The box formats every cvutils function names.
FORMATS = ("yxyx", "xyxy", "center_xywh")

_LAYOUT = {
    "xyxy": "(x_min, y_min, x_max, y_max)",
    "yxyx": "(y_min, x_min, y_max, x_max)",
    "center_xywh": "(x_center, y_center, width, height)",
}


def check_boxes(name: str, boxes: Any, fmt: str = "xyxy", *, ndim: int = 2) -> np.ndarray:
    """Checks a set of boxes and returns it as a float array.

    Args:
        name: the argument's name, used in the message.
        boxes: ``(N, 4)`` boxes in format ``fmt`` (or ``(4,)`` with ``ndim=1``).
        fmt: one of `FORMATS`.
        ndim: 2 for a set of boxes, 1 for a single box.

    Returns:
        The boxes as a floating array (float32 stays float32, integers become float64).

    Raises:
        ValueError: wrong shape, NaN/inf, a corner box with ``max < min`` or a negative size.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> check_boxes("b", [[3, 0, 1, 2]])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: b must be corner boxes with x_max >= x_min and y_max >= y_min ...
    """
    check_str("name", name)
    check_choice("fmt", fmt, FORMATS)
    ndim = check_choice("ndim", ndim, (1, 2))
    shape = (4,) if ndim == 1 else (None, 4)
    arr = check_array(name, boxes, shape=shape, dtype="float", layout=_LAYOUT[fmt])
    flat = arr.reshape(-1, 4)
    if fmt == "center_xywh":
        bad = (flat[:, 2] < 0) | (flat[:, 3] < 0)
        expected = "boxes with width >= 0 and height >= 0"
        what = "a negative size"
    else:
        bad = (flat[:, 2] < flat[:, 0]) | (flat[:, 3] < flat[:, 1])
        a, b = ("y", "x") if fmt == "yxyx" else ("x", "y")
        expected = f"corner boxes with {a}_max >= {a}_min and {b}_max >= {b}_min"
        what = "max < min"
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        fail(
            name,
            f"{expected} {_LAYOUT[fmt]}",
            f"{int(bad.sum())} box(es) with {what}, the first at row {first}: {flat[first]}",
        )
    return arr


def convert_boxes(boxes: Any, source: str, target: str) -> np.ndarray:
    """Converts ``(N, 4)`` boxes from format ``source`` to format ``target``.

    Works the same on pixels and on relative coordinates (the conversion is linear).

    Args:
        boxes: ``(N, 4)`` boxes in format ``source`` (one of `FORMATS`).
        source: the format of ``boxes``.
        target: the format wanted.

    Returns:
        ``(N, 4)`` float array in format ``target`` (a new array; ``boxes`` is not changed).

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> convert_boxes([[1, 2, 5, 10]], "xyxy", "yxyx")
        array([[ 2.,  1., 10.,  5.]])
        >>> convert_boxes([[3, 6, 4, 8]], "center_xywh", "xyxy")
        array([[ 1.,  2.,  5., 10.]])
    """
    check_choice("source", source, FORMATS)
    check_choice("target", target, FORMATS)
    arr = check_boxes("boxes", boxes, source)
    if source == "center_xywh":
        cx, cy, w, h = arr.T
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    elif source == "yxyx":
        xyxy = arr[:, [1, 0, 3, 2]]
    else:
        xyxy = arr.copy()
    if target == "xyxy":
        return xyxy
    if target == "yxyx":
        return xyxy[:, [1, 0, 3, 2]]
    x1, y1, x2, y2 = xyxy.T
    return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1)


def _scale(fmt: str, image_shape: Any) -> np.ndarray:
    height, width = check_shape("image_shape", image_shape, ndim=(2, 3))[:2]
    return np.array([height, width] * 2 if fmt == "yxyx" else [width, height] * 2, dtype=float)


def to_relative(boxes: Any, image_shape: Any, fmt: str = "xyxy") -> np.ndarray:
    """Divides pixel boxes by the image size: ``(N, 4)`` pixels -> ``(N, 4)`` in ``[0, 1]``.

    Args:
        boxes: ``(N, 4)`` boxes in pixels, format ``fmt``.
        image_shape: ``(height, width)`` or ``(height, width, channels)`` of the image.
        fmt: one of `FORMATS`.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> to_relative([[16, 8, 48, 32]], (64, 128))
        array([[0.125, 0.125, 0.375, 0.5  ]])
    """
    return check_boxes("boxes", boxes, fmt) / _scale(fmt, image_shape)


def to_pixels(boxes: Any, image_shape: Any, fmt: str = "xyxy") -> np.ndarray:
    """Multiplies relative boxes by the image size: ``(N, 4)`` in ``[0, 1]`` -> pixels.

    Args:
        boxes: ``(N, 4)`` relative boxes, format ``fmt``.
        image_shape: ``(height, width)`` or ``(height, width, channels)`` of the image.
        fmt: one of `FORMATS`.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> to_pixels([[0.125, 0.125, 0.375, 0.5]], (64, 128))
        array([[16.,  8., 48., 32.]])
    """
    return check_boxes("boxes", boxes, fmt) * _scale(fmt, image_shape)


def _corners(boxes: np.ndarray, fmt: str) -> np.ndarray:
    return convert_boxes(boxes, fmt, "xyxy") if fmt == "center_xywh" else boxes


def pairwise_iou(boxes1: Any, boxes2: Any, fmt: str = "xyxy") -> np.ndarray:
    """Intersection over union of every box of ``boxes1`` with every box of ``boxes2``.

    ``IoU(A, B) = area(A ∩ B) / area(A ∪ B)``; a pair whose union has zero area has IoU 0.

    Args:
        boxes1: ``(N, 4)`` boxes in format ``fmt``.
        boxes2: ``(M, 4)`` boxes in format ``fmt``.
        fmt: one of `FORMATS` (``"xyxy"`` and ``"yxyx"`` give the same numbers).

    Returns:
        ``(N, M)`` float array of IoUs in ``[0, 1]``.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> pairwise_iou([[0, 0, 2, 2]], [[1, 1, 3, 3], [2, 0, 4, 2]])
        array([[0.14285714, 0.        ]])
    """
    a = _corners(check_boxes("boxes1", boxes1, fmt), fmt)
    b = _corners(check_boxes("boxes2", boxes2, fmt), fmt)
    # One (N, M) array per step, reused in place: no (N, M, 2) temporaries (7x faster).
    ih = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    iw = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.multiply(np.maximum(ih, 0, out=ih), np.maximum(iw, 0, out=iw), out=ih)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(inter, union, out=iw)
    out[~(union > 0)] = 0.0
    return out


def iou(box1: Any, box2: Any, fmt: str = "xyxy") -> float:
    """Intersection over union of two boxes, by default in the course's ``(x1, y1, x2, y2)``.

    Args:
        box1: ``(4,)`` a box in format ``fmt``.
        box2: ``(4,)`` a box in format ``fmt``.
        fmt: one of `FORMATS`.

    Returns:
        The IoU, a float in ``[0, 1]``: 0 for disjoint boxes and for boxes that touch only at
        an edge or a vertex.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> iou((1, 2, 3, 4), (1, 2, 3, 4))
        1.0
        >>> iou((1, 1, 2, 2), (2, 2, 3, 3))  # touching at a vertex
        0.0
    """
    a = check_boxes("box1", box1, fmt, ndim=1)
    b = check_boxes("box2", box2, fmt, ndim=1)
    return float(pairwise_iou(a[None], b[None], fmt)[0, 0])


def match_detections(
    pred_boxes: Any,
    true_boxes: Any,
    scores: Any = None,
    iou_threshold: float = 0.5,
    fmt: str = "xyxy",
) -> np.ndarray:
    """Which detections are true positives, at IoU >= ``iou_threshold`` (the course's rule).

    Detections are taken best score first (in the given order when ``scores`` is None;
    equal scores keep their order). Each is compared with the true box it overlaps most:
    it is a true positive when that IoU is at least ``iou_threshold`` and that box is not
    matched yet, else a false positive (a second detection of the same object is a false
    positive). Classes are not looked at: call it on the boxes of one class to match per
    class.

    Args:
        pred_boxes: ``(N, 4)`` detected boxes in format ``fmt``.
        true_boxes: ``(M, 4)`` true boxes in format ``fmt``.
        scores: ``(N,)`` detection scores, or None.
        iou_threshold: the IoU a match needs at least, in ``[0, 1]``.
        fmt: one of `FORMATS`.

    Returns:
        ``(N,)`` bool array, True for a true positive, in the order of ``pred_boxes``.

    Taught in notebooks/12_sliding_windows.ipynb and
    notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> truth = [[0, 0, 10, 10]]
        >>> match_detections([[0, 0, 10, 10], [1, 1, 11, 11]], truth, scores=[0.6, 0.9])
        array([False,  True])
        >>> match_detections([[0, 0, 10, 5]], truth)  # IoU exactly 0.5: a match
        array([ True])
    """
    pred = check_boxes("pred_boxes", pred_boxes, fmt)
    true = check_boxes("true_boxes", true_boxes, fmt)
    iou_threshold = check_real("iou_threshold", iou_threshold, low=0, high=1, high_open=False)
    if scores is None:
        order = np.arange(len(pred))
    else:
        s = check_array("scores", scores, shape=(len(pred),), dtype="float")
        order = np.argsort(-s, kind="stable")
    tp = np.zeros(len(pred), dtype=bool)
    if len(pred) == 0 or len(true) == 0:
        return tp
    ious = pairwise_iou(pred, true, fmt)
    matched = np.zeros(len(true), dtype=bool)
    for k in order:
        best = int(np.argmax(ious[k]))
        if ious[k, best] >= iou_threshold and not matched[best]:
            matched[best] = tp[k] = True
    return tp
