"""Notebook 14's yolo helpers: targets inside tf.data, precision-recall curves, training and
decoding the small detector."""

import numpy as np
import pytest
import tensorflow as tf
from refusals import assert_refused

from cvutils.synthetic import make_shapes
from cvutils.yolo import (
    YoloLoss,
    average_precision,
    decode_detections,
    encode_targets,
    encode_targets_tf,
    mean_average_precision,
    precision_recall_curves,
    train_tiny_yolo,
    yolo_eval,
    yolo_head,
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


# ------------------------------------------------------- decode_detections, train_tiny_yolo


def _random_raw(seed=0, batch=3, grid=(4, 4), anchors=2, classes=3):
    raw = np.random.default_rng(seed).normal(size=(batch, *grid, anchors * (5 + classes)))
    return raw.astype("float32")


@pytest.mark.parametrize("seed", range(3))
def test_decode_detections_across_classes_is_the_courses_yolo_eval(seed):
    anchors = [[1.0, 1.2], [2.0, 1.5]]
    raw = _random_raw(seed)
    boxes, scores, classes = decode_detections(
        raw,
        anchors,
        3,
        (64, 96),
        score_threshold=0.2,
        iou_threshold=0.4,
        max_boxes=5,
        per_class=False,
    )
    head = yolo_head(raw, anchors, 3)
    for i in range(len(raw)):
        s, b, c = yolo_eval(tuple(t[i] for t in head), (64, 96), 5, 0.2, 0.4)
        np.testing.assert_allclose(scores[i], s.numpy(), rtol=1e-6)
        np.testing.assert_allclose(boxes[i], b.numpy()[:, [1, 0, 3, 2]], rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(classes[i], c.numpy())


def test_decode_detections_per_class_filters_first_then_suppresses_within_classes():
    anchors = [[1.0, 1.0], [1.0, 1.0]]
    raw = np.full((1, 2, 2, 2 * 7), -9.0, "float32")  # every p_c ~ 0: nothing kept
    # cell (0, 0): its two anchors give the same box, of classes 0 and 1; cell (1, 1) a box of
    # class 0 with a score below the threshold: filtered out
    raw[0, 0, 0, :7] = [0, 0, 0, 0, 9, 9, -9]
    raw[0, 0, 0, 7:] = [0, 0, 0, 0, 2, -9, 9]
    raw[0, 1, 1, :7] = [0, 0, 0, 0, -1, 9, -9]
    per_class = decode_detections(raw, anchors, 2, (32, 32), 0.5, 0.5)
    agnostic = decode_detections(raw, anchors, 2, (32, 32), 0.5, 0.5, per_class=False)
    assert per_class[2][0].tolist() == [0, 1]  # both classes survive, best score first
    assert agnostic[2][0].tolist() == [0]  # across classes the better box suppresses the other
    np.testing.assert_allclose(per_class[0][0][0], [0, 0, 16, 16], atol=1e-4)  # xyxy pixels
    empty = decode_detections(raw, anchors, 2, (32, 32), 1.0)
    assert empty[0][0].shape == (0, 4) and empty[1][0].shape == (0,)


def test_decode_detections_refusals():
    raw = _random_raw()
    assert_refused(lambda: decode_detections(raw, [[1.0, 1.0]], 3, (64, 64)), "raw")
    assert_refused(lambda: decode_detections(raw[0], [[1.0, 1.0]] * 2, 3, (64, 64)), "raw")
    assert_refused(lambda: decode_detections(raw * 1e300, [[1, 1]] * 2, 3, (64, 64)), "raw")
    assert_refused(
        lambda: decode_detections(raw, [[1, 1]] * 2, 3, (64, 64), per_class="yes"), "per_class"
    )


def _tiny_shapes(n=64, seed=0):
    return make_shapes(n, image_size=32, max_objects=1, seed=seed)


def test_train_tiny_yolo_learns_and_is_reproducible():
    data = _tiny_shapes()
    anchors = [[1.5, 1.5], [2.5, 2.5]]
    kw = dict(filters=(4, 8), head_filters=8, epochs=3, batch_size=16, lr=5e-3, seed=3)
    model, history = train_tiny_yolo(data.images, data.boxes, data.class_ids, anchors, 3, **kw)
    assert model.output_shape == (None, 8, 8, 16)
    assert isinstance(model.loss, YoloLoss) and model.loss.probability_loss == "cross_entropy"
    assert model.loss.anchors == anchors
    loss = history.history["loss"]
    assert len(loss) == 3 and loss[-1] < loss[0]
    # the same seed gives the same weights; integer images are the same as floats in [0, 1]
    again, _ = train_tiny_yolo(data.images / 255.0, data.boxes, data.class_ids, anchors, 3, **kw)
    x = data.images[:4].astype("float32") / 255
    np.testing.assert_allclose(
        model.predict(x, verbose=0), again.predict(x, verbose=0), rtol=1e-4, atol=1e-4
    )
    # its targets are encode_targets': the loss of the trained model on them is Keras's
    y = np.stack(
        [
            encode_targets(b[c >= 0], c[c >= 0], anchors, (8, 8), 3, (32, 32))
            for b, c in zip(data.boxes, data.class_ids, strict=True)
        ]
    )
    assert model.evaluate(x, y[:4], verbose=0) == pytest.approx(
        float(np.mean(model.loss(y[:4], model.predict(x, verbose=0)))), rel=1e-4
    )


def test_train_tiny_yolo_refusals():
    data = _tiny_shapes(4)
    args = (data.boxes, data.class_ids, [[1.0, 1.0]], 3)
    assert_refused(lambda: train_tiny_yolo(data.images * 2.0, *args), "images")
    assert_refused(lambda: train_tiny_yolo(data.images[:0], *args), "images")
    assert_refused(lambda: train_tiny_yolo(data.images, data.boxes[:2], *args[1:]), "boxes")
    assert_refused(lambda: train_tiny_yolo(data.images, *args, epochs=10**6), "epochs")
    assert_refused(lambda: train_tiny_yolo(data.images, *args, filters=(2,) * 6), "images")
    assert_refused(
        lambda: train_tiny_yolo(data.images, *args, probability_loss="bce"), "probability_loss"
    )
