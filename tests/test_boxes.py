"""Tests of cvutils.boxes (formats, IoU) against loop references and the course's examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from refusals import assert_refused

from cvutils.boxes import (
    FORMATS,
    check_boxes,
    convert_boxes,
    iou,
    match_detections,
    pairwise_iou,
    to_pixels,
    to_relative,
)


def loop_iou(a, b):
    """IoU of two (x1, y1, x2, y2) boxes, written out by hand."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(x2 - x1, 0) * max(y2 - y1, 0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def random_xyxy(rng, n):
    lo = rng.uniform(0, 10, (n, 2))
    return np.concatenate([lo, lo + rng.uniform(0, 5, (n, 2))], axis=1)


def test_course_example_is_one_seventh():
    assert iou((2, 1, 4, 3), (1, 2, 3, 4)) == pytest.approx(1 / 7)


@pytest.mark.parametrize(
    "box2, name",
    [((3, 3, 4, 4), "disjoint"), ((2, 2, 3, 3), "vertex"), ((2, 1, 3, 2), "edge")],
)
def test_disjoint_and_touching_boxes_give_zero(box2, name):
    assert iou((1, 1, 2, 2), box2) == 0.0


def test_identical_and_zero_area_boxes():
    assert iou((0, 0, 2, 3), (0, 0, 2, 3)) == 1.0
    assert iou((1, 1, 1, 1), (1, 1, 1, 1)) == 0.0  # zero union: defined as 0


@pytest.mark.parametrize("seed", range(3))
def test_pairwise_iou_matches_loop(seed):
    rng = np.random.default_rng(seed)
    a, b = random_xyxy(rng, 7), random_xyxy(rng, 5)
    expected = np.array([[loop_iou(p, q) for q in b] for p in a])
    np.testing.assert_allclose(pairwise_iou(a, b), expected)
    # the corner order does not matter; center_xywh gives the same numbers
    np.testing.assert_allclose(
        pairwise_iou(a[:, [1, 0, 3, 2]], b[:, [1, 0, 3, 2]], "yxyx"), expected
    )
    ca, cb = convert_boxes(a, "xyxy", "center_xywh"), convert_boxes(b, "xyxy", "center_xywh")
    np.testing.assert_allclose(pairwise_iou(ca, cb, "center_xywh"), expected)
    assert iou(a[0], b[0]) == pytest.approx(expected[0, 0])
    assert pairwise_iou(a, np.zeros((0, 4))).shape == (7, 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**16), st.sampled_from(FORMATS), st.sampled_from(FORMATS))
def test_conversions_round_trip(seed, source, target):
    rng = np.random.default_rng(seed)
    xyxy = random_xyxy(rng, 6)
    boxes = convert_boxes(xyxy, "xyxy", source)
    back = convert_boxes(convert_boxes(boxes, source, target), target, "xyxy")
    np.testing.assert_allclose(back, xyxy, atol=1e-12)


def test_conversion_values_by_hand():
    xyxy = np.array([[1.0, 2.0, 5.0, 10.0]])
    np.testing.assert_array_equal(convert_boxes(xyxy, "xyxy", "yxyx"), [[2, 1, 10, 5]])
    np.testing.assert_array_equal(convert_boxes(xyxy, "xyxy", "center_xywh"), [[3, 6, 4, 8]])
    assert convert_boxes(np.zeros((0, 4)), "yxyx", "center_xywh").shape == (0, 4)


@pytest.mark.parametrize("fmt", FORMATS)
def test_relative_and_pixels(fmt):
    pixels = convert_boxes([[16.0, 8.0, 48.0, 32.0]], "xyxy", fmt)
    rel = to_relative(pixels, (64, 128, 3), fmt)
    np.testing.assert_allclose(
        convert_boxes(rel, fmt, "xyxy"), [[16 / 128, 8 / 64, 48 / 128, 32 / 64]]
    )
    np.testing.assert_allclose(to_pixels(rel, (64, 128), fmt), pixels)


def test_inputs_are_not_mutated():
    a = random_xyxy(np.random.default_rng(0), 4)
    a0 = a.copy()
    convert_boxes(a, "xyxy", "xyxy")[:] = 0
    to_relative(a, (10, 10))
    np.testing.assert_array_equal(a, a0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: iou((2, 0, 1, 1), (0, 0, 1, 1)), "x_max >= x_min"),
        (lambda: iou((0, 0, 1, 1, 1), (0, 0, 1, 1)), r"shape \(4\)"),
        (lambda: pairwise_iou([[0, 0, 1, 1]], [[0, 0, 1]]), r"boxes2 must be an array of shape"),
        (lambda: pairwise_iou([[0, 0, 1, np.nan]], [[0, 0, 1, 1]]), "finite"),
        (lambda: convert_boxes([[0, 0, -1, 1]], "center_xywh", "xyxy"), "width >= 0"),
        (lambda: convert_boxes([[0, 0, 1, 1]], "xyxy", "xywh"), "target must be one of"),
        (lambda: check_boxes("b", [[0, 3, 1, 1]], "yxyx"), "x_max >= x_min"),
        (lambda: to_relative([[0, 0, 1, 1]], (0, 5)), r"image_shape\[0\]"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- drawing (cvutils.draw)


def test_overlay_mask_blends_only_labelled_pixels():
    from cvutils.draw import overlay_mask

    image = np.full((3, 4, 3), 255, np.uint8)
    mask = np.zeros((3, 4), int)
    mask[1, 2] = 2
    out = overlay_mask(image, mask, alpha=0.25)
    assert out.shape == (3, 4, 3) and image.max() == 255  # input untouched
    np.testing.assert_allclose(out[0, 0], 1.0)
    import matplotlib

    tint = np.array(matplotlib.colormaps["tab10"](1)[:3])
    np.testing.assert_allclose(out[1, 2], 0.75 + 0.25 * tint)
    with pytest.raises(ValueError, match="mask"):
        overlay_mask(image, np.zeros((2, 2), int))


def test_draw_boxes_draws_one_patch_per_box():
    import matplotlib.patches as mpatches

    from cvutils.draw import draw_boxes

    boxes = np.array([[1.0, 2.0, 5.0, 7.0], [0.0, 0.0, 3.0, 3.0]])
    ax = draw_boxes(
        np.zeros((10, 10)),
        boxes,
        class_ids=[0, 1],
        class_names=["a", "b"],
        scores=[0.9, 0.5],
        keypoints=np.ones((2, 3, 2)),
    )
    rects = [p for p in ax.patches if isinstance(p, mpatches.Rectangle)]
    assert len(rects) == 2 and rects[0].get_width() == 4 and rects[0].get_height() == 5
    assert [t.get_text() for t in ax.texts] == ["a 0.90", "b 0.50"]
    yx = draw_boxes(np.zeros((10, 10)), boxes[:, [1, 0, 3, 2]], "yxyx")
    assert yx.patches[0].get_width() == 4
    with pytest.raises(ValueError, match="x_max >= x_min"):
        draw_boxes(np.zeros((4, 4)), [[3, 0, 1, 1]])


# Regression tests for what the bad-input sweep found.
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: convert_boxes([[0, 0, 1, 1]], "abc", "xyxy"), "source"),
        (lambda: to_pixels([[0, 0, 1, 1]], None), "image_shape"),
        (lambda: to_relative([[0, 0, 1, 1]], np.array(np.nan)), "image_shape"),
        (lambda: to_relative([[0, 0, 1, 1]], (2, 3, 4, 5)), "image_shape"),
    ],
)
def test_sweep_regressions_are_refused_by_name(call, name):
    assert_refused(call, name)


def test_image_shape_may_be_an_array_or_include_channels():
    boxes = [[0.0, 0.0, 15.0, 10.0]]
    np.testing.assert_allclose(to_relative(boxes, np.array([20, 30, 3])), [[0, 0, 0.5, 0.5]])


def test_draw_refuses_empty_images_foreign_names_and_axes():
    from cvutils.draw import draw_boxes, overlay_mask

    assert_refused(lambda: overlay_mask(np.zeros((0, 4)), np.zeros((0, 4), int)), "image")
    assert_refused(
        lambda: draw_boxes(np.zeros((4, 4)), [[0, 0, 1, 1]], class_names=3), "class_names"
    )
    assert_refused(lambda: draw_boxes(np.zeros((4, 4)), [[0, 0, 1, 1]], ax="axes"), "ax")


def test_draw_boxes_draws_an_empty_class_name_without_a_label():
    import matplotlib.pyplot as plt

    from cvutils import draw

    fig, ax = plt.subplots()
    draw.draw_boxes(
        np.zeros((8, 8)),
        [[1, 1, 4, 4], [2, 2, 6, 6]],
        class_ids=[0, 1],
        class_names=["a", ""],
        ax=ax,
    )
    assert [t.get_text() for t in ax.texts] == ["a"]
    plt.close(fig)


# --- match_detections: the one matching rule (IoU >= threshold, best score first)


def loop_match(pred, true, scores, threshold):
    """The greedy matching written out with `loop_iou`: best score first, each detection
    takes the free true box it overlaps most when that IoU is at least the threshold."""
    order = sorted(range(len(pred)), key=lambda k: -scores[k])  # sorted is stable
    taken, tp = set(), [False] * len(pred)
    for k in order:
        ious = [loop_iou(pred[k], t) for t in true]
        if not ious:
            continue
        best = max(range(len(true)), key=lambda j: (ious[j], -j))  # first of equal IoUs
        if ious[best] >= threshold and best not in taken:
            taken.add(best)
            tp[k] = True
    return tp


@pytest.mark.parametrize("seed", range(6))
def test_match_detections_matches_a_loop(seed):
    rng = np.random.default_rng(seed)
    true = rng.uniform(0, 50, (5, 2))
    true = np.concatenate([true, true + rng.uniform(5, 20, (5, 2))], axis=1)
    # detections: jittered copies of the truth (some twice) and a few random boxes
    pred = np.concatenate([true[rng.integers(0, 5, 8)] + rng.normal(0, 3, (8, 4)), true[:2]])
    pred = np.concatenate(
        [np.minimum(pred[:, :2], pred[:, 2:]), np.maximum(pred[:, :2], pred[:, 2:])], 1
    )
    scores = rng.uniform(0, 1, len(pred))
    for threshold in (0.3, 0.5, 0.7):
        expected = loop_match(pred.tolist(), true.tolist(), scores.tolist(), threshold)
        np.testing.assert_array_equal(match_detections(pred, true, scores, threshold), expected)


def test_match_detections_counts_an_iou_equal_to_the_threshold():
    truth = [[0, 0, 10, 10]]
    half = [[0, 0, 10, 5]]  # IoU 50 / 100 = 0.5 exactly
    assert iou(half[0], truth[0]) == 0.5
    assert match_detections(half, truth).tolist() == [True]  # >= 0.5: a match (VOC, course)
    assert match_detections(half, truth, iou_threshold=0.5 + 1e-9).tolist() == [False]
    assert match_detections(truth, truth, iou_threshold=1.0).tolist() == [True]


def test_match_detections_duplicates_order_and_formats():
    truth = [[0, 0, 10, 10]]
    pred = [[1, 0, 11, 10], [0, 0, 10, 10]]
    # the better score takes the box; the other is a duplicate, a false positive
    assert match_detections(pred, truth, [0.2, 0.9]).tolist() == [False, True]
    assert match_detections(pred, truth).tolist() == [True, False]  # no scores: given order
    yxyx = np.array(pred, float)[:, [1, 0, 3, 2]]
    assert match_detections(yxyx, [[0, 0, 10, 10]], [0.2, 0.9], fmt="yxyx").tolist() == [
        False,
        True,
    ]
    assert match_detections(np.zeros((0, 4)), truth).shape == (0,)
    assert match_detections(pred, np.zeros((0, 4))).tolist() == [False, False]


def test_match_detections_refusals():
    truth = [[0, 0, 10, 10]]
    assert_refused(lambda: match_detections(truth, truth, iou_threshold=1.5), "iou_threshold")
    assert_refused(lambda: match_detections(truth, truth, scores=[0.5, 0.2]), "scores")
    assert_refused(lambda: match_detections([[3, 0, 1, 2]], truth), "pred_boxes")
    assert_refused(lambda: match_detections(truth, [[0, 0, 1]]), "true_boxes")


def test_sliding_and_yolo_use_the_one_rule():
    from cvutils import sliding, yolo

    assert sliding.match_detections is match_detections
    # a detection at IoU exactly 0.5 is a true positive for mAP too
    gt, half = [np.array([[0.0, 0, 10, 10]])], [np.array([[0.0, 0, 10, 5]])]
    curves = yolo.precision_recall_curves(half, [[0.9]], [[0]], gt, [[0]])
    assert curves[0]["tp"].tolist() == [1]
    assert yolo.mean_average_precision(half, [[0.9]], [[0]], gt, [[0]])[0] == 1.0
