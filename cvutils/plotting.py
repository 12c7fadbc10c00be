"""Figures a person would rather look at than read: image grids, kernels, curves, confusion.

All functions draw with matplotlib and return the `Figure` so notebooks and tests can
inspect or save it. None of them call ``plt.show()``; Jupyter shows the figure itself.
Arguments are checked with `cvutils.checks` before anything is drawn.

Taught in notebooks/00_setup_and_tour.ipynb (image grids) and
notebooks/05_convnets_in_keras.ipynb (curves, confusion matrices, misclassified images).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cvutils.checks import (
    check_array,
    check_bool,
    check_int,
    check_labels,
    check_real,
    check_same_length,
    check_str,
    describe,
    fail,
)
from cvutils.segmentation import _count_label_pairs  # the one counter of label pairs

#: The most panels one figure draws (images in a grid, classes of a confusion matrix).
MAX_PANELS = 1000


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _optional_str(name: str, value) -> str | None:
    return None if value is None else check_str(name, value, allow_empty=True)


def _class_names(name: str, value) -> list[str] | None:
    """None or a non-empty sequence of strings."""
    if value is None:
        return None
    if (
        isinstance(value, str | bytes)
        or not isinstance(value, Sequence | np.ndarray)
        or (isinstance(value, np.ndarray) and value.ndim != 1)
    ):
        fail(name, "a sequence of class names", describe(value), kind=True)
    names = [check_str(f"{name}[{i}]", v, allow_empty=True) for i, v in enumerate(value)]
    if not names or len(names) > MAX_PANELS:
        fail(name, f"1..{MAX_PANELS} class names", f"{len(names)}")
    return names


def _check_names_cover(class_names: list[str] | None, y_true, y_pred) -> None:
    """Refuses labels without a name; the message names the labels *and* ``class_names``."""
    if class_names is None:
        return
    k = len(class_names)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        labels = check_labels(name, y)
        if labels.size and labels.max() >= k:
            fail(
                name,
                f"class indices in 0..{k - 1} (one per entry of class_names)",
                f"values in {labels.min()}..{labels.max()}",
            )


def _images(name: str, images) -> list[np.ndarray]:
    """``(N, H, W[, C])`` array or a sequence of ``(H, W)`` / ``(H, W, C)`` images."""
    if images is None or isinstance(images, str | bytes) or not hasattr(images, "__len__"):
        fail(name, "an array (N, H, W[, C]) or a list of images", describe(images), kind=True)
    if hasattr(images, "shape") and hasattr(images, "dtype"):
        arr = check_array(name, images, ndim=(3, 4), layout="(N, H, W) or (N, H, W, C)")
        out = list(arr)
    else:
        out = [
            check_array(f"{name}[{i}]", im, ndim=(2, 3), layout="(H, W) or (H, W, C)")
            for i, im in enumerate(images)
        ]
    for i, im in enumerate(out):
        if im.ndim == 3 and im.shape[-1] not in (1, 3, 4):
            fail(f"{name}[{i}]", "an image with 1, 3 or 4 channels", describe(im))
    if not out or len(out) > MAX_PANELS:
        fail(name, f"1..{MAX_PANELS} images", f"{len(out)}")
    return out


def image_grid(
    images,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str | None = "gray",
    size: float = 1.6,
    suptitle: str | None = None,
):
    """Shows images in a grid.

    Args:
        images: ``(N, H, W)`` grey or ``(N, H, W, 3)`` RGB array, or a list of such images
            (they may differ in size).
        titles: optional ``N`` titles.
        ncols: columns of the grid.
        cmap: colour map for grey images.
        size: inches per cell, in ``(0, 20]``.
        suptitle: title of the whole figure.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: for no images or more than `MAX_PANELS`, an image that is not 2-D or
            ``(H, W, C)`` with 1, 3 or 4 channels, titles of another length, bad ``ncols``,
            ``cmap``, ``size`` or ``suptitle``.

    Taught in notebooks/00_setup_and_tour.ipynb.
    """
    images = _images("images", images)
    n = len(images)
    if titles is not None:
        if (
            isinstance(titles, str | bytes)
            or not hasattr(titles, "__len__")
            or (isinstance(titles, np.ndarray) and titles.ndim != 1)
        ):
            fail("titles", "a sequence of one title per image", describe(titles), kind=True)
        if len(titles) != n:
            fail("titles", f"one entry per image ({n})", f"{len(titles)} entries")
    ncols = check_int("ncols", ncols, 1, MAX_PANELS)
    cmap = _optional_str("cmap", cmap)
    size = check_real("size", size, low=0.0, low_open=True, high=20.0, high_open=False)
    suptitle = _optional_str("suptitle", suptitle)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    plt = _plt()
    title_room = (
        0.35 if titles is not None else 0.0
    )  # keeps a row's titles clear of the images above
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols, (size + title_room) * nrows + (0.4 if suptitle else 0)),
        squeeze=False,
    )
    axes = np.atleast_1d(axes).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            img = images[i]
            ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_matrix(
    matrix, title: str | None = None, fmt: str = "{:g}", cmap: str = "coolwarm", ax=None
):
    """Draws a small 2D array with every number written in its cell (kernels, outputs).

    Args:
        matrix: ``(H, W)`` finite array, at most `MAX_PANELS` cells.
        title: axes title.
        fmt: format of each number, e.g. ``"{:.2f}"``.
        cmap: colour map.
        ax: matplotlib axes to draw on; a new figure when None.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: for a bad argument, each named.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.
    """
    m = check_array("matrix", matrix, ndim=2, allow_empty=False, layout="(H, W)")
    if m.size > MAX_PANELS:
        fail("matrix", f"at most {MAX_PANELS} cells (each gets its number)", describe(m))
    title = _optional_str("title", title)
    fmt = check_str("fmt", fmt)
    try:
        fmt.format(m.flat[0])
    except (ValueError, TypeError, IndexError, KeyError) as err:
        fail("fmt", "a format such as '{:g}' or '{:.2f}'", f"{fmt!r} ({err})")
    cmap = check_str("cmap", cmap)
    plt = _plt()
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            fail("ax", "a matplotlib Axes or None", describe(ax), kind=True)
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.5 * m.shape[1] + 1, 0.5 * m.shape[0] + 0.8))
    else:
        fig = ax.figure
    vmax = float(np.max(np.abs(m))) or 1.0
    ax.imshow(m, cmap=cmap, vmin=-vmax, vmax=vmax)
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def plot_history(history, metrics: Sequence[str] | None = None):
    """Training curves from a Keras ``History`` (or its ``.history`` dict).

    One panel per metric (``loss``, ``accuracy``, ...), training and ``val_`` curves together.

    Args:
        history: a ``keras.callbacks.History`` or a non-empty dict ``name -> values``.
        metrics: the names to draw (None: every name without the ``val_`` prefix).

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: for an empty history, a metric it does not have, or values that are
            not a 1-D finite sequence.

    Taught in notebooks/05_convnets_in_keras.ipynb.
    """
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict) or not hist:
        fail("history", "a keras History or a non-empty dict", describe(history), kind=True)
    if metrics is None:
        metrics = [k for k in hist if not (isinstance(k, str) and k.startswith("val_"))]
    elif isinstance(metrics, str | bytes) or not isinstance(metrics, Sequence):
        fail("metrics", "a list of metric names or None", describe(metrics), kind=True)
    metrics = [check_str(f"metrics[{i}]", m) for i, m in enumerate(metrics)]
    if not metrics or len(metrics) > MAX_PANELS:
        fail("metrics", f"1..{MAX_PANELS} metric names", repr(metrics))
    for name in metrics:
        if name not in hist:
            fail("metrics", f"names in the history {sorted(map(str, hist))}", repr(name))
        for key in (name, f"val_{name}"):
            if key in hist:
                check_array(f"history[{key!r}]", hist[key], ndim=1)
    plt = _plt()
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3))
    for ax, name in zip(np.atleast_1d(axes), metrics, strict=True):
        epochs = np.arange(1, len(hist[name]) + 1)
        ax.plot(epochs, hist[name], "o-", label="train")
        if f"val_{name}" in hist:
            ax.plot(epochs, hist[f"val_{name}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts ``(n_classes, n_classes)``: row = true class, column = predicted class.

    Args:
        y_true, y_pred: ``(N,)`` class indices in ``0..n_classes-1`` (integer-valued floats
            are accepted, any other float, negative or too large label is refused).
        n_classes: the number of classes, ``1..MAX_PANELS``; None: the largest label + 1.

    Raises:
        ValueError: for labels out of range, of different lengths, or a bad ``n_classes``.

    Taught in notebooks/05_convnets_in_keras.ipynb.

    Examples:
        >>> confusion_matrix([0, 1, 1], [0, 1, 0], n_classes=2).tolist()
        [[1, 0], [1, 1]]
    """
    if n_classes is not None:
        n_classes = check_int("n_classes", n_classes, 1, MAX_PANELS)
    y_true = check_labels("y_true", y_true, n_classes)
    y_pred = check_labels("y_pred", y_pred, n_classes)
    check_same_length("y_true", y_true, "y_pred", y_pred)
    k = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    if k > MAX_PANELS:
        fail("y_true and y_pred", f"labels below {MAX_PANELS} (or pass n_classes)", f"{k - 1}")
    return _count_label_pairs(y_true, y_pred, k)


def plot_confusion_matrix(
    y_true, y_pred, class_names: Sequence[str] | None = None, normalize: bool = False
):
    """Draws the confusion matrix with counts (or row fractions) in each cell.

    Args:
        y_true, y_pred: ``(N,)`` class indices (see `confusion_matrix`).
        class_names: one name per class (None: the numbers).
        normalize: show row fractions instead of counts.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: for bad labels (including a label without a class name) or arguments.

    Taught in notebooks/05_convnets_in_keras.ipynb.
    """
    class_names = _class_names("class_names", class_names)
    normalize = check_bool("normalize", normalize)
    _check_names_cover(class_names, y_true, y_pred)
    cm = confusion_matrix(y_true, y_pred, len(class_names) if class_names else None)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    k = cm.shape[0]
    names = list(class_names) if class_names else [str(i) for i in range(k)]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(0.45 * k + 2, 0.45 * k + 1.6))
    ax.imshow(shown, cmap="Blues")
    for (i, j), v in np.ndenumerate(shown):
        ax.text(
            j,
            i,
            f"{v:.2f}" if normalize else str(v),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if v > shown.max() / 2 else "black",
        )
    ax.set_xticks(range(k), names, rotation=90 if k > 12 else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    return fig


def plot_misclassified(
    images, y_true, y_pred, class_names: Sequence[str] | None = None, max_images: int = 16
):
    """A grid of the first ``max_images`` images whose prediction is wrong.

    Each image is titled true -> predicted.

    Args:
        images: ``(N, H, W[, C])`` images or a list of ``N`` images.
        y_true, y_pred: ``(N,)`` class indices (integer-valued floats accepted); below
            ``len(class_names)`` when names are given.
        class_names: one name per class (None: the numbers).
        max_images: how many to show at most, ``1..MAX_PANELS``.

    Returns:
        The matplotlib `Figure`, or None when nothing is misclassified.

    Raises:
        ValueError: for lengths that differ, labels without a class name or bad arguments.

    Taught in notebooks/05_convnets_in_keras.ipynb.
    """
    class_names = _class_names("class_names", class_names)
    _check_names_cover(class_names, y_true, y_pred)
    n_classes = len(class_names) if class_names else None
    y_true = check_labels("y_true", y_true, n_classes)
    y_pred = check_labels("y_pred", y_pred, n_classes)
    check_same_length("y_true", y_true, "y_pred", y_pred)
    max_images = check_int("max_images", max_images, 1, MAX_PANELS)
    if images is None or isinstance(images, str | bytes) or not hasattr(images, "__len__"):
        fail("images", "an array (N, H, W[, C]) or a list of images", describe(images), kind=True)
    check_same_length("y_true", y_true, "images", images)
    wrong = np.flatnonzero(y_true != y_pred)[:max_images]
    if wrong.size == 0:
        return None

    def name(c):
        return class_names[int(c)] if class_names else str(int(c))

    titles = [f"{name(y_true[i])} -> {name(y_pred[i])}" for i in wrong]
    return image_grid(
        [images[int(i)] for i in wrong],
        titles=titles,
        ncols=8,
        suptitle="misclassified: true -> predicted",
    )
