"""Hidden tests of notebooks/14_training_a_yolo_detector.ipynb (cases unused there).

The references are plain-Python loops, independent of `cvutils.augment` and `cvutils.yolo`:
a flip box by box, the target slot from the midpoint's cell and the anchor IoUs computed one
anchor at a time, and precision/recall by counting the kept detections one by one. The cases
include widths and grids other than the notebook's, a box touching the image's edge, a
midpoint on the far edge of the image (the last cell), five anchors, a threshold above every
score (nothing kept: precision 1.0), ties at the threshold and no true positive. IoU ties
between anchors are avoided.
"""

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _flip_reference(boxes, width):
    out = []
    for x1, y1, x2, y2 in np.asarray(boxes, dtype=float).reshape(-1, 4):
        out.append([width - x2, y1, width - x1, y2])
    return np.array(out, dtype=float).reshape(-1, 4)


def _flip_cases():
    r = np.random.default_rng(1401)
    xy = r.uniform(0, 150, (12, 2))
    random = np.concatenate([xy, xy + r.uniform(1, 50, (12, 2))], axis=1)
    return [
        ("flip_boxes(one box, width 10)", ([[1.0, 2.0, 4.0, 7.0]], 10), {}),
        (
            "flip_boxes(boxes touching both edges, width 32)",
            ([[0, 0, 5, 5], [20, 3, 32, 9]], 32),
            {},
        ),
        ("flip_boxes(12 random boxes, width 200)", (random, 200), {}),
        ("flip_boxes(integer boxes as a list, width 7)", ([[0, 1, 7, 2], [3, 3, 4, 6]], 7), {}),
    ]


def _slot_reference(box, anchors, cell_size, grid_shape):
    x1, y1, x2, y2 = (float(v) for v in box)
    xc, yc = (x1 + x2) / 2, (y1 + y2) / 2
    row, col = int(np.floor(yc / cell_size)), int(np.floor(xc / cell_size))
    row, col = min(row, grid_shape[0] - 1), min(col, grid_shape[1] - 1)
    w, h = (x2 - x1) / cell_size, (y2 - y1) / cell_size
    best, best_iou = 0, -1.0
    for a, (aw, ah) in enumerate(np.asarray(anchors, dtype=float)):
        inter = min(w, aw) * min(h, ah)
        iou = inter / (w * h + aw * ah - inter)
        if iou > best_iou:
            best, best_iou = a, iou
    return row, col, best


def _slot_cases():
    r = np.random.default_rng(1402)
    five = [[0.6, 0.7], [1.3, 2.9], [3.1, 1.4], [2.2, 2.3], [5.0, 4.6]]
    cases = [
        ("target_slot(midpoint on the far edge)", ((90, 80, 100, 100), five, 10, (10, 10)), {}),
        (
            "target_slot(tall box, 2 anchors, 3x3 grid)",
            ((5, 0, 25, 90), [[1, 1], [0.4, 1.6]], 30, (3, 3)),
            {},
        ),
        ("target_slot(rectangular grid 2x5)", ((130, 40, 170, 60), five, 32, (2, 5)), {}),
    ]
    for k in range(5):
        xy = r.uniform(0, 300, 2)
        wh = r.uniform(10, 150, 2)
        box = tuple(np.concatenate([xy, np.minimum(xy + wh, 416)]).round(2))
        cases.append(
            (f"target_slot(random box {k}, 13x13 grid of 32 px)", (box, five, 32, (13, 13)), {})
        )
    return cases


def _pr_reference(scores, is_tp, n_true, threshold):
    kept = tp = 0
    for s, t in zip(scores, is_tp, strict=True):
        if s >= threshold:
            kept += 1
            tp += int(t)
    return (tp / kept if kept else 1.0), tp / n_true


def _pr_cases():
    r = np.random.default_rng(1403)
    scores = np.round(r.uniform(0, 1, 40), 2)
    tp = (r.uniform(size=40) < 0.6).astype(int)
    return [
        ("precision_recall_at(40 detections, 0.5)", (scores, tp, 30, 0.5), {}),
        (
            "precision_recall_at(ties at the threshold)",
            ([0.9, 0.5, 0.5, 0.5, 0.1], [1, 0, 1, 1, 1], 6, 0.5),
            {},
        ),
        ("precision_recall_at(threshold above every score)", ([0.3, 0.2], [1, 1], 4, 0.95), {}),
        ("precision_recall_at(no true positive)", ([0.8, 0.7, 0.6], [0, 0, 0], 2, 0.0), {}),
        ("precision_recall_at(all kept, lists)", (list(scores[:10]), list(tp[:10]), 12, 0.0), {}),
    ]


TESTS = [
    HiddenTest(
        "flip_boxes", 1, _flip_cases, _flip_reference, ("cvutils.augment.random_flip_boxes",)
    ),
    HiddenTest(
        "target_slot",
        2,
        _slot_cases,
        _slot_reference,
        (
            "cvutils.yolo.encode_targets",
            "cvutils.yolo.encode_targets_tf",
            "cvutils.yolo.anchor_iou",
        ),
    ),
    HiddenTest(
        "precision_recall_at",
        1,
        _pr_cases,
        _pr_reference,
        ("cvutils.yolo.precision_recall_curves", "cvutils.yolo.mean_average_precision"),
        atol=1e-12,
    ),
]
