"""Hidden tests of notebooks/11_localization_and_landmarks.ipynb (inputs unused there).

The references are plain-Python loops, independent of the learner's vectorized code and of
`cvutils.yolo` and `cvutils.boxes`: the target vector written out entry by entry, the loss
summed example by example, IoU from the overlap of the two intervals on each axis, distances
with `math.hypot`. The cases include other numbers of classes and image sizes, a box that
fills the image, a batch without objects, boxes apart on one axis only, boxes of zero area,
and a single landmark.
"""

import math

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _make_target_reference(box, class_id, n_classes, image_size):
    y = [0.0] * (5 + n_classes)
    if box is not None and class_id is not None:
        x1, y1, x2, y2 = (float(v) / image_size for v in box)
        y[:5] = [1.0, (x1 + x2) / 2, (y1 + y2) / 2, y2 - y1, x2 - x1]
        y[5 + int(class_id)] = 1.0
    return np.array(y)


def _make_target_cases():
    return [
        ("make_target((0, 0, 10, 20), 0, 2, 40)", ((0, 0, 10, 20), 0, 2, 40), {}),
        ("make_target(float box, class 4 of 5, 32)", ((5.5, 3, 17.25, 30), 4, 5, 32), {}),
        ("make_target(no object, 4 classes, 64)", (None, None, 4, 64), {}),
        ("make_target(the whole image, class 1 of 2)", ((0, 0, 64, 64), 1, 2, 64), {}),
        (
            "make_target(numpy box and class, 1 class)",
            (np.array([7, 9, 20, 12]), np.int64(0), 1, 25),
            {},
        ),
    ]


def _loss_reference(y_true, y_pred):
    out = []
    for t, p in zip(
        np.asarray(y_true, float).tolist(), np.asarray(y_pred, float).tolist(), strict=True
    ):
        squares = [(a - b) ** 2 for a, b in zip(p, t, strict=True)]
        out.append(math.fsum(squares) if t[0] > 0.5 else squares[0])
    return np.array(out)


def _targets(r, m, n_classes, present):
    y = np.zeros((m, 5 + n_classes))
    y[:, 0] = present
    y[:, 1:5] = r.uniform(0, 1, (m, 4)) * present[:, None]
    y[np.arange(m), 5 + r.integers(0, n_classes, m)] = present
    return y.astype("float32")


def _loss_cases():
    r = np.random.default_rng(1101)
    mixed = _targets(r, 10, 2, (r.uniform(size=10) < 0.6).astype(float))
    none = _targets(r, 4, 5, np.zeros(4))
    soft = _targets(r, 3, 3, np.ones(3))
    soft[:, 0] = [0.6, 0.4, 0.9]
    return [
        ("localization_loss(10 examples, 2 classes)", (mixed, r.uniform(size=mixed.shape)), {}),
        ("localization_loss(no objects, 5 classes)", (none, r.uniform(size=none.shape)), {}),
        (
            "localization_loss(p_c 0.6, 0.4, 0.9)",
            (soft, r.uniform(size=soft.shape).astype("float32")),
            {},
        ),
        ("localization_loss(perfect predictions)", (mixed, mixed.copy()), {}),
    ]


def _iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def _box_iou_reference(boxes1, boxes2):
    a, b = np.asarray(boxes1, float).tolist(), np.asarray(boxes2, float).tolist()
    return np.array([_iou(p, q) for p, q in zip(a, b, strict=True)])


def _box_iou_cases():
    r = np.random.default_rng(1102)
    mins = r.uniform(0, 20, (2, 30, 2))
    random_pairs = [np.hstack([m, m + r.uniform(1, 12, (30, 2))]) for m in mins]
    return [
        (
            "box_iou(inside, apart on x only, apart on both axes)",
            (
                [[0, 0, 10, 8], [0, 0, 2, 5], [0, 0, 1, 1]],
                [[2, 3, 5, 7], [3, 1, 4, 4], [2, 2, 3, 3]],
            ),
            {},
        ),
        ("box_iou(30 random pairs)", tuple(random_pairs), {}),
        (
            "box_iou(zero-area boxes)",
            (np.array([[1.0, 1, 1, 1], [0, 0, 4, 0]]), np.array([[1.0, 1, 1, 1], [0, 0, 4, 2]])),
            {},
        ),
        ("box_iou(one pair)", (np.array([[2.5, 0, 7, 3]]), np.array([[0, 1.5, 5, 9]])), {}),
    ]


def _pixel_error_reference(predicted, true):
    p, t = np.asarray(predicted, float), np.asarray(true, float)
    distances = [
        math.hypot(*(a - b)) for a, b in zip(p.reshape(-1, 2), t.reshape(-1, 2), strict=True)
    ]
    return math.fsum(distances) / len(distances)


def _pixel_error_cases():
    r = np.random.default_rng(1103)
    return [
        ("mean_pixel_error(20 images, 5 landmarks)", tuple(r.uniform(0, 96, (2, 20, 5, 2))), {}),
        ("mean_pixel_error(one landmark)", tuple(r.uniform(0, 8, (2, 7, 1, 2))), {}),
        ("mean_pixel_error(integer pixels)", tuple(r.integers(0, 300, (2, 3, 4, 2))), {}),
        ("mean_pixel_error(exact)", (np.ones((2, 2, 2)), np.ones((2, 2, 2))), {}),
    ]


TESTS = [
    HiddenTest(
        "make_target",
        2,
        _make_target_cases,
        _make_target_reference,
        ("cvutils.yolo.encode_targets",),
        atol=1e-6,
    ),
    HiddenTest(
        "localization_loss",
        2,
        _loss_cases,
        _loss_reference,
        ("cvutils.yolo.LocalizationLoss",),
        atol=1e-5,
        rtol=1e-5,
    ),
    HiddenTest(
        "box_iou",
        2,
        _box_iou_cases,
        _box_iou_reference,
        ("cvutils.boxes.iou", "cvutils.boxes.pairwise_iou"),
        atol=1e-12,
    ),
    HiddenTest(
        "mean_pixel_error",
        2,
        _pixel_error_cases,
        _pixel_error_reference,
        atol=1e-10,
    ),
]
