"""Figures a person would rather look at than read: image grids, kernels, curves, confusion.

All functions draw with matplotlib and return the `Figure` so notebooks and tests can
inspect or save it. None of them call ``plt.show()``; Jupyter shows the figure itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


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
        size: inches per cell.
        suptitle: title of the whole figure.

    Returns:
        The matplotlib `Figure`.
    """
    images = list(images)
    n = len(images)
    if n == 0:
        raise ValueError("images must hold at least one image, got 0")
    if titles is not None and len(titles) != n:
        raise ValueError(
            f"titles must have one entry per image: got {len(titles)} titles for {n} images"
        )
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
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
            img = np.asarray(images[i])
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
        matrix: ``(H, W)`` array.
        title: axes title.
        fmt: format of each number.
        cmap: colour map.
        ax: axes to draw on; a new figure when None.

    Returns:
        The matplotlib `Figure`.
    """
    m = np.asarray(matrix)
    if m.ndim != 2:
        raise ValueError(f"matrix must be 2-D, got shape {m.shape}")
    plt = _plt()
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

    Returns:
        The matplotlib `Figure`.
    """
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict) or not hist:
        raise ValueError(
            f"history must be a keras History or a non-empty dict, got {type(history).__name__}"
        )
    if metrics is None:
        metrics = [k for k in hist if not k.startswith("val_")]
    plt = _plt()
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3))
    for ax, name in zip(np.atleast_1d(axes), metrics, strict=True):
        if name not in hist:
            raise ValueError(f"metric {name!r} is not in the history; it has {sorted(hist)}")
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
    """Counts ``(n_classes, n_classes)``: row = true class, column = predicted class."""
    y_true = np.asarray(y_true).astype(int).ravel()
    y_pred = np.asarray(y_pred).astype(int).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {y_true.shape} and {y_pred.shape}"
        )
    k = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def plot_confusion_matrix(
    y_true, y_pred, class_names: Sequence[str] | None = None, normalize: bool = False
):
    """Draws the confusion matrix with counts (or row fractions) in each cell.

    Returns:
        The matplotlib `Figure`.
    """
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

    Returns:
        The matplotlib `Figure`, or None when nothing is misclassified.
    """
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    wrong = np.flatnonzero(y_true != y_pred)[:max_images]
    if wrong.size == 0:
        return None

    def name(c):
        return class_names[int(c)] if class_names else str(int(c))

    titles = [f"{name(y_true[i])} -> {name(y_pred[i])}" for i in wrong]
    return image_grid(
        np.asarray(images)[wrong],
        titles=titles,
        ncols=8,
        suptitle="misclassified: true -> predicted",
    )
