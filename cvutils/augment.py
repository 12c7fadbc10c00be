"""Simple, exact image transforms used across notebooks (NumPy).

Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.
"""

from __future__ import annotations

import numpy as np

from cvutils.checks import check_array, check_real, describe, fail


def shift_images(images, dy, dx, fill=0):
    """Translates images by whole pixels; what moves out is lost, what moves in is ``fill``.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)`` array of finite real numbers.
        dy: rows to move down (negative: up); an int for all images or ``(N,)`` ints.
        dx: columns to move right (negative: left); an int or ``(N,)`` ints.
        fill: value of the uncovered pixels: a finite real number that the images' dtype
            holds exactly (an integer in range for integer images).

    Returns:
        A new array of the same shape and dtype as ``images`` (the input is not changed).

    Raises:
        ValueError: for a wrong rank, non-integer shifts, shifts of the wrong length or a
            ``fill`` that is None, NaN or not representable in the images' dtype.

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.

    Examples:
        >>> shift_images([[[1, 2, 3]]], 0, 1)[0].tolist()
        [[0, 1, 2]]
    """
    is_bool = getattr(images, "dtype", None) == np.bool_
    x = check_array("images", images, ndim=(3, 4), layout="(N, H, W) or (N, H, W, C)")
    if is_bool:
        x = x.astype(bool)
    n, h, w = x.shape[:3]
    fill = check_real("fill", fill)
    if x.dtype.kind in "iub":
        info = np.iinfo(x.dtype) if x.dtype.kind != "b" else None
        lo, hi = (0, 1) if info is None else (info.min, info.max)
        if fill != int(fill) or not lo <= fill <= hi:
            fail("fill", f"an integer in {lo}..{hi} for images of dtype {x.dtype}", repr(fill))
    shifts = []
    for name, value in (("dy", dy), ("dx", dx)):
        if isinstance(value, bool | np.bool_) or getattr(value, "dtype", None) == np.bool_:
            fail(name, "an int or an array of ints", describe(value), kind=True)
        v = check_array(name, value, ndim=(0, 1), dtype="int", layout="(an int or (N,) ints)")
        v = np.broadcast_to(v, (n,)) if v.ndim == 0 else v
        if v.shape != (n,):
            fail(name, f"an int or an array of shape ({n},)", describe(v))
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
    fill_value = np.asarray(int(fill) if x.dtype.kind in "iub" else fill).astype(x.dtype)
    return np.where(valid, out, fill_value).astype(x.dtype, copy=False)
