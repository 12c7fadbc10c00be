"""The engines behind `cvutils.conv` (private: no checks, inputs are validated).

Two engines: im2col for the convolutions, and banded (optionally threaded) max pooling.

A convolution is a matrix product once every receptive field of the input is unrolled
into one row of a matrix (im2col). This module unrolls the fields a few MiB at a time into
one reused buffer, so the copy stays in cache and no huge temporary is allocated, and
multiplies each block by the filters reshaped to ``(f_H * f_W * n_C_prev, n_C)``.

Those many BLAS calls suffer when the machine is oversubscribed (more runnable threads than
cores): each multi-threaded product waits for a BLAS worker thread that the kernel has
descheduled. `blas_threads` therefore runs the products on one BLAS thread while more
threads are runnable than there are cores (measured on 2 loaded cores: conv_forward 5x
faster; see benchmarks/README.md), and leaves the BLAS settings alone otherwise. The
numbers are the same either way.

Taught in notebooks/04_convolution_step_by_step.ipynb.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# Bytes of unrolled receptive fields processed at a time: small enough to stay in cache
# between the copy and the matrix product, large enough to keep BLAS efficient.
CHUNK_BYTES = 1 << 22


def _cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def oversubscribed() -> bool:
    """True when more threads are runnable right now than this process has CPUs.

    Reads the instantaneous count of runnable threads from ``/proc/loadavg`` (Linux; it
    includes this thread and any spinning BLAS worker), else the 1-minute load average.
    """
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            runnable = int(fh.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        try:
            runnable = os.getloadavg()[0]
        except (AttributeError, OSError):
            return False
    return runnable > _cpus()


@functools.cache
def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS libraries (found once), or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # a dependency of scikit-learn; without it nothing is limited
        return None
    return ThreadpoolController().select(user_api="blas")


@contextlib.contextmanager
def blas_threads():
    """One BLAS thread inside the block while the machine is `oversubscribed`, else as set.

    The previous settings are restored when the block ends. The setting is process-wide:
    another thread's BLAS calls during the block also run on one thread.
    """
    controller = _blas_controller() if oversubscribed() else None
    if controller is None or not controller.lib_controllers:
        yield
        return
    with controller.limit(limits=1):
        yield


def window(A: np.ndarray, i: int, j: int, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """The view ``A[:, i + stride*h, j + stride*w, :]`` for ``h < n_H``, ``w < n_W``.

    These are the input entries that filter offset ``(i, j)`` meets at every output
    position; looping over the ``f * f`` offsets (not over the output positions) is what
    makes the vectorized layers fast.
    """
    return A[:, i : i + stride * (n_H - 1) + 1 : stride, j : j + stride * (n_W - 1) + 1 : stride, :]


def receptive_fields(
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


def chunks(m: int, n_H: int, row_bytes: int):
    """Splits the output into blocks of about `CHUNK_BYTES` of receptive fields.

    Yields ``(images, rows)`` slices: several whole images when one image is small,
    otherwise bands of output rows of one image.
    """
    image_bytes = max(1, n_H * row_bytes)
    if image_bytes <= CHUNK_BYTES:
        k = CHUNK_BYTES // image_bytes
        for n0 in range(0, m, k):
            yield slice(n0, min(n0 + k, m)), slice(0, n_H)
    else:
        bands = min(n_H, -(-image_bytes // CHUNK_BYTES))  # ceil, at most one band per row
        edges = [n_H * q // bands for q in range(bands + 1)]  # (nearly) equal heights >= 1
        for n in range(m):
            for h0, h1 in itertools.pairwise(edges):
                yield slice(n, n + 1), slice(h0, h1)


class Im2col:
    """im2col by blocks: the unrolled receptive fields of one block of the output at a time.

    ``block(images, rows)`` returns a contiguous (k * r * n_W, f_H * f_W * n_C_prev) matrix,
    one receptive field per row, written into a buffer reused for every block.
    """

    def __init__(self, A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int):
        self.fields = receptive_fields(A_pad, f_H, f_W, stride, n_H, n_W)
        self.K = f_H * f_W * A_pad.shape[3]
        self.row_bytes = n_W * self.K * A_pad.dtype.itemsize
        self.blocks = list(chunks(A_pad.shape[0], n_H, self.row_bytes))
        size = max((i.stop - i.start) * (r.stop - r.start) for i, r in self.blocks) * n_W * self.K
        self.buffer = np.empty(size, dtype=A_pad.dtype)

    def block(self, images: slice, rows: slice) -> np.ndarray:
        src = self.fields[images, rows]
        cols = self.buffer[: src.size].reshape(src.shape)
        np.copyto(cols, src)
        return cols.reshape(-1, self.K)


def correlate_batch(
    X_pad: np.ndarray,
    W: np.ndarray,
    stride: int,
    n_H: int,
    n_W: int,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """``Z[n, h, w, c] = sum_{i, j, k} X_pad[n, h*s + i, w*s + j, k] * W[i, j, k, c] (+ bias[c])``.

    The engine of ``conv_forward`` (and of the stride-1 input gradient): im2col block by
    block, each block times ``W.reshape(f_H * f_W * n_C_prev, n_C)`` written in place into Z.
    """
    f_H, f_W, _, n_C = W.shape
    Z = np.empty((X_pad.shape[0], n_H, n_W, n_C), dtype=X_pad.dtype)
    if Z.size == 0:
        return Z
    im2col = Im2col(X_pad, f_H, f_W, stride, n_H, n_W)
    W_2d, Z_2d = np.ascontiguousarray(W).reshape(-1, n_C), Z.reshape(-1, n_C)
    with blas_threads():
        for images, rows in im2col.blocks:
            # A block's outputs are consecutive rows of Z_2d: write them in place.
            first = (images.start * n_H + rows.start) * n_W
            last = ((images.stop - 1) * n_H + rows.stop) * n_W
            out = Z_2d[first:last]
            np.matmul(im2col.block(images, rows), W_2d, out=out)
            if bias is not None:
                out += bias  # while the block is still in cache
    return Z


def input_gradient_stride1(dZ: np.ndarray, W: np.ndarray, pad: int, A_shape: tuple) -> np.ndarray:
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
    dA = correlate_batch(dZ_pad, W_rot, 1, n_H_full, n_W_full)
    c_H, c_W = max(-q_H, 0), max(-q_W, 0)
    return dA[:, c_H : c_H + n_H_prev, c_W : c_W + n_W_prev, :]


# ------------------------------------------------------------------ max pooling in bands

#: Bytes of input that `max_pool` handles at a time (so each band is still in cache when it
#: is checked for NaN/inf after being pooled).
POOL_BLOCK_BYTES = 1 << 20


def _max_of_offsets(x: np.ndarray, f: int, stride: int, n: int, axis: int, out: np.ndarray):
    """``out = max_j x[..., j + stride * k, ...]`` along ``axis`` for ``j < f``, ``k < n``, in
    the order ``j = 0, 1, ...`` (the first two at once: no copy)."""
    end = stride * (n - 1) + 1

    def view(j):
        index = [slice(None)] * x.ndim
        index[axis] = slice(j, j + end, stride)
        return x[tuple(index)]

    if f == 1:
        np.copyto(out, view(0))
        return
    np.maximum(view(0), view(1), out=out)
    for j in range(2, f):
        np.maximum(out, view(j), out=out)


#: Inputs of at least this many bytes are max-pooled by two threads (NumPy's ufuncs release
#: the GIL), when the process has two CPUs and the machine is not `oversubscribed`.
POOL_THREADS_BYTES = 8 << 20


@functools.cache
def _pool_executor():
    """The one thread pool of `max_pool`, made on first use."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(2, thread_name_prefix="cvutils-pool")


def max_pool(A_in: np.ndarray, f: int, stride: int, shape: tuple) -> tuple[np.ndarray, bool]:
    """Max pooling of the checked ``A_in`` in bands of rows -> ``(out, finite)``.

    Separable, band by band of output rows: first the maximum over the ``f`` row offsets
    (whole input rows: long contiguous runs, into a reused buffer), then over the ``f``
    column offsets, written into the output. Each band's input rows are then checked while
    still in cache: ``min`` propagates NaN and finds -inf, ``max`` finds +inf (the maximum
    of the band's outputs, enough where the windows cover every input); ``finite`` is False
    when a NaN or inf was found (the caller raises). A large input is
    split into two halves of bands, pooled by two threads (as TensorFlow's CPU kernel uses
    its two intra-op threads), unless the machine is oversubscribed.
    """
    m, n_H, n_W, n_C = shape
    n_H_prev, n_W_prev = A_in.shape[1:3]
    out = np.empty(shape, dtype=A_in.dtype)
    if out.size == 0:
        return out, True
    covered = stride <= f and (n_H_prev - f) % stride == 0 and (n_W_prev - f) % stride == 0
    row_bytes = n_W_prev * n_C * A_in.itemsize * stride  # the input of one output row
    band = max(1, POOL_BLOCK_BYTES // row_bytes)  # output rows per band
    images = max(1, band // n_H)  # several whole images per band when an image is small
    bands = list(itertools.product(range(0, m, images), range(0, n_H, band)))

    def pool_bands(todo) -> bool:
        """Pools the bands ``todo`` into ``out``; False at the first one with a NaN or inf."""
        buffer = np.empty(0, dtype=A_in.dtype)  # the row maxima of one band, reused
        for n0, h0 in todo:
            n1, h1 = min(n0 + images, m), min(h0 + band, n_H)
            rows = A_in[n0:n1, stride * h0 : stride * (h1 - 1) + f]  # what the windows read
            size = (n1 - n0) * (h1 - h0) * n_W_prev * n_C
            if buffer.size < size:
                buffer = np.empty(size, dtype=A_in.dtype)
            row_max = buffer[:size].reshape(n1 - n0, h1 - h0, n_W_prev, n_C)
            _max_of_offsets(rows, f, stride, h1 - h0, axis=1, out=row_max)
            target = out[n0:n1, h0:h1]
            _max_of_offsets(row_max, f, stride, n_W, axis=2, out=target)
            # This band's share of the input rows (the bands partition A_in; the last takes
            # the rest), mostly still in cache.
            own = A_in[n0:n1, stride * h0 : n_H_prev if h1 == n_H else stride * h1]
            high = target.max() if covered else own.max()
            if not (np.isfinite(own.min()) and np.isfinite(high)):
                return False
        return True

    threads = (
        len(bands) > 1
        and A_in.nbytes >= POOL_THREADS_BYTES
        and _cpus() >= 2
        and not oversubscribed()
    )
    if threads:
        half = len(bands) // 2
        second = _pool_executor().submit(pool_bands, bands[half:])
        finite = pool_bands(bands[:half])
        finite = second.result() and finite
    else:
        finite = pool_bands(bands)
    return out, finite
