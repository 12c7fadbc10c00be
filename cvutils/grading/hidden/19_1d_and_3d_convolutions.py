"""Hidden tests of notebooks/19_1d_and_3d_convolutions.ipynb (sizes and strides unused there).

The references are plain-Python loops, independent of the learner's vectorization, of Keras
and of `cvutils.filters` and `cvutils.conv`: the 1D valid cross-correlation sums
``x[t + j, c] * W[j, c, k]`` one term at a time, the 3D one multiplies one window by one
filter at a time, and the output shape counts the filter's positions along each axis. The
cases include a filter as long as the signal (one output), one channel and one filter,
non-cubic volumes, strides that do not divide evenly, padding, and integer inputs.
"""

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _conv1d_reference(x, W, b):
    x, W, b = np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)
    f, n_c, n_f = W.shape
    n_out = x.shape[0] - f + 1
    Z = np.zeros((n_out, n_f))
    for t in range(n_out):
        for k in range(n_f):
            total = b[k]
            for j in range(f):
                for c in range(n_c):
                    total += x[t + j, c] * W[j, c, k]
            Z[t, k] = total
    return Z


def _conv1d_cases():
    r = np.random.default_rng(1901)
    cases = [
        ("conv1d_valid(20 x 3, 4 filters of 5)", (20, 3, 5, 4)),
        ("conv1d_valid(filter as long as the signal)", (6, 2, 6, 3)),
        ("conv1d_valid(one channel, one filter)", (9, 1, 2, 1)),
        ("conv1d_valid(filter of length 1)", (7, 4, 1, 2)),
    ]
    out = []
    for label, (n, n_c, f, n_f) in cases:
        x = r.standard_normal((n, n_c))
        out.append((label, (x, r.standard_normal((f, n_c, n_f)), r.standard_normal(n_f)), {}))
    ints = r.integers(-3, 4, (8, 2))
    out.append(
        ("conv1d_valid(integer input)", (ints, r.integers(-2, 3, (3, 2, 2)), np.array([1, -1])), {})
    )
    return out


def _shape_reference(input_shape, f, n_filters, stride=1, pad=0):
    sides = []
    for n in input_shape[:3]:
        count = 0
        start = 0
        while start + f <= n + 2 * pad:  # count the filter's positions one by one
            count += 1
            start += stride
        sides.append(count)
    return (*sides, n_filters)


def _shape_cases():
    return [
        ("conv3d_output_shape((9, 9, 9, 3), 3, 5, stride=2)", ((9, 9, 9, 3), 3, 5), {"stride": 2}),
        (
            "conv3d_output_shape((10, 12, 7, 1), 4, 6, stride=3)",
            ((10, 12, 7, 1), 4, 6),
            {"stride": 3},
        ),
        ("conv3d_output_shape((5, 6, 7, 2), 3, 8, pad=2)", ((5, 6, 7, 2), 3, 8), {"pad": 2}),
        (
            "conv3d_output_shape((28, 28, 28, 1), 5, 16, stride=2, pad=1)",
            ((28, 28, 28, 1), 5, 16),
            {"stride": 2, "pad": 1},
        ),
        ("conv3d_output_shape((3, 3, 3, 4), 3, 1)", ((3, 3, 3, 4), 3, 1), {}),
    ]


def _conv3d_reference(x, W, b):
    x, W, b = np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)
    f, n_f = W.shape[0], W.shape[4]
    out = [n - f + 1 for n in x.shape[:3]]
    Z = np.zeros((*out, n_f))
    for d in range(out[0]):
        for h in range(out[1]):
            for w in range(out[2]):
                window = x[d : d + f, h : h + f, w : w + f]
                for k in range(n_f):
                    Z[d, h, w, k] = b[k] + float(np.sum(window * W[..., k]))
    return Z


def _conv3d_cases():
    r = np.random.default_rng(1903)
    cases = [
        ("conv3d_valid(6x5x4x3, 2 filters of 3)", ((6, 5, 4, 3), 3, 2)),
        ("conv3d_valid(filter as large as the volume)", ((4, 4, 4, 2), 4, 3)),
        ("conv3d_valid(1x1x1 filters)", ((3, 4, 5, 2), 1, 4)),
        ("conv3d_valid(8x8x8x1, 5 filters of 2)", ((8, 8, 8, 1), 2, 5)),
    ]
    out = []
    for label, (shape, f, n_f) in cases:
        x = r.standard_normal(shape)
        W = r.standard_normal((f, f, f, shape[3], n_f))
        out.append((label, (x, W, r.standard_normal(n_f)), {}))
    return out


TESTS = [
    HiddenTest(
        "conv1d_valid",
        2,
        _conv1d_cases,
        _conv1d_reference,
        ("cvutils.filters.correlate1d", "cvutils.filters.convolve1d"),
        atol=1e-9,
    ),
    HiddenTest(
        "conv3d_output_shape",
        1,
        _shape_cases,
        _shape_reference,
        ("cvutils.conv.conv_output_size",),
    ),
    HiddenTest(
        "conv3d_valid",
        2,
        _conv3d_cases,
        _conv3d_reference,
        ("cvutils.conv.conv_forward", "cvutils.conv.conv_forward_naive"),
        atol=1e-9,
    ),
]
