"""Hidden tests of notebooks/08_residual_networks.ipynb (shapes, filters and strides unused there).

The references recompute each block in NumPy, independent of Keras's layers and of
`cvutils.blocks`: convolutions as sums of shifted einsums (TensorFlow's "same" padding puts
the odd pixel at the bottom and right), batch normalization with its initial statistics
(``training=False``: divide by ``sqrt(1 + 1e-3)``) or the batch's (``training=True``), and
the kernels drawn from the same seeded initializers the learner's convolutions get. The
cases include odd sides with stride 2, stride 1 and 3, even middle windows and other
initializers.
"""

import numpy as np
from keras import initializers

from cvutils.grading.hidden import HiddenTest

EPS = 1e-3  # keras.layers.BatchNormalization's default epsilon


def _conv(x, kernel, stride=1, padding="valid"):
    f = kernel.shape[0]
    if padding == "same":
        x = np.pad(x, ((0, 0), ((f - 1) // 2, f // 2), ((f - 1) // 2, f // 2), (0, 0)))
    n_h = (x.shape[1] - f) // stride + 1
    n_w = (x.shape[2] - f) // stride + 1
    out = np.zeros((x.shape[0], n_h, n_w, kernel.shape[3]))
    for i in range(f):
        for j in range(f):
            window = x[
                :, i : i + stride * (n_h - 1) + 1 : stride, j : j + stride * (n_w - 1) + 1 : stride
            ]
            out += np.einsum("mhwc,cd->mhwd", window, kernel[i, j])
    return out  # biases start at zero


def _bn(x, training):
    if training:
        return (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + EPS)
    return x / np.sqrt(1 + EPS)


def _kernel(initializer, shape):
    return np.asarray(initializer(seed=0)(shape, dtype="float32"), dtype=float)


def _main_path(X, f, filters, s, training, initializer):
    F1, F2, F3 = filters
    n_c = X.shape[3]
    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    Z = relu(_bn(_conv(X, _kernel(initializer, (1, 1, n_c, F1)), s), training))
    Z = relu(_bn(_conv(Z, _kernel(initializer, (f, f, F1, F2)), 1, "same"), training))
    return _bn(_conv(Z, _kernel(initializer, (1, 1, F2, F3))), training)


def _identity_reference(X, f, filters, training=True, initializer=initializers.RandomUniform):
    X = X.astype(float)
    return np.maximum(_main_path(X, f, filters, 1, training, initializer) + X, 0)


def _convolutional_reference(
    X, f, filters, s=2, training=True, initializer=initializers.GlorotUniform
):
    X = X.astype(float)
    shortcut = _bn(_conv(X, _kernel(initializer, (1, 1, X.shape[3], filters[2])), s), training)
    return np.maximum(_main_path(X, f, filters, s, training, initializer) + shortcut, 0)


def _x(r, shape):
    return r.uniform(-1, 3, shape).astype("float32")


def _identity_cases():
    r = np.random.default_rng(801)
    return [
        (
            "identity_block(2x5x5x6, f=3, [3, 5, 6], training=False)",
            (_x(r, (2, 5, 5, 6)), 3, [3, 5, 6]),
            {"training": False},
        ),
        ("identity_block(4x6x3x4, f=2, [2, 3, 4])", (_x(r, (4, 6, 3, 4)), 2, [2, 3, 4]), {}),
        (
            "identity_block(3x4x4x5, f=3, [4, 2, 5], GlorotUniform)",
            (_x(r, (3, 4, 4, 5)), 3, [4, 2, 5], True, initializers.GlorotUniform),
            {},
        ),
        (
            "identity_block(2x7x5x2, f=1, [6, 6, 2], HeNormal, training=False)",
            (_x(r, (2, 7, 5, 2)), 1, [6, 6, 2]),
            {"training": False, "initializer": initializers.HeNormal},
        ),
    ]


def _convolutional_cases():
    r = np.random.default_rng(802)
    return [
        ("convolutional_block(2x7x7x3, f=3, [2, 4, 8])", (_x(r, (2, 7, 7, 3)), 3, [2, 4, 8]), {}),
        (
            "convolutional_block(3x6x9x4, f=2, [3, 3, 5], s=1, training=False)",
            (_x(r, (3, 6, 9, 4)), 2, [3, 3, 5]),
            {"s": 1, "training": False},
        ),
        (
            "convolutional_block(2x10x8x2, f=3, [4, 4, 6], s=3, RandomUniform)",
            (_x(r, (2, 10, 8, 2)), 3, [4, 4, 6], 3, True, initializers.RandomUniform),
            {},
        ),
        (
            "convolutional_block(4x5x5x6, f=1, [2, 2, 3], training=False)",
            (_x(r, (4, 5, 5, 6)), 1, [2, 2, 3]),
            {"training": False},
        ),
    ]


TESTS = [
    HiddenTest(
        "identity_block",
        3,
        _identity_cases,
        _identity_reference,
        ("cvutils.blocks.identity_block",),
        atol=1e-4,
        rtol=1e-3,
    ),
    HiddenTest(
        "convolutional_block",
        3,
        _convolutional_cases,
        _convolutional_reference,
        ("cvutils.blocks.convolutional_block",),
        atol=1e-4,
        rtol=1e-3,
    ),
]
