"""Tests of cvutils.sliding against loop oracles, Keras layers and hand-worked cases."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from refusals import assert_refused

from cvutils.boxes import pairwise_iou
from cvutils.sliding import (
    dense_to_conv_weights,
    detection_counts,
    make_collages,
    match_detections,
    nms,
    precision_recall,
    sliding_window_detect,
    sliding_windows,
)


def loop_windows(image, size, stride):
    """Windows and boxes written out with two loops."""
    windows, boxes = [], []
    for y in range(0, image.shape[0] - size + 1, stride):
        for x in range(0, image.shape[1] - size + 1, stride):
            windows.append(image[y : y + size, x : x + size])
            boxes.append([x, y, x + size, y + size])
    return np.array(windows), np.array(boxes, dtype=float)


@pytest.mark.parametrize(
    "shape, size, stride",
    [((5, 7), 3, 2), ((8, 8), 8, 1), ((9, 6, 3), 2, 3), ((10, 13, 1), 4, 1), ((6, 6), 1, 5)],
)
def test_sliding_windows_match_the_loop(shape, size, stride):
    image = np.random.default_rng(0).normal(size=shape)
    windows, boxes = sliding_windows(image, size, stride)
    ref_w, ref_b = loop_windows(image, size, stride)
    np.testing.assert_array_equal(windows, ref_w)
    np.testing.assert_array_equal(boxes, ref_b)
    n = [(d - size) // stride + 1 for d in shape[:2]]
    assert len(windows) == n[0] * n[1]


def test_sliding_windows_copy_and_do_not_mutate():
    image = np.arange(36.0).reshape(6, 6)
    before = image.copy()
    windows, _ = sliding_windows(image, 3, 1)
    windows[:] = -1
    np.testing.assert_array_equal(image, before)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sliding_windows(np.zeros((4, 4)), 5, 1), "size"),
        (lambda: sliding_windows(np.zeros((4, 4)), 2, 0), "stride"),
        (lambda: sliding_windows(np.zeros(4), 2, 1), "image"),
        (lambda: sliding_windows(np.zeros((4, 4)), 2.0, 1), "size"),
    ],
)
def test_sliding_windows_refuse(call, name):
    assert_refused(call, name)


@pytest.mark.parametrize("h, w, c, n_out", [(5, 5, 16, 7), (1, 1, 9, 4), (3, 2, 2, 5)])
def test_dense_to_conv_weights_give_the_dense_outputs(h, w, c, n_out):
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(h * w * c, n_out)).astype("float32")
    bias = rng.normal(size=n_out).astype("float32")
    x = rng.normal(size=(4, h, w, c)).astype("float32")
    dense = keras.layers.Dense(n_out)
    dense.build((None, h * w * c))
    dense.set_weights([kernel, bias])
    conv = keras.layers.Conv2D(n_out, (h, w))
    conv.build((None, h, w, c))
    conv.set_weights([dense_to_conv_weights(kernel, (h, w, c)), bias])
    want = keras.ops.convert_to_numpy(dense(keras.layers.Flatten()(x)))
    got = keras.ops.convert_to_numpy(conv(x))
    assert got.shape == (4, 1, 1, n_out)
    np.testing.assert_allclose(got[:, 0, 0], want, rtol=1e-5, atol=1e-5)


def test_dense_to_conv_weights_refuse():
    assert_refused(lambda: dense_to_conv_weights(np.zeros((10, 3)), (3, 3, 1)), "input_shape")
    assert_refused(lambda: dense_to_conv_weights(np.zeros(10), (10, 1, 1)), "kernel")
    assert_refused(lambda: dense_to_conv_weights(np.zeros((10, 3)), (10, 1)), "input_shape")


def test_hand_worked_precision_recall():
    # Three faces; four detections. Detection 0 hits face 0 (IoU 1); detection 1 hits face 0
    # again (IoU 90/110) but scores lower: a duplicate, false positive; detection 2 covers
    # face 1 with IoU 50/100 = 0.5 exactly: a true positive (>= 0.5); detection 3 is on
    # nothing. TP 2, FP 2, FN 1: precision 1/2, recall 2/3.
    truth = [[0, 0, 10, 10], [20, 0, 30, 10], [50, 50, 60, 60]]
    pred = [[0, 0, 10, 10], [1, 0, 11, 10], [20, 0, 30, 5], [80, 80, 90, 90]]
    scores = [0.9, 0.8, 0.7, 0.6]
    np.testing.assert_array_equal(match_detections(pred, truth, scores), [True, False, True, False])
    assert detection_counts(pred, truth, scores) == (2, 2, 1)
    assert precision_recall(pred, truth, scores) == (0.5, pytest.approx(2 / 3))
    # a stricter threshold loses the half-covered face
    assert detection_counts(pred, truth, scores, iou_threshold=0.6) == (1, 3, 2)


def test_match_detections_takes_the_best_score_first():
    truth = [[0, 0, 10, 10]]
    pred = [[1, 0, 11, 10], [0, 0, 10, 10]]
    np.testing.assert_array_equal(match_detections(pred, truth, [0.2, 0.9]), [False, True])
    np.testing.assert_array_equal(match_detections(pred, truth), [True, False])


def test_precision_recall_of_nothing_is_nan():
    p, r = precision_recall(np.zeros((0, 4)), [[0, 0, 1, 1]])
    assert np.isnan(p) and r == 0.0
    p, r = precision_recall([[0, 0, 1, 1]], np.zeros((0, 4)))
    assert p == 0.0 and np.isnan(r)


def blob(side):
    """A Gaussian blob filling a ``side x side`` window."""
    r = (np.arange(side) + 0.5) / side - 0.5
    return np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 0.15**2))


def test_detect_finds_a_blob_at_two_sizes():
    image = np.zeros((40, 40))
    image[4:12, 4:12] = blob(8)
    image[20:36, 20:36] = blob(16)
    template = blob(8)

    def score(x):  # closeness to the 8x8 template
        return -np.mean((x[..., 0] - template) ** 2, axis=(1, 2))

    found = sliding_window_detect(score, image, [8, 16], [2, 4], window=8, threshold=-0.01)
    assert found.n_windows == 17 * 17 + 7 * 7
    truth = [[4, 4, 12, 12], [20, 20, 36, 36]]
    assert precision_recall(found.boxes, truth, found.scores) == (1.0, 1.0)
    np.testing.assert_array_equal(np.sort(found.boxes, axis=0), np.sort(truth, axis=0))


def test_detect_refuses_bad_scores():
    assert_refused(
        lambda: sliding_window_detect(lambda x: np.zeros(3), np.zeros((8, 8)), [4], [2], 4),
        "score_fn",
    )
    assert_refused(
        lambda: sliding_window_detect(lambda x: x, np.zeros((8, 8)), [4, 2], [2], 4), "strides"
    )


def test_collages_hold_their_patches_where_they_say():
    rng = np.random.default_rng(0)
    faces, others = rng.uniform(size=(6, 5, 5)), rng.uniform(size=(4, 5, 5))
    background = rng.uniform(size=(50, 60))
    before = faces.copy()
    c = make_collages(faces, others, 2, size=40, scale_range=(1.0, 1.0), background=background)
    np.testing.assert_array_equal(faces, before)
    assert c.images.shape == (2, 40, 40)
    for img, boxes, ids in zip(c.images, c.boxes, c.target_ids, strict=True):
        for (x1, y1, x2, y2), i in zip(boxes.astype(int), ids, strict=True):
            np.testing.assert_array_equal(img[y1:y2, x1:x2], faces[i])
    # each held-out face is used once while the pool lasts
    assert sorted(np.concatenate(c.target_ids)) == list(range(6))
    all_boxes = np.concatenate([c.boxes[0], c.distractor_boxes[0]])
    ious = pairwise_iou(all_boxes, all_boxes)
    np.testing.assert_array_equal(ious, np.eye(len(all_boxes)))  # no two patches overlap


def test_collages_refuse_patches_that_do_not_fit():
    assert_refused(
        lambda: make_collages(
            np.ones((2, 5, 5)), np.ones((2, 5, 5)), 1, size=6, scale_range=(1, 1)
        ),
        "size",
    )
    assert_refused(
        lambda: make_collages(
            np.ones((2, 5, 5)), np.ones((2, 5, 5)), 1, size=5, scale_range=(2, 2)
        ),
        "scale_range",
    )


# Regression tests for what the bad-input sweep found.
def test_collage_counts_are_bounded_by_the_canvas():
    faces, others = np.ones((2, 5, 5)), np.ones((2, 5, 5))
    assert_refused(lambda: make_collages(faces, others, 2**31, size=30), "n_images")
    assert_refused(lambda: make_collages(faces, others, 1, size=30, n_targets=2**31), "n_targets")
    assert_refused(lambda: make_collages(faces, others, 1, size=10**6), "size")


def test_detect_refuses_overflowing_images_and_non_finite_scores():
    image = np.zeros((8, 8))
    assert_refused(lambda: sliding_window_detect(np.mean, image + 1e300, [4], [2], 4), "image")

    def nan_scores(x):
        return np.full(len(x), np.nan)

    assert_refused(lambda: sliding_window_detect(nan_scores, image, [4], [2], 4), "score_fn")
    assert_refused(lambda: sliding_window_detect(nan_scores, image, [4], [2], 2**31), "window")


def loop_nms(boxes, scores, iou_threshold, score_threshold=-np.inf):
    """The course's greedy NMS in plain Python (float64 IoU): discard IoU >= the threshold."""

    def iou(a, b):
        w = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
        h = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
        return w * h / union if union > 0 else 0.0

    left = sorted(
        (k for k in range(len(boxes)) if scores[k] > score_threshold), key=lambda k: -scores[k]
    )
    kept = []
    while left:
        best = left.pop(0)
        kept.append(best)
        left = [k for k in left if iou(boxes[best], boxes[k]) < iou_threshold]
    return kept


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("iou_threshold", [0.25, 0.5, 1 / 3, 0.6])
def test_nms_matches_the_course_loop_on_integer_boxes(seed, iou_threshold):
    r = np.random.default_rng(seed)
    corner = r.integers(0, 30, size=(40, 2))
    side = r.integers(4, 12, size=(40, 1)) * np.array([[1, 1]])  # squares: many exact ties
    boxes = np.hstack([corner, corner + side]).astype(float)
    scores = r.permutation(40) / 40.0  # distinct scores: the order is fixed
    kept = nms(boxes, scores, iou_threshold, score_threshold=0.1)
    assert kept.tolist() == loop_nms(boxes, scores, iou_threshold, 0.1)


def test_nms_discards_an_iou_equal_to_the_threshold():
    boxes = [[0, 0, 10, 10], [0, 5, 10, 15], [0, 0, 10, 5]]  # IoU 1/3 and 1/2 with the first
    assert nms(boxes, [0.9, 0.8, 0.7], 1 / 3).tolist() == [0]
    assert nms(boxes, [0.9, 0.8, 0.7], 0.5).tolist() == [0, 1]
    assert nms(boxes, [0.9, 0.8, 0.7], 0.51).tolist() == [0, 1, 2]
    assert nms(boxes, [0.9, 0.8, 0.7], 1.0).tolist() == [0, 1, 2]
    assert nms([[0, 0, 4, 4], [0, 0, 4, 4]], [0.9, 0.8], 1.0).tolist() == [0]  # IoU 1 >= 1
    assert nms(boxes, [0.9, 0.8, 0.7], 0.5, score_threshold=0.8).tolist() == [0]
    assert nms(boxes, [0.9, 0.8, 0.7], 0.5, max_detections=1).tolist() == [0]


def test_nms_refuses_a_zero_threshold():
    assert_refused(lambda: nms([[0, 0, 1, 1]], [1.0], 0.0), "iou_threshold")
    assert_refused(lambda: nms([[0, 0, 1, 1]], [1.0, 2.0], 0.5), "scores")


def test_detect_uses_the_course_rule_for_duplicates():
    image = np.zeros((4, 12))
    image[:, 4:8] = 1.0  # a bright 4x4 square at x = 4

    def score(x):  # mean brightness: 1 at x = 4, 0.5 at x = 2 and x = 6, 0 elsewhere
        return x.mean(axis=(1, 2, 3))

    found = sliding_window_detect(
        score, image, [4], [2], window=4, threshold=0.4, iou_threshold=1 / 3
    )
    # the half-bright windows overlap the best one by IoU 1/3 exactly: discarded (>=)
    np.testing.assert_array_equal(found.boxes, [[4.0, 0.0, 8.0, 4.0]])
    strict = sliding_window_detect(
        score, image, [4], [2], window=4, threshold=0.4, iou_threshold=0.34
    )
    assert len(strict.boxes) == 3
