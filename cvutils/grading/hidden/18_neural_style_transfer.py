"""Hidden tests of notebooks/18_neural_style_transfer.ipynb (shapes and values unused there).

The references are NumPy with float64 and explicit loops, independent of the learner's
TensorFlow calls and of `cvutils.losses`: the content cost as a sum over every entry, the
Gram matrix entry by entry, the layer style cost from Gram matrices built position by
position (so a reshape that mixes channels and positions is caught), the style cost as a
weighted sum over other layer lists and coefficients, and the total cost with other weights.
The cases use non-square maps, one channel, one position, and more channels than positions.
"""

import numpy as np
import tensorflow as tf

from cvutils.grading.hidden import HiddenTest


def _tensor(r, shape, mean=0.0, std=1.0):
    return tf.constant(r.normal(mean, std, shape), tf.float32)


def _content_reference(a_C, a_G):
    a_C, a_G = np.asarray(a_C, np.float64), np.asarray(a_G, np.float64)
    _, n_H, n_W, n_C = a_G.shape
    total = 0.0
    for idx in np.ndindex(a_G.shape):
        total += (a_C[idx] - a_G[idx]) ** 2
    return total / (4 * n_H * n_W * n_C)


def _content_cases():
    r = np.random.default_rng(1801)
    shapes = [(1, 3, 5, 2), (1, 1, 1, 7), (1, 6, 2, 1), (1, 2, 3, 16)]
    cases = [
        (f"compute_content_cost(a_C, a_G of shape {s})", (_tensor(r, s, 1, 3), _tensor(r, s)), {})
        for s in shapes
    ]
    same = _tensor(r, (1, 4, 4, 3))
    cases.append(("compute_content_cost(equal activations)", (same, same), {}))
    return cases


def _gram_reference(A):
    A = np.asarray(A, np.float64)
    n = A.shape[0]
    G = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            G[i, j] = sum(A[i, k] * A[j, k] for k in range(A.shape[1]))
    return G


def _gram_cases():
    r = np.random.default_rng(1802)
    shapes = [(1, 5), (4, 1), (3, 7), (6, 2)]
    return [(f"gram_matrix(A of shape {s})", (_tensor(r, s, 0.5, 2),), {}) for s in shapes]


def _layer_style_reference(a_S, a_G):
    a_S, a_G = np.asarray(a_S, np.float64), np.asarray(a_G, np.float64)
    _, n_H, n_W, n_C = a_G.shape

    def gram(a):
        G = np.zeros((n_C, n_C))
        for h in range(n_H):
            for w in range(n_W):
                G += np.outer(a[0, h, w], a[0, h, w])
        return G

    return np.sum((gram(a_S) - gram(a_G)) ** 2) / (4 * n_C**2 * (n_H * n_W) ** 2)


def _layer_style_cases():
    r = np.random.default_rng(1803)
    shapes = [(1, 3, 4, 2), (1, 2, 5, 3), (1, 1, 1, 4), (1, 4, 2, 1), (1, 2, 2, 9)]
    return [
        (
            f"compute_layer_style_cost(a_S, a_G of shape {s})",
            (_tensor(r, s, 0.5, 2), _tensor(r, s)),
            {},
        )
        for s in shapes
    ]


def _style_reference(style_image_output, generated_image_output, STYLE_LAYERS=None):
    if STYLE_LAYERS is None:
        STYLE_LAYERS = [(f"block{b}_conv1", 0.2) for b in range(1, 6)]
    return sum(
        coeff * _layer_style_reference(style_image_output[i], generated_image_output[i])
        for i, (_, coeff) in enumerate(STYLE_LAYERS)
    )


def _style_cases():
    r = np.random.default_rng(1804)
    five = [(1, 8, 8, 2), (1, 4, 4, 3), (1, 2, 2, 4), (1, 2, 1, 5), (1, 1, 1, 6), (1, 1, 1, 6)]
    three = [(1, 3, 5, 2), (1, 2, 3, 4), (1, 1, 2, 3), (1, 1, 2, 3)]

    def outputs(shapes):
        return [_tensor(r, s) for s in shapes]

    return [
        (
            "compute_style_cost(five layers, the default STYLE_LAYERS)",
            (outputs(five), outputs(five)),
            {},
        ),
        (
            "compute_style_cost(three layers weighted 0.5, 0.3, 0.2)",
            (outputs(three), outputs(three)),
            {"STYLE_LAYERS": [("a", 0.5), ("b", 0.3), ("c", 0.2)]},
        ),
        (
            "compute_style_cost(one layer, weight 1)",
            (outputs([(1, 3, 3, 2), (1, 3, 3, 2)]), outputs([(1, 3, 3, 2), (1, 3, 3, 2)])),
            {"STYLE_LAYERS": [("only", 1.0)]},
        ),
    ]


def _total_reference(J_content, J_style, alpha=10, beta=40):
    return alpha * float(J_content) + beta * float(J_style)


def _total_cases():
    return [
        ("total_cost(1.5, 0.25)", (1.5, 0.25), {}),
        ("total_cost(0.0, 2.0, 7, 0.5)", (0.0, 2.0, 7, 0.5), {}),
        ("total_cost(3.0, 4.0, alpha=0.1, beta=1e-3)", (3.0, 4.0), {"alpha": 0.1, "beta": 1e-3}),
        (
            "total_cost(tensors 2.5 and 0.125, beta=8)",
            (tf.constant(2.5), tf.constant(0.125)),
            {"beta": 8},
        ),
    ]


TESTS = [
    HiddenTest(
        "compute_content_cost",
        1,
        _content_cases,
        _content_reference,
        ("cvutils.losses.compute_content_cost", "cvutils.losses.ContentLoss"),
        atol=1e-5,
        rtol=1e-4,
    ),
    HiddenTest(
        "gram_matrix",
        1,
        _gram_cases,
        _gram_reference,
        ("cvutils.losses.gram_matrix",),
        atol=1e-4,
        rtol=1e-5,
    ),
    HiddenTest(
        "compute_layer_style_cost",
        2,
        _layer_style_cases,
        _layer_style_reference,
        ("cvutils.losses.compute_layer_style_cost", "cvutils.losses.StyleLoss"),
        atol=1e-5,
        rtol=1e-4,
    ),
    HiddenTest(
        "compute_style_cost",
        2,
        _style_cases,
        _style_reference,
        ("cvutils.losses.compute_style_cost", "cvutils.losses.compute_layer_style_cost"),
        atol=1e-5,
        rtol=1e-4,
    ),
    HiddenTest(
        "total_cost",
        1,
        _total_cases,
        _total_reference,
        ("cvutils.losses.total_cost",),
        atol=1e-6,
        rtol=1e-6,
    ),
]
