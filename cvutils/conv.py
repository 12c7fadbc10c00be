"""Convolution and pooling in NumPy: forward and backward, naive and vectorized.

This module is the reference implementation behind the course's first lessons. It
keeps the names, signatures and conventions of the course assignments so that a
learner can move between the two:

* Arrays are NHWC: activations ``(m, n_H, n_W, n_C)``, filters ``(f, f, n_C_prev, n_C)``,
  biases ``(1, 1, 1, n_C)``.
* ``conv_forward(A_prev, W, b, hparameters)`` with ``hparameters = {"stride": s, "pad": p}``
  returns ``(Z, cache)``; ``conv_backward(dZ, cache)`` returns ``(dA_prev, dW, db)``.
* ``pool_forward(A_prev, hparameters, mode)`` with ``hparameters = {"f": f, "stride": s}``
  returns ``(A, cache)``; ``pool_backward(dA, cache, mode)`` returns ``dA_prev``.

Every layer comes twice: a ``*_naive`` version written with explicit loops, as in the
assignment (read it to learn), and a vectorized version (use it to compute). Both give
the same numbers as ``tf.nn.conv2d`` / ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d``; the
tests check that, and the gradients against ``tf.GradientTape`` and centred differences.

What a ConvNet layer computes is a *cross-correlation* (the filter is not flipped). The
signal-processing side of the module makes the difference concrete:
``convolve1d`` / ``convolve2d`` are true convolutions (kernel flipped, matching
``numpy.convolve`` and ``scipy.signal.convolve2d``), ``correlate1d`` / ``correlate2d`` are
cross-correlations (matching ``numpy.correlate`` and ``scipy.signal.correlate2d``), and
``flip_kernel`` turns one into the other. Classic kernels (vertical/horizontal edges,
Sobel, Scharr, Gaussian) are functions returning fresh float arrays.

The 2D functions default to ``mode="valid"``, the course's operator (a 6x6 image and a
3x3 filter give 4x4), where SciPy defaults to ``"full"``; ``correlate2d`` also takes a
ConvNet's ``pad`` and ``stride``. Output sizes follow
``conv_output_size(n, f, pad, stride) = floor((n + 2 pad - f) / stride) + 1``.

Bad arguments (wrong rank, channel mismatch, a filter larger than the padded input,
``stride < 1``, ``pad < 0``, unknown modes, NaN or inf in the inputs) raise ``ValueError``
with a message that names the argument and the shapes or values received and expected.

Only NumPy is imported; TensorFlow and SciPy are used by the tests, never here.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cvutils.checks import check_int

__all__ = [
    "GAUSSIAN_5x5_159",
    "conv_backward",
    "conv_backward_naive",
    "conv_forward",
    "conv_forward_naive",
    "conv_output_size",
    "conv_single_step",
    "convolve1d",
    "convolve2d",
    "correlate1d",
    "correlate2d",
    "create_mask_from_window",
    "distribute_value",
    "flip_kernel",
    "gaussian_kernel",
    "horizontal_edge",
    "pool_backward",
    "pool_backward_naive",
    "pool_forward",
    "pool_forward_naive",
    "same_padding",
    "scharr",
    "sobel",
    "vertical_edge",
    "zero_pad",
]

POOL_MODES = ("max", "average")
SIGNAL_MODES = ("full", "same", "valid")
DIRECTIONS = ("vertical", "horizontal")

_NHWC = "(m, n_H, n_W, n_C)"


# --------------------------------------------------------------------------------------
# Validation helpers (shared by every public function)
# --------------------------------------------------------------------------------------


def _check_finite(name: str, x: np.ndarray) -> None:
    """Raises if a floating array holds NaN or inf (min/max propagate both, cheaply)."""
    if x.size == 0 or not np.issubdtype(x.dtype, np.inexact):
        return
    if np.isfinite(x.min()) and np.isfinite(x.max()):
        return
    bad = int(np.count_nonzero(~np.isfinite(x)))
    raise ValueError(
        f"{name} contains {bad} non-finite value(s) (NaN or inf) in an array of shape "
        f"{x.shape}; expected finite numbers."
    )


def _as_array(name: str, x: Any, ndim: int | None = None, layout: str = "") -> np.ndarray:
    """Converts ``x`` to a real numeric array, checking its rank and that it is finite."""
    arr = np.asarray(x)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(
            f"{name} must be a real numeric array; got dtype {arr.dtype} with shape {arr.shape}."
        )
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must have rank {ndim} {layout}; got shape {arr.shape} (rank {arr.ndim})."
        )
    _check_finite(name, arr)
    return arr


def _float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The common floating dtype of ``arrays`` (integers are promoted to float64)."""
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def _check_hparameters(hparameters: Any, keys: tuple[str, ...]) -> dict[str, int]:
    """Validates a course-style ``hparameters`` dict and returns the named integer entries."""
    if not isinstance(hparameters, Mapping):
        raise ValueError(
            f"hparameters must be a dict with keys {list(keys)}; "
            f"got {type(hparameters).__name__}: {hparameters!r}."
        )
    missing = [k for k in keys if k not in hparameters]
    if missing:
        raise ValueError(
            f"hparameters is missing key(s) {missing}; expected a dict with keys {list(keys)}, "
            f"got keys {sorted(map(str, hparameters))}."
        )
    minimum = {"stride": 1, "pad": 0, "f": 1}
    return {k: check_int(f"hparameters['{k}']", hparameters[k], minimum[k]) for k in keys}


def _check_mode(mode: Any, allowed: tuple[str, ...]) -> str:
    if mode not in allowed:
        raise ValueError(f"mode must be one of {list(allowed)}; got {mode!r}.")
    return mode


def _check_direction(direction: Any) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {list(DIRECTIONS)}; got {direction!r}.")
    return direction


def _check_conv_inputs(
    A_prev: Any, W: Any, b: Any, hparameters: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, tuple[int, int, int, int]]:
    """Validates the arguments of a convolution layer.

    Returns:
        ``(A_prev, W, b, stride, pad, Z_shape)`` with the arrays cast to one floating dtype
        and ``Z_shape = (m, n_H, n_W, n_C)``.
    """
    A_prev = _as_array("A_prev", A_prev, 4, "(m, n_H_prev, n_W_prev, n_C_prev)")
    W = _as_array("W", W, 4, "(f, f, n_C_prev, n_C)")
    b = _as_array("b", b)
    hp = _check_hparameters(hparameters, ("stride", "pad"))
    stride, pad = hp["stride"], hp["pad"]
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f_H, f_W, w_C_prev, n_C = W.shape
    if w_C_prev != n_C_prev:
        raise ValueError(
            f"W has {w_C_prev} input channels (W.shape[2]) but A_prev has {n_C_prev} "
            f"(A_prev.shape[3]); got W.shape={W.shape}, A_prev.shape={A_prev.shape}."
        )
    if b.shape != (1, 1, 1, n_C):
        raise ValueError(
            f"b must have shape (1, 1, 1, n_C) = (1, 1, 1, {n_C}) to match W.shape={W.shape}; "
            f"got b.shape={b.shape}."
        )
    if min(n_H_prev, n_W_prev, n_C_prev) < 1:
        raise ValueError(
            f"A_prev must have non-zero height, width and channels; got shape {A_prev.shape}."
        )
    if min(f_H, f_W, n_C) < 1:
        raise ValueError(f"W must have non-zero sizes (f, f, n_C_prev, n_C); got {W.shape}.")
    if f_H > n_H_prev + 2 * pad or f_W > n_W_prev + 2 * pad:
        raise ValueError(
            f"filter W of size {f_H}x{f_W} (W.shape={W.shape}) is larger than the padded input "
            f"A_prev of size {n_H_prev + 2 * pad}x{n_W_prev + 2 * pad} "
            f"(A_prev.shape={A_prev.shape}, pad={pad})."
        )
    dtype = _float_dtype(A_prev, W, b)
    n_H = (n_H_prev + 2 * pad - f_H) // stride + 1
    n_W = (n_W_prev + 2 * pad - f_W) // stride + 1
    return (
        A_prev.astype(dtype, copy=False),
        W.astype(dtype, copy=False),
        b.astype(dtype, copy=False),
        stride,
        pad,
        (m, n_H, n_W, n_C),
    )


def _check_pool_inputs(A_prev: Any, hparameters: Any) -> tuple[np.ndarray, int, int, tuple]:
    """Validates a pooling layer's input; returns ``(A_prev, f, stride, A_shape)``."""
    A_prev = _as_array("A_prev", A_prev, 4, "(m, n_H_prev, n_W_prev, n_C_prev)")
    hp = _check_hparameters(hparameters, ("f", "stride"))
    f, stride = hp["f"], hp["stride"]
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    if f > n_H_prev or f > n_W_prev:
        raise ValueError(
            f"hparameters['f']={f} is larger than the input A_prev of size "
            f"{n_H_prev}x{n_W_prev} (A_prev.shape={A_prev.shape})."
        )
    A_prev = A_prev.astype(_float_dtype(A_prev), copy=False)
    shape = (m, (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1, n_C)
    return A_prev, f, stride, shape


def _check_gradient_shape(name: str, d: Any, expected: tuple, dtype: np.dtype) -> np.ndarray:
    d = _as_array(name, d, 4, _NHWC)
    if d.shape != tuple(expected):
        raise ValueError(
            f"{name} must have the shape of the layer's output {tuple(expected)}; "
            f"got {name}.shape={d.shape}."
        )
    return d.astype(np.result_type(d.dtype, dtype), copy=False)


def _check_cache(cache: Any, size: int, layout: str) -> tuple:
    if not isinstance(cache, tuple | list) or len(cache) != size:
        raise ValueError(
            f"cache must be the tuple {layout} returned by the forward pass; "
            f"got {type(cache).__name__} of length "
            f"{len(cache) if hasattr(cache, '__len__') else '?'}."
        )
    return tuple(cache)


def _window(A: np.ndarray, i: int, j: int, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """The view ``A[:, i + stride*h, j + stride*w, :]`` for ``h < n_H``, ``w < n_W``.

    These are the input entries that filter offset ``(i, j)`` meets at every output
    position; looping over the ``f * f`` offsets (not over the output positions) is what
    makes the vectorized layers fast.
    """
    return A[:, i : i + stride * (n_H - 1) + 1 : stride, j : j + stride * (n_W - 1) + 1 : stride, :]


# --------------------------------------------------------------------------------------
# Output-size arithmetic
# --------------------------------------------------------------------------------------


def conv_output_size(n: int, f: int, pad: int = 0, stride: int = 1, strict: bool = False) -> int:
    """Size of a convolution or pooling output along one spatial axis.

    ``floor((n + 2*pad - f) / stride) + 1``: an ``n x n`` input, an ``f x f`` filter,
    padding ``pad`` and stride ``stride`` give an output of that size per side.

    Args:
        n: input size (height or width), an integer >= 1.
        f: filter size, an integer >= 1 and at most ``n + 2*pad``.
        pad: zero padding on each side, an integer >= 0.
        stride: step between filter positions, an integer >= 1.
        strict: if True, refuse a stride that does not tile the padded input exactly,
            i.e. ``(n + 2*pad - f) % stride != 0`` (frameworks floor and silently drop the
            last rows/columns; strict mode makes that visible).

    Returns:
        The output size, an ``int``.

    Raises:
        ValueError: on a non-integer or out-of-range argument, or (strict) an inexact stride.

    Example:
        >>> conv_output_size(6, 3), conv_output_size(227, 11, stride=4)
        (4, 55)
    """
    n = check_int("n", n, 1)
    f = check_int("f", f, 1)
    pad = check_int("pad", pad, 0)
    stride = check_int("stride", stride, 1)
    if f > n + 2 * pad:
        raise ValueError(
            f"f={f} is larger than the padded input n + 2*pad = {n} + 2*{pad} = {n + 2 * pad}; "
            f"expected f <= {n + 2 * pad}."
        )
    if strict and (n + 2 * pad - f) % stride:
        raise ValueError(
            f"stride={stride} does not fit exactly: (n + 2*pad - f) = ({n} + 2*{pad} - {f}) = "
            f"{n + 2 * pad - f} is not divisible by {stride}; frameworks floor the size to "
            f"{(n + 2 * pad - f) // stride + 1} and ignore the last "
            f"{(n + 2 * pad - f) % stride} row(s)/column(s)."
        )
    return (n + 2 * pad - f) // stride + 1


def same_padding(f: int) -> int:
    """Padding that keeps the size of a stride-1 convolution ("same" convolution).

    ``p = (f - 1) / 2`` so that ``n + 2p - f + 1 = n``. Only odd ``f`` allow it with the same
    padding on both sides, which is one reason filters are almost always odd (3, 5, 7).

    Args:
        f: filter size, an odd integer >= 1.

    Returns:
        ``(f - 1) // 2``.

    Raises:
        ValueError: if ``f`` is not a positive integer, or is even (``f - 1`` is then odd and
            would need asymmetric padding, as TensorFlow's ``padding="SAME"`` does).
    """
    f = check_int("f", f, 1)
    if f % 2 == 0:
        raise ValueError(
            f"f={f} is even: 'same' padding needs p = (f - 1)/2 = {(f - 1) / 2}, which is not "
            f"an integer, so the two sides would need different padding; expected an odd f."
        )
    return (f - 1) // 2


# --------------------------------------------------------------------------------------
# Convolution layer
# --------------------------------------------------------------------------------------


def zero_pad(X: Any, pad: int) -> np.ndarray:
    """Pads the height and width of a batch of images with zeros.

    Args:
        X: (m, n_H, n_W, n_C) batch of images.
        pad: number of zeros added on each side of the height and width, an integer >= 0.

    Returns:
        (m, n_H + 2*pad, n_W + 2*pad, n_C) padded copy of ``X`` (same dtype).
    """
    X = _as_array("X", X, 4, _NHWC)
    pad = check_int("pad", pad, 0)
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)


def conv_single_step(a_slice_prev: Any, W: Any, b: Any) -> float:
    """Applies one filter to one slice of the previous activation: ``sum(a * W) + b``.

    Args:
        a_slice_prev: (f, f, n_C_prev) slice of the input.
        W: (f, f, n_C_prev) weights of one filter.
        b: (1, 1, 1) bias of that filter (any array holding one number).

    Returns:
        The scalar ``Z``, a Python ``float``.
    """
    a_slice_prev = _as_array("a_slice_prev", a_slice_prev, 3, "(f, f, n_C_prev)")
    W = _as_array("W", W, 3, "(f, f, n_C_prev)")
    b = _as_array("b", b)
    if a_slice_prev.shape != W.shape:
        raise ValueError(
            f"a_slice_prev and W must have the same shape (f, f, n_C_prev); "
            f"got a_slice_prev.shape={a_slice_prev.shape}, W.shape={W.shape}."
        )
    if b.size != 1:
        raise ValueError(f"b must hold one number, shape (1, 1, 1); got b.shape={b.shape}.")
    return float(np.sum(a_slice_prev * W)) + float(b.reshape(()))


def conv_forward_naive(A_prev: Any, W: Any, b: Any, hparameters: Mapping) -> tuple:
    """Forward pass of a convolution layer with four explicit loops (the teaching version).

    Loops over examples, output rows, output columns and filters, exactly as in the course
    assignment; use :func:`conv_forward` to compute.

    Args:
        A_prev: (m, n_H_prev, n_W_prev, n_C_prev) activations of the previous layer.
        W: (f, f, n_C_prev, n_C) filters.
        b: (1, 1, 1, n_C) biases.
        hparameters: ``{"stride": s, "pad": p}``.

    Returns:
        ``(Z, cache)``: Z is (m, n_H, n_W, n_C) with
        ``n_H = floor((n_H_prev + 2p - f) / s) + 1``; ``cache = (A_prev, W, b, hparameters)``.
    """
    A, Wf, bf, stride, pad, shape = _check_conv_inputs(A_prev, W, b, hparameters)
    m, n_H, n_W, n_C = shape
    f_H, f_W = Wf.shape[:2]
    Z = np.zeros(shape, dtype=A.dtype)
    A_prev_pad = zero_pad(A, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f_H
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f_W
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, Wf[:, :, :, c], bf[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


# Bytes of unrolled receptive fields processed at a time: small enough to stay in cache
# between the copy and the matrix product, large enough to keep BLAS efficient.
_CHUNK_BYTES = 1 << 22


def _receptive_fields(
    A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int
) -> np.ndarray:
    """Every receptive field of a padded input, as a read-only view (nothing is copied).

    Returns:
        (m, n_H, n_W, f_H, f_W * n_C_prev) view ``V`` with
        ``V[n, h, w, i] = A_pad[n, h*s + i, w*s : w*s + f_W, :].ravel()``. In NHWC the
        ``f_W * n_C_prev`` entries of one filter row are contiguous in memory, so copying
        ``V`` moves long contiguous runs. Flattened, its last two axes follow the order of
        ``W.reshape(f_H * f_W * n_C_prev, n_C)``.
    """
    m, n_H_pad, n_W_pad, n_C_prev = A_pad.shape
    rows = np.ascontiguousarray(A_pad).reshape(m, n_H_pad, n_W_pad * n_C_prev)
    step = stride * n_C_prev
    # (m, n_H_pad, n_W, f_W * n_C_prev): the filter-row segments along each padded row.
    v = sliding_window_view(rows, f_W * n_C_prev, axis=2)[:, :, : step * (n_W - 1) + 1 : step]
    # (m, n_H, n_W, f_W * n_C_prev, f_H): f_H consecutive rows, every stride-th start.
    v = sliding_window_view(v, f_H, axis=1)[:, : stride * (n_H - 1) + 1 : stride]
    return np.moveaxis(v, -1, 3)


def _chunks(m: int, n_H: int, row_bytes: int):
    """Splits the output into blocks of about ``_CHUNK_BYTES`` of receptive fields.

    Yields ``(images, rows)`` slices: several whole images when one image is small,
    otherwise bands of output rows of one image.
    """
    image_bytes = max(1, n_H * row_bytes)
    if image_bytes <= _CHUNK_BYTES:
        k = _CHUNK_BYTES // image_bytes
        for n0 in range(0, m, k):
            yield slice(n0, min(n0 + k, m)), slice(0, n_H)
    else:
        bands = min(n_H, -(-image_bytes // _CHUNK_BYTES))  # ceil, at most one band per row
        edges = [n_H * q // bands for q in range(bands + 1)]  # (nearly) equal heights >= 1
        for n in range(m):
            for h0, h1 in itertools.pairwise(edges):
                yield slice(n, n + 1), slice(h0, h1)


class _Im2col:
    """im2col by blocks: the unrolled receptive fields of one block of the output at a time.

    ``block(images, rows)`` returns a contiguous (k * r * n_W, f_H * f_W * n_C_prev) matrix,
    one receptive field per row, written into a buffer reused for every block.
    """

    def __init__(self, A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int):
        self.fields = _receptive_fields(A_pad, f_H, f_W, stride, n_H, n_W)
        self.K = f_H * f_W * A_pad.shape[3]
        self.row_bytes = n_W * self.K * A_pad.dtype.itemsize
        self.blocks = list(_chunks(A_pad.shape[0], n_H, self.row_bytes))
        size = max((i.stop - i.start) * (r.stop - r.start) for i, r in self.blocks) * n_W * self.K
        self.buffer = np.empty(size, dtype=A_pad.dtype)

    def block(self, images: slice, rows: slice) -> np.ndarray:
        src = self.fields[images, rows]
        cols = self.buffer[: src.size].reshape(src.shape)
        np.copyto(cols, src)
        return cols.reshape(-1, self.K)


def _correlate_batch(
    X_pad: np.ndarray,
    W: np.ndarray,
    stride: int,
    n_H: int,
    n_W: int,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """``Z[n, h, w, c] = sum_{i, j, k} X_pad[n, h*s + i, w*s + j, k] * W[i, j, k, c] (+ bias[c])``.

    The engine of :func:`conv_forward` (and of the stride-1 input gradient): im2col block by
    block, each block times ``W.reshape(f_H * f_W * n_C_prev, n_C)`` written in place into Z.
    """
    f_H, f_W, _, n_C = W.shape
    Z = np.empty((X_pad.shape[0], n_H, n_W, n_C), dtype=X_pad.dtype)
    if Z.size == 0:
        return Z
    im2col = _Im2col(X_pad, f_H, f_W, stride, n_H, n_W)
    W_2d, Z_2d = np.ascontiguousarray(W).reshape(-1, n_C), Z.reshape(-1, n_C)
    for images, rows in im2col.blocks:
        # A block's outputs are consecutive rows of Z_2d: write them in place.
        first = (images.start * n_H + rows.start) * n_W
        last = ((images.stop - 1) * n_H + rows.stop) * n_W
        out = Z_2d[first:last]
        np.matmul(im2col.block(images, rows), W_2d, out=out)
        if bias is not None:
            out += bias  # while the block is still in cache
    return Z


def conv_forward(A_prev: Any, W: Any, b: Any, hparameters: Mapping) -> tuple:
    """Forward pass of a convolution layer, vectorized (im2col + matrix products).

    Computes the cross-correlation ``Z[i, h, w, c] = sum(A_pad[i, h*s:h*s+f, w*s:w*s+f, :]
    * W[..., c]) + b[..., c]``, the same numbers as ``tf.nn.conv2d`` with explicit padding
    ``[[0, 0], [p, p], [p, p], [0, 0]]`` plus the bias.

    How: every receptive field is unrolled into a row of a matrix (im2col) that is
    multiplied by the filters reshaped to ``(f*f*n_C_prev, n_C)``, one BLAS matrix product.
    The rows are unrolled a few MiB at a time into one reused buffer, so the copy stays in
    cache and no huge temporary is allocated. The computation keeps the input's floating
    dtype (float32 stays float32; integer inputs are computed in float64).

    Args:
        A_prev: (m, n_H_prev, n_W_prev, n_C_prev) activations of the previous layer.
        W: (f, f, n_C_prev, n_C) filters (non-square ``(f_H, f_W, ...)`` also works).
        b: (1, 1, 1, n_C) biases.
        hparameters: ``{"stride": s, "pad": p}``.

    Returns:
        ``(Z, cache)``: Z is (m, n_H, n_W, n_C) with
        ``n_H = floor((n_H_prev + 2p - f) / s) + 1`` (see :func:`conv_output_size`);
        ``cache = (A_prev, W, b, hparameters)`` for :func:`conv_backward`.

    Raises:
        ValueError: on a wrong rank, a channel mismatch, a bias of the wrong shape, a filter
            larger than the padded input, ``stride < 1``, ``pad < 0`` or non-finite values.
    """
    A, Wf, bf, stride, pad, (_, n_H, n_W, n_C) = _check_conv_inputs(A_prev, W, b, hparameters)
    A_pad = np.pad(A, ((0, 0), (pad, pad), (pad, pad), (0, 0))) if pad else A
    Z = _correlate_batch(A_pad, Wf, stride, n_H, n_W, bias=bf.reshape(n_C))
    return Z, (A_prev, W, b, hparameters)


def _unpack_conv_cache(dZ: Any, cache: Any) -> tuple:
    A_prev, W, b, hparameters = _check_cache(cache, 4, "(A_prev, W, b, hparameters)")
    A, Wf, bf, stride, pad, shape = _check_conv_inputs(A_prev, W, b, hparameters)
    dZ = _check_gradient_shape("dZ", dZ, shape, A.dtype)
    return A, Wf, bf, stride, pad, dZ


def _input_gradient_stride1(dZ: np.ndarray, W: np.ndarray, pad: int, A_shape: tuple) -> np.ndarray:
    """dA_prev of a stride-1 convolution, as a convolution itself.

    Each input entry collects ``W[i, j, :, c] * dZ[h, w, c]`` from every output that saw
    it, which is a *full* cross-correlation of ``dZ`` with the filters rotated by 180
    degrees and their input/output channels swapped. Pad ``dZ`` by ``f - 1 - pad`` (crop
    instead when ``pad > f - 1``) and reuse the forward engine: no scatter-add needed.
    """
    f_H, f_W = W.shape[:2]
    n_H_prev, n_W_prev = A_shape[1:3]
    q_H, q_W = f_H - 1 - pad, f_W - 1 - pad
    dZ_pad = np.pad(dZ, ((0, 0), (max(q_H, 0),) * 2, (max(q_W, 0),) * 2, (0, 0)))
    W_rot = W[::-1, ::-1].transpose(0, 1, 3, 2)  # (f_H, f_W, n_C, n_C_prev)
    n_H_full, n_W_full = dZ_pad.shape[1] - f_H + 1, dZ_pad.shape[2] - f_W + 1
    dA = _correlate_batch(dZ_pad, W_rot, 1, n_H_full, n_W_full)
    c_H, c_W = max(-q_H, 0), max(-q_W, 0)
    return dA[:, c_H : c_H + n_H_prev, c_W : c_W + n_W_prev, :]


def conv_backward(dZ: Any, cache: tuple) -> tuple:
    """Backward pass of a convolution layer, vectorized.

    With ``cols`` the im2col matrix of the forward pass (one receptive field per row):

    * ``dW = cols.T @ dZ`` and ``db = sum(dZ)`` over examples and positions;
    * ``dA_prev``: ``dcols = dZ @ W.T`` holds, for every output position, the gradient of
      its receptive field; col2im adds those back at the input positions they came from
      (one strided add per filter offset, overlaps accumulate) and the padding is cut off.
      For stride 1 the same sum is computed as a full convolution of ``dZ`` with the
      rotated filters, which is faster (see ``_input_gradient_stride1``).

    Works block by block like :func:`conv_forward`, in the common floating dtype of
    ``A_prev`` and ``dZ``.

    Args:
        dZ: (m, n_H, n_W, n_C) gradient of the cost with respect to the output Z.
        cache: ``(A_prev, W, b, hparameters)`` from :func:`conv_forward`.

    Returns:
        ``(dA_prev, dW, db)`` with the shapes of ``A_prev`` (m, n_H_prev, n_W_prev, n_C_prev),
        ``W`` (f, f, n_C_prev, n_C) and ``b`` (1, 1, 1, n_C).
    """
    A, Wf, _, stride, pad, dZ = _unpack_conv_cache(dZ, cache)
    _, n_H, n_W, n_C = dZ.shape
    f_H, f_W, n_C_prev, _ = Wf.shape
    dtype = np.result_type(A.dtype, dZ.dtype)
    A, dZ, Wf = (x.astype(dtype, copy=False) for x in (A, dZ, Wf))
    W_2d = Wf.reshape(-1, n_C)
    A_pad = np.pad(A, ((0, 0), (pad, pad), (pad, pad), (0, 0))) if pad else A
    dW_2d = np.zeros(W_2d.shape, dtype=dtype)
    db = dZ.sum(axis=(0, 1, 2), dtype=dtype).reshape(1, 1, 1, n_C)
    scatter = stride > 1  # col2im for dA_prev; stride 1 uses _input_gradient_stride1
    dA_pad = np.zeros(A_pad.shape, dtype=dtype) if scatter else None
    if dZ.size:
        im2col = _Im2col(A_pad, f_H, f_W, stride, n_H, n_W)
        dcols_buffer = np.empty_like(im2col.buffer) if scatter else None
        for images, rows in im2col.blocks:
            dZ_block = dZ[images, rows]
            dZ_2d = dZ_block.reshape(-1, n_C)
            cols = im2col.block(images, rows)
            dW_2d += cols.T @ dZ_2d
            if not scatter:
                continue
            dcols = dcols_buffer[: cols.size].reshape(cols.shape)
            np.matmul(dZ_2d, W_2d.T, out=dcols)
            dcols = dcols.reshape(*dZ_block.shape[:3], f_H, f_W, n_C_prev)
            r = rows.stop - rows.start
            start = rows.start * stride
            dA_block = dA_pad[images, start : start + stride * (r - 1) + f_H]
            for i in range(f_H):
                for j in range(f_W):
                    _window(dA_block, i, j, stride, r, n_W)[...] += dcols[:, :, :, i, j, :]
    if scatter:
        n_H_prev, n_W_prev = A.shape[1:3]
        dA_prev = dA_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    else:
        dA_prev = _input_gradient_stride1(dZ, Wf, pad, A.shape)
    return np.ascontiguousarray(dA_prev), dW_2d.reshape(Wf.shape), db


def conv_backward_naive(dZ: Any, cache: tuple) -> tuple:
    """Backward pass of a convolution layer with explicit loops (the teaching version).

    For every example, output position and filter, the slice of the padded input that
    produced ``Z[i, h, w, c]`` receives ``W[..., c] * dZ[i, h, w, c]`` and the filter
    receives ``a_slice * dZ[i, h, w, c]``, as in the course assignment.

    Args:
        dZ: (m, n_H, n_W, n_C) gradient of the cost with respect to the output Z.
        cache: ``(A_prev, W, b, hparameters)`` from :func:`conv_forward`.

    Returns:
        ``(dA_prev, dW, db)`` with the shapes of ``A_prev``, ``W`` and ``b``.
    """
    A, Wf, _, stride, pad, dZ = _unpack_conv_cache(dZ, cache)
    m, n_H, n_W, n_C = dZ.shape
    f_H, f_W = Wf.shape[:2]
    n_H_prev, n_W_prev = A.shape[1:3]
    dtype = np.result_type(A.dtype, dZ.dtype)
    dA_prev_pad = np.zeros((m, n_H_prev + 2 * pad, n_W_prev + 2 * pad, A.shape[3]), dtype=dtype)
    dW = np.zeros(Wf.shape, dtype=dtype)
    db = np.zeros((1, 1, 1, n_C), dtype=dtype)
    A_prev_pad = zero_pad(A, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f_H
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f_W
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += (
                        Wf[:, :, :, c] * dZ[i, h, w, c]
                    )
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    dA_prev = dA_prev_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return np.ascontiguousarray(dA_prev), dW, db


# --------------------------------------------------------------------------------------
# Pooling layer
# --------------------------------------------------------------------------------------


def create_mask_from_window(x: Any) -> np.ndarray:
    """Boolean mask of the maximum of a pooling window: ``x == max(x)``.

    Args:
        x: (f, f) window (any shape works).

    Returns:
        Boolean array of the shape of ``x``, True where ``x`` equals its maximum. With ties
        every tied maximum is True (the course's convention; TensorFlow picks one).
    """
    x = _as_array("x", x)
    if x.size == 0:
        raise ValueError(f"x must be a non-empty window; got shape {x.shape}.")
    return x == np.max(x)


def distribute_value(dz: Any, shape: tuple) -> np.ndarray:
    """Spreads a gradient evenly over a pooling window (backward of average pooling).

    Args:
        dz: the scalar gradient of one output of the average pool.
        shape: ``(n_H, n_W)`` of the window.

    Returns:
        (n_H, n_W) float array with every entry ``dz / (n_H * n_W)``.
    """
    dz_arr = _as_array("dz", dz)
    if dz_arr.size != 1:
        raise ValueError(f"dz must be a scalar; got shape {dz_arr.shape}.")
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise ValueError(f"shape must be a pair (n_H, n_W); got {shape!r}.")
    n_H = check_int("shape[0]", shape[0], 1)
    n_W = check_int("shape[1]", shape[1], 1)
    return np.full((n_H, n_W), float(dz_arr.reshape(())) / (n_H * n_W))


def pool_forward_naive(A_prev: Any, hparameters: Mapping, mode: str = "max") -> tuple:
    """Forward pass of a pooling layer with explicit loops (the teaching version).

    Args:
        A_prev: (m, n_H_prev, n_W_prev, n_C) input.
        hparameters: ``{"f": f, "stride": s}`` (no padding).
        mode: ``"max"`` or ``"average"``.

    Returns:
        ``(A, cache)``: A is (m, n_H, n_W, n_C) with ``n_H = floor((n_H_prev - f) / s) + 1``;
        ``cache = (A_prev, hparameters)``.
    """
    A_in, f, stride, shape = _check_pool_inputs(A_prev, hparameters)
    mode = _check_mode(mode, POOL_MODES)
    m, n_H, n_W, n_C = shape
    A = np.zeros(shape, dtype=A_in.dtype)
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_in[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.mean(a_prev_slice)
    return A, (A_prev, hparameters)


def pool_forward(A_prev: Any, hparameters: Mapping, mode: str = "max") -> tuple:
    """Forward pass of a pooling layer, vectorized (one pass per window offset).

    Matches ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` with ``padding="VALID"``.

    Args:
        A_prev: (m, n_H_prev, n_W_prev, n_C) input.
        hparameters: ``{"f": f, "stride": s}`` (no padding; windows may overlap when s < f).
        mode: ``"max"`` or ``"average"``.

    Returns:
        ``(A, cache)``: A is (m, n_H, n_W, n_C) with ``n_H = floor((n_H_prev - f) / s) + 1``;
        ``cache = (A_prev, hparameters)`` for :func:`pool_backward`.

    Raises:
        ValueError: on a wrong rank, missing or invalid ``hparameters``, a window larger
            than the input, an unknown mode or non-finite values.
    """
    A_in, f, stride, shape = _check_pool_inputs(A_prev, hparameters)
    mode = _check_mode(mode, POOL_MODES)
    _, n_H, n_W, _ = shape
    A = _window(A_in, 0, 0, stride, n_H, n_W).copy()
    for i in range(f):
        for j in range(f):
            if i == j == 0:
                continue
            window = _window(A_in, i, j, stride, n_H, n_W)
            if mode == "max":
                np.maximum(A, window, out=A)
            else:
                A += window
    if mode == "average":
        A /= f * f
    return A, (A_prev, hparameters)


def _unpack_pool_cache(dA: Any, cache: Any, mode: Any) -> tuple:
    A_prev, hparameters = _check_cache(cache, 2, "(A_prev, hparameters)")
    A_in, f, stride, shape = _check_pool_inputs(A_prev, hparameters)
    mode = _check_mode(mode, POOL_MODES)
    dA = _check_gradient_shape("dA", dA, shape, A_in.dtype)
    return A_in, f, stride, dA, mode


def pool_backward(dA: Any, cache: tuple, mode: str = "max") -> np.ndarray:
    """Backward pass of a pooling layer, vectorized.

    * ``"max"``: each output's gradient goes to the input position(s) equal to the window
      maximum, the course's mask ``x == max(x)``. If a window has tied maxima, *every*
      tied position receives the full gradient (TensorFlow sends it to one of them). With
      continuous random data ties do not happen and both agree.
    * ``"average"``: each output's gradient is spread evenly, ``dA / (f*f)``, over its window.

    Overlapping windows (``stride < f``) accumulate.

    Args:
        dA: (m, n_H, n_W, n_C) gradient of the cost with respect to the pooling output.
        cache: ``(A_prev, hparameters)`` from :func:`pool_forward`.
        mode: ``"max"`` or ``"average"``; the mode of the forward pass.

    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C) gradient with respect to the input.
    """
    A_in, f, stride, dA, mode = _unpack_pool_cache(dA, cache, mode)
    _, n_H, n_W, _ = dA.shape
    dA_prev = np.zeros(A_in.shape, dtype=np.result_type(A_in.dtype, dA.dtype))
    if mode == "max":
        A = _window(A_in, 0, 0, stride, n_H, n_W).copy()
        for i in range(f):
            for j in range(f):
                np.maximum(A, _window(A_in, i, j, stride, n_H, n_W), out=A)
        for i in range(f):
            for j in range(f):
                mask = _window(A_in, i, j, stride, n_H, n_W) == A
                _window(dA_prev, i, j, stride, n_H, n_W)[...] += mask * dA
    else:
        share = dA / (f * f)
        for i in range(f):
            for j in range(f):
                _window(dA_prev, i, j, stride, n_H, n_W)[...] += share
    return dA_prev


def pool_backward_naive(dA: Any, cache: tuple, mode: str = "max") -> np.ndarray:
    """Backward pass of a pooling layer with explicit loops (the teaching version).

    Uses :func:`create_mask_from_window` (max) and :func:`distribute_value` (average)
    window by window, as in the course assignment; see :func:`pool_backward` for ties.

    Args:
        dA: (m, n_H, n_W, n_C) gradient of the cost with respect to the pooling output.
        cache: ``(A_prev, hparameters)`` from :func:`pool_forward`.
        mode: ``"max"`` or ``"average"``.

    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C) gradient with respect to the input.
    """
    A_in, f, stride, dA, mode = _unpack_pool_cache(dA, cache, mode)
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_in.shape, dtype=np.result_type(A_in.dtype, dA.dtype))
    for i in range(m):
        a_prev = A_in[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += (
                            mask * dA[i, h, w, c]
                        )
                    else:
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += (
                            distribute_value(dA[i, h, w, c], (f, f))
                        )
    return dA_prev


# --------------------------------------------------------------------------------------
# Signal processing: true convolution vs cross-correlation
# --------------------------------------------------------------------------------------


def _check_signal_pair(
    name_x: str, x: Any, name_k: str, k: Any, ndim: int, layout_x: str, layout_k: str
) -> tuple[np.ndarray, np.ndarray]:
    x = _as_array(name_x, x, ndim, layout_x)
    k = _as_array(name_k, k, ndim, layout_k)
    for name, arr in ((name_x, x), (name_k, k)):
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty; got shape {arr.shape}.")
    dtype = np.result_type(x, k)  # like NumPy and SciPy: integers stay integers
    return x.astype(dtype, copy=False), k.astype(dtype, copy=False)


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


def convolve1d(x: Any, k: Any, mode: str = "full") -> np.ndarray:
    """True 1D convolution (the kernel is flipped), identical to ``numpy.convolve``.

    ``(x * k)[t] = sum_j x[j] * k[t - j]``.

    Args:
        x: (N,) signal.
        k: (M,) kernel.
        mode: ``"full"`` (length N + M - 1, the default as in NumPy), ``"same"`` (length
            max(N, M), centred as NumPy does) or ``"valid"`` (length max(N, M) - min(N, M) + 1).

    Returns:
        1D array in the common dtype of ``x`` and ``k``.

    Example:
        >>> convolve1d([1, 0, -1], [0, 1, 2]).tolist()
        [0, 1, 2, -1, -2]
    """
    x, k = _check_signal_pair("x", x, "k", k, 1, "(N,)", "(M,)")
    mode = _check_mode(mode, SIGNAL_MODES)
    full = _correlate_full_1d(x, k[::-1])
    return _crop_1d(full, x.size, k.size, mode, (min(x.size, k.size) - 1) // 2)


def correlate1d(x: Any, k: Any, mode: str = "valid") -> np.ndarray:
    """1D cross-correlation (no flip), identical to ``numpy.correlate``.

    ``out[t] = sum_j x[t + j] * k[j]`` (shifted so that "full" starts with the kernel's
    last entry over the signal's first).

    Args:
        x: (N,) signal.
        k: (M,) kernel.
        mode: ``"valid"`` (the default, as in NumPy), ``"same"`` or ``"full"``.

    Returns:
        1D array in the common dtype of ``x`` and ``k``.
    """
    x, k = _check_signal_pair("x", x, "k", k, 1, "(N,)", "(M,)")
    mode = _check_mode(mode, SIGNAL_MODES)
    full = _correlate_full_1d(x, k)
    # NumPy centres "same" differently when it swaps the inputs (kernel longer than signal).
    same_start = (k.size - 1) // 2 if k.size <= x.size else x.size // 2
    return _crop_1d(full, x.size, k.size, mode, same_start)


def flip_kernel(k: Any) -> np.ndarray:
    """Rotates a 2D kernel by 180 degrees (flips both axes).

    Convolving with ``k`` is cross-correlating with ``flip_kernel(k)``.

    Args:
        k: (f_H, f_W) kernel.

    Returns:
        (f_H, f_W) copy of ``k[::-1, ::-1]``.

    Example:
        >>> flip_kernel([[3, 4, 5], [1, 0, 2], [-1, 9, 7]]).tolist()
        [[7, 9, -1], [2, 0, 1], [5, 4, 3]]
    """
    k = _as_array("k", k, 2, "(f_H, f_W)")
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
        raise ValueError(
            f"mode='valid' needs image larger than kernel in every dimension (or smaller in "
            f"every dimension); got image.shape={image.shape}, kernel.shape={kernel.shape}."
        )
    full = _correlate_full_2d(image, kernel)
    if mode == "full":
        return full
    if mode == "same":
        r, c = same_offset
        return full[r : r + n, c : c + m]
    r, c = min(n, kh) - 1, min(m, kw) - 1
    return full[r : r + abs(n - kh) + 1, c : c + abs(m - kw) + 1]


def convolve2d(image: Any, kernel: Any, mode: str = "valid") -> np.ndarray:
    """True 2D convolution (kernel rotated by 180 degrees), like ``scipy.signal.convolve2d``.

    Args:
        image: (n_H, n_W) image.
        kernel: (f_H, f_W) kernel.
        mode: ``"valid"`` (default: the course's operator, (n_H - f_H + 1, n_W - f_W + 1)),
            ``"same"`` (the image's shape, centred as SciPy does) or ``"full"``
            ((n_H + f_H - 1, n_W + f_W - 1)). Note SciPy's default is ``"full"``.

    Returns:
        2D array in the common dtype of ``image`` and ``kernel``.
    """
    image, kernel = _check_signal_pair(
        "image", image, "kernel", kernel, 2, "(n_H, n_W)", "(f_H, f_W)"
    )
    mode = _check_mode(mode, SIGNAL_MODES)
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

    Example:
        >>> img = [[10, 10, 10, 0, 0, 0]] * 6
        >>> correlate2d(img, vertical_edge())[0].tolist()
        [0.0, 30.0, 30.0, 0.0]
    """
    image, kernel = _check_signal_pair(
        "image", image, "kernel", kernel, 2, "(n_H, n_W)", "(f_H, f_W)"
    )
    mode = _check_mode(mode, SIGNAL_MODES)
    pad = check_int("pad", pad, 0)
    stride = check_int("stride", stride, 1)
    if pad:
        image = np.pad(image, pad)
    kh, kw = kernel.shape
    out = _correlate2d_checked(image, kernel, mode, (kh // 2, kw // 2))
    return out[::stride, ::stride] if stride > 1 else out


# --------------------------------------------------------------------------------------
# Classic kernels
# --------------------------------------------------------------------------------------


def vertical_edge() -> np.ndarray:
    """The course's 3x3 vertical edge detector ``[[1, 0, -1]] * 3`` (bright left, dark right)."""
    return np.array([[1.0, 0.0, -1.0]] * 3)


def horizontal_edge() -> np.ndarray:
    """The 3x3 horizontal edge detector, the transpose of :func:`vertical_edge`."""
    return vertical_edge().T.copy()


def _directional(kernel: list[list[float]], direction: str) -> np.ndarray:
    k = np.array(kernel, dtype=np.float64)
    return k if _check_direction(direction) == "vertical" else k.T.copy()


def sobel(direction: str = "vertical") -> np.ndarray:
    """Sobel filter: ``[[1, 0, -1], [2, 0, -2], [1, 0, -1]]`` ("vertical") or its transpose.

    Args:
        direction: ``"vertical"`` (detects vertical edges) or ``"horizontal"``.

    Returns:
        (3, 3) float64 array.
    """
    return _directional([[1, 0, -1], [2, 0, -2], [1, 0, -1]], direction)


def scharr(direction: str = "vertical") -> np.ndarray:
    """Scharr filter: ``[[3, 0, -3], [10, 0, -10], [3, 0, -3]]`` ("vertical") or its transpose.

    Args:
        direction: ``"vertical"`` (detects vertical edges) or ``"horizontal"``.

    Returns:
        (3, 3) float64 array.
    """
    return _directional([[3, 0, -3], [10, 0, -10], [3, 0, -3]], direction)


def gaussian_kernel(size: int = 5, sigma: float = 1.4) -> np.ndarray:
    """Sampled 2D Gaussian ``exp(-(x^2 + y^2) / (2 sigma^2))``, normalized to sum to 1.

    Args:
        size: side of the square kernel, an integer >= 1 (centred at ``(size - 1) / 2``).
        sigma: standard deviation in pixels, a finite number > 0.

    Returns:
        (size, size) float64 array summing to 1. ``gaussian_kernel(5, 1.4)`` is close to
        :data:`GAUSSIAN_5x5_159`.
    """
    size = check_int("size", size, 1)
    if (
        isinstance(sigma, bool)
        or not isinstance(sigma, numbers.Real)
        or not np.isfinite(sigma)
        or sigma <= 0
    ):
        raise ValueError(f"sigma must be a finite number > 0; got {sigma!r}.")
    ax = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2.0 * float(sigma) ** 2))
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
so it sums to 1. Read-only; copy it to modify."""
GAUSSIAN_5x5_159.flags.writeable = False
