"""Simple, exact image transforms used across notebooks (NumPy)."""

from __future__ import annotations

import numpy as np


def shift_images(images, dy, dx, fill=0):
    """Translates images by whole pixels; what moves out is lost, what moves in is ``fill``.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)`` array.
        dy: rows to move down (negative: up); an int for all images or ``(N,)`` ints.
        dx: columns to move right (negative: left); an int or ``(N,)`` ints.
        fill: value of the uncovered pixels.

    Returns:
        Array of the same shape and dtype as ``images``.

    Raises:
        ValueError: for a wrong rank, non-integer shifts or shifts of the wrong length.
    """
    x = np.asarray(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C), got shape {x.shape}")
    n, h, w = x.shape[:3]
    shifts = []
    for name, value in (("dy", dy), ("dx", dx)):
        v = np.asarray(value)
        if v.dtype.kind not in "iu":
            raise ValueError(f"{name} must be an int or an array of ints, got {value!r}")
        v = np.broadcast_to(v, (n,)) if v.ndim == 0 else v
        if v.shape != (n,):
            raise ValueError(f"{name} must be a scalar or have shape ({n},), got shape {v.shape}")
        shifts.append(v.astype(np.int64))
    sy, sx = shifts
    rows = np.arange(h)[None, :] - sy[:, None]  # source row of each target row, (N, H)
    cols = np.arange(w)[None, :] - sx[:, None]  # (N, W)
    valid = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    out = x[
        np.arange(n)[:, None, None],
        np.clip(rows, 0, h - 1)[:, :, None],
        np.clip(cols, 0, w - 1)[:, None, :],
    ]
    if x.ndim == 4:
        valid = valid[..., None]
    return np.where(valid, out, np.asarray(fill, dtype=x.dtype)).astype(x.dtype, copy=False)
