"""Sliding-window detection: windows, a detector, test collages, precision and recall.

The naive detector of the course: cut an image into square windows at several sizes and
strides, classify every window, keep the confident ones and remove duplicates with
non-max suppression (`nms`, the course's rule: a box whose IoU with a kept box is at least
the threshold is discarded). Boxes are pixel corners ``(x_min, y_min, x_max, y_max)`` (``"xyxy"``,
`cvutils.boxes`) with exclusive ends, so a window of side ``s`` at column ``x`` and row
``y`` is ``(x, y, x + s, y + s)`` and has area ``s * s``.

`dense_to_conv_weights` turns the kernel of a fully connected layer into the kernel of the
equivalent convolution: the convolutional implementation of sliding windows.

Taught in notebooks/12_sliding_windows.ipynb.

Examples:
    >>> windows, boxes = sliding_windows(np.arange(16).reshape(4, 4), size=2, stride=2)
    >>> windows.shape, boxes[1]
    ((4, 2, 2), array([2., 0., 4., 2.]))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cvutils.boxes import check_boxes, match_detections
from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_callable,
    check_int,
    check_real,
    check_shape,
    describe,
    fail,
)
from cvutils.nms import non_max_suppression

#: The largest collage side `make_collages` draws (pixels).
MAX_SIDE = 10_000

__all__ = [
    "Collages",
    "Detections",
    "dense_to_conv_weights",
    "detection_counts",
    "make_collages",
    "match_detections",
    "nms",
    "precision_recall",
    "sliding_window_detect",
    "sliding_windows",
]


def _check_image(name: str, image: Any) -> np.ndarray:
    img = check_array(name, image, ndim=(2, 3), layout="(H, W) or (H, W, C)")
    if img.size == 0:
        fail(name, "a non-empty image", f"shape {img.shape}")
    return img


def sliding_windows(image: Any, size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``size x size`` windows of an image, ``stride`` pixels apart, row by row.

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` array.
        size: side of the square windows, ``1..min(H, W)``.
        stride: step between windows in pixels, >= 1.

    Returns:
        ``(windows, boxes)``: ``windows`` ``(N, size, size)`` or ``(N, size, size, C)``
        (a copy), ``boxes`` ``(N, 4)`` float ``(x_min, y_min, x_max, y_max)`` with exclusive
        ends. ``N = n_rows * n_cols`` with ``n = floor((H - size) / stride) + 1`` per axis;
        window ``k`` is at row ``k // n_cols``, column ``k % n_cols``.

    Raises:
        ValueError: an image that is not 2-D or 3-D, a size larger than the image, a
            stride < 1.

    Taught in notebooks/12_sliding_windows.ipynb.

    Examples:
        >>> _, boxes = sliding_windows(np.zeros((5, 7)), size=3, stride=2)
        >>> boxes
        array([[0., 0., 3., 3.],
               [2., 0., 5., 3.],
               [4., 0., 7., 3.],
               [0., 2., 3., 5.],
               [2., 2., 5., 5.],
               [4., 2., 7., 5.]])
    """
    img = _check_image("image", image)
    size = check_int("size", size, 1, min(img.shape[:2]))
    stride = check_int("stride", stride, 1)
    view = np.lib.stride_tricks.sliding_window_view(img, (size, size), axis=(0, 1))
    view = view[::stride, ::stride]  # (n_rows, n_cols, [C,] size, size)
    n_rows, n_cols = view.shape[:2]
    if img.ndim == 3:
        view = np.moveaxis(view, 2, -1)  # (n_rows, n_cols, size, size, C)
    windows = view.reshape(n_rows * n_cols, *view.shape[2:]).copy()
    ys, xs = np.meshgrid(np.arange(n_rows) * stride, np.arange(n_cols) * stride, indexing="ij")
    x, y = xs.ravel().astype(float), ys.ravel().astype(float)
    boxes = np.stack([x, y, x + size, y + size], axis=1)
    return windows, boxes


def dense_to_conv_weights(kernel: Any, input_shape: Sequence[int]) -> np.ndarray:
    """The kernel of the convolution that computes a dense layer on a flattened volume.

    A ``Dense(n_out)`` after ``Flatten`` of an ``(h, w, c)`` volume computes
    ``sum_{i,j,k} a[i, j, k] * W[(i * w + j) * c + k, n]`` (row-major flattening, as Keras
    does for channels-last data). A ``Conv2D(n_out, (h, w))`` with the kernel
    ``W.reshape(h, w, c, n_out)`` computes the same sum at every position where it fits, so
    on a larger input it slides the dense layer over the image. A dense layer after another
    dense layer becomes a 1x1 convolution (``input_shape = (1, 1, n_in)``). The bias is
    unchanged.

    Args:
        kernel: ``(n_in, n_out)`` the dense layer's kernel.
        input_shape: ``(h, w, c)`` of the volume the dense layer saw flattened;
            ``h * w * c`` must equal ``n_in``.

    Returns:
        ``(h, w, c, n_out)`` a new array, the ``Conv2D`` kernel.

    Raises:
        ValueError: a kernel that is not 2-D, an ``input_shape`` that is not three positive
            integers or whose product is not ``n_in``.

    Taught in notebooks/12_sliding_windows.ipynb.

    Examples:
        >>> dense_to_conv_weights(np.ones((5 * 5 * 16, 400)), (5, 5, 16)).shape
        (5, 5, 16, 400)
    """
    w = check_array("kernel", kernel, ndim=2, layout="(n_in, n_out)")
    shape = check_shape("input_shape", input_shape, ndim=3)
    if math.prod(shape) != w.shape[0]:
        fail(
            "input_shape",
            f"a shape with h * w * c = n_in = {w.shape[0]}",
            f"{shape} (product {math.prod(shape)})",
        )
    return w.reshape(*shape, w.shape[1]).copy()


def nms(
    boxes: Any,
    scores: Any,
    iou_threshold: float = 0.3,
    score_threshold: float = -math.inf,
    max_detections: int = 100,
) -> np.ndarray:
    """Greedy non-max suppression with the course's rule: discard IoU >= ``iou_threshold``.

    Boxes scoring ``<= score_threshold`` are dropped first; the rest are visited by
    decreasing score (equal scores by increasing index): the best is kept and every remaining
    box whose IoU with it is **at least** ``iou_threshold`` is discarded, and so on.
    It is `cvutils.nms.non_max_suppression` with ``inclusive=True`` (``tf.image``'s rule,
    the default there, discards only IoU strictly above the threshold).

    Args:
        boxes: ``(N, 4)`` corner boxes ``(x_min, y_min, x_max, y_max)`` (IoU is the same
            for ``"yxyx"``).
        scores: ``(N,)`` scores.
        iou_threshold: in ``(0, 1]``.
        score_threshold: only boxes scoring above it are candidates.
        max_detections: the most boxes to keep, >= 0.

    Returns:
        ``(K,)`` int64 indices of the kept boxes, best score first.

    Raises:
        ValueError: bad boxes or scores (one per box, no NaN), thresholds out of range.

    Taught in notebooks/12_sliding_windows.ipynb.

    Examples:
        >>> nms([[0, 0, 10, 10], [0, 5, 10, 15], [0, 20, 10, 30]], [0.9, 0.8, 0.7], 1 / 3)
        array([0, 2])
    """
    iou_threshold = check_real(
        "iou_threshold", iou_threshold, low=0, high=1, low_open=True, high_open=False
    )
    max_detections = check_int("max_detections", max_detections, 0)
    return non_max_suppression(
        boxes, scores, max_detections, iou_threshold, score_threshold, inclusive=True
    )


@dataclass(frozen=True)
class Detections:
    """What `sliding_window_detect` found.

    Attributes:
        boxes: ``(K, 4)`` kept boxes ``(x_min, y_min, x_max, y_max)``, best score first.
        scores: ``(K,)`` their scores.
        n_windows: how many windows were classified.
    """

    boxes: np.ndarray
    scores: np.ndarray
    n_windows: int


def _resize(windows: np.ndarray, side: int) -> np.ndarray:
    import keras

    out = keras.ops.image.resize(windows, (side, side), interpolation="bilinear", antialias=True)
    return np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float32)


def sliding_window_detect(
    score_fn: Callable[[np.ndarray], Any],
    image: Any,
    sizes: Sequence[int],
    strides: Sequence[int],
    window: int,
    threshold: float = 0.5,
    iou_threshold: float = 0.3,
    max_detections: int = 100,
) -> Detections:
    """The naive sliding-window detector: classify every window, then non-max suppression.

    For each ``(size, stride)`` pair the image is cut with `sliding_windows`, every window
    is resized to ``window x window`` (bilinear, antialiased) and scored by ``score_fn``;
    windows scoring above ``threshold`` go through `nms` together, across sizes.

    Args:
        score_fn: maps a float32 batch ``(N, window, window, C)`` to ``(N,)`` scores (or
            ``(N, 1)``), e.g. ``lambda x: model.predict(x, verbose=0)``.
        image: ``(H, W)`` grey (given to ``score_fn`` with ``C = 1``) or ``(H, W, C)``.
        sizes: window sides in pixels of the image, each ``1..min(H, W)``.
        strides: one stride per size, each >= 1.
        window: the side ``score_fn`` expects, >= 1.
        threshold: only windows scoring above this are kept.
        iou_threshold: NMS discards a box whose IoU with a kept one is at least this,
            in ``(0, 1]``.
        max_detections: the most boxes to keep, >= 0.

    Returns:
        `Detections` (boxes, scores, number of windows classified).

    Raises:
        ValueError: bad sizes or strides (different lengths, out of range), a ``score_fn``
            whose output does not have one score per window.

    Taught in notebooks/12_sliding_windows.ipynb.

    Examples:
        >>> img = np.zeros((8, 8)); img[2:6, 2:6] = 1.0
        >>> brightest = lambda x: x.mean(axis=(1, 2, 3))
        >>> found = sliding_window_detect(brightest, img, [4], [2], window=4, threshold=0.9)
        >>> found.boxes, found.n_windows
        (array([[2., 2., 6., 6.]]), 9)
    """
    score_fn = check_callable("score_fn", score_fn)
    img = _check_image("image", image)
    if img.dtype.kind == "f" and np.abs(img).max() > np.finfo(np.float32).max:
        fail("image", "values within float32 range (windows are float32)", f"{np.abs(img).max():g}")
    if img.ndim == 2:
        img = img[..., None]
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence) or not sizes:
        fail("sizes", "a non-empty sequence of window sides", describe(sizes), kind=True)
    if isinstance(strides, str | bytes) or not isinstance(strides, Sequence):
        fail("strides", "a sequence of strides, one per size", describe(strides), kind=True)
    if len(strides) != len(sizes):
        fail("strides", f"one stride per size ({len(sizes)})", f"{len(strides)} strides")
    window = check_int("window", window, 1, MAX_SIDE)
    threshold = check_real("threshold", threshold)
    iou_threshold = check_real(
        "iou_threshold", iou_threshold, low=0, high=1, low_open=True, high_open=False
    )
    max_detections = check_int("max_detections", max_detections, 0)
    all_boxes, all_scores = [], []
    for i, (size, stride) in enumerate(zip(sizes, strides, strict=True)):
        size = check_int(f"sizes[{i}]", size, 1, min(img.shape[:2]))
        stride = check_int(f"strides[{i}]", stride, 1)
        windows, boxes = sliding_windows(img, size, stride)
        windows = windows.astype(np.float32)
        if size != window:
            windows = _resize(windows, window)
        scores = np.asarray(score_fn(windows), dtype=float)
        if scores.shape not in ((len(boxes),), (len(boxes), 1)):
            fail("score_fn", f"a function returning {len(boxes)} scores", f"{scores.shape}")
        if not np.isfinite(scores).all():
            bad = int((~np.isfinite(scores)).sum())
            fail("score_fn", "a function returning finite scores", f"{bad} non-finite score(s)")
        all_boxes.append(boxes)
        all_scores.append(scores.reshape(-1))
    boxes, scores = np.concatenate(all_boxes), np.concatenate(all_scores)
    keep = nms(boxes, scores, iou_threshold, threshold, max_detections)
    return Detections(boxes[keep], scores[keep], len(boxes))


def detection_counts(
    pred_boxes: Any,
    true_boxes: Any,
    scores: Any = None,
    iou_threshold: float = 0.5,
    fmt: str = "xyxy",
) -> tuple[int, int, int]:
    """True positives, false positives and missed boxes of one image (`match_detections`).

    Sum the counts over images, then ``precision = tp / (tp + fp)`` and
    ``recall = tp / (tp + fn)``.

    Returns:
        ``(tp, fp, fn)`` integers.

    Taught in notebooks/12_sliding_windows.ipynb.

    Examples:
        >>> detection_counts([[0, 0, 10, 10], [20, 20, 30, 30]], [[0, 0, 10, 12], [40, 0, 50, 9]])
        (1, 1, 1)
    """
    tp = int(match_detections(pred_boxes, true_boxes, scores, iou_threshold, fmt).sum())
    n_pred = len(check_boxes("pred_boxes", pred_boxes, fmt))
    n_true = len(check_boxes("true_boxes", true_boxes, fmt))
    return tp, n_pred - tp, n_true - tp


def precision_recall(
    pred_boxes: Any,
    true_boxes: Any,
    scores: Any = None,
    iou_threshold: float = 0.5,
    fmt: str = "xyxy",
) -> tuple[float, float]:
    """Precision and recall of the detections of one image at IoU >= ``iou_threshold``.

    ``precision = TP / (number of detections)`` (NaN when there is none) and
    ``recall = TP / (number of ground-truth boxes)`` (NaN when there is none), with the
    true positives of `match_detections`.

    Returns:
        ``(precision, recall)`` floats.

    Taught in notebooks/12_sliding_windows.ipynb.

    Examples:
        >>> precision_recall([[0, 0, 10, 10], [20, 20, 30, 30]], [[0, 0, 10, 12], [40, 0, 50, 9]])
        (0.5, 0.5)
    """
    tp, fp, fn = detection_counts(pred_boxes, true_boxes, scores, iou_threshold, fmt)
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    return precision, recall


def _place(sizes, side, gap, rng, attempts=100, tries=200):
    """Random positions of ``(h, w)`` rectangles on a ``side`` canvas, ``gap`` apart, or None."""
    for _ in range(attempts):
        placed: list[np.ndarray] = []
        for h, w in sizes:
            for _ in range(tries):
                y = int(rng.integers(0, side - h + 1))
                x = int(rng.integers(0, side - w + 1))
                box = np.array([x, y, x + w, y + h], dtype=float)
                if all(
                    box[0] >= b[2] + gap
                    or b[0] >= box[2] + gap
                    or box[1] >= b[3] + gap
                    or b[1] >= box[3] + gap
                    for b in placed
                ):
                    placed.append(box)
                    break
            else:
                break  # no room for this one: start the canvas again
        else:
            return placed
    return None


class _PatchPool:
    """The patches of one kind and the shuffled cycle that `make_collages` draws them in."""

    def __init__(self, patches: np.ndarray, order: np.ndarray):
        self.patches, self.order, self.used = patches, order, 0

    def next_index(self) -> int:
        """The next patch of the shuffled cycle (each patch once before any repeats)."""
        idx = int(self.order[self.used % len(self.patches)])
        self.used += 1
        return idx


def _blank_canvas(background: np.ndarray | None, size: int, rng: np.random.Generator):
    """A ``(size, size)`` canvas: a random crop of ``background`` (a copy), or mid grey."""
    if background is None:
        return np.full((size, size), 0.5)
    r = rng.integers(0, background.shape[0] - size + 1)
    c = rng.integers(0, background.shape[1] - size + 1)
    return background[r : r + size, c : c + size].astype(float)


def _draw_patch(kind: str, pool: _PatchPool, scale_range, size: int, rng: np.random.Generator):
    """The next patch of ``pool`` and its rescaled size: ``(kind, index, h, w)``."""
    low, high = scale_range
    idx = pool.next_index()
    scale = rng.uniform(low, high)
    h = max(1, round(pool.patches.shape[1] * scale))
    w = max(1, round(pool.patches.shape[2] * scale))
    if h > size or w > size:
        fail("scale_range", f"scales that fit the {size}-pixel canvas", f"{high}")
    return kind, idx, h, w


def _paste(canvas: np.ndarray, patches: list, placed: list, pools: dict) -> None:
    """Pastes each rescaled patch at the top-left corner of its placed box (in place)."""
    from skimage.transform import resize

    for (kind, idx, h, w), box in zip(patches, placed, strict=True):
        x, y = int(box[0]), int(box[1])
        source = pools[kind].patches
        patch = resize(source[idx], (h, w), order=1, anti_aliasing=h < source.shape[1])
        canvas[y : y + h, x : x + w] = patch


def _check_scale_range(scale_range: Any) -> tuple[float, float]:
    """``(low, high)`` with ``0 < low <= high``, or the one error naming ``scale_range``."""
    if isinstance(scale_range, str | bytes) or not isinstance(scale_range, Sequence):
        fail("scale_range", "a pair (low, high)", describe(scale_range), kind=True)
    if len(scale_range) != 2:
        fail("scale_range", "a pair (low, high)", describe(scale_range))
    low = check_real("scale_range[0]", scale_range[0], low=0, low_open=True)
    return low, check_real("scale_range[1]", scale_range[1], low=low)


def _collage(background, size, pools, counts, scale_range, gap, rng):
    """One canvas of `make_collages`: ``(image, target boxes, distractor boxes, target ids)``.

    Draws the canvas, then each patch and its size (``counts``: ``(kind, how many)``), then
    their places, and pastes them.
    """
    canvas = _blank_canvas(background, size, rng)
    patches = [
        _draw_patch(kind, pools[kind], scale_range, size, rng)
        for kind, count in counts
        for _ in range(count)
    ]
    placed = _place([(h, w) for _, _, h, w in patches], size, gap, rng)
    if placed is None:
        fail(
            "size",
            f"large enough for {len(patches)} patches {gap} pixels apart",
            f"{size} (no room found in 100 attempts)",
        )
    _paste(canvas, patches, placed, pools)
    by_kind = {"t": [], "d": []}
    for (kind, *_), box in zip(patches, placed, strict=True):
        by_kind[kind].append(box)
    ids = np.array([idx for kind, idx, _, _ in patches if kind == "t"], dtype=np.int64)
    boxes_t, boxes_d = (np.array(by_kind[k], dtype=float).reshape(-1, 4) for k in "td")
    return canvas, boxes_t, boxes_d, ids


@dataclass(frozen=True)
class Collages:
    """Test images for a detector, made by `make_collages`.

    Attributes:
        images: ``(n, size, size)`` float images in ``[0, 1]``.
        boxes: ``n`` arrays ``(k_i, 4)`` of the pasted target patches (e.g. faces),
            ``(x_min, y_min, x_max, y_max)``, exclusive ends.
        distractor_boxes: ``n`` arrays of the pasted distractor patches (e.g. non-faces).
        target_ids: ``n`` integer arrays: which patch of ``targets`` each box holds.
    """

    images: np.ndarray
    boxes: list
    distractor_boxes: list
    target_ids: list


def make_collages(
    targets: Any,
    distractors: Any,
    n_images: int,
    size: int = 100,
    n_targets: int = 3,
    n_distractors: int = 2,
    scale_range: tuple[float, float] = (1.0, 1.6),
    background: Any = None,
    gap: int = 2,
    seed: int = 0,
) -> Collages:
    """Canvases holding rescaled patches at known, non-overlapping positions.

    Every canvas is a random ``size x size`` crop of ``background`` (or mid grey), on which
    ``n_targets`` patches of ``targets`` and ``n_distractors`` of ``distractors`` are pasted,
    each rescaled by a factor drawn uniformly in ``scale_range`` and kept at least ``gap``
    pixels from the others. Patches are drawn without replacement while the pool lasts
    (a shuffled cycle over the pool), so held-out patches are each used once when there
    are enough of them.

    Args:
        targets: ``(n_t, h, w)`` grey patches in ``[0, 1]`` (e.g. faces).
        distractors: ``(n_d, h', w')`` grey patches in ``[0, 1]`` (e.g. non-faces).
        n_images: number of canvases, >= 1.
        size: canvas side in pixels.
        n_targets, n_distractors: patches of each kind per canvas, >= 0.
        scale_range: ``(low, high)`` rescaling factors, ``0 < low <= high``.
        background: ``(H, W)`` grey image in ``[0, 1]`` at least ``size`` on each side, or
            None for a grey 0.5 canvas.
        gap: the least number of pixels between two patches, >= 0.
        seed: seed of the placement, >= 0.

    Returns:
        `Collages`.

    Raises:
        ValueError: bad arrays or sizes, or patches that do not fit on the canvas
            (after 100 attempts).

    Taught in notebooks/12_sliding_windows.ipynb.

    Examples:
        >>> c = make_collages(np.ones((4, 5, 5)), np.zeros((4, 5, 5)), 2, size=30, seed=1)
        >>> c.images.shape, [len(b) for b in c.boxes], [len(b) for b in c.distractor_boxes]
        ((2, 30, 30), [3, 3], [2, 2])
    """
    tgt = check_array("targets", targets, ndim=3, dtype="float", allow_empty=False)
    dis = check_array("distractors", distractors, ndim=3, dtype="float", allow_empty=False)
    size = check_int("size", size, 1, MAX_SIDE)
    n_images = check_int("n_images", n_images, 1, max(1, MAX_COUNT // (size * size)))
    n_targets = check_int("n_targets", n_targets, 0, size * size)  # a pixel each at least
    n_distractors = check_int("n_distractors", n_distractors, 0, size * size)
    low, high = _check_scale_range(scale_range)
    gap = check_int("gap", gap, 0)
    seed = check_int("seed", seed, 0)
    if background is not None:
        background = check_array("background", background, ndim=2, dtype="float")
        if min(background.shape) < size:
            fail(
                "background", f"an image at least {size} pixels on each side", str(background.shape)
            )
    rng = np.random.default_rng(seed)
    pools = {
        "t": _PatchPool(tgt, rng.permutation(len(tgt))),
        "d": _PatchPool(dis, rng.permutation(len(dis))),
    }
    counts = (("t", n_targets), ("d", n_distractors))
    made = [
        _collage(background, size, pools, counts, (low, high), gap, rng) for _ in range(n_images)
    ]
    images, boxes, dboxes, ids = (list(column) for column in zip(*made, strict=True))
    return Collages(np.clip(np.stack(images), 0.0, 1.0), boxes, dboxes, ids)
