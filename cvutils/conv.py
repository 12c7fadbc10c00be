"""The NumPy layer API: convolution and pooling layers, forward and backward.

This module is the reference implementation behind the course's step-by-step assignment.
It keeps the names, signatures and conventions of the course so that a learner can move
between the two:

* Arrays are NHWC: activations ``(m, n_H, n_W, n_C)``, filters ``(f, f, n_C_prev, n_C)``,
  biases ``(1, 1, 1, n_C)``.
* ``conv_forward(A_prev, W, b, hparameters)`` with ``hparameters = {"stride": s, "pad": p}``
  returns ``(Z, cache)``; ``conv_backward(dZ, cache)`` returns ``(dA_prev, dW, db)``.
* ``pool_forward(A_prev, hparameters, mode)`` with ``hparameters = {"f": f, "stride": s}``
  returns ``(A, cache)``; ``pool_backward(dA, cache, mode, ties)`` returns ``dA_prev``.
* ``conv_output_size(n, f, pad, stride) = floor((n + 2 pad - f) / stride) + 1``.

Every layer comes twice: a ``*_naive`` version written with explicit loops, as in the
assignment (read it to learn), and a vectorized version (use it to compute; its im2col
engine and the banded max-pool engine live in the private module ``cvutils._im2col``). Both
give the same numbers as ``tf.nn.conv2d`` / ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d``; the
tests check that, and the gradients against ``tf.GradientTape`` and centred differences.

The signal-processing functions (true convolution, cross-correlation, classic kernels)
live in `cvutils.filters`.

Bad arguments (wrong rank, channel mismatch, a filter larger than the padded input,
``stride < 1``, ``pad < 0``, unknown modes, NaN or inf in the inputs, sizes beyond
`cvutils.checks.MAX_COUNT`) raise ``ValueError`` with a message that names the argument
and the shapes or values received.

Taught in notebooks/04_convolution_step_by_step.ipynb (output sizes and padding in
notebooks/03_padding_strides_volumes_pooling.ipynb).

Example:
    The course's 6x6 vertical-edge example through the layer API (a 1-image, 1-channel
    batch and one 3x3 filter):

    >>> import numpy as np
    >>> A = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float).reshape(1, 6, 6, 1)
    >>> W = np.array([[1, 0, -1]] * 3, dtype=float).reshape(3, 3, 1, 1)
    >>> Z, cache = conv_forward(A, W, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0})
    >>> Z[0, :, :, 0]
    array([[ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.],
           [ 0., 30., 30.,  0.]])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cvutils import _im2col
from cvutils._im2col import window as _window
from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_shape,
    describe,
    fail,
)

__all__ = [
    "POOL_MODES",
    "TIES",
    "TRANSPOSE_PADDINGS",
    "conv_backward",
    "conv_backward_naive",
    "conv_forward",
    "conv_forward_naive",
    "conv_output_size",
    "conv_single_step",
    "conv_transpose_forward",
    "conv_transpose_forward_naive",
    "conv_transpose_output_size",
    "create_mask_from_window",
    "distribute_value",
    "pool_backward",
    "pool_backward_naive",
    "pool_forward",
    "pool_forward_naive",
    "same_padding",
    "zero_pad",
]

POOL_MODES = ("max", "average")
#: How max-pool backward routes the gradient of a window with tied maxima: ``"all"`` (the
#: course's mask ``x == max(x)``) or ``"first"`` (the first maximum in row-major order, as
#: TensorFlow's ``MaxPoolGrad``).
TIES = ("all", "first")

_NHWC = "(m, n_H, n_W, n_C)"


# --------------------------------------------------------------------------------------
# Validation helpers (shared by every public function)
# --------------------------------------------------------------------------------------


def _float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The common floating dtype of ``arrays`` (integers are promoted to float64)."""
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def _check_size(name: str, shape: tuple[int, ...], what: str) -> None:
    """Refuses an array of more than `MAX_COUNT` entries that ``name`` would make us build."""
    if int(np.prod(shape, dtype=object)) > MAX_COUNT:
        fail(name, f"small enough that {what} holds at most {MAX_COUNT} entries", f"{shape}")


def _check_hparameters(hparameters: Any, keys: tuple[str, ...]) -> dict[str, int]:
    """Validates a course-style ``hparameters`` dict and returns the named integer entries."""
    if not isinstance(hparameters, Mapping):
        fail("hparameters", f"a dict with keys {list(keys)}", describe(hparameters), kind=True)
    missing = [k for k in keys if k not in hparameters]
    if missing:
        fail(
            "hparameters",
            f"a dict with keys {list(keys)} (missing {missing})",
            f"keys {sorted(map(str, hparameters))}",
        )
    minimum = {"stride": 1, "pad": 0, "f": 1}
    return {
        k: check_int(f"hparameters['{k}']", hparameters[k], minimum[k], MAX_COUNT) for k in keys
    }


def _check_layer_arrays(A_prev: np.ndarray, W: np.ndarray, b: Any, in_axis: int) -> tuple:
    """Checks ``b`` and the sizes of the checked 4-D arrays ``A_prev`` and ``W``.

    ``W`` holds its input channels on axis ``in_axis``: 2 for a convolution
    ``(f, f, n_C_prev, n_C)``, 3 for a transposed one ``(f, f, n_C, n_C_prev)`` (Keras'
    layouts); its other channel axis is ``n_C``, which ``b`` of shape ``(1, 1, 1, n_C)`` must
    match. Returns ``(b, n_C)``.
    """
    out_axis = 5 - in_axis
    w_layout = "(f, f, n_C_prev, n_C)" if in_axis == 2 else "(f, f, n_C, n_C_prev)"
    n_H_prev, n_W_prev, n_C_prev = A_prev.shape[1:]
    f_H, f_W, n_C, w_C_prev = W.shape[0], W.shape[1], W.shape[out_axis], W.shape[in_axis]
    b = check_array(
        "b",
        b,
        shape=(1, 1, 1, n_C),
        layout=f"(1, 1, 1, n_C) with n_C = W.shape[{out_axis}] = {n_C}",
    )
    if min(n_H_prev, n_W_prev, n_C_prev) < 1:
        fail("A_prev", "an array with non-zero height, width and channels", describe(A_prev))
    if min(f_H, f_W, n_C) < 1:
        fail("W", f"an array with non-zero sizes {w_layout}", describe(W))
    if w_C_prev != n_C_prev:
        fail(
            "W",
            f"filters with W.shape[{in_axis}] == A_prev.shape[3] = {n_C_prev} input channels",
            f"W.shape={W.shape} with A_prev.shape={A_prev.shape}",
        )
    return b, n_C


def _check_conv_inputs(
    A_prev: Any, W: Any, b: Any, hparameters: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, tuple[int, int, int, int]]:
    """Validates the arguments of a convolution layer.

    Returns:
        ``(A_prev, W, b, stride, pad, Z_shape)`` with the arrays cast to one floating dtype
        and ``Z_shape = (m, n_H, n_W, n_C)``.
    """
    A_prev = check_array("A_prev", A_prev, ndim=4, layout="(m, n_H_prev, n_W_prev, n_C_prev)")
    W = check_array("W", W, ndim=4, layout="(f, f, n_C_prev, n_C)")
    hp = _check_hparameters(hparameters, ("stride", "pad"))
    stride, pad = hp["stride"], hp["pad"]
    b, n_C = _check_layer_arrays(A_prev, W, b, in_axis=2)
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f_H, f_W = W.shape[:2]
    _check_size("hparameters['pad']", (m, n_H_prev + 2 * pad, n_W_prev + 2 * pad), "A_prev padded")
    if f_H > n_H_prev + 2 * pad or f_W > n_W_prev + 2 * pad:
        fail(
            "W",
            f"a filter no larger than the padded input A_prev of size "
            f"{n_H_prev + 2 * pad}x{n_W_prev + 2 * pad} (A_prev.shape={A_prev.shape}, pad={pad})",
            f"a {f_H}x{f_W} filter (W.shape={W.shape})",
        )
    dtype = _float_dtype(A_prev, W, b)
    n_H = (n_H_prev + 2 * pad - f_H) // stride + 1
    n_W = (n_W_prev + 2 * pad - f_W) // stride + 1
    _check_size("A_prev and W", (m, n_H, n_W, n_C), "the output Z")
    return (
        A_prev.astype(dtype, copy=False),
        W.astype(dtype, copy=False),
        b.astype(dtype, copy=False),
        stride,
        pad,
        (m, n_H, n_W, n_C),
    )


def _check_pool_inputs(
    A_prev: Any, hparameters: Any, finite: bool = True
) -> tuple[np.ndarray, int, int, tuple]:
    """Validates a pooling layer's input; returns ``(A_prev, f, stride, A_shape)``.

    ``finite=False`` leaves the NaN/inf check to the caller (`_max_pool` does it block by
    block, while each block is in cache, and calls `check_array` to raise).
    """
    A_prev = check_array(
        "A_prev", A_prev, ndim=4, layout="(m, n_H_prev, n_W_prev, n_C_prev)", finite=finite
    )
    hp = _check_hparameters(hparameters, ("f", "stride"))
    f, stride = hp["f"], hp["stride"]
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    if f > n_H_prev or f > n_W_prev:
        fail(
            "hparameters['f']",
            f"at most the size {n_H_prev}x{n_W_prev} of the input A_prev "
            f"(A_prev.shape={A_prev.shape})",
            repr(f),
        )
    A_prev = A_prev.astype(_float_dtype(A_prev), copy=False)
    shape = (m, (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1, n_C)
    return A_prev, f, stride, shape


def _check_gradient_shape(name: str, d: Any, expected: tuple, dtype: np.dtype) -> np.ndarray:
    d = check_array(name, d, ndim=4, layout=_NHWC)
    if d.shape != tuple(expected):
        fail(name, f"an array of the layer's output shape {tuple(expected)}", describe(d))
    return d.astype(np.result_type(d.dtype, dtype), copy=False)


def _check_cache(cache: Any, size: int, layout: str) -> tuple:
    if not isinstance(cache, tuple | list) or len(cache) != size:
        fail("cache", f"the tuple {layout} returned by the forward pass", describe(cache))
    return tuple(cache)


# --------------------------------------------------------------------------------------
# Output-size arithmetic
# --------------------------------------------------------------------------------------


def conv_output_size(n: int, f: int, pad: int = 0, stride: int = 1, strict: bool = False) -> int:
    """Size of a convolution or pooling output along one spatial axis.

    ``floor((n + 2*pad - f) / stride) + 1``: an ``n x n`` input, an ``f x f`` filter,
    padding ``pad`` and stride ``stride`` give an output of that size per side.

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.

    Args:
        n: input size (height or width), an integer in 1..MAX_COUNT.
        f: filter size, an integer >= 1 and at most ``n + 2*pad``.
        pad: zero padding on each side, an integer in 0..MAX_COUNT.
        stride: step between filter positions, an integer in 1..MAX_COUNT.
        strict: if True, refuse a stride that does not tile the padded input exactly,
            i.e. ``(n + 2*pad - f) % stride != 0`` (frameworks floor and silently drop the
            last rows/columns; strict mode makes that visible).

    Returns:
        The output size, an ``int``.

    Raises:
        ValueError: on a non-integer or out-of-range argument, or (strict) an inexact stride.

    Example:
        >>> conv_output_size(6, 3), conv_output_size(6, 3, pad=1)
        (4, 6)
        >>> conv_output_size(227, 11, stride=4)
        55
    """
    n = check_int("n", n, 1, MAX_COUNT)
    pad = check_int("pad", pad, 0, MAX_COUNT)
    f = check_int("f", f, 1, n + 2 * pad)
    stride = check_int("stride", stride, 1, MAX_COUNT)
    strict = check_bool("strict", strict)
    rest = (n + 2 * pad - f) % stride
    if strict and rest:
        fail(
            "stride",
            f"a divisor of n + 2*pad - f = {n} + 2*{pad} - {f} = {n + 2 * pad - f} (strict=True)",
            f"{stride}; frameworks floor the size to {(n + 2 * pad - f) // stride + 1} and "
            f"ignore the last {rest} row(s)/column(s)",
        )
    return (n + 2 * pad - f) // stride + 1


def same_padding(f: int) -> int:
    """Padding that keeps the size of a stride-1 convolution ("same" convolution).

    ``p = (f - 1) / 2`` so that ``n + 2p - f + 1 = n``. Only odd ``f`` allow it with the same
    padding on both sides, which is one reason filters are almost always odd (3, 5, 7).

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.

    Args:
        f: filter size, an odd integer in 1..MAX_COUNT.

    Returns:
        ``(f - 1) // 2``.

    Raises:
        ValueError: if ``f`` is not a positive integer, or is even (``f - 1`` is then odd and
            would need asymmetric padding, as TensorFlow's ``padding="SAME"`` does).

    Example:
        >>> same_padding(3), same_padding(5)
        (1, 2)
    """
    f = check_int("f", f, 1, MAX_COUNT)
    if f % 2 == 0:
        fail(
            "f",
            "an odd integer: 'same' padding p = (f - 1)/2 must be a whole number of pixels on "
            "each side",
            f"{f}, which would need p = {(f - 1) / 2}",
        )
    return (f - 1) // 2


# --------------------------------------------------------------------------------------
# Convolution layer
# --------------------------------------------------------------------------------------


def zero_pad(X: Any, pad: int) -> np.ndarray:
    """Pads the height and width of a batch of images with zeros.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        X: (m, n_H, n_W, n_C) batch of images.
        pad: number of zeros added on each side of the height and width, an integer >= 0.

    Returns:
        (m, n_H + 2*pad, n_W + 2*pad, n_C) padded copy of ``X`` (same dtype).

    Example:
        >>> zero_pad(np.ones((4, 3, 3, 2)), 3).shape
        (4, 9, 9, 2)
    """
    X = check_array("X", X, ndim=4, layout=_NHWC)
    pad = check_int("pad", pad, 0, MAX_COUNT)
    m, n_H, n_W, n_C = X.shape
    _check_size("pad", (m, n_H + 2 * pad, n_W + 2 * pad, n_C), "the padded X")
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)


def conv_single_step(a_slice_prev: Any, W: Any, b: Any) -> np.floating:
    """Applies one filter to one slice of the previous activation: ``sum(a * W) + b``.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        a_slice_prev: (f, f, n_C_prev) slice of the input.
        W: (f, f, n_C_prev) weights of one filter.
        b: (1, 1, 1) bias of that filter (any array holding one number).

    Returns:
        The scalar ``Z``, a NumPy scalar of the inputs' common floating dtype
        (``np.float64`` for float64 or integer inputs, as the course's test requires).

    Example:
        >>> Z = conv_single_step(np.ones((3, 3, 2)), np.full((3, 3, 2), 0.5), np.ones((1, 1, 1)))
        >>> Z, type(Z).__name__
        (np.float64(10.0), 'float64')
    """
    a_slice_prev = check_array("a_slice_prev", a_slice_prev, ndim=3, layout="(f, f, n_C_prev)")
    W = check_array("W", W, ndim=3, layout="(f, f, n_C_prev)")
    b = check_array("b", b)
    if a_slice_prev.shape != W.shape:
        fail(
            "W",
            f"an array of the shape of a_slice_prev {a_slice_prev.shape} (f, f, n_C_prev)",
            describe(W),
        )
    if b.size != 1:
        fail("b", "one number, shape (1, 1, 1)", describe(b))
    dtype = _float_dtype(a_slice_prev, W, b)
    Z = np.sum(a_slice_prev * W, dtype=dtype) + b.astype(dtype).reshape(())
    return dtype.type(Z)


def conv_forward_naive(A_prev: Any, W: Any, b: Any, hparameters: Mapping) -> tuple:
    """Forward pass of a convolution layer with four explicit loops (the teaching version).

    Loops over examples, output rows, output columns and filters, exactly as in the course
    assignment; use :func:`conv_forward` to compute.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        A_prev: (m, n_H_prev, n_W_prev, n_C_prev) activations of the previous layer.
        W: (f, f, n_C_prev, n_C) filters.
        b: (1, 1, 1, n_C) biases.
        hparameters: ``{"stride": s, "pad": p}``.

    Returns:
        ``(Z, cache)``: Z is (m, n_H, n_W, n_C) with
        ``n_H = floor((n_H_prev + 2p - f) / s) + 1``; ``cache = (A_prev, W, b, hparameters)``.

    Raises:
        ValueError: as :func:`conv_forward`.

    Example:
        >>> A, W = np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1))
        >>> conv_forward_naive(A, W, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 1})[0][0, :, :, 0]
        array([[4., 6., 6., 4.],
               [6., 9., 9., 6.],
               [6., 9., 9., 6.],
               [4., 6., 6., 4.]])
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

    Taught in notebooks/04_convolution_step_by_step.ipynb.

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
            larger than the padded input, ``stride < 1``, ``pad < 0``, non-finite values or
            an output beyond `MAX_COUNT` entries.

    Example:
        >>> A = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float).reshape(1, 6, 6, 1)
        >>> W = np.array([[1, 0, -1]] * 3, dtype=float).reshape(3, 3, 1, 1)
        >>> Z, cache = conv_forward(A, W, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0})
        >>> Z.shape, Z[0, 0, :, 0].tolist()
        ((1, 4, 4, 1), [0.0, 30.0, 30.0, 0.0])
    """
    A, Wf, bf, stride, pad, (_, n_H, n_W, n_C) = _check_conv_inputs(A_prev, W, b, hparameters)
    A_pad = np.pad(A, ((0, 0), (pad, pad), (pad, pad), (0, 0))) if pad else A
    Z = _im2col.correlate_batch(A_pad, Wf, stride, n_H, n_W, bias=bf.reshape(n_C))
    return Z, (A_prev, W, b, hparameters)


def _unpack_conv_cache(dZ: Any, cache: Any) -> tuple:
    A_prev, W, b, hparameters = _check_cache(cache, 4, "(A_prev, W, b, hparameters)")
    A, Wf, bf, stride, pad, shape = _check_conv_inputs(A_prev, W, b, hparameters)
    dZ = _check_gradient_shape("dZ", dZ, shape, A.dtype)
    return A, Wf, bf, stride, pad, dZ


def conv_backward(dZ: Any, cache: tuple) -> tuple:
    """Backward pass of a convolution layer, vectorized.

    With ``cols`` the im2col matrix of the forward pass (one receptive field per row):

    * ``dW = cols.T @ dZ`` and ``db = sum(dZ)`` over examples and positions;
    * ``dA_prev``: ``dcols = dZ @ W.T`` holds, for every output position, the gradient of
      its receptive field; col2im adds those back at the input positions they came from
      (one strided add per filter offset, overlaps accumulate) and the padding is cut off.
      For stride 1 the same sum is computed as a full convolution of ``dZ`` with the
      rotated filters, which is faster.

    Works block by block like :func:`conv_forward`, in the common floating dtype of
    ``A_prev`` and ``dZ``.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        dZ: (m, n_H, n_W, n_C) gradient of the cost with respect to the output Z.
        cache: ``(A_prev, W, b, hparameters)`` from :func:`conv_forward`.

    Returns:
        ``(dA_prev, dW, db)`` with the shapes of ``A_prev`` (m, n_H_prev, n_W_prev, n_C_prev),
        ``W`` (f, f, n_C_prev, n_C) and ``b`` (1, 1, 1, n_C).

    Raises:
        ValueError: naming ``dZ`` or ``cache`` (or the cached arguments, as
            :func:`conv_forward`).

    Example:
        >>> A, W = np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))
        >>> Z, cache = conv_forward(A, W, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0})
        >>> dA, dW, db = conv_backward(np.ones_like(Z), cache)
        >>> dA[0, :, :, 0].tolist(), float(db.sum())
        ([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]], 4.0)
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
    scatter = stride > 1  # col2im for dA_prev; stride 1 uses _im2col.input_gradient_stride1
    dA_pad = np.zeros(A_pad.shape, dtype=dtype) if scatter else None
    if dZ.size:
        with _im2col.blas_threads():  # one BLAS thread while the cores are oversubscribed
            im2col = _im2col.Im2col(A_pad, f_H, f_W, stride, n_H, n_W)
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
        dA_prev = _im2col.input_gradient_stride1(dZ, Wf, pad, A.shape)
    return np.ascontiguousarray(dA_prev), dW_2d.reshape(Wf.shape), db


def conv_backward_naive(dZ: Any, cache: tuple) -> tuple:
    """Backward pass of a convolution layer with explicit loops (the teaching version).

    For every example, output position and filter, the slice of the padded input that
    produced ``Z[i, h, w, c]`` receives ``W[..., c] * dZ[i, h, w, c]`` and the filter
    receives ``a_slice * dZ[i, h, w, c]``, as in the course assignment.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        dZ: (m, n_H, n_W, n_C) gradient of the cost with respect to the output Z.
        cache: ``(A_prev, W, b, hparameters)`` from :func:`conv_forward`.

    Returns:
        ``(dA_prev, dW, db)`` with the shapes of ``A_prev``, ``W`` and ``b``.

    Raises:
        ValueError: as :func:`conv_backward`.

    Example:
        >>> A, W = np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))
        >>> Z, cache = conv_forward(A, W, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0})
        >>> conv_backward_naive(np.ones_like(Z), cache)[1][:, :, 0, 0].tolist()
        [[4.0, 4.0], [4.0, 4.0]]
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

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        x: (f, f) window (any shape works), non-empty and finite.

    Returns:
        Boolean array of the shape of ``x``, True where ``x`` equals its maximum. With ties
        every tied maximum is True (the course's convention; TensorFlow picks one).

    Example:
        >>> create_mask_from_window([[1, 3], [4, 2]]).tolist()
        [[False, False], [True, False]]
    """
    x = check_array("x", x, allow_empty=False)
    return x == np.max(x)


def distribute_value(dz: Any, shape: tuple) -> np.ndarray:
    """Spreads a gradient evenly over a pooling window (backward of average pooling).

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        dz: the scalar gradient of one output of the average pool (a number or a
            one-element array).
        shape: ``(n_H, n_W)`` of the window, positive integers.

    Returns:
        (n_H, n_W) float64 array with every entry ``dz / (n_H * n_W)``.

    Example:
        >>> distribute_value(2.0, (2, 2)).tolist()
        [[0.5, 0.5], [0.5, 0.5]]
    """
    dz_arr = check_array("dz", dz)
    if dz_arr.size != 1:
        fail("dz", "a scalar (one number)", describe(dz_arr))
    n_H, n_W = check_shape("shape", shape, ndim=2)
    _check_size("shape", (n_H, n_W), "the window")
    return np.full((n_H, n_W), float(dz_arr.reshape(())) / (n_H * n_W))


def pool_forward_naive(A_prev: Any, hparameters: Mapping, mode: str = "max") -> tuple:
    """Forward pass of a pooling layer with explicit loops (the teaching version).

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        A_prev: (m, n_H_prev, n_W_prev, n_C) input.
        hparameters: ``{"f": f, "stride": s}`` (no padding).
        mode: ``"max"`` or ``"average"``.

    Returns:
        ``(A, cache)``: A is (m, n_H, n_W, n_C) with ``n_H = floor((n_H_prev - f) / s) + 1``;
        ``cache = (A_prev, hparameters)``.

    Raises:
        ValueError: as :func:`pool_forward`.

    Example:
        >>> A = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
        >>> pool_forward_naive(A.reshape(1, 4, 4, 1), {"f": 2, "stride": 2})[0][0, :, :, 0]
        array([[9., 2.],
               [6., 3.]])
    """
    A_in, f, stride, shape = _check_pool_inputs(A_prev, hparameters)
    mode = check_choice("mode", mode, POOL_MODES)
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

    Taught in notebooks/04_convolution_step_by_step.ipynb.

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

    Example:
        The course's example: max pooling with f = 2, s = 2.

        >>> A = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
        >>> P, cache = pool_forward(A.reshape(1, 4, 4, 1), {"f": 2, "stride": 2})
        >>> P[0, :, :, 0]
        array([[9., 2.],
               [6., 3.]])
    """
    # Max pooling checks for NaN/inf while it pools (`_max_pool`), after the other checks.
    pooled_max = type(mode) is str and mode == "max"
    A_in, f, stride, shape = _check_pool_inputs(A_prev, hparameters, finite=not pooled_max)
    mode = check_choice("mode", mode, POOL_MODES)
    if pooled_max:
        return _max_pool(A_prev, A_in, f, stride, shape), (A_prev, hparameters)
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


def _max_pool(A_prev: Any, A_in: np.ndarray, f: int, stride: int, shape: tuple) -> np.ndarray:
    """Max pooling of the checked ``A_in`` by `_im2col.max_pool` (banded, checks NaN/inf)."""
    out, finite = _im2col.max_pool(A_in, f, stride, shape)
    if not finite:
        check_array("A_prev", A_prev, ndim=4)  # raises its message about the NaN or inf
    return out


def _unpack_pool_cache(dA: Any, cache: Any, mode: Any, ties: Any) -> tuple:
    A_prev, hparameters = _check_cache(cache, 2, "(A_prev, hparameters)")
    A_in, f, stride, shape = _check_pool_inputs(A_prev, hparameters)
    mode = check_choice("mode", mode, POOL_MODES)
    ties = check_choice("ties", ties, TIES)
    dA = _check_gradient_shape("dA", dA, shape, A_in.dtype)
    return A_in, f, stride, dA, mode, ties


def pool_backward(dA: Any, cache: tuple, mode: str = "max", ties: str = "all") -> np.ndarray:
    """Backward pass of a pooling layer, vectorized.

    * ``"max"``: each output's gradient goes to the input position of the window maximum.
      Where a window has tied maxima, ``ties`` decides:

      - ``"all"`` (default, the course's rule): the mask ``x == max(x)``, so *every* tied
        position receives the full gradient;
      - ``"first"`` (TensorFlow's rule, ``tf.nn.max_pool2d``'s gradient): only the first
        maximum in row-major order receives it, which is the true derivative along a
        direction that moves the whole window (e.g. a flat background and the bias).

      With continuous random data ties do not happen and both rules agree.
    * ``"average"``: each output's gradient is spread evenly, ``dA / (f*f)``, over its window
      (``ties`` is not used).

    Overlapping windows (``stride < f``) accumulate.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        dA: (m, n_H, n_W, n_C) gradient of the cost with respect to the pooling output.
        cache: ``(A_prev, hparameters)`` from :func:`pool_forward`.
        mode: ``"max"`` or ``"average"``; the mode of the forward pass.
        ties: ``"all"`` or ``"first"``: where the gradient of a window with tied maxima goes.

    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C) gradient with respect to the input.

    Raises:
        ValueError: naming ``dA``, ``cache``, ``mode`` or ``ties``.

    Example:
        A flat 2x2 window: the course's rule routes the gradient to all four entries,
        TensorFlow's to the first.

        >>> A, cache = pool_forward(np.ones((1, 2, 2, 1)), {"f": 2, "stride": 2})
        >>> pool_backward(np.ones((1, 1, 1, 1)), cache)[0, :, :, 0].tolist()
        [[1.0, 1.0], [1.0, 1.0]]
        >>> pool_backward(np.ones((1, 1, 1, 1)), cache, ties="first")[0, :, :, 0].tolist()
        [[1.0, 0.0], [0.0, 0.0]]
    """
    A_in, f, stride, dA, mode, ties = _unpack_pool_cache(dA, cache, mode, ties)
    _, n_H, n_W, _ = dA.shape
    dA_prev = np.zeros(A_in.shape, dtype=np.result_type(A_in.dtype, dA.dtype))
    if mode == "average":
        share = dA / (f * f)
        for i in range(f):
            for j in range(f):
                _window(dA_prev, i, j, stride, n_H, n_W)[...] += share
        return dA_prev
    offsets = [(i, j) for i in range(f) for j in range(f)]  # row-major order
    A = _window(A_in, 0, 0, stride, n_H, n_W).copy()
    if ties == "first":
        # The offset of the first maximum so far. Offsets grow, so where a window beats every
        # earlier one its offset is the largest yet: a maximum of products (uint8, fast
        # arithmetic; masked assignments such as `copyto(where=)` are far slower).
        dtype = np.uint8 if len(offsets) < 256 else np.int64
        first = np.zeros(A.shape, dtype=dtype)
        for k, (i, j) in enumerate(offsets[1:], start=1):
            window = _window(A_in, i, j, stride, n_H, n_W)
            np.maximum(first, (window > A).astype(dtype) * dtype(k), out=first)
            np.maximum(A, window, out=A)
        for k, (i, j) in enumerate(offsets):
            target = _window(dA_prev, i, j, stride, n_H, n_W)
            if stride >= f:  # windows do not overlap: each input gets one window's gradient
                target[...] = (first == k) * dA
            else:
                target += (first == k) * dA
        return dA_prev
    for i, j in offsets[1:]:
        np.maximum(A, _window(A_in, i, j, stride, n_H, n_W), out=A)
    for i, j in offsets:
        mask = _window(A_in, i, j, stride, n_H, n_W) == A
        _window(dA_prev, i, j, stride, n_H, n_W)[...] += mask * dA
    return dA_prev


def pool_backward_naive(dA: Any, cache: tuple, mode: str = "max", ties: str = "all") -> np.ndarray:
    """Backward pass of a pooling layer with explicit loops (the teaching version).

    Uses :func:`create_mask_from_window` (max) and :func:`distribute_value` (average)
    window by window, as in the course assignment; with ``ties="first"`` the mask keeps
    only the first maximum (``np.argmax``). See :func:`pool_backward` for ties.

    Taught in notebooks/04_convolution_step_by_step.ipynb.

    Args:
        dA: (m, n_H, n_W, n_C) gradient of the cost with respect to the pooling output.
        cache: ``(A_prev, hparameters)`` from :func:`pool_forward`.
        mode: ``"max"`` or ``"average"``.
        ties: ``"all"`` or ``"first"``.

    Returns:
        dA_prev: (m, n_H_prev, n_W_prev, n_C) gradient with respect to the input.

    Raises:
        ValueError: as :func:`pool_backward`.

    Example:
        >>> A, cache = pool_forward(np.ones((1, 2, 2, 1)), {"f": 2, "stride": 2})
        >>> pool_backward_naive(np.ones((1, 1, 1, 1)), cache, "average")[0, :, :, 0].tolist()
        [[0.25, 0.25], [0.25, 0.25]]
    """
    A_in, f, stride, dA, mode, ties = _unpack_pool_cache(dA, cache, mode, ties)
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
                        if ties == "all":
                            mask = create_mask_from_window(a_prev_slice)
                        else:
                            mask = np.zeros(a_prev_slice.shape, dtype=bool)
                            mask.flat[np.argmax(a_prev_slice)] = True
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += (
                            mask * dA[i, h, w, c]
                        )
                    else:
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += (
                            distribute_value(dA[i, h, w, c], (f, f))
                        )
    return dA_prev


# --------------------------------------------------------------------------------------
# Transposed convolution (notebook 15: semantic segmentation with U-Net)
# --------------------------------------------------------------------------------------

#: The paddings of `conv_transpose_forward`, those of ``keras.layers.Conv2DTranspose``.
TRANSPOSE_PADDINGS = ("valid", "same")


def conv_transpose_output_size(n: int, f: int, stride: int = 1, padding: Any = "valid") -> int:
    """Size of a transposed-convolution output along one spatial axis.

    Each input pixel paints an ``f x f`` copy of the filter, ``stride`` pixels from its
    neighbour's, onto a "full" output of ``(n - 1) * stride + f`` pixels. Then:

    * ``padding`` an integer ``p``: ``p`` pixels are cropped from each side, the textbook
      formula ``(n - 1) * stride + f - 2 p``;
    * ``"same"`` (Keras): the output is ``n * stride`` (the input of a "same" convolution
      with that stride), cropping ``max(f - stride, 0) // 2`` pixels at the start and the
      rest at the end;
    * ``"valid"`` (Keras): nothing is cropped, ``n * stride + max(f - stride, 0)`` (zeros
      are added at the end when ``f < stride``).

    The lecture's 2x2 input, 3x3 filter, stride 2 example gives a 4x4 output: Keras'
    ``"same"``, which crops the 5x5 full output by one row and column (a symmetric ``p = 1``
    would give 3x3).

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        n: input size (height or width), an integer in 1..MAX_COUNT.
        f: filter size, an integer in 1..MAX_COUNT.
        stride: the stride, an integer in 1..MAX_COUNT.
        padding: ``"valid"``, ``"same"`` or an integer ``p >= 0`` with ``2 p`` smaller than
            the full output ``(n - 1) * stride + f``.

    Returns:
        The output size, an ``int``.

    Raises:
        ValueError: on a non-integer or out-of-range argument, or an unknown padding.

    Examples:
        >>> conv_transpose_output_size(2, 3, stride=2, padding="same")
        4
        >>> conv_transpose_output_size(2, 3, stride=2), conv_transpose_output_size(2, 3, 2, 1)
        (5, 3)
    """
    n = check_int("n", n, 1, MAX_COUNT)
    f = check_int("f", f, 1, MAX_COUNT)
    stride = check_int("stride", stride, 1, MAX_COUNT)
    full = (n - 1) * stride + f
    if isinstance(padding, str):
        check_choice("padding", padding, TRANSPOSE_PADDINGS)
        return n * stride if padding == "same" else n * stride + max(f - stride, 0)
    if not (isinstance(padding, int | np.integer) and not isinstance(padding, bool | np.bool_)):
        fail("padding", "'valid', 'same' or an integer >= 0", describe(padding), kind=True)
    pad = check_int("padding", padding, 0, (full - 1) // 2)
    return full - 2 * pad


def _check_transpose_inputs(A_prev: Any, W: Any, b: Any, hparameters: Any) -> tuple:
    """Validates a transposed convolution's arguments.

    Returns:
        ``(A, W, b, stride, crop, Z_shape)``: the arrays in one floating dtype, the stride,
        the pixels cropped at the start of the full output, and ``(m, n_H, n_W, n_C)``.
    """
    A = check_array("A_prev", A_prev, ndim=4, layout="(m, n_H_prev, n_W_prev, n_C_prev)")
    W = check_array("W", W, ndim=4, layout="(f, f, n_C, n_C_prev) as in Keras' Conv2DTranspose")
    if not isinstance(hparameters, Mapping):
        fail(
            "hparameters",
            "a dict with keys ['stride', 'padding']",
            describe(hparameters),
            kind=True,
        )
    missing = [k for k in ("stride", "padding") if k not in hparameters]
    if missing:
        fail(
            "hparameters",
            f"a dict with keys ['stride', 'padding'] (missing {missing})",
            f"keys {sorted(map(str, hparameters))}",
        )
    stride = check_int("hparameters['stride']", hparameters["stride"], 1, MAX_COUNT)
    padding = check_choice("hparameters['padding']", hparameters["padding"], TRANSPOSE_PADDINGS)
    b, n_C = _check_layer_arrays(A, W, b, in_axis=3)
    m, n_H_prev, n_W_prev, _ = A.shape
    f_H, f_W = W.shape[:2]
    if f_H != f_W:
        fail("W", "square filters (f, f, n_C, n_C_prev)", f"W.shape={W.shape}")
    _check_size("A_prev and W", (m, n_H_prev * stride + f_H, n_W_prev * stride + f_W, n_C), "Z")
    n_H = conv_transpose_output_size(n_H_prev, f_H, stride, padding)
    n_W = conv_transpose_output_size(n_W_prev, f_W, stride, padding)
    crop = max(f_H - stride, 0) // 2 if padding == "same" else 0
    dtype = _float_dtype(A, W, b)
    return (
        A.astype(dtype, copy=False),
        W.astype(dtype, copy=False),
        b.astype(dtype, copy=False),
        stride,
        crop,
        (m, n_H, n_W, n_C),
    )


def _crop_full(full: np.ndarray, crop: int, shape: tuple, b: np.ndarray) -> np.ndarray:
    """The output window ``[crop, crop + n)`` of the full output (zeros beyond it), plus b."""
    m, n_H, n_W, n_C = shape
    Z = np.zeros(shape, dtype=full.dtype)
    h = min(n_H, full.shape[1] - crop)
    w = min(n_W, full.shape[2] - crop)
    Z[:, :h, :w] = full[:, crop : crop + h, crop : crop + w]
    return Z + b


def conv_transpose_forward_naive(A_prev: Any, W: Any, b: Any, hparameters: Mapping) -> tuple:
    """Forward pass of a transposed convolution with explicit loops (the teaching version).

    Every input pixel ``A_prev[i, h, w, :]`` paints the filter, weighted by its values, onto
    the output at rows ``h*s .. h*s+f-1`` and columns ``w*s .. w*s+f-1``; overlapping
    paintings add up. Then the output is cropped as Keras' ``Conv2DTranspose`` does (see
    `conv_transpose_output_size`) and the bias added. Use `conv_transpose_forward` to
    compute.

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        A_prev: ``(m, n_H_prev, n_W_prev, n_C_prev)`` input.
        W: ``(f, f, n_C, n_C_prev)`` filters, the kernel layout of ``Conv2DTranspose``
            (output channels *before* input channels).
        b: ``(1, 1, 1, n_C)`` biases.
        hparameters: ``{"stride": s, "padding": "valid" | "same"}``.

    Returns:
        ``(Z, cache)``: Z is ``(m, n_H, n_W, n_C)`` with ``n_H =
        conv_transpose_output_size(n_H_prev, f, s, padding)``;
        ``cache = (A_prev, W, b, hparameters)``.

    Raises:
        ValueError: as `conv_transpose_forward`.

    Example:
        >>> A = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
        >>> W = np.ones((2, 2, 1, 1))
        >>> Z, _ = conv_transpose_forward_naive(A, W, np.zeros((1, 1, 1, 1)),
        ...                                     {"stride": 1, "padding": "valid"})
        >>> Z[0, :, :, 0]
        array([[ 1.,  3.,  2.],
               [ 4., 10.,  6.],
               [ 3.,  7.,  4.]])
    """
    A, Wf, bf, s, crop, shape = _check_transpose_inputs(A_prev, W, b, hparameters)
    m, n_H_prev, n_W_prev, n_C_prev = A.shape
    f = Wf.shape[0]
    n_C = shape[3]
    full = np.zeros((m, (n_H_prev - 1) * s + f, (n_W_prev - 1) * s + f, n_C), dtype=A.dtype)
    for i in range(m):
        for h in range(n_H_prev):
            for w in range(n_W_prev):
                for c in range(n_C):
                    for c_prev in range(n_C_prev):
                        full[i, h * s : h * s + f, w * s : w * s + f, c] += (
                            A[i, h, w, c_prev] * Wf[:, :, c, c_prev]
                        )
    return _crop_full(full, crop, shape, bf), (A_prev, W, b, hparameters)


def conv_transpose_forward(A_prev: Any, W: Any, b: Any, hparameters: Mapping) -> tuple:
    """Forward pass of a transposed convolution, vectorized; the numbers of Keras' layer.

    ``Z_full[i, h*s + p, w*s + q, c] += sum_k A_prev[i, h, w, k] * W[p, q, c, k]`` for every
    filter offset ``(p, q)``: one matrix product per offset (``f*f`` of them), each added to
    a strided slice of the full output; then cropped as ``keras.layers.Conv2DTranspose``
    with that ``padding`` (see `conv_transpose_output_size`) and the bias added. This is
    the gradient of a convolution with respect to its input, which is why it is also called
    a "backward" or "fractionally strided" convolution.

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        A_prev: ``(m, n_H_prev, n_W_prev, n_C_prev)`` input.
        W: ``(f, f, n_C, n_C_prev)`` filters, the kernel layout of ``Conv2DTranspose``.
        b: ``(1, 1, 1, n_C)`` biases.
        hparameters: ``{"stride": s, "padding": "valid" | "same"}``.

    Returns:
        ``(Z, cache)``: Z is ``(m, n_H, n_W, n_C)``, ``cache = (A_prev, W, b, hparameters)``.

    Raises:
        ValueError: on a wrong rank, a channel mismatch, non-square filters, a bias of the
            wrong shape, ``stride < 1``, an unknown padding, non-finite values or an output
            beyond `MAX_COUNT` entries.

    Example:
        >>> Z, _ = conv_transpose_forward(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)),
        ...                               np.zeros((1, 1, 1, 1)), {"stride": 2, "padding": "same"})
        >>> Z[0, :, :, 0]
        array([[1., 1., 2., 1.],
               [1., 1., 2., 1.],
               [2., 2., 4., 2.],
               [1., 1., 2., 1.]])
    """
    A, Wf, bf, s, crop, shape = _check_transpose_inputs(A_prev, W, b, hparameters)
    m, n_H_prev, n_W_prev, _ = A.shape
    f = Wf.shape[0]
    full = np.zeros((m, (n_H_prev - 1) * s + f, (n_W_prev - 1) * s + f, shape[3]), dtype=A.dtype)
    for p in range(f):
        for q in range(f):
            full[:, p : p + s * (n_H_prev - 1) + 1 : s, q : q + s * (n_W_prev - 1) + 1 : s] += (
                A @ Wf[p, q].T
            )
    return _crop_full(full, crop, shape, bf), (A_prev, W, b, hparameters)
