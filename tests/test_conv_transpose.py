"""Tests of the transposed convolution of cvutils.conv (notebook 15): keras.layers.Conv2DTranspose
with set weights as the reference, a loop oracle, the lecture's worked example, bad inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from refusals import assert_refused

from cvutils import conv

# (m, n_H_prev, n_W_prev, n_C_prev, n_C, f, stride, padding)
CASES = [
    (2, 3, 3, 2, 3, 3, 2, "same"),  # the U-Net's up-sampling
    (2, 3, 3, 2, 3, 3, 2, "valid"),
    (1, 2, 2, 1, 1, 3, 2, "same"),  # the lecture's 2x2 -> 4x4
    (2, 4, 3, 3, 2, 4, 2, "same"),  # kernel 4: even overlap
    (2, 4, 3, 3, 2, 4, 2, "valid"),
    (1, 3, 5, 2, 2, 2, 2, "valid"),  # f == s: no overlap
    (2, 3, 3, 1, 2, 2, 3, "valid"),  # f < s: gaps and trailing zeros
    (2, 3, 3, 1, 2, 2, 3, "same"),
    (1, 4, 4, 2, 3, 3, 1, "same"),  # stride 1
    (1, 4, 4, 2, 3, 5, 1, "valid"),
    (2, 2, 3, 2, 1, 5, 2, "same"),  # f - s odd: Keras crops 1 at the start
]


def _random(case, seed=0):
    m, h, w, c_prev, c, f, _, _ = case
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(m, h, w, c_prev)),
        rng.normal(size=(f, f, c, c_prev)),
        rng.normal(size=(1, 1, 1, c)),
    )


def _keras(A, W, b, stride, padding):
    layer = keras.layers.Conv2DTranspose(W.shape[2], W.shape[0], strides=stride, padding=padding)
    layer.build(A.shape)
    layer.set_weights([W.astype("float32"), b.reshape(-1).astype("float32")])
    return keras.ops.convert_to_numpy(layer(A.astype("float32")))


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
@pytest.mark.parametrize("fn", [conv.conv_transpose_forward, conv.conv_transpose_forward_naive])
def test_matches_keras_conv2d_transpose(case, fn):
    A, W, b = _random(case)
    stride, padding = case[6], case[7]
    Z, cache = fn(A, W, b, {"stride": stride, "padding": padding})
    expected = _keras(A, W, b, stride, padding)
    assert Z.shape == expected.shape
    np.testing.assert_allclose(Z, expected, rtol=1e-4, atol=1e-4)
    n_H = conv.conv_transpose_output_size(case[1], case[5], stride, padding)
    n_W = conv.conv_transpose_output_size(case[2], case[5], stride, padding)
    assert Z.shape == (case[0], n_H, n_W, case[4])
    assert cache[0] is A and cache[1] is W


VALID = [c for c in CASES if c[7] == "valid" and c[5] >= c[6]]


@pytest.mark.parametrize("case", VALID, ids=[str(c) for c in VALID])
def test_is_the_gradient_of_a_convolution(case):
    # "valid" with f >= s: the full output; its adjoint is conv_forward with pad 0:
    # <conv_transpose(A), Y> == <A, conv(Y) with the same filters>
    m, h, w, c_prev, c, f, s, padding = case
    A, W, _ = _random(case, seed=3)
    Z, _ = conv.conv_transpose_forward(
        A, W, np.zeros((1, 1, 1, c)), {"stride": s, "padding": padding}
    )
    Y = np.random.default_rng(4).normal(size=Z.shape)
    # conv_forward's filters are (f, f, n_C_in, n_C_out): here in = c (Z's), out = c_prev
    back, _ = conv.conv_forward(Y, W, np.zeros((1, 1, 1, c_prev)), {"stride": s, "pad": 0})
    np.testing.assert_allclose(np.sum(Z * Y), np.sum(A * back), rtol=1e-10)


def test_lecture_example_2x2_to_4x4():
    # a 2x2 input, a 3x3 filter, stride 2: each input pixel paints a weighted copy of the
    # filter; the overlaps (row/column 2 of the 5x5 full output) add up; "same" keeps 4x4
    A = np.array([[2.0, 1.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    W = np.array([[1.0, 2.0, 1.0], [2.0, 0.0, 1.0], [0.0, 2.0, 1.0]]).reshape(3, 3, 1, 1)
    full = np.zeros((5, 5))
    for h in range(2):
        for w in range(2):
            full[2 * h : 2 * h + 3, 2 * w : 2 * w + 3] += A[0, h, w, 0] * W[:, :, 0, 0]
    expected = full[:4, :4]
    Z, _ = conv.conv_transpose_forward(
        A, W, np.zeros((1, 1, 1, 1)), {"stride": 2, "padding": "same"}
    )
    np.testing.assert_allclose(Z[0, :, :, 0], expected)
    np.testing.assert_allclose(Z[0, 2, :, 0], [3, 10, 7, 6])  # 2*W[2] + 3*W[0], overlapping
    assert conv.conv_transpose_output_size(2, 3, 2, "same") == 4
    assert conv.conv_transpose_output_size(2, 3, 2, "valid") == 5
    assert conv.conv_transpose_output_size(2, 3, 2, 1) == 3  # the symmetric textbook crop


@pytest.mark.parametrize(
    "n, f, s, padding, expected",
    [
        (2, 3, 2, "same", 4),
        (2, 3, 2, 0, 5),
        (5, 2, 3, "valid", 15),
        (5, 4, 2, "valid", 12),
        (6, 4, 2, 1, 12),
        (1, 1, 1, "same", 1),
        (3, 5, 1, 2, 3),
    ],
)
def test_output_size_formula(n, f, s, padding, expected):
    assert conv.conv_transpose_output_size(n, f, s, padding) == expected


def test_checkerboard_from_uneven_overlap():
    # a constant input, stride 2: kernel 3 overlaps every other row/column (a checkerboard),
    # kernel 4 overlaps evenly (flat inside the border)
    A = np.ones((1, 6, 6, 1))
    z3, _ = conv.conv_transpose_forward(
        A, np.ones((3, 3, 1, 1)), np.zeros((1, 1, 1, 1)), {"stride": 2, "padding": "same"}
    )
    z4, _ = conv.conv_transpose_forward(
        A, np.ones((4, 4, 1, 1)), np.zeros((1, 1, 1, 1)), {"stride": 2, "padding": "same"}
    )
    assert set(np.unique(z3[0, 2:-2, 2:-2, 0])) == {1.0, 2.0, 4.0}
    assert set(np.unique(z4[0, 2:-2, 2:-2, 0])) == {4.0}


def test_does_not_mutate_and_keeps_float32():
    A, W, b = (x.astype("float32") for x in _random(CASES[0]))
    copies = [x.copy() for x in (A, W, b)]
    Z, _ = conv.conv_transpose_forward(A, W, b, {"stride": 2, "padding": "same"})
    assert Z.dtype == np.float32
    for x, c in zip((A, W, b), copies, strict=True):
        np.testing.assert_array_equal(x, c)


@pytest.mark.parametrize("fn", [conv.conv_transpose_forward, conv.conv_transpose_forward_naive])
def test_refuses_bad_input(fn):
    A, W, b = _random(CASES[0])
    hp = {"stride": 2, "padding": "same"}
    assert_refused(lambda: fn(A[0], W, b, hp), "A_prev")
    assert_refused(lambda: fn(A, W[..., :1], b, hp), "W")  # channel mismatch
    assert_refused(lambda: fn(A, W[:2], b, hp), "W")  # not square
    assert_refused(lambda: fn(A, W, b[..., :1], hp), "b")
    assert_refused(lambda: fn(A, W, b, {"stride": 0, "padding": "same"}), "hparameters['stride']")
    assert_refused(lambda: fn(A, W, b, {"stride": 2, "padding": "full"}), "hparameters['padding']")
    assert_refused(lambda: fn(A, W, b, {"stride": 2}), "hparameters")
    assert_refused(lambda: fn(A, W, b, None), "hparameters")
    assert_refused(lambda: fn(np.full_like(A, np.nan), W, b, hp), "A_prev")
    assert_refused(lambda: conv.conv_transpose_output_size(2, 3, 2, "full"), "padding")
    assert_refused(lambda: conv.conv_transpose_output_size(2, 3, 2, 3), "padding")
    assert_refused(lambda: conv.conv_transpose_output_size(2, 3, 2, 1.0), "padding")
    assert_refused(lambda: conv.conv_transpose_output_size(0, 3), "n")
