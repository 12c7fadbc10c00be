"""Hidden tests of notebooks/12_sliding_windows.ipynb (images, boxes and kernels unused there).

The references are independent of the learner's code and of `cvutils.sliding`: windows are
cut at the positions of the output-size formula, IoU is computed box by box in plain Python,
and the dense-to-conv kernel is filled entry by entry from Keras's flattening order
(row, column, channel fastest). The cases avoid ties in scores and in IoU, where the
exercise does not fix an order; they include strides larger than the window, a window as
large as the image, an IoU exactly at the threshold, a lower-scored duplicate that overlaps
more, and a detection whose best box is already taken (a false positive, by the rule, even
though it overlaps another free box enough). Under that rule the counts, hence precision and
recall, do not depend on the scores (only which duplicate is the true positive does).
"""

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _sliding_windows_reference(image, size, stride):
    n_h = (image.shape[0] - size) // stride + 1
    n_w = (image.shape[1] - size) // stride + 1
    windows = np.empty((n_h * n_w, size, size, *image.shape[2:]), dtype=image.dtype)
    corners = np.empty((n_h * n_w, 4))
    for i in range(n_h):
        for j in range(n_w):
            k, y, x = i * n_w + j, i * stride, j * stride
            windows[k] = image[y : y + size, x : x + size]
            corners[k] = (x, y, x + size, y + size)
    return windows, corners


def _sliding_windows_cases():
    r = np.random.default_rng(1201)
    images = [
        (r.standard_normal((5, 8)), 5, 3),  # window as tall as the image: one row
        (r.uniform(size=(10, 7, 2)), 3, 4),  # stride larger than the window, 2 channels
        (r.integers(0, 255, size=(6, 6)), 1, 1),  # integer pixels, 1x1 windows
        (r.uniform(size=(9, 12, 3)), 4, 2),  # RGB, leftover columns
        (r.standard_normal((4, 4)), 4, 10),  # the whole image, one window
        (r.standard_normal((11, 5)), 2, 3),  # tall and thin
    ]
    return [
        (f"sliding_windows(image of {img.shape}, size={s}, stride={t})", (img, s, t), {})
        for img, s, t in images
    ]


def _iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _precision_recall_reference(pred_boxes, scores, true_boxes, iou_threshold=0.5):
    pred, true = np.asarray(pred_boxes, float).tolist(), np.asarray(true_boxes, float).tolist()
    order = sorted(range(len(pred)), key=lambda k: -float(scores[k]))
    taken, tp = set(), 0
    for k in order:
        ious = [_iou(pred[k], t) for t in true]
        best = max(range(len(true)), key=lambda j: ious[j])
        if ious[best] >= iou_threshold and best not in taken:
            taken.add(best)
            tp += 1
    return tp / len(pred), tp / len(true)


def _random_scene(r, n_true, n_near, n_far):
    corner = r.uniform(0, 200, size=(n_true, 2))
    side = r.uniform(10, 40, size=(n_true, 2))
    true = np.hstack([corner, corner + side])
    picks = r.integers(0, n_true, size=n_near)
    near = true[picks] + r.normal(0, 2.5, size=(n_near, 4))
    near[:, 2:] = np.maximum(near[:, 2:], near[:, :2] + 1)
    corner = r.uniform(0, 200, size=(n_far, 2))
    far = np.hstack([corner, corner + r.uniform(10, 40, size=(n_far, 2))])
    pred = np.vstack([near, far])[r.permutation(n_near + n_far)]
    return pred, r.permutation(len(pred)) / len(pred) + 0.01, true


def _precision_recall_cases():
    r = np.random.default_rng(1202)
    p1, s1, t1 = _random_scene(r, 6, 7, 3)
    p2, s2, t2 = _random_scene(r, 4, 9, 2)
    truth = np.array([[0, 0, 10, 10], [12, 0, 22, 10]], dtype=float)
    dup = np.array([[0, 0, 10, 10.5], [1, 0, 11, 10]], dtype=float)  # IoU 0.95 and 0.82
    side_by_side = np.array([[0, 0, 10, 10], [10, 0, 20, 10]], dtype=float)
    best_taken = np.array([[0, 0, 10, 10], [4, 0, 14, 10]], dtype=float)  # 2nd: IoU 0.43, 0.25
    return [
        ("precision_recall on a random scene (6 true, 10 detected)", (p1, s1, t1), {}),
        ("precision_recall(..., iou_threshold=0.3)", (p2, s2, t2), {"iou_threshold": 0.3}),
        ("precision_recall, IoU 0.7 threshold, positional", (p1, s1, t1, 0.7), {}),
        (
            "precision_recall: two detections of one box, one true positive",
            (dup, [0.2, 0.7], truth[:1]),
            {},
        ),
        (
            "precision_recall: IoU exactly at the threshold counts",
            (np.array([[0, 0, 4, 1.0]]), np.array([0.5]), np.array([[0, 0, 4, 4.0]])),
            {"iou_threshold": 0.25},
        ),
        (
            "precision_recall: a detection whose best box is taken is a false positive",
            (best_taken, [0.9, 0.8], side_by_side),
            {"iou_threshold": 0.2},
        ),
        (
            "precision_recall: one detection on nothing",
            ([[50, 50, 60, 60]], [0.4], [[0, 0, 10, 10]]),
            {},
        ),
    ]


def _dense_to_conv_reference(kernel, input_shape):
    h, w, c = input_shape
    conv = np.empty((h, w, c, kernel.shape[1]), dtype=kernel.dtype)
    for i in range(h):
        for j in range(w):
            for k in range(c):
                conv[i, j, k] = kernel[(i * w + j) * c + k]
    return conv


def _dense_to_conv_cases():
    r = np.random.default_rng(1203)
    shapes = [((2, 3, 4), 3), ((1, 1, 7), 5), ((3, 2, 1), 2), ((4, 1, 5), 1), ((2, 2, 3), 9)]
    cases = [
        (
            f"dense_to_conv_weights(kernel of ({np.prod(s)}, {n}), {s})",
            (r.standard_normal((int(np.prod(s)), n)), s),
            {},
        )
        for s, n in shapes
    ]
    kernel = r.standard_normal((30, 4)).astype("float32")
    cases.append(("dense_to_conv_weights(float32 kernel, [3, 5, 2])", (kernel, [3, 5, 2]), {}))
    return cases


TESTS = [
    HiddenTest(
        "sliding_windows",
        2,
        _sliding_windows_cases,
        _sliding_windows_reference,
        ("cvutils.sliding.sliding_windows",),
        atol=0,
        rtol=0,
    ),
    HiddenTest(
        "precision_recall",
        2,
        _precision_recall_cases,
        _precision_recall_reference,
        (
            "cvutils.sliding.precision_recall",
            "cvutils.sliding.detection_counts",
            "cvutils.sliding.match_detections",
        ),
        atol=1e-12,
        upstream="",  # the package's function takes another box format
        rtol=0,
    ),
    HiddenTest(
        "dense_to_conv_weights",
        2,
        _dense_to_conv_cases,
        _dense_to_conv_reference,
        ("cvutils.sliding.dense_to_conv_weights",),
        atol=0,
        rtol=0,
    ),
]
