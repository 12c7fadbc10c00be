"""Filters: true convolution and cross-correlation in 1D and 2D, and the classic kernels.

This is the signal-processing side of the course's first lesson. What a ConvNet layer
computes is a *cross-correlation* (the filter is not flipped); this module makes the
difference concrete:

* `convolve1d` / `convolve2d` are true convolutions (kernel flipped), matching
  ``numpy.convolve`` and ``scipy.signal.convolve2d``;
* `correlate1d` / `correlate2d` are cross-correlations, matching ``numpy.correlate`` and
  ``scipy.signal.correlate2d``;
* `flip_kernel` turns one into the other;
* classic kernels (vertical/horizontal edges, Sobel, Scharr, Gaussian) are functions that
  return fresh float arrays.

Every function takes ``mode`` ``"full"``, ``"same"`` or ``"valid"``. The 2D functions
default to ``"valid"``, the course's operator (a 6x6 image and a 3x3 filter give 4x4),
where SciPy defaults to ``"full"``; `correlate2d` also takes a ConvNet's ``pad`` and
``stride``. The NumPy layer API (``conv_forward`` and friends) lives in `cvutils.conv`.

Bad arguments (wrong rank, empty arrays, unknown modes, NaN or inf, sizes beyond
`cvutils.checks.MAX_COUNT`) raise ``ValueError`` naming the argument.

Taught in notebooks/02_edge_detection_and_convolution.ipynb.

Example:
    >>> image = [[10, 10, 10, 0, 0, 0]] * 6
    >>> correlate2d(image, vertical_edge())
    array([[ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cvutils.checks import MAX_COUNT, check_array, check_choice, check_int, check_real, fail

__all__ = [
    "DIRECTIONS",
    "SIGNAL_MODES",
    "GAUSSIAN_5x5_159",
    "convolve1d",
    "convolve2d",
    "correlate1d",
    "correlate2d",
    "flip_kernel",
    "gaussian_kernel",
    "horizontal_edge",
    "scharr",
    "sobel",
    "vertical_edge",
]

SIGNAL_MODES = ("full", "same", "valid")
DIRECTIONS = ("vertical", "horizontal")
#: The largest side of a generated kernel (a 10,000 x 10,000 kernel is 800 MB already).
MAX_KERNEL_SIZE = 10_000


def _check_signal_pair(
    name_x: str, x: Any, name_k: str, k: Any, ndim: int, layout_x: str, layout_k: str
) -> tuple[np.ndarray, np.ndarray]:
    """Two non-empty, finite real arrays of rank ``ndim`` in their common dtype."""
    x = check_array(name_x, x, ndim=ndim, allow_empty=False, layout=layout_x)
    k = check_array(name_k, k, ndim=ndim, allow_empty=False, layout=layout_k)
    dtype = np.result_type(x, k)  # like NumPy and SciPy: integers stay integers
    return x.astype(dtype, copy=False), k.astype(dtype, copy=False)


def _check_output_size(shape: tuple[int, ...], what: str) -> None:
    """Refuses a full output larger than `MAX_COUNT` entries (it would not fit in memory)."""
    size = int(np.prod(shape, dtype=object))
    if size > MAX_COUNT:
        fail(what, f"small enough for a full output of at most {MAX_COUNT} entries", f"{shape}")


def _correlate_full_1d(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Full cross-correlation, ``out[t] = sum_j xpad[t + j] * k[j]``, length N + M - 1."""
    xp = np.pad(x, (k.size - 1, k.size - 1))
    return sliding_window_view(xp, k.size) @ k


def _correlate_full_2d(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Full 2D cross-correlation, shape (n + k - 1, m + l - 1)."""
    kh, kw = k.shape
    xp = np.pad(x, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return np.tensordot(sliding_window_view(xp, k.shape), k, axes=((2, 3), (0, 1)))


def _crop_1d(full: np.ndarray, n: int, m: int, mode: str, same_start: int) -> np.ndarray:
    if mode == "full":
        return full
    if mode == "same":
        return full[same_start : same_start + max(n, m)]
    return full[min(n, m) - 1 : min(n, m) - 1 + abs(n - m) + 1]


def _signal_1d(x: Any, k: Any, mode: Any) -> tuple[np.ndarray, np.ndarray, str]:
    x, k = _check_signal_pair("x", x, "k", k, 1, "(N,)", "(M,)")
    mode = check_choice("mode", mode, SIGNAL_MODES)
    _check_output_size((x.size + k.size - 1, min(x.size, k.size)), "x and k")
    return x, k, mode


def convolve1d(x: Any, k: Any, mode: str = "full") -> np.ndarray:
    """True 1D convolution (the kernel is flipped), identical to ``numpy.convolve``.

    ``(x * k)[t] = sum_j x[j] * k[t - j]``.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        x: (N,) signal.
        k: (M,) kernel.
        mode: ``"full"`` (length N + M - 1, the default as in NumPy), ``"same"`` (length
            max(N, M), centred as NumPy does) or ``"valid"`` (length max(N, M) - min(N, M) + 1).

    Returns:
        (L,) array in the common dtype of ``x`` and ``k`` (L as given by ``mode``).

    Raises:
        ValueError: naming ``x``, ``k`` or ``mode``: not 1-D, empty, NaN/inf, unknown mode.

    Example:
        >>> convolve1d([1, 0, -1], [0, 1, 2]).tolist()
        [0, 1, 2, -1, -2]
    """
    x, k, mode = _signal_1d(x, k, mode)
    full = _correlate_full_1d(x, k[::-1])
    return _crop_1d(full, x.size, k.size, mode, (min(x.size, k.size) - 1) // 2)


def correlate1d(x: Any, k: Any, mode: str = "valid") -> np.ndarray:
    """1D cross-correlation (no flip), identical to ``numpy.correlate``.

    ``out[t] = sum_j x[t + j] * k[j]`` (shifted so that "full" starts with the kernel's
    last entry over the signal's first).

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        x: (N,) signal.
        k: (M,) kernel.
        mode: ``"valid"`` (the default, as in NumPy), ``"same"`` or ``"full"``.

    Returns:
        (L,) array in the common dtype of ``x`` and ``k``.

    Raises:
        ValueError: naming ``x``, ``k`` or ``mode``: not 1-D, empty, NaN/inf, unknown mode.

    Example:
        >>> correlate1d([1, 2, 3, 4], [1, -1]).tolist()
        [-1, -1, -1]
    """
    x, k, mode = _signal_1d(x, k, mode)
    full = _correlate_full_1d(x, k)
    # NumPy centres "same" differently when it swaps the inputs (kernel longer than signal).
    same_start = (k.size - 1) // 2 if k.size <= x.size else x.size // 2
    return _crop_1d(full, x.size, k.size, mode, same_start)


def flip_kernel(k: Any) -> np.ndarray:
    """Rotates a 2D kernel by 180 degrees (flips both axes).

    Convolving with ``k`` is cross-correlating with ``flip_kernel(k)``.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        k: (f_H, f_W) kernel.

    Returns:
        (f_H, f_W) copy of ``k[::-1, ::-1]``.

    Raises:
        ValueError: if ``k`` is not a finite real 2-D array.

    Example:
        >>> flip_kernel([[3, 4, 5], [1, 0, 2], [-1, 9, 7]]).tolist()
        [[7, 9, -1], [2, 0, 1], [5, 4, 3]]
    """
    k = check_array("k", k, ndim=2, layout="(f_H, f_W)")
    return k[::-1, ::-1].copy()


def _correlate2d_checked(
    image: np.ndarray, kernel: np.ndarray, mode: str, same_offset: tuple[int, int]
) -> np.ndarray:
    """Crops the full 2D cross-correlation of validated inputs to ``mode``.

    "same" keeps ``image.shape`` starting at ``same_offset`` of the full output; SciPy uses
    ``(f - 1) // 2`` for convolution and ``f // 2`` for correlation (they differ for even
    kernels). "valid" keeps the positions where one input covers the other, for a kernel
    larger than the image too (SciPy swaps the inputs then).
    """
    (n, m), (kh, kw) = image.shape, kernel.shape
    if mode == "valid" and not ((n >= kh and m >= kw) or (n <= kh and m <= kw)):
        fail(
            "kernel",
            "no larger than image in every dimension (or larger in every dimension) for "
            "mode='valid'",
            f"kernel.shape={kernel.shape} with image.shape={image.shape}",
        )
    _check_output_size((n + kh - 1, m + kw - 1, min(n, kh), min(m, kw)), "image and kernel")
    full = _correlate_full_2d(image, kernel)
    if mode == "full":
        return full
    if mode == "same":
        r, c = same_offset
        return full[r : r + n, c : c + m]
    r, c = min(n, kh) - 1, min(m, kw) - 1
    return full[r : r + abs(n - kh) + 1, c : c + abs(m - kw) + 1]


def _signal_2d(image: Any, kernel: Any, mode: Any) -> tuple[np.ndarray, np.ndarray, str]:
    image, kernel = _check_signal_pair(
        "image", image, "kernel", kernel, 2, "(n_H, n_W)", "(f_H, f_W)"
    )
    return image, kernel, check_choice("mode", mode, SIGNAL_MODES)


def convolve2d(image: Any, kernel: Any, mode: str = "valid") -> np.ndarray:
    """True 2D convolution (kernel rotated by 180 degrees), like ``scipy.signal.convolve2d``.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        image: (n_H, n_W) image.
        kernel: (f_H, f_W) kernel.
        mode: ``"valid"`` (default: the course's operator, (n_H - f_H + 1, n_W - f_W + 1)),
            ``"same"`` (the image's shape, centred as SciPy does) or ``"full"``
            ((n_H + f_H - 1, n_W + f_W - 1)). Note SciPy's default is ``"full"``.

    Returns:
        2D array in the common dtype of ``image`` and ``kernel``.

    Raises:
        ValueError: naming ``image``, ``kernel`` or ``mode``.

    Example:
        >>> image = [[10, 10, 10, 0, 0, 0]] * 6
        >>> convolve2d(image, vertical_edge())[0].tolist()  # flipped: the sign changes
        [0.0, -30.0, -30.0, 0.0]
    """
    image, kernel, mode = _signal_2d(image, kernel, mode)
    kh, kw = kernel.shape
    return _correlate2d_checked(image, kernel[::-1, ::-1], mode, ((kh - 1) // 2, (kw - 1) // 2))


def correlate2d(
    image: Any, kernel: Any, mode: str = "valid", pad: int = 0, stride: int = 1
) -> np.ndarray:
    """2D cross-correlation, what a ConvNet layer computes; like ``scipy.signal.correlate2d``.

    ``out[h, w] = sum_{i, j} image[h + i, w + j] * kernel[i, j]`` (mode "valid"). The image
    is first zero-padded by ``pad`` on every side, then the output is taken every
    ``stride`` positions, so in mode "valid" the output has
    ``conv_output_size(n, f, pad, stride)`` rows/columns, as in a ConvNet layer.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        image: (n_H, n_W) image.
        kernel: (f_H, f_W) kernel (not flipped).
        mode: ``"valid"`` (default: the course's operator, 6x6 with 3x3 gives 4x4),
            ``"same"`` (the padded image's shape, centred as SciPy does) or ``"full"``.
            With ``pad=0, stride=1`` the result equals ``scipy.signal.correlate2d`` in every
            mode (SciPy's default mode is ``"full"``).
        pad: zero padding on each side of the image, an integer >= 0.
        stride: step between output positions, an integer >= 1.

    Returns:
        2D array in the common dtype of ``image`` and ``kernel``.

    Raises:
        ValueError: naming ``image``, ``kernel``, ``mode``, ``pad`` or ``stride``.

    Example:
        The course's 6x6 vertical-edge example: bright left half, dark right half.

        >>> img = [[10, 10, 10, 0, 0, 0]] * 6
        >>> correlate2d(img, vertical_edge())[0].tolist()
        [0.0, 30.0, 30.0, 0.0]
        >>> correlate2d(img, vertical_edge(), pad=1).shape
        (6, 6)
    """
    image, kernel, mode = _signal_2d(image, kernel, mode)
    pad = check_int("pad", pad, 0, MAX_COUNT)
    stride = check_int("stride", stride, 1, MAX_COUNT)
    if pad:
        padded = tuple(n + 2 * pad for n in image.shape)
        _check_output_size(padded, "pad")
        image = np.pad(image, pad)
    kh, kw = kernel.shape
    out = _correlate2d_checked(image, kernel, mode, (kh // 2, kw // 2))
    return out[::stride, ::stride] if stride > 1 else out


# --------------------------------------------------------------------------------------
# Classic kernels
# --------------------------------------------------------------------------------------


def vertical_edge(size: int = 3) -> np.ndarray:
    """The course's vertical edge detector (bright left, dark right), ``[[1, 0, -1]] * 3``.

    For another ``size``: ``+1`` left of the centre column, ``0`` on it (odd sizes), ``-1``
    right of it, in every row.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        size: side of the square kernel, an integer in 1..10000 (default 3).

    Returns:
        (size, size) float64 array (a fresh copy).

    Example:
        >>> vertical_edge().tolist()
        [[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]]
    """
    size = check_int("size", size, 1, MAX_KERNEL_SIZE)
    row = np.sign((size - 1) / 2 - np.arange(size)).astype(np.float64)
    return np.tile(row, (size, 1))


def horizontal_edge(size: int = 3) -> np.ndarray:
    """The horizontal edge detector (bright top, dark bottom), the transpose of `vertical_edge`.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        size: side of the square kernel, an integer in 1..10000 (default 3).

    Returns:
        (size, size) float64 array (a fresh copy).

    Example:
        >>> horizontal_edge()[:, 0].tolist()
        [1.0, 0.0, -1.0]
    """
    return vertical_edge(size).T.copy()


def _directional(kernel: list[list[float]], direction: Any) -> np.ndarray:
    k = np.array(kernel, dtype=np.float64)
    return k if check_choice("direction", direction, DIRECTIONS) == "vertical" else k.T.copy()


def sobel(direction: str = "vertical") -> np.ndarray:
    """Sobel filter: ``[[1, 0, -1], [2, 0, -2], [1, 0, -1]]`` ("vertical") or its transpose.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        direction: ``"vertical"`` (detects vertical edges) or ``"horizontal"``.

    Returns:
        (3, 3) float64 array.

    Example:
        >>> sobel()[1].tolist()
        [2.0, 0.0, -2.0]
    """
    return _directional([[1, 0, -1], [2, 0, -2], [1, 0, -1]], direction)


def scharr(direction: str = "vertical") -> np.ndarray:
    """Scharr filter: ``[[3, 0, -3], [10, 0, -10], [3, 0, -3]]`` ("vertical") or its transpose.

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        direction: ``"vertical"`` (detects vertical edges) or ``"horizontal"``.

    Returns:
        (3, 3) float64 array.

    Example:
        >>> scharr("horizontal")[0].tolist()
        [3.0, 10.0, 3.0]
    """
    return _directional([[3, 0, -3], [10, 0, -10], [3, 0, -3]], direction)


def gaussian_kernel(size: int = 5, sigma: float = 1.4) -> np.ndarray:
    """Sampled 2D Gaussian ``exp(-(x^2 + y^2) / (2 sigma^2))``, normalized to sum to 1.

    Computed relative to the centre, so any finite ``sigma > 0`` works: a huge ``sigma``
    gives the box blur, a tiny one the identity (or the central 2x2 average for even sizes).

    Taught in notebooks/02_edge_detection_and_convolution.ipynb.

    Args:
        size: side of the square kernel, an integer in 1..10000 (centred at ``(size - 1) / 2``).
        sigma: standard deviation in pixels, a finite number > 0.

    Returns:
        (size, size) float64 array summing to 1. ``gaussian_kernel(5, 1.4)`` is close to
        `GAUSSIAN_5x5_159`.

    Raises:
        ValueError: naming ``size`` or ``sigma``.

    Example:
        >>> g = gaussian_kernel(5, 1.4)
        >>> g.shape, round(float(g.sum()), 12), bool(g[2, 2] == g.max())
        ((5, 5), 1.0, True)
    """
    size = check_int("size", size, 1, MAX_KERNEL_SIZE)
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    ax = np.arange(size, dtype=np.float64) - (size - 1) / 2
    r2 = ax[:, None] ** 2 + ax[None, :] ** 2
    d = r2 - r2.min()  # >= 0 and 0 at the centre: the largest entry is exp(0) = 1
    with np.errstate(over="ignore", under="ignore"):
        k = np.exp(-((d / (2.0 * sigma)) / sigma))  # never sigma**2: it over/underflows
    return k / k.sum()


GAUSSIAN_5x5_159 = (
    np.array(
        [
            [2, 4, 5, 4, 2],
            [4, 9, 12, 9, 4],
            [5, 12, 15, 12, 5],
            [4, 9, 12, 9, 4],
            [2, 4, 5, 4, 2],
        ],
        dtype=np.float64,
    )
    / 159.0
)
"""The classic integer 5x5 Gaussian (sigma about 1.4, as in Canny's detector) divided by 159
so it sums to 1. Read-only; copy it to modify. Taught in
notebooks/02_edge_detection_and_convolution.ipynb."""
GAUSSIAN_5x5_159.flags.writeable = False
