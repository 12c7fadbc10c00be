"""Hidden tests of notebooks/13_yolo_building_blocks.ipynb (boxes and tensors unused there).

The references are NumPy and plain-Python loops, independent of the learner's TensorFlow
calls and of `cvutils.boxes`, `cvutils.nms` and `cvutils.yolo`: IoU from the overlap of the
two intervals on each axis, box filtering box by box, greedy non-max suppression as
`tf.image.non_max_suppression` documents it (best score first; a box is dropped when its IoU
with a kept box is above the threshold), and YOLO's post-processing composed from them. The
cases include boxes apart on one axis only (where a product of two negative overlaps is not
an intersection), a box inside another, a score exactly at the threshold, no box kept, and
grids, class counts and image sizes other than the car detector's. They avoid ties in scores.
"""

import numpy as np
import tensorflow as tf

from cvutils.grading.hidden import HiddenTest


def _iou_reference(box1, box2):
    a, b = [float(v) for v in box1], [float(v) for v in box2]
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union


def _iou_cases():
    pairs = [
        ("identical", (0.5, 1.5, 3.0, 4.0), (0.5, 1.5, 3.0, 4.0)),
        ("one inside the other", (0, 0, 10, 8), (2, 3, 5, 7)),
        ("apart on both axes", (0, 0, 1, 1), (2, 2, 3, 3)),
        ("apart on x only", (0, 0, 2, 5), (3, 1, 4, 4)),
        ("partial, floats", (1.25, 0.5, 4.75, 3.0), (2.0, 1.5, 6.5, 5.25)),
        ("partial, second box first", (2, 1, 7, 9), (0, 4, 3, 12)),
        ("numpy arrays", np.array([3.0, 3.0, 9.0, 6.0]), np.array([5.0, 0.0, 8.0, 10.0])),
    ]
    return [(f"iou({label})", (b1, b2), {}) for label, b1, b2 in pairs]


def _filter_reference(boxes, box_confidence, box_class_probs, threshold=0.6):
    boxes = np.asarray(boxes).reshape(-1, 4)
    conf = np.asarray(box_confidence).reshape(-1)
    probs = np.asarray(box_class_probs).reshape(len(conf), -1)
    scores, kept, classes = [], [], []
    for k in range(len(conf)):
        box_scores = conf[k] * probs[k]
        best = int(np.argmax(box_scores))
        if box_scores[best] >= threshold:
            scores.append(box_scores[best])
            kept.append(boxes[k])
            classes.append(best)
    return (
        np.array(scores, dtype=np.float32),
        np.array(kept, dtype=np.float32).reshape(-1, 4),
        np.array(classes, dtype=np.int64),
    )


def _grid(r, shape, n_classes, conf_range=(0.0, 1.0)):
    """(boxes, confidences, class probabilities) float32 tensors of a ``shape`` grid."""
    boxes = r.uniform(0, 1, (*shape, 4))
    conf = r.uniform(*conf_range, (*shape, 1))
    logits = 3 * r.standard_normal((*shape, n_classes))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return tuple(tf.constant(v, tf.float32) for v in (boxes, conf, probs))


def _filter_cases():
    r = np.random.default_rng(1301)
    at_threshold = (
        tf.constant(r.uniform(0, 1, (1, 2, 1, 4)), tf.float32),
        tf.constant([[[[1.0]], [[0.5]]]]),
        tf.constant([[[[0.25, 0.5, 0.25]], [[0.5, 0.3, 0.2]]]]),  # best scores 0.5 and 0.25
    )
    return [
        (
            "yolo_filter_boxes(3x4 grid, 2 anchors, 6 classes, 0.3)",
            (*_grid(r, (3, 4, 2), 6), 0.3),
            {},
        ),
        ("yolo_filter_boxes(7x7 grid, 3 anchors, 20 classes)", _grid(r, (7, 7, 3), 20), {}),
        (
            "yolo_filter_boxes(5x5 grid, threshold=0.45)",
            _grid(r, (5, 5, 4), 3, (0.3, 1.0)),
            {"threshold": 0.45},
        ),
        ("yolo_filter_boxes(a score exactly at the threshold)", at_threshold, {"threshold": 0.5}),
        ("yolo_filter_boxes(no box kept)", _grid(r, (2, 3, 2), 4, (0.0, 0.2)), {}),
    ]


def _nms_keep(scores, boxes, max_boxes, iou_threshold):
    """Indices kept by greedy NMS on ``(y1, x1, y2, x2)`` boxes, best score first."""
    keep = []
    for k in np.argsort(-scores):
        if len(keep) == max_boxes:
            break
        y1, x1, y2, x2 = boxes[k]
        if all(
            _iou_reference((x1, y1, x2, y2), (boxes[j][1], boxes[j][0], boxes[j][3], boxes[j][2]))
            <= iou_threshold
            for j in keep
        ):
            keep.append(k)
    return np.array(keep, dtype=int)


def _nms_reference(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    s, b, c = (np.asarray(v) for v in (scores, boxes, classes))
    keep = _nms_keep(s.astype(float), b.astype(float), max_boxes, iou_threshold)
    return s[keep], b[keep].reshape(-1, 4), c[keep]


def _random_boxes(r, n, side=1.0):
    """``(n, 4)`` float32 tensor of ``(y1, x1, y2, x2)`` boxes in a ``side`` square."""
    mins = r.uniform(0, 0.8 * side, (n, 2))
    return tf.constant(np.hstack([mins, mins + r.uniform(0.05, 0.3, (n, 2)) * side]), tf.float32)


def _nms_cases():
    r = np.random.default_rng(1302)

    def case(n, side=1.0):
        scores = tf.constant(r.permutation(n) / n + r.uniform(0, 0.5 / n, n), tf.float32)
        classes = tf.constant(r.integers(0, 80, n), tf.int64)
        return scores, _random_boxes(r, n, side), classes

    centres = np.repeat(r.uniform(0.2, 0.8, (3, 2)), 8, axis=0) + r.normal(0, 0.02, (24, 2))
    sides = r.uniform(0.15, 0.25, (24, 2))
    clustered = (
        tf.constant(r.permutation(24) / 24 + 0.01, tf.float32),
        tf.constant(np.hstack([centres - sides / 2, centres + sides / 2]), tf.float32),
        tf.constant(r.integers(0, 3, 24), tf.int32),
    )
    return [
        ("yolo_non_max_suppression(30 boxes, max_boxes=5, iou 0.3)", (*case(30), 5, 0.3), {}),
        ("yolo_non_max_suppression(40 boxes in pixels)", case(40, 600.0), {}),
        ("yolo_non_max_suppression(60 boxes, max_boxes=40)", case(60), {"max_boxes": 40}),
        ("yolo_non_max_suppression(20 boxes, iou_threshold=0.1)", case(20), {"iou_threshold": 0.1}),
        ("yolo_non_max_suppression(one box)", case(1), {}),
        ("yolo_non_max_suppression(24 boxes around 3 objects)", clustered, {}),
    ]


def _eval_reference(
    yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6, iou_threshold=0.5
):
    box_xy, box_wh, box_confidence, box_class_probs = (np.asarray(t) for t in yolo_outputs)
    mins, maxes = box_xy - box_wh / 2, box_xy + box_wh / 2
    corners = np.stack([mins[..., 1], mins[..., 0], maxes[..., 1], maxes[..., 0]], axis=-1)
    scores, boxes, classes = _filter_reference(
        corners, box_confidence, box_class_probs, score_threshold
    )
    h, w = image_shape
    boxes = boxes * np.array([h, w, h, w], dtype=np.float32)
    return _nms_reference(scores, boxes, classes, max_boxes, iou_threshold)


def _outputs(r, shape, n_classes):
    xy = r.uniform(0, 1, (*shape, 2))
    wh = r.uniform(0.05, 0.4, (*shape, 2))
    _, conf, probs = _grid(r, shape, n_classes, (0.4, 1.0))
    return (tf.constant(xy, tf.float32), tf.constant(wh, tf.float32), conf, probs)


def _eval_cases():
    r = np.random.default_rng(1303)
    return [
        ("yolo_eval(13x13 grid, 5 anchors, 80 classes)", (_outputs(r, (13, 13, 5), 80),), {}),
        (
            "yolo_eval(6x6 grid, 10 classes, (300, 500), 4, 0.3, 0.4)",
            (_outputs(r, (6, 6, 3), 10), (300, 500), 4, 0.3, 0.4),
            {},
        ),
        (
            "yolo_eval(4x5 grid, image_shape=(608, 608), max_boxes=20, score_threshold=0.2)",
            (list(_outputs(r, (4, 5, 2), 5)),),
            {"image_shape": (608, 608), "max_boxes": 20, "score_threshold": 0.2},
        ),
    ]


TESTS = [
    HiddenTest(
        "iou",
        1,
        _iou_cases,
        _iou_reference,
        ("cvutils.boxes.iou", "cvutils.boxes.pairwise_iou"),
        atol=1e-12,
    ),
    HiddenTest(
        "yolo_filter_boxes",
        2,
        _filter_cases,
        _filter_reference,
        ("cvutils.yolo.yolo_filter_boxes",),
        atol=1e-6,
        rtol=1e-5,
    ),
    HiddenTest(
        "yolo_non_max_suppression",
        2,
        _nms_cases,
        _nms_reference,
        ("cvutils.yolo.yolo_non_max_suppression", "cvutils.nms.non_max_suppression"),
        atol=1e-6,
        rtol=1e-6,
    ),
    HiddenTest(
        "yolo_eval",
        2,
        _eval_cases,
        _eval_reference,
        (
            "cvutils.yolo.yolo_eval",
            "cvutils.yolo.yolo_filter_boxes",
            "cvutils.yolo.yolo_non_max_suppression",
        ),
        atol=1e-4,
        rtol=1e-5,
    ),
]
