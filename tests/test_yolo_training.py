"""Notebook 14's yolo helpers: targets inside tf.data and precision-recall curves."""

import numpy as np
import pytest
import tensorflow as tf
from refusals import assert_refused

from cvutils.synthetic import make_shapes
from cvutils.yolo import (
    average_precision,
    encode_targets,
    encode_targets_tf,
    mean_average_precision,
    precision_recall_curves,
)

ANCHORS = [[1.2, 1.1], [2.3, 2.4]]


def test_encode_targets_tf_equals_encode_targets_in_a_pipeline():
    data = make_shapes(5, image_size=32, max_objects=3, seed=4)
    ds = tf.data.Dataset.from_tensor_slices((data.boxes, data.class_ids)).map(
        lambda b, c: encode_targets_tf(b, c, ANCHORS, (4, 4), 3, (32, 32))
    )
    for i, y in enumerate(ds):
        assert y.shape == (4, 4, 2, 8)
        obj = data.objects(i)
        expected = encode_targets(obj["boxes"], obj["class_ids"], ANCHORS, (4, 4), 3, (32, 32))
        np.testing.assert_array_equal(y.numpy(), expected)


def test_encode_targets_tf_refusals():
    assert_refused(
        lambda: encode_targets_tf(np.zeros((1, 4)), [0], ANCHORS, (5, 5), 3, (32, 32)), "grid_shape"
    )
    assert_refused(
        lambda: encode_targets_tf(np.zeros((1, 3)), [0], ANCHORS, (4, 4), 3, (32, 32)), "boxes"
    )
    assert_refused(
        lambda: encode_targets_tf(np.zeros((2, 4)), [0], ANCHORS, (4, 4), 3, (32, 32)), "class_ids"
    )


def _brute_force_pr(dets, gts, k, thr, iou_thr=0.5):
    """(precision, recall) keeping the class-k detections of score >= thr, matched by a loop."""

    def iou(a, b):
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)

    kept = [
        (ps[j], i, j)
        for i, (pb, ps, pc) in enumerate(dets)
        for j in range(len(pb))
        if pc[j] == k and ps[j] >= thr
    ]
    kept.sort(key=lambda t: -t[0])  # Python's sort is stable: ties keep (image, position)
    used = set()
    tp = 0
    for _, i, j in kept:
        truth = [m for m in range(len(gts[i][0])) if gts[i][1][m] == k]
        if not truth:
            continue
        ious = [iou(dets[i][0][j], gts[i][0][m]) for m in truth]
        best = truth[int(np.argmax(ious))]
        if max(ious) > iou_thr and (i, best) not in used:
            used.add((i, best))
            tp += 1
    n_pos = sum(int((np.asarray(g[1]) == k).sum()) for g in gts)
    return tp / len(kept), tp / n_pos


def _random_detections(seed, n_images=6):
    rng = np.random.default_rng(seed)
    dets, gts = [], []
    for _ in range(n_images):
        m = rng.integers(0, 4)
        xy = rng.uniform(0, 40, (m, 2))
        tb = np.concatenate([xy, xy + rng.uniform(5, 20, (m, 2))], 1)
        tc = rng.integers(0, 3, m)
        jitter = np.repeat(tb, 2, 0) + rng.normal(0, 3, (2 * m, 4))
        jitter = np.concatenate(
            [np.minimum(jitter[:, :2], jitter[:, 2:]), np.maximum(jitter[:, :2], jitter[:, 2:])], 1
        )
        n_extra = rng.integers(0, 3)
        xy = rng.uniform(0, 40, (n_extra, 2))
        extra = np.concatenate([xy, xy + rng.uniform(5, 20, (n_extra, 2))], 1)
        pb = np.concatenate([jitter, extra])
        pc = np.concatenate([np.repeat(tc, 2), rng.integers(0, 3, n_extra)])
        pc[rng.uniform(size=len(pc)) < 0.15] = rng.integers(0, 3)  # some wrong classes
        ps = np.round(rng.uniform(0, 1, len(pb)), 1)  # rounded: ties happen
        dets.append((pb, ps, pc))
        gts.append((tb, tc))
    return dets, gts


@pytest.mark.parametrize("seed", range(5))
def test_pr_curves_match_a_brute_force_per_threshold(seed):
    dets, gts = _random_detections(seed)
    args = ([d[0] for d in dets], [d[1] for d in dets], [d[2] for d in dets])
    curves = precision_recall_curves(*args, [g[0] for g in gts], [g[1] for g in gts])
    assert set(curves) == {int(c) for g in gts for c in g[1]}
    for k, c in curves.items():
        assert len(c["scores"]) == len(c["precision"]) == len(c["recall"]) == len(c["tp"])
        assert (np.diff(c["scores"]) <= 0).all() and (np.diff(c["recall"]) >= 0).all()
        for r in range(len(c["scores"])):
            last = r == len(c["scores"]) - 1 or c["scores"][r + 1] < c["scores"][r]
            if last:  # after the last detection of a score, the curve is the thresholded one
                p, rec = _brute_force_pr(dets, gts, k, c["scores"][r])
                assert c["precision"][r] == pytest.approx(p)
                assert c["recall"][r] == pytest.approx(rec)
    m, aps = mean_average_precision(*args, [g[0] for g in gts], [g[1] for g in gts])
    for k, c in curves.items():
        expected = average_precision(c["recall"], c["precision"]) if len(c["tp"]) else 0.0
        assert aps[k] == pytest.approx(expected)


def test_pr_curves_course_case_and_formats():
    gt = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]])]
    pred = [np.array([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 31]])]
    c = precision_recall_curves(pred, [[0.9, 0.8, 0.7]], [[0, 0, 0]], gt, [[0, 0]])[0]
    np.testing.assert_array_equal(c["tp"], [1, 0, 1])
    np.testing.assert_allclose(c["precision"], [1, 0.5, 2 / 3])
    yxyx = [b[:, [1, 0, 3, 2]] for b in pred]
    c2 = precision_recall_curves(
        yxyx, [[0.9, 0.8, 0.7]], [[0, 0, 0]], [gt[0][:, [1, 0, 3, 2]]], [[0, 0]], fmt="yxyx"
    )[0]
    np.testing.assert_array_equal(c2["tp"], c["tp"])
    empty = precision_recall_curves([np.zeros((0, 4))], [[]], [[]], gt, [[0, 1]])
    assert set(empty) == {0, 1} and len(empty[0]["scores"]) == 0


def test_pr_curves_refusals():
    gt = [np.array([[0, 0, 10, 10]])]
    assert_refused(
        lambda: precision_recall_curves(gt, [[0.5]], [[0]], gt, [[0]], iou_threshold=1.5),
        "iou_threshold",
    )
    assert_refused(
        lambda: precision_recall_curves(gt, [[0.5, 0.2]], [[0]], gt, [[0]]), "pred_scores[0]"
    )
