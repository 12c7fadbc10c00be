"""Tests of cvutils.yolo against loop references, the course's tests and brute-force AP."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from refusals import assert_refused

from cvutils.boxes import pairwise_iou
from cvutils.nms import non_max_suppression
from cvutils.yolo import (
    LocalizationLoss,
    YoloLoss,
    anchor_iou,
    average_precision,
    encode_targets,
    kmeans_anchors,
    mean_average_precision,
    mean_best_iou,
    scale_boxes,
    yolo_boxes_to_corners,
    yolo_eval,
    yolo_filter_boxes,
    yolo_head,
    yolo_non_max_suppression,
)

ANCHORS = np.array([[0.57273, 0.677385], [1.87446, 2.06253], [3.33843, 5.47434]])


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def loop_head(feats, anchors, num_classes):
    """yolo_head written cell by cell: x offset by the column, y by the row."""
    b, s_h, s_w = feats.shape[:3]
    f = feats.reshape(b, s_h, s_w, len(anchors), num_classes + 5).astype(np.float64)
    xy, wh = np.zeros((*f.shape[:4], 2)), np.zeros((*f.shape[:4], 2))
    conf, probs = np.zeros((*f.shape[:4], 1)), np.zeros((*f.shape[:4], num_classes))
    for n, i, j, a in itertools.product(range(b), range(s_h), range(s_w), range(len(anchors))):
        t = f[n, i, j, a]
        xy[n, i, j, a] = [(sigmoid(t[0]) + j) / s_w, (sigmoid(t[1]) + i) / s_h]
        wh[n, i, j, a] = [np.exp(t[2]) * anchors[a, 0] / s_w, np.exp(t[3]) * anchors[a, 1] / s_h]
        conf[n, i, j, a] = sigmoid(t[4])
        e = np.exp(t[5:] - t[5:].max())
        probs[n, i, j, a] = e / e.sum()
    return xy, wh, conf, probs


def yad2k_head(feats, anchors, num_classes):
    """YAD2K's keras_yolo.yolo_head transcribed op for op (valid on square grids)."""
    n_a = len(anchors)
    anchors_tensor = tf.reshape(tf.constant(anchors, tf.float32), [1, 1, 1, n_a, 2])
    conv_dims = tf.shape(feats)[1:3]
    h_idx = tf.tile(tf.range(conv_dims[0]), [conv_dims[1]])
    w_idx = tf.tile(tf.expand_dims(tf.range(conv_dims[1]), 0), [conv_dims[0], 1])
    w_idx = tf.reshape(tf.transpose(w_idx), [-1])
    conv_index = tf.transpose(tf.stack([h_idx, w_idx]))
    conv_index = tf.cast(tf.reshape(conv_index, [1, conv_dims[0], conv_dims[1], 1, 2]), tf.float32)
    feats = tf.reshape(feats, [-1, conv_dims[0], conv_dims[1], n_a, num_classes + 5])
    conv_dims = tf.cast(tf.reshape(conv_dims, [1, 1, 1, 1, 2]), tf.float32)
    box_xy = (tf.sigmoid(feats[..., :2]) + conv_index) / conv_dims
    box_wh = tf.exp(feats[..., 2:4]) * anchors_tensor / conv_dims
    return box_xy, box_wh, tf.sigmoid(feats[..., 4:5]), tf.nn.softmax(feats[..., 5:])


@pytest.mark.parametrize("grid, rank5", [((3, 3), False), ((2, 4), False), ((4, 3), True)])
def test_yolo_head_matches_loop(grid, rank5):
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(2, *grid, 3 * 7)).astype(np.float32)
    inp = feats.reshape(2, *grid, 3, 7) if rank5 else feats
    got = yolo_head(tf.constant(inp), ANCHORS, 2)
    for g, e in zip(got, loop_head(feats, ANCHORS, 2), strict=True):
        assert isinstance(g, tf.Tensor)
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-6)


def test_yolo_head_equals_yad2k_on_square_grids():
    feats = tf.random.stateless_normal((1, 19, 19, 5 * 85), seed=(1, 2))
    anchors = np.vstack([ANCHORS, [[9.77052, 9.16828], [7.0, 3.0]]])
    for g, e in zip(yolo_head(feats, anchors, 80), yad2k_head(feats, anchors, 80), strict=True):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)


def test_boxes_to_corners_and_scale():
    xy, wh = tf.constant([[[0.5, 0.25]]]), tf.constant([[[0.2, 0.1]]])
    corners = yolo_boxes_to_corners(xy, wh)
    assert isinstance(corners, tf.Tensor) and corners.shape == (1, 1, 4)  # one tensor
    np.testing.assert_allclose(corners.numpy(), [[[0.2, 0.4, 0.3, 0.6]]])
    np.testing.assert_allclose(
        scale_boxes(corners[0], (720, 1280)).numpy(), [[144, 512, 216, 768]], rtol=1e-6
    )


def course_filter_inputs():
    tf.random.set_seed(10)
    box_confidence = tf.random.normal([19, 19, 5, 1], mean=1, stddev=4, seed=1)
    boxes = tf.random.normal([19, 19, 5, 4], mean=1, stddev=4, seed=1)
    box_class_probs = tf.random.normal([19, 19, 5, 80], mean=1, stddev=4, seed=1)
    return boxes, box_confidence, box_class_probs


def test_yolo_filter_boxes_course_test_and_loop():
    boxes, conf, probs = course_filter_inputs()
    scores, kept, classes = yolo_filter_boxes(boxes, conf, probs, threshold=0.5)
    assert all(isinstance(t, tf.Tensor) for t in (scores, kept, classes))
    b, c, p = (t.numpy().reshape(-1, t.shape[-1]) for t in (boxes, conf, probs))
    ref_s, ref_b, ref_c = [], [], []
    for row in range(len(b)):  # plain loop reference, row-major order
        box_scores = c[row, 0] * p[row]
        best = int(np.argmax(box_scores))
        if box_scores[best] >= 0.5:
            ref_s.append(box_scores[best])
            ref_b.append(b[row])
            ref_c.append(best)
    assert scores.shape == (len(ref_s),) and kept.shape == (len(ref_s), 4)
    assert classes.shape == (len(ref_s),) and classes.dtype == tf.int64
    np.testing.assert_allclose(scores.numpy(), ref_s, rtol=1e-6)
    np.testing.assert_array_equal(kept.numpy(), ref_b)
    np.testing.assert_array_equal(classes.numpy(), ref_c)
    if scores.shape != (1789,):
        pytest.skip("this TensorFlow draws other random numbers than the course's")
    # the course's public test (its expected numbers)
    assert np.isclose(scores[2], 9.270486)
    np.testing.assert_allclose(kept[2], [4.6399336, 3.2303846, 4.431282, -2.202031], rtol=1e-6)
    assert classes[2] == 8


def test_yolo_non_max_suppression_course_test_and_numpy_nms():
    tf.random.set_seed(10)
    scores = tf.random.normal([54], mean=1, stddev=4, seed=1)
    boxes = tf.random.normal([54, 4], mean=1, stddev=4, seed=1)
    classes = tf.random.normal([54], mean=1, stddev=4, seed=1)
    s, b, c = yolo_non_max_suppression(scores, boxes, classes)
    assert s.shape == (10,) and b.shape == (10, 4) and c.shape == (10,)
    # the course's random boxes have unordered corners; tf sorts them, so do we first
    bb = boxes.numpy()
    ordered = np.concatenate(
        [np.minimum(bb[:, :2], bb[:, 2:]), np.maximum(bb[:, :2], bb[:, 2:])], 1
    )
    keep = non_max_suppression(ordered, scores.numpy(), 10, 0.5)
    np.testing.assert_array_equal(s.numpy(), scores.numpy()[keep])
    np.testing.assert_array_equal(b.numpy(), bb[keep])
    np.testing.assert_array_equal(c.numpy(), classes.numpy()[keep])
    if not np.isclose(s[2], 8.147684):
        pytest.skip("this TensorFlow draws other random numbers than the course's")
    np.testing.assert_allclose(b[2], [6.0797963, 3.743308, 1.3914018, -0.34089637], rtol=1e-6)
    assert np.isclose(c[2], 1.7079165)


def test_yolo_eval_course_test_and_composition():
    tf.random.set_seed(10)
    outputs = (
        tf.random.normal([19, 19, 5, 2], mean=1, stddev=4, seed=1),
        tf.random.normal([19, 19, 5, 2], mean=1, stddev=4, seed=1),
        tf.random.normal([19, 19, 5, 1], mean=1, stddev=4, seed=1),
        tf.random.normal([19, 19, 5, 80], mean=1, stddev=4, seed=1),
    )
    scores, boxes, classes = yolo_eval(outputs)
    assert scores.shape == (10,) and boxes.shape == (10, 4) and classes.shape == (10,)
    corners = yolo_boxes_to_corners(outputs[0], outputs[1])
    s, b, c = yolo_filter_boxes(corners, outputs[2], outputs[3], 0.6)
    s, b, c = yolo_non_max_suppression(s, scale_boxes(b, (720, 1280)), c, 10, 0.5)
    np.testing.assert_array_equal(scores.numpy(), s.numpy())
    np.testing.assert_array_equal(boxes.numpy(), b.numpy())
    if not np.isclose(scores[2], 171.60194):
        pytest.skip("this TensorFlow draws other random numbers than the course's")
    np.testing.assert_allclose(boxes[2], [-1240.3483, -3212.5881, -645.78, 2024.3052], rtol=1e-6)
    assert classes[2] == 16


# ---------------------------------------------------------------- targets and anchors


def test_course_target_shapes():
    y = encode_targets(np.zeros((0, 4)), [], [[1, 1], [2, 2]], (3, 3), 3, (96, 96))
    assert y.shape == (3, 3, 2, 8) and y.reshape(3, 3, -1).shape == (3, 3, 16) and not y.any()
    y = encode_targets([[0, 0, 32, 32]], [79], ANCHORS[[0, 1, 2, 0, 1]], (19, 19), 80, (608, 608))
    assert y.shape == (19, 19, 5, 85) and y.size == 19 * 19 * 5 * 85 == 153_425
    assert y.reshape(19, 19, 425).shape == (19, 19, 425)


def test_course_box_example():
    # a 3x3 grid on a 300x300 image: cells of 100 px; the midpoint sits in row 1, column 2
    box = [[240 - 40, 130 - 45, 240 + 40, 130 + 45]]  # w = 80, h = 90 pixels
    y = encode_targets(box, [1], [[1.0, 1.0]], (3, 3), 3, (300, 300))
    np.testing.assert_allclose(y[1, 2, 0], [1, 0.4, 0.3, 0.9, 0.8, 0, 1, 0], rtol=1e-6)
    assert y.sum() == pytest.approx(y[1, 2, 0].sum())


def test_encode_targets_matches_loop():
    rng = np.random.default_rng(3)
    anchors = np.array([[1.0, 1.0], [3.0, 1.0], [1.0, 3.0]])
    xy = rng.uniform(0, 120, (12, 2))
    wh = rng.uniform(4, 60, (12, 2))
    boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1)
    cls = rng.integers(0, 4, 12)
    y = encode_targets(boxes, cls, anchors, (4, 6), 4, (120, 120, 3))
    expected = np.zeros_like(y)
    cw, ch = 120 / 6, 120 / 4
    for (cx, cy), (w, h), k in zip(xy, wh, cls, strict=True):
        i, j = int(cy // ch), int(cx // cw)
        ious = [min(w / cw, aw) * min(h / ch, ah) for aw, ah in anchors]
        ious = [
            v / (w * h / cw / ch + aw * ah - v) for v, (aw, ah) in zip(ious, anchors, strict=True)
        ]
        a = int(np.argmax(ious))
        if expected[i, j, a, 0] == 0:
            expected[i, j, a, :5] = [1, cx / cw - j, cy / ch - i, h / ch, w / cw]
            expected[i, j, a, 5 + k] = 1
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_anchor_iou_and_kmeans():
    np.testing.assert_allclose(anchor_iou([[2, 1]], [[1, 2], [2, 1]]), [[1 / 3, 1]])
    rng = np.random.default_rng(0)
    centres = np.array([[1.0, 1.0], [4.0, 1.5], [2.0, 6.0]])
    wh = np.vstack([c * rng.uniform(0.9, 1.1, (40, 2)) for c in centres])
    anchors = kmeans_anchors(wh, 3, seed=1)
    np.testing.assert_allclose(anchors, centres, rtol=0.1)
    np.testing.assert_array_equal(anchors, kmeans_anchors(wh, 3, seed=1))  # deterministic
    hand = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert mean_best_iou(wh, anchors) > mean_best_iou(wh, hand) + 0.1


# ---------------------------------------------------------------- losses


def loop_yolo_loss(y_true, y_pred, anchors, num_classes, l_coord=5.0, l_noobj=0.5, bce=False):
    y_true = y_true.reshape(y_true.shape[0], -1, num_classes + 5).astype(np.float64)
    y_pred = y_pred.reshape(y_pred.shape[0], -1, num_classes + 5).astype(np.float64)
    n_a = len(anchors)
    total = np.zeros(len(y_true))
    for n in range(len(y_true)):
        for s in range(y_true.shape[1]):
            t, p, a = y_true[n, s], y_pred[n, s], anchors[s % n_a]
            conf = sigmoid(p[4])
            if t[0] == 1:
                w_hat, h_hat = np.exp(p[2]) * a[0], np.exp(p[3]) * a[1]
                coord = (t[1] - sigmoid(p[0])) ** 2 + (t[2] - sigmoid(p[1])) ** 2
                coord += (np.sqrt(t[4]) - np.sqrt(w_hat)) ** 2 + (
                    np.sqrt(t[3]) - np.sqrt(h_hat)
                ) ** 2
                e = np.exp(p[5:] - p[5:].max())
                c = e / e.sum()
                if bce:  # -log of the probability given to what the target says
                    probs = -np.log(conf) - np.sum(t[5:] * np.log(c) + (1 - t[5:]) * np.log(1 - c))
                else:
                    probs = (1 - conf) ** 2 + np.sum((t[5:] - c) ** 2)
                total[n] += l_coord * coord + probs
            else:
                total[n] += l_noobj * (-np.log(1 - conf) if bce else conf**2)
    return total


def random_targets(rng, batch=2, grid=(3, 2), anchors=ANCHORS, num_classes=3):
    ys = []
    for _ in range(batch):
        xy = rng.uniform(5, 55, (4, 2))
        wh = rng.uniform(5, 40, (4, 2))
        boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1)
        ys.append(
            encode_targets(
                boxes, rng.integers(0, num_classes, 4), anchors, grid, num_classes, (60, 60)
            )
        )
    return np.stack(ys)


def test_yolo_loss_matches_loop_and_serializes():
    rng = np.random.default_rng(1)
    y_true = random_targets(rng)
    y_pred = rng.normal(size=(2, 3, 2, 3 * 8)).astype(np.float32)
    loss = YoloLoss(ANCHORS, 3, lambda_coord=4.0, lambda_noobj=0.25)
    expected = loop_yolo_loss(y_true, y_pred, ANCHORS, 3, 4.0, 0.25)
    assert float(loss(y_true, y_pred)) == pytest.approx(expected.mean(), rel=1e-5)
    assert float(loss(y_true.reshape(2, 3, 2, 24), y_pred.reshape(2, 3, 2, 3, 8))) == pytest.approx(
        expected.mean(), rel=1e-5
    )
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(again, YoloLoss) and again.get_config() == loss.get_config()
    assert float(again(y_true, y_pred)) == pytest.approx(expected.mean(), rel=1e-5)
    with tf.GradientTape() as tape:
        p = tf.Variable(y_pred)
        value = loss(y_true, p)
    assert np.isfinite(tape.gradient(value, p).numpy()).all()


def test_yolo_loss_cross_entropy_matches_loop_and_serializes():
    rng = np.random.default_rng(2)
    y_true = random_targets(rng)
    y_pred = rng.normal(size=(2, 3, 2, 3 * 8)).astype(np.float32)
    loss = YoloLoss(
        ANCHORS, 3, lambda_coord=4.0, lambda_noobj=0.25, probability_loss="cross_entropy"
    )
    expected = loop_yolo_loss(y_true, y_pred, ANCHORS, 3, 4.0, 0.25, bce=True)
    assert float(loss(y_true, y_pred)) == pytest.approx(expected.mean(), rel=1e-5)
    squared = loop_yolo_loss(y_true, y_pred, ANCHORS, 3, 4.0, 0.25)
    assert not np.allclose(expected, squared)  # the option changes the loss
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert again.probability_loss == "cross_entropy"
    assert float(again(y_true, y_pred)) == pytest.approx(expected.mean(), rel=1e-5)
    # confident logits stay finite (the logs are taken of the logits, not of rounded
    # probabilities) and keep finite gradients
    big = y_pred.reshape(2, 3, 2, 3, 8).copy()
    big[..., 4:] *= 40  # objectness and class logits only
    big = big.reshape(y_pred.shape)
    with tf.GradientTape() as tape:
        p = tf.Variable(big)
        value = loss(y_true, p)
    assert np.isfinite(float(value)) and np.isfinite(tape.gradient(value, p).numpy()).all()
    assert float(value) > 10 * float(loss(y_true, y_pred))  # confident mistakes cost more
    assert_refused(lambda: YoloLoss(ANCHORS, 3, probability_loss="bce"), "probability_loss")


def test_yolo_loss_in_a_saved_model(tmp_path):
    inp = keras.Input((6, 6, 3))
    out = keras.layers.Conv2D(2 * 7, 3, strides=3, padding="same")(inp)
    model = keras.Model(inp, out)
    model.compile(optimizer="sgd", loss=YoloLoss([[1.0, 1.0], [2.0, 1.0]], 2))
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype("float32")
    y = random_targets(
        np.random.default_rng(0), grid=(2, 2), anchors=[[1.0, 1.0], [2.0, 1.0]], num_classes=2
    )
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.loss, YoloLoss) and loaded.loss.anchors == [[1.0, 1.0], [2.0, 1.0]]
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-5
    )


# ---------------------------------------------------------------- mAP


def brute_force_ap(tp_flags, n_pos):
    """AP = mean over ground truths of the best precision at or after the rank recalling it."""
    tp_flags = np.asarray(tp_flags, float)
    prec = np.cumsum(tp_flags) / np.arange(1, len(tp_flags) + 1)
    return sum(prec[k:].max() for k in range(len(tp_flags)) if tp_flags[k]) / n_pos


def brute_force_map(pb, ps, pc, tb, tc, thr=0.5):
    aps = {}
    for k in sorted({int(c) for t in tc for c in t}):
        dets = sorted(
            (-ps[i][j], i, j) for i in range(len(pb)) for j in range(len(pb[i])) if pc[i][j] == k
        )
        used = set()
        flags = []
        for _, i, j in dets:
            gts = [g for g in range(len(tb[i])) if tc[i][g] == k]
            ious = [pairwise_iou(pb[i][j : j + 1], tb[i][g : g + 1])[0, 0] for g in gts]
            hit = False
            if ious:
                g = gts[int(np.argmax(ious))]
                if max(ious) > thr and (i, g) not in used:
                    used.add((i, g))
                    hit = True
            flags.append(hit)
        n_pos = sum(int(c == k) for t in tc for c in t)
        aps[k] = brute_force_ap(flags, n_pos) if flags else 0.0
    return np.mean(list(aps.values())), aps


def test_average_precision_hand_cases():
    assert average_precision([1.0], [1.0]) == 1.0
    assert average_precision([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]) == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert average_precision([0.0, 0.5], [0.0, 0.5]) == pytest.approx(0.25)


def test_map_hand_case():
    tb = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([[0, 0, 5, 5]])]
    tc = [np.array([0, 1]), np.array([0])]
    pb = [np.array([[0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30]]), np.array([[0, 0, 5, 5]])]
    ps = [np.array([0.9, 0.8, 0.3]), np.array([0.5])]
    pc = [np.array([0, 0, 1]), np.array([0])]
    # class 0: TP (0.9), FP duplicate (0.8), TP (0.5): precisions 1, 1/2, 2/3 -> AP 1/2 + 1/2 * 2/3
    m, aps = mean_average_precision(pb, ps, pc, tb, tc)
    assert aps == pytest.approx({0: 0.5 + 1 / 3, 1: 1.0})
    assert m == pytest.approx((0.5 + 1 / 3 + 1) / 2)


@pytest.mark.parametrize("seed", range(5))
def test_map_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    pb, ps, pc, tb, tc = [], [], [], [], []
    for _ in range(3):
        m, n = rng.integers(0, 4), rng.integers(0, 6)
        gt = rng.uniform(0, 20, (m, 2)).round()
        tb.append(np.concatenate([gt, gt + rng.uniform(2, 8, (m, 2)).round()], 1))
        tc.append(rng.integers(0, 3, m))
        src = tb[-1][rng.integers(0, max(m, 1), n)] if m else np.zeros((n, 4))
        jitter = rng.integers(-2, 3, (n, 4)).astype(float)
        p = src + jitter
        p[:, 2:] = np.maximum(p[:, 2:], p[:, :2])
        pb.append(p)
        ps.append(rng.integers(0, 5, n) / 4)  # ties
        pc.append(rng.integers(0, 3, n))
    if not any(len(t) for t in tb):
        tb[0], tc[0] = np.array([[0.0, 0, 5, 5]]), np.array([1])
    m, aps = mean_average_precision(pb, ps, pc, tb, tc)
    em, eaps = brute_force_map(pb, ps, pc, tb, tc)
    assert aps == pytest.approx(eaps) and m == pytest.approx(em)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: yolo_head(tf.zeros((1, 3, 3, 15)), ANCHORS, 3), "last dimension is 24"),
        (lambda: yolo_head(tf.zeros((1, 3, 3, 24)), [[1, 1, 1]], 3), r"anchors must be"),
        (lambda: yolo_head(tf.zeros((1, 3, 3, 24)), [[1, -1]] * 3, 3), "positive"),
        (lambda: yolo_head(tf.zeros((3, 24)), ANCHORS, 3), "rank-4 or rank-5"),
        (lambda: yolo_boxes_to_corners(tf.zeros((2, 3)), tf.zeros((2, 2))), "box_xy"),
        (lambda: scale_boxes(tf.zeros((2, 4)), (0, 3)), "image_shape"),
        (
            lambda: yolo_filter_boxes(tf.zeros((2, 4)), tf.zeros((2, 1)), tf.zeros((3, 5))),
            "same leading",
        ),
        (
            lambda: yolo_filter_boxes(tf.zeros((2, 4)), tf.zeros((2, 1)), tf.zeros((2, 5)), -0.1),
            "threshold",
        ),
        (
            lambda: yolo_non_max_suppression(tf.zeros(2), tf.zeros((2, 4)), tf.zeros(2), 3, -0.5),
            "iou_threshold",
        ),
        (lambda: yolo_non_max_suppression(tf.zeros(2), tf.zeros((2, 3)), tf.zeros(2)), "boxes"),
        (lambda: encode_targets([[0, 0, 5, 5]], [0], [[1, 1]], (7, 7), 2, (64, 64)), "divides"),
        (
            lambda: encode_targets([[5, 0, 0, 5]], [0], [[1, 1]], (2, 2), 2, (64, 64)),
            "x_max >= x_min",
        ),
        (lambda: encode_targets([[0, 0, 5, 5]], [2], [[1, 1]], (2, 2), 2, (64, 64)), "class_ids"),
        (lambda: encode_targets([[0, 0, 5, 5]], [0], [[1, 1]], (2, 2), 2, (64, 64), "xywh"), "fmt"),
        (lambda: kmeans_anchors([[1, 1], [1, 1]], 2), "distinct"),
        (
            lambda: YoloLoss([[1, 1]], 2)(np.zeros((1, 2, 2, 6)), np.zeros((1, 2, 2, 6))),
            "last axis",
        ),
        (
            lambda: mean_average_precision(
                [np.zeros((1, 4))], [[np.nan]], [[0]], [np.zeros((0, 4))], [[]]
            ),
            "finite",
        ),
        (lambda: mean_average_precision([], [], [], [np.zeros((0, 4))], [[]]), "same length"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_empty_sets_are_valid():
    s, b, c = yolo_filter_boxes(tf.zeros((0, 4)), tf.zeros((0, 1)), tf.zeros((0, 3)))
    assert s.shape == (0,) and b.shape == (0, 4)
    s, b, c = yolo_non_max_suppression(tf.zeros(0), tf.zeros((0, 4)), tf.zeros(0))
    assert s.shape == (0,)
    m, aps = mean_average_precision(
        [np.zeros((0, 4))], [[]], [[]], [np.array([[0, 0, 1, 1]])], [[0]]
    )
    assert m == 0.0 and aps == {0: 0.0}


# Regression tests for what the bad-input sweep found.
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: yolo_head("abc", ANCHORS, 3), "feats"),
        (lambda: yolo_boxes_to_corners(None, tf.zeros((2, 2))), "box_xy"),
        (lambda: yolo_boxes_to_corners(tf.zeros((3, 2)), tf.zeros((2, 2))), "box_wh"),
        (lambda: scale_boxes("abc", (720, 1280)), "boxes"),
        (lambda: scale_boxes(tf.zeros((2, 4)), None), "image_shape"),
        (lambda: yolo_filter_boxes(None, tf.zeros((2, 1)), tf.zeros((2, 5))), "boxes"),
        (
            lambda: yolo_non_max_suppression(tf.zeros(2), tf.zeros((3, 4)), tf.zeros(3)),
            "scores, boxes and classes",
        ),
        (
            lambda: yolo_non_max_suppression(tf.zeros(3), tf.zeros((3, 4)), [0, 1, 2], 2**31),
            "max_boxes",
        ),
        (lambda: yolo_eval((tf.zeros((2, 2)),) * 4, score_threshold=None), "score_threshold"),
        (lambda: yolo_eval((tf.zeros((2, 2)),) * 4, image_shape=np.array(1.0)), "image_shape"),
        (
            lambda: encode_targets([[0, 0, 2, 2]], [0], ANCHORS, (3, 3), 2**31, (9, 9)),
            "num_classes",
        ),
        (lambda: encode_targets([[0, 0, 2, 2]], [0], ANCHORS, None, 3, (9, 9)), "grid_shape"),
        (lambda: anchor_iou([[1e300, 1.0]], ANCHORS), "wh"),
        (lambda: kmeans_anchors(np.full((4, 2), 1e300), 2), "wh"),
        (lambda: mean_best_iou(np.zeros((0, 2)), ANCHORS), "wh"),
        (lambda: YoloLoss(ANCHORS * 1e300, 3), "anchors"),
        (lambda: YoloLoss(ANCHORS, 3, lambda_coord=1e300), "lambda_coord"),
        (lambda: YoloLoss(ANCHORS, 3)(None, np.zeros((1, 2, 2, 24), "float32")), "y_true"),
        (
            lambda: YoloLoss(ANCHORS, 3)(np.float32(1.0), np.zeros((1, 2, 2, 24), "float32")),
            "y_true",
        ),
        (lambda: LocalizationLoss()("abc", np.zeros((2, 8), "float32")), "y_true"),
        (
            lambda: LocalizationLoss()(np.zeros((2, 8), "float32"), np.zeros((3, 8), "float32")),
            "y_pred",
        ),
    ],
)
def test_sweep_regressions_are_refused_by_name(call, name):
    assert_refused(call, name)
