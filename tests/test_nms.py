"""Tests of cvutils.nms: identical kept indices to tf.image.non_max_suppression."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvutils import nms
from cvutils.nms import non_max_suppression, per_class_non_max_suppression


def tf_nms(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=-np.inf):
    boxes = tf.constant(np.asarray(boxes, np.float32).reshape(-1, 4))
    scores = tf.constant(np.asarray(scores, np.float32))
    return tf.image.non_max_suppression(
        boxes, scores, max_output_size, iou_threshold, float(score_threshold)
    ).numpy()


def random_set(rng, n, span=100.0, size=(1.0, 30.0), grid=None):
    centre = rng.uniform(0, span, (n, 2))
    wh = rng.uniform(*size, (n, 2))
    boxes = np.concatenate([centre - wh / 2, centre + wh / 2], axis=1)
    scores = rng.uniform(0, 1, n)
    if grid:  # integer coordinates and few distinct scores: many exact ties
        boxes = np.round(boxes / grid) * grid
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2])
        scores = np.round(scores * 4) / 4
    return boxes.astype(np.float32), scores.astype(np.float32)


@pytest.fixture(params=["sweep", "plain"])
def path(request, monkeypatch):
    """Run every comparison through the pair sweep and through the plain greedy loop."""
    if request.param == "plain":
        monkeypatch.setattr(nms, "_PAIR_BUDGET", -1)
    if request.param == "sweep":
        monkeypatch.setattr(nms, "_CHUNK", 7)  # many tiny chunks
    return request.param


@pytest.mark.parametrize("n", [1, 2, 10, 200])
@pytest.mark.parametrize("iou_threshold", [0.0, 0.3, 0.5, 0.7, 1.0])
@pytest.mark.parametrize("grid", [None, 5])
def test_random_sets_match_tensorflow(path, n, iou_threshold, grid):
    rng = np.random.default_rng(n + int(iou_threshold * 10) + (grid or 0))
    boxes, scores = random_set(rng, n, grid=grid)
    for max_out in (n, max(n // 3, 1)):
        np.testing.assert_array_equal(
            non_max_suppression(boxes, scores, max_out, iou_threshold),
            tf_nms(boxes, scores, max_out, iou_threshold),
        )


ADVERSARIAL = {
    "identical boxes, equal scores": ([[0, 0, 1, 1]] * 5, [0.5] * 5),
    "identical boxes, rising scores": ([[0, 0, 1, 1]] * 4, [0.1, 0.2, 0.3, 0.4]),
    "iou exactly 0.5": ([[0, 0, 2, 1], [0, 0, 1, 1], [0, 1, 1, 2]], [0.9, 0.8, 0.7]),
    "zero-area boxes": (
        [[1, 1, 1, 1], [0, 0, 2, 2], [1, 1, 1, 1], [0, 0, 0, 3], [0, 0, 2, 2]],
        [0.9, 0.8, 0.7, 0.6, 0.5],
    ),
    "touching edges and vertices": (
        [[0, 0, 1, 1], [1, 0, 2, 1], [1, 1, 2, 2], [0, 1, 1, 2]],
        [0.4, 0.4, 0.4, 0.4],
    ),
    "negative and equal scores": ([[0, 0, 4, 4], [0, 0, 4, 5], [9, 9, 10, 10]], [-1, -1, -2]),
    "nested boxes": ([[0, 0, 10, 10], [1, 1, 9, 9], [2, 2, 8, 8], [3, 3, 7, 7]], [1, 2, 3, 4]),
    "chain": ([[0, 0, 1, i + 1] for i in np.arange(0, 3, 0.25)], list(np.linspace(1, 0, 12))),
    "one huge box among small ones": (
        [[0, 0, 100, 100]] + [[i, i, i + 2, i + 2] for i in range(0, 90, 3)],
        [0.1] + [0.5] * 30,
    ),
    "far apart coordinates": ([[1e6, 1e6, 1e6 + 1, 1e6 + 1], [0, 0, 1, 1]] * 2, [1, 2, 3, 4]),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("iou_threshold", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("score_threshold", [-np.inf, -1.0, 0.45])
def test_adversarial_sets_match_tensorflow(path, name, iou_threshold, score_threshold):
    boxes, scores = ADVERSARIAL[name]
    for max_out in (0, 1, 3, len(scores)):
        ours = non_max_suppression(boxes, scores, max_out, iou_threshold, score_threshold)
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(
            ours, tf_nms(boxes, scores, max_out, iou_threshold, score_threshold)
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 40),
    seed=st.integers(0, 2**16),
    iou_threshold=st.floats(0, 1),
    max_out=st.integers(0, 45),
    grid=st.sampled_from([None, 1, 10]),
)
def test_hypothesis_matches_tensorflow(n, seed, iou_threshold, max_out, grid):
    boxes, scores = random_set(np.random.default_rng(seed), n, span=50, grid=grid)
    np.testing.assert_array_equal(
        non_max_suppression(boxes, scores, max_out, iou_threshold),
        tf_nms(boxes, scores, max_out, iou_threshold),
    )


def test_large_set_matches_tensorflow():
    boxes, scores = random_set(np.random.default_rng(7), 3000, span=1000, size=(10, 80))
    np.testing.assert_array_equal(
        non_max_suppression(boxes, scores, 3000), tf_nms(boxes, scores, 3000)
    )


@pytest.mark.parametrize("n", [400, 2000])
@pytest.mark.parametrize("max_out", [1, 3, 10, 50])
@pytest.mark.parametrize("iou_threshold", [0.0, 0.5, 1.0])
@pytest.mark.parametrize(("span", "grid"), [(1000, None), (1000, 10), (60, 1), (20, None)])
def test_few_to_keep_among_many_matches_tensorflow(n, max_out, iou_threshold, span, grid):
    """The early-stopping paths: only the best candidates ranked (ties at the cut included),
    blocks of candidates resolved at once, and the full ranking when they do not suffice
    (``span=20``: boxes pile up and suppress most of the best candidates)."""
    rng = np.random.default_rng(n + max_out + span)
    boxes, scores = random_set(rng, n, span=span, grid=grid)
    for score_threshold in (-np.inf, 0.3):
        np.testing.assert_array_equal(
            non_max_suppression(boxes, scores, max_out, iou_threshold, score_threshold),
            tf_nms(boxes, scores, max_out, iou_threshold, score_threshold),
        )


@pytest.mark.parametrize("rounds", [0, 1, 8])
@pytest.mark.parametrize(("span", "grid"), [(1000, None), (60, 1), (20, None)])
def test_blocks_resolved_by_rounds_or_one_by_one_match_tensorflow(rounds, span, grid, monkeypatch):
    """A block is resolved by rounds of matrix products (`nms._resolve_block`) or, when they
    do not settle within `nms._ROUNDS`, candidate by candidate (0 rounds: always)."""
    monkeypatch.setattr(nms, "_ROUNDS", rounds)
    rng = np.random.default_rng(span + rounds)
    boxes, scores = random_set(rng, 1000, span=span, grid=grid)
    for max_out, iou_threshold in [(100, 0.5), (20, 0.0), (60, 0.3)]:
        np.testing.assert_array_equal(
            non_max_suppression(boxes, scores, max_out, iou_threshold),
            tf_nms(boxes, scores, max_out, iou_threshold),
        )


def test_a_long_chain_of_overlaps_matches_tensorflow():
    """Box i overlaps box i + 1 only: the greedy answer depends on the whole chain (more
    links than `nms._ROUNDS`), so the block falls back on one candidate at a time."""
    n = 400
    boxes = np.array([[0, 2 * i, 1, 2 * i + 3] for i in range(n)], np.float32)
    scores = np.linspace(1, 0.5, n).astype(np.float32)
    for max_out in (10, 45):
        ours = non_max_suppression(boxes, scores, max_out, 0.1)
        np.testing.assert_array_equal(ours, tf_nms(boxes, scores, max_out, 0.1))
        np.testing.assert_array_equal(ours, np.arange(0, 2 * max_out, 2))


def test_ranking_of_equal_signed_zero_and_infinite_scores_matches_tensorflow():
    values = np.array([0.0, -0.0, np.inf, -np.inf, 1e-30, -1e-30, 3.4e38, -3.4e38, 0.5])
    rng = np.random.default_rng(3)
    scores = rng.choice(values, 300).astype(np.float32)
    boxes = np.array([[0, 3 * i, 1, 3 * i + 1] for i in range(300)], np.float32)  # disjoint
    for max_out in (30, 300):
        np.testing.assert_array_equal(
            non_max_suppression(boxes, scores, max_out), tf_nms(boxes, scores, max_out)
        )


def test_empty_input_gives_empty_result():
    out = non_max_suppression(np.zeros((0, 4)), np.zeros(0), 10)
    assert out.shape == (0,) and out.dtype == np.int64
    assert per_class_non_max_suppression(np.zeros((0, 4)), [], [], 5).shape == (0,)


def test_inputs_are_not_mutated():
    boxes, scores = random_set(np.random.default_rng(0), 50)
    b0, s0 = boxes.copy(), scores.copy()
    non_max_suppression(boxes, scores, 50)
    np.testing.assert_array_equal(boxes, b0)
    np.testing.assert_array_equal(scores, s0)


@pytest.mark.parametrize("seed", range(4))
def test_per_class_matches_a_loop_over_tensorflow(seed):
    rng = np.random.default_rng(seed)
    boxes, scores = random_set(rng, 120, span=60, grid=5 if seed % 2 else None)
    classes = rng.integers(0, 4, 120)
    kept = per_class_non_max_suppression(boxes, scores, classes.astype(float), 7, 0.4, 0.1)
    expected = []
    for k in range(4):
        rows = np.flatnonzero(classes == k)
        expected += list(rows[tf_nms(boxes[rows], scores[rows], 7, 0.4, 0.1)])
    expected = sorted(expected, key=lambda i: (-scores[i], i))
    np.testing.assert_array_equal(kept, expected)
    # boxes of different classes never suppress each other
    same = per_class_non_max_suppression([[0, 0, 1, 1]] * 3, [0.3, 0.2, 0.1], [0, 1, 0], 5)
    np.testing.assert_array_equal(same, [0, 1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(boxes=[[0, 2, 1, 1]]), "x_max >= x_min"),
        (dict(boxes=[[2, 0, 1, 1]]), "y_max >= y_min"),
        (dict(boxes=[[0, 0, 1]]), r"shape \(\*, 4\)"),
        (dict(boxes=[[0, 0, 1, np.nan]]), "finite"),
        (dict(scores=[np.nan]), "NaN"),
        (dict(scores=[0.1, 0.2]), "one score per box"),
        (dict(max_output_size=-1), "max_output_size"),
        (dict(iou_threshold=-0.1), "iou_threshold"),
        (dict(iou_threshold=1.5), "iou_threshold"),
        (dict(score_threshold=np.nan), "score_threshold"),
    ],
)
def test_bad_input_raises_value_error(kwargs, match):
    args = dict(boxes=[[0, 0, 1, 1]], scores=[0.5], max_output_size=3) | kwargs
    with pytest.raises(ValueError, match=match):
        non_max_suppression(**args)


def test_bad_classes_raise():
    with pytest.raises(ValueError, match="classes"):
        per_class_non_max_suppression([[0, 0, 1, 1]], [0.5], [0.5], 3)


def loop_nms_inclusive(boxes, scores, max_output_size, iou_threshold, score_threshold=-np.inf):
    """The lecture's rule by hand: suppress at float32 IoU >= the threshold (TF's formula;
    zero-area boxes never suppress nor are suppressed)."""
    b = np.asarray(boxes, np.float32)
    s = np.asarray(scores, np.float32)
    t = np.float32(iou_threshold)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    keep = []
    for i in sorted(range(len(b)), key=lambda k: (-s[k], k)):
        if s[i] <= score_threshold or len(keep) == max_output_size:
            continue
        suppressed = False
        for j in keep:
            if area[i] <= 0 or area[j] <= 0:
                continue
            ih = max(min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0]), np.float32(0))
            iw = max(min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1]), np.float32(0))
            inter = np.float32(ih * iw)
            if np.float32(inter / np.float32(area[i] + area[j] - inter)) >= t:
                suppressed = True
                break
        if not suppressed:
            keep.append(i)
    return keep


@pytest.mark.parametrize("iou_threshold", [1 / 3, 0.5, 1.0])
@pytest.mark.parametrize(("n", "max_out"), [(60, 100), (400, 3)])
def test_inclusive_is_the_lecture_rule_on_every_path(path, iou_threshold, n, max_out):
    """``inclusive=True`` suppresses IoU >= the threshold; grid boxes give exact ties (IoUs
    of 1/3, 1/2 and 1), and few to keep among many takes the early-stopping paths."""
    rng = np.random.default_rng(n)
    boxes, scores = random_set(rng, n, span=60, grid=5)
    kept = non_max_suppression(boxes, scores, max_out, iou_threshold, 0.1, inclusive=True)
    assert kept.tolist() == loop_nms_inclusive(boxes, scores, max_out, iou_threshold, 0.1)
    two = [[0, 0, 10, 10], [0, 5, 10, 15]]  # IoU exactly 1/3
    assert non_max_suppression(two, [0.9, 0.8], 5, 1 / 3, inclusive=True).tolist() == [0]
    assert non_max_suppression(two, [0.9, 0.8], 5, 1 / 3).tolist() == [0, 1]


def test_inclusive_needs_a_positive_threshold():
    with pytest.raises(ValueError, match="^iou_threshold must be"):
        non_max_suppression([[0, 0, 1, 1]], [0.5], 5, 0.0, inclusive=True)
    with pytest.raises(ValueError, match="^inclusive must be"):
        non_max_suppression([[0, 0, 1, 1]], [0.5], 5, 0.5, inclusive="yes")
