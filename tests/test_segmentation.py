"""Tests of cvutils.segmentation (notebook 15): keras.metrics.MeanIoU and plain loops as
references, hand-worked masks, bad inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from refusals import assert_refused

from cvutils import segmentation as seg


def _loop_iou(t, p, n):
    """Per-class IoU by counting pixels one at a time."""
    out = []
    for k in range(n):
        inter = union = 0
        for a, b in zip(t.ravel(), p.ravel(), strict=True):
            inter += a == k and b == k
            union += a == k or b == k
        out.append(inter / union if union else np.nan)
    return np.array(out)


def _masks(seed, shape, n):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, n, shape)
    p = np.where(rng.uniform(size=shape) < 0.6, t, rng.integers(0, n, shape))
    return t, p


CASES = [(0, (2, 6, 7), 3), (1, (1, 5, 5), 5), (2, (3, 4, 4), 2), (3, (4, 8, 8), 23)]


@pytest.mark.parametrize("seed, shape, n", CASES)
def test_mean_iou_matches_keras(seed, shape, n):
    t, p = _masks(seed, shape, n)
    metric = keras.metrics.MeanIoU(num_classes=n)
    metric.update_state(t, p)
    expected = float(keras.ops.convert_to_numpy(metric.result()))
    assert seg.mean_iou(t, p, n) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("seed, shape, n", CASES)
def test_per_class_iou_and_accuracy_match_loops(seed, shape, n):
    t, p = _masks(seed, shape, n)
    np.testing.assert_allclose(seg.per_class_iou(t, p, n), _loop_iou(t, p, n), equal_nan=True)
    correct = sum(int(a == b) for a, b in zip(t.ravel(), p.ravel(), strict=True))
    assert seg.pixel_accuracy(t, p) == pytest.approx(correct / t.size)
    cm = seg.confusion_matrix(t, p, n)
    assert cm.sum() == t.size and np.trace(cm) == correct
    for i, j in [(0, 1), (1, 0), (n - 1, 0)]:
        assert cm[i, j] == np.sum((t == i) & (p == j))


def test_hand_worked_example_and_the_background_trap():
    # 10 pixels, one object of 2 pixels; predicting all background: accuracy 0.8, but the
    # object's IoU is 0, so the mean IoU is (0.8 + 0) / 2 = 0.4
    t = np.array([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]])
    p = np.zeros_like(t)
    assert seg.pixel_accuracy(t, p) == 0.8
    np.testing.assert_allclose(seg.per_class_iou(t, p, 2), [0.8, 0.0])
    assert seg.mean_iou(t, p, 2) == pytest.approx(0.4)
    assert seg.mean_iou(t, t, 2) == 1.0
    # a class absent from both masks does not count
    assert np.isnan(seg.per_class_iou(t, t, 3)[2]) and seg.mean_iou(t, t, 3) == 1.0


def test_create_mask_is_the_argmax_and_matches_the_course_version():
    scores = np.random.default_rng(0).normal(size=(2, 4, 5, 3)).astype("float32")
    mask = seg.create_mask(scores)
    assert mask.shape == (2, 4, 5) and mask.dtype == np.int64
    course = keras.ops.convert_to_numpy(keras.ops.argmax(scores, axis=-1))[..., None][0]
    np.testing.assert_array_equal(mask[0][..., None], course)
    np.testing.assert_array_equal(seg.create_mask(scores[0]), mask[0])


def test_inputs_are_not_modified():
    t, p = _masks(0, (2, 3, 3), 3)
    tc, pc = t.copy(), p.copy()
    seg.mean_iou(t, p, 3)
    seg.pixel_accuracy(t, p)
    np.testing.assert_array_equal(t, tc)
    np.testing.assert_array_equal(p, pc)


def test_refuses_bad_input():
    t, p = _masks(0, (2, 3, 3), 3)
    assert_refused(lambda: seg.mean_iou(t, p[:1], 3), "y_pred")
    assert_refused(lambda: seg.mean_iou(t, p, 2), "y_true")  # label 2 of 2 classes
    assert_refused(lambda: seg.mean_iou(t, p + 0.5, 3), "y_pred")
    assert_refused(lambda: seg.mean_iou(t, p, 0), "n_classes")
    assert_refused(lambda: seg.mean_iou(t - 1, p, 3), "y_true")
    assert_refused(lambda: seg.pixel_accuracy(np.zeros(0, int), np.zeros(0, int)), "y_true")
    assert_refused(lambda: seg.pixel_accuracy("abc", p), "y_true")
    assert_refused(lambda: seg.create_mask(np.zeros((3, 3))), "pred_mask")
    assert_refused(lambda: seg.create_mask(np.full((1, 2, 2, 2), np.nan)), "pred_mask")


def test_both_confusion_matrices_count_the_same_pairs_as_a_loop():
    from cvutils import plotting

    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, size=200), rng.integers(0, 5, size=200)
    expected = np.zeros((5, 5), np.int64)
    for i, j in zip(t, p, strict=True):
        expected[i, j] += 1
    np.testing.assert_array_equal(seg.confusion_matrix(t, p, 5), expected)
    np.testing.assert_array_equal(plotting.confusion_matrix(t, p, n_classes=5), expected)
    assert plotting.confusion_matrix([], [], 3).tolist() == [[0] * 3] * 3
