"""Non-max suppression in NumPy, index for index the same as ``tf.image.non_max_suppression``.

Greedy non-max suppression keeps the best-scoring box, removes every remaining box that
overlaps it by more than ``iou_threshold``, and repeats on what is left. `non_max_suppression`
returns exactly the indices of ``tf.image.non_max_suppression`` in the same order: boxes
whose score is not *strictly* above ``score_threshold`` are dropped first; candidates are
visited by decreasing score, equal scores by increasing index; a box is suppressed when its
IoU with a kept box is *strictly* greater than ``iou_threshold``; IoUs are computed in
float32 with TensorFlow's formula, and a box of zero area never suppresses nor is suppressed.
``inclusive=True`` applies the lecture's tie rule instead (suppress at IoU >= the threshold),
which `cvutils.sliding.nms` uses.

How it is fast: two boxes can only overlap when their x-intervals (and their y-intervals)
overlap. After one sort along the axis that gives fewer candidates, the boxes that can touch
each box form a contiguous run, so all candidate pairs are listed and their IoUs computed in
a few vectorized operations; the greedy pass then only walks the short lists of pairs above
the threshold. When boxes are so large or so many that the candidate pairs would not fit a
fixed budget, a plain vectorized greedy loop is used instead (same result).

Taught in notebooks/13_yolo_building_blocks.ipynb.

Examples:
    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]
    >>> non_max_suppression(boxes, [0.9, 0.8, 0.7], max_output_size=10)
    array([0, 2])
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from cvutils.boxes import check_boxes
from cvutils.checks import check_array, check_bool, check_int, check_labels, check_real, fail

__all__ = ["non_max_suppression", "per_class_non_max_suppression"]

#: Most candidate pairs the sweep lists in all; above it the plain greedy loop is used.
_PAIR_BUDGET = 12_000_000
#: Candidate pairs whose IoUs are computed at once (bounds the sweep's memory).
_CHUNK = 1_000_000
#: Strips per widest box in the sweep.
_STRIPS = 2


def _check_scores(scores: Any, n: int) -> np.ndarray:
    arr = check_array("scores", scores, ndim=1, dtype=np.float32, finite=False, layout="(N,)")
    if arr.shape[0] != n:
        fail("scores", f"one score per box ({n})", f"{arr.shape[0]} scores")
    if np.isnan(arr).any():
        fail("scores", "an array without NaN", f"{int(np.isnan(arr).sum())} NaN score(s)")
    return arr


def _check_score_threshold(value: Any) -> np.float32:
    if isinstance(value, float | int | np.floating | np.integer) and not isinstance(
        value, bool | np.bool_
    ):
        if value == -math.inf:
            return np.float32(-np.inf)
    return np.float32(check_real("score_threshold", value))


def _pair_iou(b: np.ndarray, i: np.ndarray, j: np.ndarray, area: np.ndarray) -> np.ndarray:
    """float32 IoU of rows ``i`` and ``j`` of corner boxes ``b``, TensorFlow's formula."""
    ih = np.maximum(np.minimum(b[i, 2], b[j, 2]) - np.maximum(b[i, 0], b[j, 0]), np.float32(0))
    iw = np.maximum(np.minimum(b[i, 3], b[j, 3]) - np.maximum(b[i, 1], b[j, 1]), np.float32(0))
    inter = ih * iw
    with np.errstate(divide="ignore", invalid="ignore"):
        out = inter / (area[i] + area[j] - inter)
    return np.where((area[i] > 0) & (area[j] > 0), out, np.float32(0))


def _overlaps(b1: np.ndarray, a1: np.ndarray, b2: np.ndarray, a2: np.ndarray, threshold):
    """``(len(b1), len(b2))`` booleans: float32 IoU (`_pair_iou`'s formula) > ``threshold``.

    Computed in place in two buffers. No zero-area mask is needed: a box of zero area has a
    zero intersection with every box (rounding is monotonic), so its IoU is 0 or 0/0 = NaN,
    neither of which is greater than a threshold >= 0.
    """
    inter = np.minimum.outer(b1[:, 2], b2[:, 2])
    inter -= np.maximum.outer(b1[:, 0], b2[:, 0])
    np.maximum(inter, np.float32(0), out=inter)
    width = np.minimum.outer(b1[:, 3], b2[:, 3])
    width -= np.maximum.outer(b1[:, 1], b2[:, 1])
    np.maximum(width, np.float32(0), out=width)
    inter *= width
    union = np.add.outer(a1, a2, out=width)
    union -= inter
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(inter, union, out=inter)
    return inter > threshold


def _pair_ranges(b: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs of the positive-area corner boxes ``b``, as contiguous runs.

    The boxes are cut into strips along ``axis`` half as wide as the widest box, then sorted
    by strip and by their low edge on the other axis. A box overlaps only boxes whose low
    edge on ``axis`` lies in its own strip or the next two (or, for a lower one, whose own
    runs hold it), with a low edge on the other axis less than the tallest box below its
    own, so its candidates are three runs of that order.

    Returns:
        ``(order, lo, hi)``: ``order`` (n,) the sorted rows; ``lo`` and ``hi`` ``(n, 3)``:
        positions ``lo[k, r]:hi[k, r]`` of ``order`` are candidates of row ``order[k]``.
    """
    n = len(b)
    other = 1 - axis
    s_lo = b[:, axis].astype(np.float64)
    t_lo, t_hi = b[:, other].astype(np.float64), b[:, other + 2].astype(np.float64)
    width = float((b[:, axis + 2] - b[:, axis]).max()) * (1 + 1e-6) / _STRIPS
    tall = float((t_hi - t_lo).max())
    strip = np.floor((s_lo - s_lo.min()) / width).astype(np.int64)
    strips, dense = np.unique(strip, return_inverse=True)
    t_sorted = np.sort(t_lo)
    t_rank = np.empty(n, dtype=np.int64)
    t_rank[np.argsort(t_lo, kind="stable")] = np.arange(n)
    key = dense * (n + 1) + t_rank
    order = np.argsort(key, kind="stable")
    key = key[order]
    margin = 1e-9 * (np.abs(t_lo) + tall) + 1e-30
    low = np.searchsorted(t_sorted, t_lo - tall - margin, side="right")[order]
    up = np.maximum(np.searchsorted(t_sorted, t_hi, side="left")[order], low)
    own = strips[dense[order]]
    lo = np.empty((n, _STRIPS + 1), dtype=np.int64)
    hi = np.empty((n, _STRIPS + 1), dtype=np.int64)
    for r in range(_STRIPS + 1):
        q = np.searchsorted(strips, own + r)
        exists = strips[np.minimum(q, len(strips) - 1)] == own + r
        lo[:, r] = np.searchsorted(key, q * (n + 1) + low, side="left")
        hi[:, r] = np.where(exists, np.searchsorted(key, q * (n + 1) + up, side="left"), lo[:, r])
    return order, lo, hi


def _edges(b, area, threshold, order, owners, lo, hi):
    """(src, dst) rank pairs with IoU > threshold among the candidate runs (src < dst)."""
    counts = (hi - lo).ravel()
    total = int(counts.sum())
    owner = np.repeat(np.repeat(owners, lo.shape[1]), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    other = order[np.repeat(lo.ravel(), counts) + offsets]
    keep_pair = owner != other
    i, j = owner[keep_pair], other[keep_pair]
    hit = _pair_iou(b, i, j, area) > threshold
    i, j = i[hit], j[hit]
    return np.minimum(i, j), np.maximum(i, j)  # ranks: the better box suppresses the worse


def _greedy_sweep(b, area, threshold, max_output_size, order, lo, hi):
    per_box = (hi - lo).sum(axis=1)
    bounds = np.searchsorted(np.cumsum(per_box), np.arange(_CHUNK, per_box.sum(), _CHUNK))
    parts = [
        _edges(b, area, threshold, order, order[a:z], lo[a:z], hi[a:z])
        for a, z in zip(np.r_[0, bounds + 1], np.r_[bounds + 1, len(order)], strict=True)
        if z > a
    ]
    src = np.concatenate([p[0] for p in parts])
    dst = np.concatenate([p[1] for p in parts])
    by_src = np.argsort(src, kind="stable")
    src, dst = src[by_src], dst[by_src]
    sources, begin = np.unique(src, return_index=True)
    end = np.append(begin[1:], len(src))[: len(begin)]
    suppressed = np.zeros(len(b), dtype=bool)
    for s, first, last in zip(sources.tolist(), begin.tolist(), end.tolist(), strict=True):
        if not suppressed[s]:
            suppressed[dst[first:last]] = True
    return np.flatnonzero(~suppressed)[:max_output_size]


def _greedy_plain(b, area, threshold, max_output_size):
    keep: list[int] = []
    rest = np.arange(len(b))
    while rest.size and len(keep) < max_output_size:
        best, rest = rest[0], rest[1:]
        keep.append(int(best))
        ious = _pair_iou(b, np.full(rest.shape, best), rest, area)
        rest = rest[ious <= threshold]
    return np.array(keep, dtype=np.int64)


def _greedy_blocked(b, area, threshold, max_output_size, block):
    """Greedy NMS over score-ranked ``b`` in blocks, stopping at ``max_output_size`` kept.

    Each block of candidates is first compared with the boxes kept so far, then resolved
    in order with one IoU matrix of the block; a small ``max_output_size`` therefore costs
    a few blocks, not all ``N`` boxes (TensorFlow's op stops early the same way).
    """
    keep: list[int] = []
    kept = np.zeros(0, dtype=np.int64)
    for start in range(0, len(b), block):
        cand = np.arange(start, min(start + block, len(b)))
        if kept.size:
            hit = _overlaps(b[cand], area[cand], b[kept], area[kept], threshold)
            cand = cand[~hit.any(axis=1)]
        if cand.size == 0:
            continue
        hit = _overlaps(b[cand], area[cand], b[cand], area[cand], threshold)
        alive = _resolve_block(hit)
        if alive is not None:
            keep.extend(cand[alive][: max_output_size - len(keep)].tolist())
            if len(keep) == max_output_size:
                return np.array(keep, dtype=np.int64)
            kept = np.array(keep, dtype=np.int64)
            continue
        # Row k as a Python int of bits (bit j: candidate j overlaps candidate k): resolving
        # the block in order is then one shift, one test and one "or" per candidate.
        rows = np.packbits(hit, axis=1, bitorder="little")
        dead = 0
        for k in range(cand.size):
            if not (dead >> k) & 1:
                keep.append(int(cand[k]))
                if len(keep) == max_output_size:
                    return np.array(keep, dtype=np.int64)
                dead |= int.from_bytes(rows[k].tobytes(), "little")
        kept = np.array(keep, dtype=np.int64)
    return np.array(keep, dtype=np.int64)


#: Rounds of `_resolve_block` before the candidate-by-candidate loop takes over.
_ROUNDS = 8


@functools.lru_cache(maxsize=8)
def _upper(n: int) -> np.ndarray:
    """The (n, n) boolean mask of ``k < j`` (read-only, cached: blocks repeat their size)."""
    mask = np.triu(np.ones((n, n), dtype=bool), 1)
    mask.flags.writeable = False
    return mask


def _rank(s: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """``alive`` sorted by decreasing score ``s``, equal scores by increasing index.

    The same order as a stable argsort of ``-s[alive]``, from one sort of 64-bit keys (high
    half: the score's float32 bits mapped to an order-reversing unsigned integer; low half:
    the index), which is several times faster than a stable sort of floats.
    """
    bits = (s[alive] + np.float32(0)).view(np.uint32)  # + 0: -0.0 ties with 0.0
    negative = bits >> np.uint32(31) == 1
    ascending = np.where(negative, ~bits, bits | np.uint32(1 << 31))  # unsigned, score order
    key = (~ascending).astype(np.uint64) << np.uint64(32) | alive.astype(np.uint64)
    key.sort()
    return (key & np.uint64(0xFFFFFFFF)).astype(np.int64)


def _resolve_block(hit: np.ndarray) -> np.ndarray | None:
    """Greedy NMS of one ranked block, given ``hit[k, j]`` (candidates k and j overlap).

    Candidate ``j`` survives when no *surviving* ``k < j`` overlaps it. Start with all
    alive and repeat ``alive[j] = no alive k < j overlaps j`` (one matrix-vector product):
    after ``t`` rounds every candidate whose longest chain of earlier overlapping ones is
    shorter than ``t`` is settled, and a repeat that changes nothing is the greedy answer
    (it is the only set that satisfies the rule, by induction over ``j``). Random boxes
    settle in a few rounds.

    Returns:
        The boolean mask of survivors, or None after `_ROUNDS` rounds without settling.
    """
    earlier = (hit & _upper(len(hit))).astype(np.float32)  # k < j and they overlap
    alive = np.ones(len(hit), dtype=np.float32)
    for _ in range(_ROUNDS):
        new = (alive @ earlier == 0).astype(np.float32)
        if np.array_equal(new, alive):
            return alive.astype(bool)
        alive = new
    return None


def _block_size(max_output_size: int) -> int:
    """Candidates `_greedy_blocked` resolves at once: a quarter more than it may keep, at least
    32 (smaller blocks cost more in per-block overhead than they save)."""
    return max(32, max_output_size + max_output_size // 4)


#: `_top_candidates_first` ranks this many candidates per box to keep (ties of the last one
#: included): enough that greedy NMS usually fills ``max_output_size`` among them.
_CANDIDATES_PER_KEPT = 8


def _top_candidates_first(b, s, alive, threshold, max_output_size):
    """Greedy NMS over only the best-scored ``alive`` boxes; None when they do not suffice.

    Ranking every box costs a full sort (2 ms at 20,000 boxes) while ``max_output_size`` of
    100 is usually found among the first few hundred. The candidates scoring at least the
    ``_CANDIDATES_PER_KEPT * max_output_size``-th best score (all of its ties included) are
    ranked as the full ranking would rank them (score, then index); greedy NMS over that
    prefix of the ranking keeps exactly what it keeps over the whole ranking, as long as it
    fills ``max_output_size``. Otherwise the caller ranks everything.
    """
    scores = s[alive]
    m = _CANDIDATES_PER_KEPT * max_output_size
    cut = np.partition(scores, scores.size - m)[scores.size - m]
    top = alive[scores >= cut]
    ranked = top[np.lexsort((top, -s[top]))]
    bt = b[ranked]
    area = (bt[:, 2] - bt[:, 0]) * (bt[:, 3] - bt[:, 1])
    kept = _greedy_blocked(bt, area, threshold, max_output_size, _block_size(max_output_size))
    if len(kept) < max_output_size and top.size < alive.size:
        return None
    return ranked[kept].astype(np.int64)


#: With at least this many candidates per box to keep, only the best-scored candidates are
#: ranked and settled first (`_top_candidates_first`): sorting all of them would cost more
#: than the few rounds that usually settle the kept boxes among the best ones.
TOP_CANDIDATES_RATIO = 32
#: With at least this many boxes per box to keep, the greedy pass runs block by block and
#: stops once enough boxes are kept (as TensorFlow's kernel does), instead of computing the
#: overlaps of every pair.
EARLY_STOP_RATIO = 8


def _strict_threshold(iou_threshold: float, inclusive: bool) -> np.float32:
    """The float32 ``t`` for which every path's "suppress when IoU > t" applies the tie rule.

    The IoUs are float32, so IoU >= ``iou_threshold`` (``inclusive``) is exactly IoU > the
    float32 just below ``iou_threshold``; one place turns the lecture's rule into the
    ``>`` that every code path compares with.
    """
    threshold = np.float32(iou_threshold)
    return np.nextafter(threshold, np.float32(0)) if inclusive else threshold


def non_max_suppression(
    boxes: Any,
    scores: Any,
    max_output_size: int,
    iou_threshold: float = 0.5,
    score_threshold: float = -math.inf,
    *,
    inclusive: bool = False,
) -> np.ndarray:
    """Greedy non-max suppression; the indices of ``tf.image.non_max_suppression``.

    Args:
        boxes: ``(N, 4)`` corner boxes ``(y_min, x_min, y_max, x_max)`` as in ``tf.image``
            (``(x_min, y_min, x_max, y_max)`` gives the same result: IoU is symmetric in the
            axes). ``max >= min`` is required.
        scores: ``(N,)`` one score per box, no NaN.
        max_output_size: the most boxes to keep, an integer >= 0.
        iou_threshold: a box is suppressed when its IoU with a kept box is greater than
            this; in ``[0, 1]``.
        score_threshold: boxes whose score is not greater than this are dropped first.
        inclusive: the tie rule. False (``tf.image``'s): suppress when IoU > ``iou_threshold``;
            True (the lecture's): suppress when IoU >= ``iou_threshold``, which must then be
            > 0 (at 0 every box would suppress every other).

    Returns:
        ``(K,)`` int64 indices into ``boxes`` of the kept boxes, best score first,
        ``K <= max_output_size``. Empty input gives an empty result.

    Raises:
        ValueError: bad shapes, ``max < min`` corners, NaN scores, thresholds out of range.

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> non_max_suppression([[0, 0, 1, 1], [0, 0, 1, 1]], [0.5, 0.5], 5)  # tie: lower index
        array([0])
        >>> non_max_suppression([[0, 0, 1, 1]], [0.2], 5, score_threshold=0.3)
        array([], dtype=int64)
        >>> two = [[0, 0, 10, 10], [0, 5, 10, 15]]  # IoU exactly 1/3
        >>> non_max_suppression(two, [0.9, 0.8], 5, 1 / 3), non_max_suppression(
        ...     two, [0.9, 0.8], 5, 1 / 3, inclusive=True)
        (array([0, 1]), array([0]))
    """
    b = check_boxes("boxes", boxes, "yxyx").astype(np.float32)
    s = _check_scores(scores, b.shape[0])
    max_output_size = check_int("max_output_size", max_output_size, minimum=0)
    inclusive = check_bool("inclusive", inclusive)
    threshold = _strict_threshold(
        check_real(
            "iou_threshold", iou_threshold, low=0, high=1, low_open=inclusive, high_open=False
        ),
        inclusive,
    )
    floor = _check_score_threshold(score_threshold)
    alive = np.flatnonzero(s > floor)
    if alive.size == 0 or max_output_size == 0:
        return np.zeros(0, dtype=np.int64)
    if max_output_size * TOP_CANDIDATES_RATIO <= alive.size:  # few to keep: rank the best
        kept = _top_candidates_first(b, s, alive, threshold, max_output_size)
        if kept is not None:
            return kept
    ranked = _rank(s, alive) if len(b) < 1 << 32 else alive[np.argsort(-s[alive], kind="stable")]
    b = np.take(b, ranked, axis=0)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    positive = np.flatnonzero(area > 0)  # zero-area boxes never suppress nor are suppressed
    if positive.size <= 1:  # nothing can suppress anything
        kept = np.arange(len(b))[:max_output_size]
    elif max_output_size * EARLY_STOP_RATIO <= len(b):  # few to keep: stop early, as TF does
        kept = _greedy_blocked(b, area, threshold, max_output_size, _block_size(max_output_size))
    else:
        best = None
        for axis in (0, 1):
            order, lo, hi = _pair_ranges(b[positive], axis)
            n_pairs = int((hi - lo).sum())
            if best is None or n_pairs < best[0]:
                best = (n_pairs, positive[order], lo, hi)
        if best[0] <= _PAIR_BUDGET:
            kept = _greedy_sweep(b, area, threshold, max_output_size, *best[1:])
        else:
            kept = _greedy_plain(b, area, threshold, max_output_size)
    return ranked[kept].astype(np.int64)


def per_class_non_max_suppression(
    boxes: Any,
    scores: Any,
    classes: Any,
    max_output_size: int,
    iou_threshold: float = 0.5,
    score_threshold: float = -math.inf,
    *,
    inclusive: bool = False,
) -> np.ndarray:
    """Non-max suppression within each class: boxes of different classes never suppress.

    Args:
        boxes: ``(N, 4)`` corner boxes (as in `non_max_suppression`).
        scores: ``(N,)`` scores, no NaN.
        classes: ``(N,)`` integer class ids (integer-valued floats accepted).
        max_output_size: the most boxes kept *per class*, an integer >= 0.
        iou_threshold: as in `non_max_suppression`.
        score_threshold: as in `non_max_suppression`.
        inclusive: the tie rule, as in `non_max_suppression`.

    Returns:
        ``(K,)`` int64 indices of the kept boxes of all classes, best score first (equal
        scores by increasing index).

    Taught in notebooks/13_yolo_building_blocks.ipynb.

    Examples:
        >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [1, 1, 11, 11]]
        >>> per_class_non_max_suppression(boxes, [0.9, 0.8, 0.7], [0, 0, 1], 10)
        array([0, 2])
    """
    b = check_boxes("boxes", boxes, "yxyx")
    s = _check_scores(scores, b.shape[0])
    c = check_labels("classes", classes, n=b.shape[0])
    inclusive = check_bool("inclusive", inclusive)
    kept = [
        np.flatnonzero(c == k)[
            non_max_suppression(
                b[c == k],
                s[c == k],
                max_output_size,
                iou_threshold,
                score_threshold,
                inclusive=inclusive,
            )
        ]
        for k in np.unique(c)
    ]
    kept = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
    return kept[np.lexsort((kept, -s[kept]))].astype(np.int64)
