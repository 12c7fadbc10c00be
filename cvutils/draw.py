"""Drawing boxes, keypoints and masks on images (matplotlib).

`draw_boxes` shows an image with its boxes (in a named format), class names, scores and
keypoints; `overlay_mask` blends a semantic or instance mask into an image and returns the
RGB array, so it can be checked, saved or shown.

Taught in notebooks/13_yolo_building_blocks.ipynb (boxes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cvutils.boxes import check_boxes, convert_boxes
from cvutils.checks import check_array, check_labels, check_real, check_str, describe, fail

__all__ = ["draw_boxes", "overlay_mask"]


def _rgb01(image: Any) -> np.ndarray:
    raw = check_array("image", image, ndim=(2, 3), layout="(H, W[, 3])")
    if raw.size == 0:
        fail("image", "a non-empty image", f"shape {raw.shape}")
    img = raw / 255.0 if raw.dtype.kind in "iu" else raw.astype(float)
    if img.ndim == 3 and img.shape[-1] not in (1, 3):
        fail("image", "an (H, W) or (H, W, 3) image", f"shape {img.shape}")
    if img.ndim == 2 or img.shape[-1] == 1:
        img = np.repeat(img.reshape((*img.shape[:2], 1)), 3, axis=-1)
    return img


def _colour(k: int) -> tuple[float, float, float, float]:
    import matplotlib

    return matplotlib.colormaps["tab10"](int(k) % 10)


def overlay_mask(image: Any, mask: Any, alpha: float = 0.5) -> np.ndarray:
    """Blends a label mask into an image: ``(H, W[, 3])`` + ``(H, W)`` -> ``(H, W, 3)``.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` image, integers in 0..255 or floats in ``[0, 1]``.
        mask: ``(H, W)`` integer labels, 0 for the background (left untouched), ``k >= 1``
            tinted with colour ``k - 1`` of matplotlib's ``tab10``; a boolean mask is label 1.
        alpha: the weight of the tint, in ``[0, 1]``.

    Returns:
        ``(H, W, 3)`` float RGB in ``[0, 1]`` (a new array).

    Examples:
        >>> out = overlay_mask(np.zeros((2, 2)), np.array([[0, 1], [0, 0]]), alpha=1.0)
        >>> out[0, 1].round(3), out[0, 0]
        (array([0.122, 0.467, 0.706]), array([0., 0., 0.]))
    """
    img = _rgb01(image).copy()
    labels = check_array("mask", mask, ndim=2, dtype="int", layout="(H, W)")
    if labels.shape != img.shape[:2]:
        fail("mask", f"the image's size {img.shape[:2]}", f"shape {labels.shape}")
    if labels.size and labels.min() < 0:
        fail("mask", "non-negative labels", f"minimum {labels.min()}")
    alpha = check_real("alpha", alpha, low=0, high=1, high_open=False)
    for k in np.unique(labels[labels > 0]):
        where = labels == k
        img[where] = (1 - alpha) * img[where] + alpha * np.array(_colour(k - 1)[:3])
    return img


def draw_boxes(
    image: Any,
    boxes: Any,
    fmt: str = "xyxy",
    *,
    class_ids: Any = None,
    class_names: Sequence[str] | None = None,
    scores: Any = None,
    keypoints: Any = None,
    ax: Any = None,
):
    """Shows ``image`` with its boxes, labels, scores and keypoints.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` image, integers in 0..255 or floats in ``[0, 1]``.
        boxes: ``(N, 4)`` pixel boxes in format ``fmt``.
        fmt: the boxes' format (`cvutils.boxes.FORMATS`).
        class_ids: ``(N,)`` class ids (colour and label of each box), or None.
        class_names: names of the class ids ("" draws the box without a label), or None (the
            ids are printed).
        scores: ``(N,)`` scores printed after the label, or None.
        keypoints: ``(N, K, 2)`` pixel ``(x, y)`` points, or None.
        ax: the matplotlib axes to draw on (None: a new figure).

    Returns:
        The matplotlib axes (one rectangle patch per box).

    Taught in notebooks/13_yolo_building_blocks.ipynb.
    """
    import matplotlib.patches as mpatches
    import matplotlib.pyplot as plt

    img = _rgb01(image)
    xyxy = convert_boxes(check_boxes("boxes", boxes, fmt), fmt, "xyxy")
    n = len(xyxy)
    ids = np.zeros(n, int) if class_ids is None else check_labels("class_ids", class_ids, n=n)
    if scores is not None:
        scores = check_array("scores", scores, shape=(n,), dtype="float")
    if keypoints is not None:
        keypoints = check_array("keypoints", keypoints, ndim=3, finite=False)
        if keypoints.shape[0] != n or keypoints.shape[2] != 2:
            fail("keypoints", f"an array of shape ({n}, K, 2)", f"shape {keypoints.shape}")
    if class_names is not None:
        if isinstance(class_names, str | bytes) or not isinstance(class_names, list | tuple):
            fail("class_names", "a list of names", describe(class_names), kind=True)
        for i, c in enumerate(class_names):
            check_str(f"class_names[{i}]", c, allow_empty=True)  # "": no label
    if ax is not None and not hasattr(ax, "add_patch"):
        fail("ax", "a matplotlib Axes or None", describe(ax), kind=True)
    if class_names is not None and n and ids.max() >= len(class_names):
        fail("class_names", f"a name for each class id up to {ids.max()}", f"{len(class_names)}")
    if ax is None:
        _, ax = plt.subplots()
    ax.imshow(img)
    for b in range(n):
        x1, y1, x2, y2 = xyxy[b]
        colour = _colour(ids[b])
        ax.add_patch(
            mpatches.Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, color=colour)
        )
        label = []
        if class_ids is not None:
            label.append(class_names[ids[b]] if class_names is not None else str(ids[b]))
        if scores is not None:
            label.append(f"{scores[b]:.2f}")
        label = [part for part in label if part]  # an empty class name: no label
        if label:
            ax.text(
                x1 - 0.5,
                y1 - 0.5,
                " ".join(label),
                color="white",
                fontsize=8,
                va="bottom",
                bbox={"facecolor": colour, "pad": 1, "linewidth": 0},
            )
        if keypoints is not None:
            ax.plot(keypoints[b, :, 0] - 0.5, keypoints[b, :, 1] - 0.5, "o", ms=3, color=colour)
    ax.set_axis_off()
    return ax
