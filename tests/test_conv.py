"""Tests of cvutils.conv (the layer API): course worked examples, TensorFlow references, loop
oracles, numerical gradients, max-pool ties, hypothesis for shapes and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from course_examples import (
    CHECKER,
    IMAGE_6X6,
    IMAGE_6X6_VERTICAL,
    POOL_AVG,
    POOL_MAX,
    POOL_MAX_2,
    STEP,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvutils import _im2col, conv, filters
from cvutils.checks import MAX_COUNT
from cvutils.gradcheck import check_gradient, check_layer_gradients

tf = pytest.importorskip("tensorflow")

HYPOTHESIS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The course's worked examples (tests/course_examples.py).
COURSE_IMAGE, COURSE_VERTICAL_OUTPUT = IMAGE_6X6, IMAGE_6X6_VERTICAL
STEP_IMAGE, CHECKER_IMAGE = STEP, CHECKER
POOL_MAX_EXAMPLE, POOL_AVG_EXAMPLE, POOL_MAX_EXAMPLE_2 = POOL_MAX, POOL_AVG, POOL_MAX_2

# (m, n_H_prev, n_W_prev, n_C_prev, n_C, f, stride, pad)
CONV_CASES = [
    (2, 5, 5, 3, 4, 3, 1, 0),
    (2, 5, 7, 3, 4, 3, 1, 1),  # non-square input
    (1, 7, 7, 1, 1, 3, 2, 0),
    (3, 8, 6, 2, 5, 3, 2, 1),
    (2, 9, 9, 3, 2, 5, 1, 2),  # "same" 5x5
    (2, 7, 7, 3, 3, 3, 3, 0),  # stride does not tile: floor
    (1, 6, 6, 4, 2, 1, 1, 0),  # 1x1 convolution
    (2, 4, 5, 2, 3, 2, 1, 0),  # even filter
    (1, 10, 13, 3, 4, 4, 3, 2),
    (2, 3, 3, 2, 2, 3, 1, 3),  # pad larger than the filter
    (1, 5, 5, 2, 3, 5, 1, 0),  # filter as large as the input: 1x1 output
]
CONV_IDS = ["m{}_{}x{}x{}_to{}_f{}_s{}_p{}".format(*c) for c in CONV_CASES]

# (m, n_H_prev, n_W_prev, n_C, f, stride)
POOL_CASES = [
    (2, 4, 4, 3, 2, 2),
    (2, 5, 5, 2, 3, 2),  # overlapping windows
    (1, 7, 9, 3, 3, 2),  # overlapping, non-square
    (2, 6, 6, 1, 2, 1),
    (3, 5, 7, 2, 3, 3),
    (1, 5, 5, 2, 5, 1),  # window as large as the input
    (2, 8, 8, 3, 1, 1),
]
POOL_IDS = ["m{}_{}x{}x{}_f{}_s{}".format(*c) for c in POOL_CASES]


def rng_for(*key: int) -> np.random.Generator:
    return np.random.default_rng(list(key))


def conv_data(case, dtype=np.float64):
    m, n_H, n_W, n_C_prev, n_C, f, stride, pad = case
    rng = rng_for(*case)
    A = rng.standard_normal((m, n_H, n_W, n_C_prev)).astype(dtype)
    W = rng.standard_normal((f, f, n_C_prev, n_C)).astype(dtype)
    b = rng.standard_normal((1, 1, 1, n_C)).astype(dtype)
    return A, W, b, {"stride": stride, "pad": pad}


def tf_conv(A, W, b, stride, pad):
    padding = [[0, 0], [pad, pad], [pad, pad], [0, 0]]
    return tf.nn.conv2d(A, W, strides=stride, padding=padding) + tf.reshape(b, [-1])


@pytest.fixture(params=["default-blocks", "tiny-blocks"])
def blocks(request, monkeypatch):
    """Runs a test with the default im2col block size and with tiny blocks (row bands)."""
    if request.param == "tiny-blocks":
        monkeypatch.setattr(_im2col, "CHUNK_BYTES", 64)
    return request.param


# --------------------------------------------------------------------------------------
# Worked examples from the course
# --------------------------------------------------------------------------------------


def as_batch(image):
    return np.asarray(image, dtype=np.float64)[None, :, :, None]


def conv_valid(image, kernel):
    """The course's "convolution" (a cross-correlation) through the layer API."""
    W = np.asarray(kernel, dtype=np.float64)[:, :, None, None]
    Z, _ = conv.conv_forward(as_batch(image), W, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0})
    return Z[0, :, :, 0]


@pytest.mark.parametrize(
    "op", [filters.correlate2d, conv_valid], ids=["correlate2d", "conv_forward"]
)
def test_course_vertical_edge_example(op):
    np.testing.assert_array_equal(op(COURSE_IMAGE, filters.vertical_edge()), COURSE_VERTICAL_OUTPUT)


@pytest.mark.parametrize(
    "op", [filters.correlate2d, conv_valid], ids=["correlate2d", "conv_forward"]
)
def test_course_step_edges(op):
    np.testing.assert_array_equal(op(STEP_IMAGE, filters.vertical_edge()), [[0, 30, 30, 0]] * 4)
    flipped = STEP_IMAGE[:, ::-1]  # dark to bright
    np.testing.assert_array_equal(op(flipped, filters.vertical_edge()), [[0, -30, -30, 0]] * 4)


@pytest.mark.parametrize(
    "op", [filters.correlate2d, conv_valid], ids=["correlate2d", "conv_forward"]
)
def test_course_horizontal_edges_on_checker(op):
    expected = [[0, 0, 0, 0], [30, 10, -10, -30], [30, 10, -10, -30], [0, 0, 0, 0]]
    np.testing.assert_array_equal(op(CHECKER_IMAGE, filters.horizontal_edge()), expected)


@pytest.mark.parametrize("pool", [conv.pool_forward, conv.pool_forward_naive])
@pytest.mark.parametrize(
    ("image", "mode", "expected"),
    [
        (POOL_MAX_EXAMPLE, "max", [[9, 2], [6, 3]]),
        (POOL_AVG_EXAMPLE, "average", [[3.75, 1.25], [4, 2]]),
        (POOL_MAX_EXAMPLE, "average", [[3.75, 1.25], [3.75, 2]]),
        (POOL_MAX_EXAMPLE_2, "max", [[6, 8], [3, 4]]),
    ],
)
def test_course_pooling_examples(pool, image, mode, expected):
    A, cache = pool(as_batch(image), {"f": 2, "stride": 2}, mode=mode)
    np.testing.assert_array_equal(A[0, :, :, 0], expected)
    assert cache[0].shape == (1, 4, 4, 1)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((6, 3), 4),
        ((6, 3, 1), 6),
        ((7, 3, 0, 2), 3),
        ((5, 3, 1), 5),
        ((5, 3, 1, 2), 3),
        ((32, 5, 2), 32),
        ((227, 11, 0, 4), 55),
        ((39, 3), 37),
        ((37, 5, 0, 2), 17),
        ((17, 5, 0, 2), 7),
        ((7, 3, 0, 3), 2),
    ],
)
def test_conv_output_size_course_cases(args, expected):
    assert conv.conv_output_size(*args) == expected
    assert type(conv.conv_output_size(*args)) is int


def test_conv_output_size_strict_refuses_inexact_stride():
    assert conv.conv_output_size(7, 3, stride=3) == 2
    with pytest.raises(ValueError, match=r"stride must be a divisor of .* = 4 \(strict=True\)"):
        conv.conv_output_size(7, 3, stride=3, strict=True)
    assert conv.conv_output_size(7, 3, stride=2, strict=True) == 3


def test_conv_output_size_accepts_numpy_integers():
    assert conv.conv_output_size(np.int64(6), np.int32(3), pad=np.int8(1)) == 6


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 6.0, "f": 3}, r"\bn must be an integer"),
        ({"n": True, "f": 1}, r"\bn must be an integer"),
        ({"n": 6, "f": 3.0}, r"\bf must be an integer"),
        ({"n": -1, "f": 1}, r"\bn must be an integer in 1\.\.\d+; got -1"),
        ({"n": 6, "f": 0}, r"\bf must be an integer in 1\.\.6; got 0"),
        ({"n": 6, "f": 7}, r"\bf must be an integer in 1\.\.6; got 7"),
        ({"n": 6, "f": 9, "pad": 1}, r"\bf must be an integer in 1\.\.8; got 9"),
        ({"n": MAX_COUNT + 1, "f": 3}, r"\bn must be an integer in 1\.\.100000000"),
        ({"n": 6, "f": 3, "strict": 1}, r"strict must be True or False"),
        ({"n": 6, "f": 3, "stride": 0}, r"stride must be an integer in 1\.\.\d+; got 0"),
        ({"n": 6, "f": 3, "pad": -1}, r"pad must be an integer in 0\.\.\d+; got -1"),
        ({"n": 6, "f": 3, "pad": 0.5}, r"pad must be an integer"),
    ],
)
def test_conv_output_size_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv.conv_output_size(**kwargs)


@pytest.mark.parametrize(("f", "pad"), [(1, 0), (3, 1), (5, 2), (7, 3), (11, 5)])
def test_same_padding_keeps_the_size(f, pad):
    assert conv.same_padding(f) == pad
    assert conv.conv_output_size(32, f, pad=conv.same_padding(f)) == 32


@pytest.mark.parametrize(
    ("f", "match"),
    [(4, "f must be an odd integer"), (2, "odd"), (0, r"f must be .*>= 1|1\.\."), (3.0, "integer")],
)
def test_same_padding_bad(f, match):
    with pytest.raises(ValueError, match=match):
        conv.same_padding(f)


# --------------------------------------------------------------------------------------
# Convolution layer against TensorFlow, the loop oracle and numerical gradients
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_forward_matches_tf(case, blocks):
    A, W, b, hp = conv_data(case)
    expected = tf_conv(A, W, b, hp["stride"], hp["pad"]).numpy()
    Z, cache = conv.conv_forward(A, W, b, hp)
    assert Z.shape == expected.shape
    assert Z.shape[1] == conv.conv_output_size(A.shape[1], W.shape[0], hp["pad"], hp["stride"])
    np.testing.assert_allclose(Z, expected, rtol=0, atol=1e-10)
    assert cache[0] is A and cache[1] is W and cache[2] is b and cache[3] is hp


@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_forward_naive_matches_tf(case):
    A, W, b, hp = conv_data(case)
    expected = tf_conv(A, W, b, hp["stride"], hp["pad"]).numpy()
    Z, cache = conv.conv_forward_naive(A, W, b, hp)
    np.testing.assert_allclose(Z, expected, rtol=0, atol=1e-10)
    assert all(x is y for x, y in zip(cache, (A, W, b, hp), strict=True))


def tf_conv_grads(A, W, b, hp, dZ):
    A_t, W_t, b_t = (tf.Variable(x) for x in (A, W, b))
    with tf.GradientTape() as tape:
        Z = tf_conv(A_t, W_t, b_t, hp["stride"], hp["pad"])
        loss = tf.reduce_sum(Z * dZ)
    return [g.numpy() for g in tape.gradient(loss, [A_t, W_t, b_t])]


@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_backward_matches_tf_and_naive(case, blocks):
    A, W, b, hp = conv_data(case)
    Z, cache = conv.conv_forward(A, W, b, hp)
    dZ = rng_for(99, *case).standard_normal(Z.shape)
    expected = tf_conv_grads(A, W, b, hp, dZ)
    got = conv.conv_backward(dZ, cache)
    naive = conv.conv_backward_naive(dZ, cache)
    for name, g, n, e, x in zip(
        ("dA_prev", "dW", "db"), got, naive, expected, (A, W, b), strict=True
    ):
        assert g.shape == x.shape, name
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(n, e, rtol=0, atol=1e-10, err_msg=name + " (naive)")


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_rectangular_filter_matches_tf(stride):
    rng = rng_for(7, stride)
    A = rng.standard_normal((2, 6, 7, 3))
    W = rng.standard_normal((1, 3, 3, 2))
    b = rng.standard_normal((1, 1, 1, 2))
    hp = {"stride": stride, "pad": 1}
    Z, cache = conv.conv_forward(A, W, b, hp)
    np.testing.assert_allclose(Z, tf_conv(A, W, b, stride, 1).numpy(), atol=1e-10)
    np.testing.assert_allclose(Z, conv.conv_forward_naive(A, W, b, hp)[0], atol=1e-12)
    dZ = rng.standard_normal(Z.shape)
    for g, e in zip(conv.conv_backward(dZ, cache), tf_conv_grads(A, W, b, hp, dZ), strict=True):
        np.testing.assert_allclose(g, e, atol=1e-10)


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (1, 1), (2, 1), (2, 0)])
def test_conv_gradients_numerically(stride, pad):
    rng = rng_for(stride, pad)
    hp = {"stride": stride, "pad": pad}
    inputs = {
        "A_prev": rng.standard_normal((2, 4, 5, 2)),
        "W": rng.standard_normal((3, 3, 2, 3)),
        "b": rng.standard_normal((1, 1, 1, 3)),
    }
    errors = check_layer_gradients(
        lambda A_prev, W, b: conv.conv_forward(A_prev, W, b, hp), conv.conv_backward, inputs
    )
    assert set(errors) == {"A_prev", "W", "b"}
    assert max(errors.values()) < 1e-7


def test_conv_gradient_check_with_check_gradient():
    rng = rng_for(3)
    A, W, b = (
        rng.standard_normal((1, 5, 5, 2)),
        rng.standard_normal((3, 3, 2, 2)),
        np.zeros((1, 1, 1, 2)),
    )
    hp = {"stride": 2, "pad": 1}
    Z, cache = conv.conv_forward(A, W, b, hp)
    dZ = rng.standard_normal(Z.shape)
    dA, dW, _ = conv.conv_backward(dZ, cache)
    assert check_gradient(lambda x: np.sum(conv.conv_forward(x, W, b, hp)[0] * dZ), A, dA) < 1e-7
    assert check_gradient(lambda w: np.sum(conv.conv_forward(A, w, b, hp)[0] * dZ), W, dW) < 1e-7


def test_conv_keeps_float32():
    A, W, b, hp = conv_data((2, 6, 6, 3, 4, 3, 1, 1), dtype=np.float32)
    Z, cache = conv.conv_forward(A, W, b, hp)
    assert Z.dtype == np.float32
    dA, dW, db = conv.conv_backward(np.ones_like(Z), cache)
    assert dA.dtype == dW.dtype == db.dtype == np.float32
    expected = tf_conv(A, W, b, 1, 1).numpy()
    np.testing.assert_allclose(Z, expected, rtol=1e-5, atol=1e-5)


def test_conv_promotes_integers_to_float64():
    Z, _ = conv.conv_forward(
        np.ones((1, 3, 3, 1), dtype=int),
        np.ones((2, 2, 1, 1), dtype=int),
        np.zeros((1, 1, 1, 1), dtype=int),
        {"stride": 1, "pad": 0},
    )
    assert Z.dtype == np.float64
    np.testing.assert_array_equal(Z, 4.0)


def test_conv_accepts_non_contiguous_input():
    A, W, b, hp = conv_data((2, 6, 5, 3, 2, 3, 2, 0))
    A_view = np.swapaxes(np.swapaxes(A, 1, 2).copy(), 1, 2)  # same values, transposed strides
    assert not A_view.flags.c_contiguous
    np.testing.assert_allclose(
        conv.conv_forward(A_view, W, b, hp)[0], conv.conv_forward(A, W, b, hp)[0]
    )


def test_conv_single_step():
    rng = rng_for(4)
    a, W, b = (
        rng.standard_normal((4, 4, 3)),
        rng.standard_normal((4, 4, 3)),
        rng.standard_normal((1, 1, 1)),
    )
    Z = conv.conv_single_step(a, W, b)
    assert type(Z) is np.float64  # the course's public test: type(Z) == np.float64
    assert Z == pytest.approx(float(np.sum(a * W) + b.item()))


@pytest.mark.parametrize(
    ("dtype", "expected"), [(np.float64, np.float64), (np.float32, np.float32), (int, np.float64)]
)
def test_conv_single_step_returns_a_numpy_scalar_of_the_input_dtype(dtype, expected):
    a = np.arange(12).reshape(2, 2, 3).astype(dtype)
    Z = conv.conv_single_step(a, np.ones_like(a), np.ones((1, 1, 1), dtype=dtype))
    assert type(Z) is expected
    assert Z == 67


def test_conv_single_step_course_value():
    """The course's public test: seed 1, randn (4, 4, 3) twice and (1, 1, 1)."""
    rng = np.random.RandomState(1)
    a, W, b = rng.randn(4, 4, 3), rng.randn(4, 4, 3), rng.randn(1, 1, 1)
    Z = conv.conv_single_step(a, W, b)
    assert type(Z) is np.float64
    assert np.isclose(Z, np.sum(a * W) + b.item())


def test_zero_pad():
    X = rng_for(5).standard_normal((4, 3, 3, 2))
    X_pad = conv.zero_pad(X, 3)
    assert X_pad.shape == (4, 9, 9, 2)
    np.testing.assert_array_equal(X_pad[:, 3:-3, 3:-3, :], X)
    assert np.count_nonzero(X_pad) == np.count_nonzero(X)
    np.testing.assert_array_equal(conv.zero_pad(X, 0), X)


# --------------------------------------------------------------------------------------
# Pooling layer
# --------------------------------------------------------------------------------------


def pool_data(case):
    """Float64 data that float32 represents exactly: for some shapes TensorFlow's float64
    max pool (oneDNN) goes through float32, which would otherwise cost the last digits."""
    m, n_H, n_W, n_C, f, stride = case
    A = rng_for(*case).standard_normal((m, n_H, n_W, n_C)).astype(np.float32)
    return A.astype(np.float64), {"f": f, "stride": stride}


def tf_pool(A, hp, mode):
    op = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    return op(A, ksize=hp["f"], strides=hp["stride"], padding="VALID")


@pytest.mark.parametrize("mode", conv.POOL_MODES)
@pytest.mark.parametrize("case", POOL_CASES, ids=POOL_IDS)
def test_pool_forward_matches_tf(case, mode):
    A, hp = pool_data(case)
    expected = tf_pool(A, hp, mode).numpy()
    for pool in (conv.pool_forward, conv.pool_forward_naive):
        out, cache = pool(A, hp, mode=mode)
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)
        assert cache[0] is A and cache[1] is hp
    assert out.shape[1] == conv.conv_output_size(A.shape[1], hp["f"], stride=hp["stride"])


@pytest.mark.parametrize("mode", conv.POOL_MODES)
@pytest.mark.parametrize("case", POOL_CASES, ids=POOL_IDS)
def test_pool_backward_matches_tf_and_naive(case, mode):
    A, hp = pool_data(case)
    out, cache = conv.pool_forward(A, hp, mode=mode)
    dA = rng_for(98, *case).standard_normal(out.shape)
    A_t = tf.Variable(A)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf_pool(A_t, hp, mode) * dA)
    expected = tape.gradient(loss, A_t).numpy()
    got = conv.pool_backward(dA, cache, mode=mode)
    assert got.shape == A.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(conv.pool_backward_naive(dA, cache, mode=mode), expected, atol=1e-12)


@pytest.mark.parametrize("mode", conv.POOL_MODES)
@pytest.mark.parametrize(("f", "stride"), [(2, 2), (3, 2), (2, 1)])
def test_pool_gradients_numerically(mode, f, stride):
    A = rng_for(f, stride).standard_normal((2, 5, 6, 2))
    hp = {"f": f, "stride": stride}
    errors = check_layer_gradients(
        lambda A_prev: conv.pool_forward(A_prev, hp, mode=mode),
        lambda d, cache: conv.pool_backward(d, cache, mode=mode),
        {"A_prev": A},
    )
    assert errors["A_prev"] < 1e-7


def test_max_pool_ties_follow_the_course_mask():
    """Ties: every tied maximum gets the gradient (the course's mask); TF picks one."""
    A = np.ones((1, 2, 2, 1))
    out, cache = conv.pool_forward(A, {"f": 2, "stride": 2})
    dA_prev = conv.pool_backward(np.full(out.shape, 5.0), cache)
    np.testing.assert_array_equal(dA_prev[0, :, :, 0], [[5, 5], [5, 5]])
    np.testing.assert_array_equal(conv.pool_backward_naive(np.full(out.shape, 5.0), cache), dA_prev)
    first = conv.pool_backward(np.full(out.shape, 5.0), cache, ties="first")
    np.testing.assert_array_equal(first[0, :, :, 0], [[5, 0], [0, 0]])


def tied_data(case):
    """Small integers: many windows hold tied maxima (and whole flat windows)."""
    m, n_H, n_W, n_C, f, stride = case
    A = rng_for(7, *case).integers(0, 3, (m, n_H, n_W, n_C)).astype(np.float64)
    A[0, :f, :f, 0] = 1.0  # one flat window at least
    return A, {"f": f, "stride": stride}


def course_rule_oracle(A, hp, dA):
    """Loops: every entry equal to its window's maximum receives the window's gradient."""
    f, s = hp["f"], hp["stride"]
    out = np.zeros_like(A)
    m, n_H, n_W, n_C = dA.shape
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    win = A[i, h * s : h * s + f, w * s : w * s + f, c]
                    out[i, h * s : h * s + f, w * s : w * s + f, c] += (win == win.max()) * dA[
                        i, h, w, c
                    ]
    return out


@pytest.mark.parametrize("case", POOL_CASES, ids=POOL_IDS)
def test_max_pool_backward_ties_first_matches_tensorflow_on_ties(case):
    A, hp = tied_data(case)
    out, cache = conv.pool_forward(A, hp)
    dA = rng_for(97, *case).standard_normal(out.shape)
    A_t = tf.Variable(A)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf_pool(A_t, hp, "max") * dA)
    expected = tape.gradient(loss, A_t).numpy()
    got = conv.pool_backward(dA, cache, ties="first")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        conv.pool_backward_naive(dA, cache, ties="first"), expected, rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("case", POOL_CASES, ids=POOL_IDS)
def test_max_pool_backward_ties_all_is_the_course_rule_on_ties(case):
    A, hp = tied_data(case)
    out, cache = conv.pool_forward(A, hp)
    dA = rng_for(96, *case).standard_normal(out.shape)
    expected = course_rule_oracle(A, hp, dA)
    np.testing.assert_allclose(conv.pool_backward(dA, cache), expected, atol=1e-12)
    np.testing.assert_allclose(conv.pool_backward(dA, cache, ties="all"), expected, atol=1e-12)
    np.testing.assert_allclose(conv.pool_backward_naive(dA, cache), expected, atol=1e-12)
    if hp["f"] > 1:  # with a flat window the two rules differ
        assert not np.allclose(expected, conv.pool_backward(dA, cache, ties="first"))


@pytest.mark.parametrize("ties", conv.TIES)
def test_ties_do_not_matter_for_average_pooling_or_distinct_values(ties):
    A, hp = pool_data((2, 5, 5, 2, 3, 2))
    for mode in conv.POOL_MODES:
        out, cache = conv.pool_forward(A, hp, mode=mode)
        dA = np.ones_like(out)
        np.testing.assert_array_equal(
            conv.pool_backward(dA, cache, mode=mode, ties=ties),
            conv.pool_backward(dA, cache, mode=mode),
        )


# Max pooling runs band by band of output rows (`_im2col.POOL_BLOCK_BYTES`), checking each band
# for NaN/inf after pooling it. Tiny bands force many of them (and several images per band).
BAND_CASES = [
    (3, 9, 7, 2, 3, 2),  # overlapping windows cross band edges
    (2, 10, 11, 3, 3, 3),  # the last row and column are in no window
    (2, 9, 9, 1, 2, 4),  # stride > f: whole rows and columns in no window
    (5, 4, 4, 2, 2, 2),  # small images: several per band
]


def pool_threads(monkeypatch, threaded: bool) -> None:
    """Two threads for any input of more than one band, or never."""
    monkeypatch.setattr(_im2col, "POOL_THREADS_BYTES", 0 if threaded else 1 << 62)
    monkeypatch.setattr(conv._im2col, "oversubscribed", lambda: False)
    monkeypatch.setattr(conv._im2col, "_cpus", lambda: 2)


@pytest.mark.parametrize("threaded", [False, True])
@pytest.mark.parametrize("block_bytes", [1, 200, 10**6])
@pytest.mark.parametrize("case", BAND_CASES)
def test_max_pool_in_bands_matches_the_loop_oracle(case, block_bytes, threaded, monkeypatch):
    monkeypatch.setattr(_im2col, "POOL_BLOCK_BYTES", block_bytes)
    pool_threads(monkeypatch, threaded)
    A, hp = pool_data(case)
    for dtype in (np.float64, np.float32):
        out, cache = conv.pool_forward(A.astype(dtype), hp)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, conv.pool_forward_naive(A.astype(dtype), hp)[0])
    # A strided view and integers (promoted to float64) take the same path.
    view = A[:, ::-1, :, ::-1]
    np.testing.assert_array_equal(conv.pool_forward(view, hp)[0], tf_pool(view, hp, "max"))
    ints = np.round(10 * A).astype(np.int64)
    np.testing.assert_array_equal(
        conv.pool_forward(ints, hp)[0], conv.pool_forward_naive(ints, hp)[0]
    )


@pytest.mark.parametrize("threaded", [False, True])
@pytest.mark.parametrize("block_bytes", [1, 200, 10**6])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("case", BAND_CASES)
def test_max_pool_refuses_a_non_finite_value_anywhere(
    case, bad, block_bytes, threaded, monkeypatch
):
    """Every position: first and last band (of either thread), covered by a window or none."""
    monkeypatch.setattr(_im2col, "POOL_BLOCK_BYTES", block_bytes)
    pool_threads(monkeypatch, threaded)
    A, hp = pool_data(case)
    m, n_H, n_W, n_C = A.shape
    corners = [(0, 0, 0, 0), (m - 1, n_H - 1, n_W - 1, n_C - 1), (m - 1, n_H - 1, 0, 0)]
    corners += [(m // 2, n_H // 2, n_W - 1, n_C - 1), (0, n_H - 2, n_W - 2, 0)]
    for index in corners:
        B = A.copy()
        B[index] = bad
        with pytest.raises(ValueError, match=r"A_prev must be an array of finite numbers; got 1 "):
            conv.pool_forward(B, hp)
        with pytest.raises(ValueError, match=r"A_prev must be an array of finite numbers"):
            conv.pool_forward(B.astype(np.float32), hp)


def test_a_large_max_pool_uses_two_threads_only_when_the_cores_are_free(monkeypatch):
    """The threaded and the one-thread paths agree with TensorFlow on a real-sized input."""
    A = np.random.default_rng(0).normal(size=(4, 64, 64, 32)).astype(np.float32)  # 2 MiB
    hp = {"f": 2, "stride": 2}
    expected = tf_pool(A, hp, "max")
    calls = []
    executor = _im2col._pool_executor()
    monkeypatch.setattr(_im2col, "POOL_THREADS_BYTES", 1 << 20)
    monkeypatch.setattr(_im2col, "_pool_executor", lambda: calls.append(1) or executor)
    for busy, used in [(False, 1), (True, 1)]:
        monkeypatch.setattr(conv._im2col, "oversubscribed", lambda b=busy: b)
        np.testing.assert_array_equal(conv.pool_forward(A, hp)[0], expected)
        assert len(calls) == used  # oversubscribed: no second thread
    monkeypatch.setattr(conv._im2col, "oversubscribed", lambda: False)
    monkeypatch.setattr(conv._im2col, "_cpus", lambda: 1)
    np.testing.assert_array_equal(conv.pool_forward(A, hp)[0], expected)
    assert len(calls) == 1  # one CPU: no second thread


def test_pool_backward_does_not_mutate_its_inputs():
    A, hp = tied_data((2, 4, 4, 3, 2, 2))
    out, cache = conv.pool_forward(A, hp)
    A0, dA = A.copy(), np.ones_like(out)
    for ties in conv.TIES:
        conv.pool_backward(dA, cache, ties=ties)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(dA, 1.0)


def test_create_mask_and_distribute_value():
    x = np.array([[1.0, 3.0], [4.0, 2.0]])
    np.testing.assert_array_equal(conv.create_mask_from_window(x), [[False, False], [True, False]])
    np.testing.assert_array_equal(conv.distribute_value(2.0, (2, 2)), [[0.5, 0.5], [0.5, 0.5]])
    assert conv.distribute_value(3, (1, 3)).shape == (1, 3)


def test_pool_keeps_float32():
    A = rng_for(6).standard_normal((1, 4, 4, 2)).astype(np.float32)
    for mode in conv.POOL_MODES:
        out, cache = conv.pool_forward(A, {"f": 2, "stride": 2}, mode=mode)
        assert out.dtype == np.float32
        assert conv.pool_backward(np.ones_like(out), cache, mode=mode).dtype == np.float32


# --------------------------------------------------------------------------------------
# Bad inputs: ValueError naming the argument
# --------------------------------------------------------------------------------------

_A = np.zeros((2, 5, 5, 3))
_W = np.zeros((3, 3, 3, 4))
_b = np.zeros((1, 1, 1, 4))
_HP = {"stride": 1, "pad": 0}
_POOL_HP = {"f": 2, "stride": 2}


def _with_nan(x):
    x = x.copy()
    x.flat[0] = np.nan
    return x


def _with_inf(x):
    x = x.copy()
    x.flat[-1] = -np.inf
    return x


_Z, _CACHE = conv.conv_forward(np.ones((2, 5, 5, 3)), np.ones((3, 3, 3, 4)), _b, _HP)
_P, _PCACHE = conv.pool_forward(np.ones((2, 5, 5, 3)), _POOL_HP)
_BIG = "100000000"

BAD_CONV_ARGS = [
    pytest.param(
        (_A[0], _W, _b, _HP), r"A_prev must be an array of rank 4 .*shape \(5, 5, 3\)", id="A-rank"
    ),
    pytest.param((_A, _W[0], _b, _HP), r"W must be an array of rank 4 .*\(3, 3, 4\)", id="W-rank"),
    pytest.param(
        (_A, np.zeros((3, 3, 2, 4)), _b, _HP),
        r"W must be filters with W.shape\[2\] == A_prev.shape\[3\] = 3 .*W.shape=\(3, 3, 2, 4\)",
        id="channels",
    ),
    pytest.param(
        (_A, _W, np.zeros((4,)), _HP),
        r"b must be an array of shape \(1, 1, 1, 4\) .*got an array of shape \(4,\)",
        id="b-shape",
    ),
    pytest.param(
        (_A, _W, np.zeros((1, 1, 1, 3)), _HP), r"b must be an array of shape", id="b-channels"
    ),
    # One filter too many in W: b no longer fits, and the message says that n_C comes from W
    # (it used to name b alone; found by tests/test_bad_input.py).
    pytest.param(
        (_A, np.zeros((3, 3, 3, 5)), _b, _HP),
        r"b must be an array of shape \(1, 1, 1, 5\) \(1, 1, 1, n_C\) with n_C = W.shape\[3\] = 5",
        id="W-more-filters-than-b",
    ),
    pytest.param(
        (_A, np.zeros((7, 7, 3, 4)), _b, {"stride": 1, "pad": 0}),
        r"W must be a filter no larger than the padded input A_prev of size 5x5 .*7x7",
        id="filter-too-big",
    ),
    pytest.param(
        (_A, np.zeros((8, 8, 3, 4)), _b, {"stride": 1, "pad": 1}),
        r"W must be a filter no larger than the padded input A_prev of size 7x7",
        id="filter-too-big-padded",
    ),
    pytest.param(
        (_A, _W, _b, {"stride": 0, "pad": 0}),
        rf"hparameters\['stride'\] must be an integer in 1\.\.{_BIG}; got 0",
        id="stride-0",
    ),
    pytest.param(
        (_A, _W, _b, {"stride": -2, "pad": 0}), r"hparameters\['stride'\]", id="stride-neg"
    ),
    pytest.param(
        (_A, _W, _b, {"stride": 1, "pad": -1}),
        rf"hparameters\['pad'\] must be an integer in 0\.\.{_BIG}; got -1",
        id="pad-neg",
    ),
    pytest.param(
        (_A, _W, _b, {"stride": 1, "pad": 10**9}), r"hparameters\['pad'\] must be", id="pad-huge"
    ),
    pytest.param(
        (_A, _W, _b, {"stride": 1, "pad": 5000}),
        r"hparameters\['pad'\] must be small enough",
        id="pad-too-big-for-memory",
    ),
    pytest.param(
        (_A, _W, _b, {"stride": 1.5, "pad": 0}),
        r"hparameters\['stride'\] must be an integer",
        id="stride-float",
    ),
    pytest.param(
        (_A, _W, _b, {"stride": True, "pad": 0}),
        r"hparameters\['stride'\] must be an integer",
        id="stride-bool",
    ),
    pytest.param(
        (_A, _W, _b, {"stride": 1}),
        r"hparameters must be a dict with keys \['stride', 'pad'\] \(missing \['pad'\]\)",
        id="missing-pad",
    ),
    pytest.param((_A, _W, _b, {}), r"missing \['stride', 'pad'\]", id="missing-both"),
    pytest.param((_A, _W, _b, [1, 0]), r"hparameters must be a dict", id="hp-not-dict"),
    pytest.param(
        (_with_nan(_A), _W, _b, _HP), r"A_prev must be an array of finite numbers", id="A-nan"
    ),
    pytest.param((_A, _with_inf(_W), _b, _HP), r"W must be an array of finite numbers", id="W-inf"),
    pytest.param((_A, _W, _with_nan(_b), _HP), r"b must be an array of finite numbers", id="b-nan"),
    pytest.param(
        (np.array([["a"]]), _W, _b, _HP), r"A_prev must be an array of real numbers", id="A-str"
    ),
    pytest.param((None, _W, _b, _HP), r"A_prev must be an array; got None", id="A-None"),
    pytest.param((_A, [[1, 2], [3]], _b, _HP), r"W must be a numeric array", id="W-ragged"),
]


@pytest.mark.parametrize("forward", [conv.conv_forward, conv.conv_forward_naive])
@pytest.mark.parametrize(("args", "match"), BAD_CONV_ARGS)
def test_conv_forward_bad_inputs(forward, args, match):
    with pytest.raises(ValueError, match=match):
        forward(*args)


def test_wrong_kinds_are_type_errors_too():
    with pytest.raises(TypeError, match="A_prev"):
        conv.conv_forward("abc", _W, _b, _HP)
    with pytest.raises(TypeError, match="hparameters"):
        conv.conv_forward(_A, _W, _b, None)
    with pytest.raises(TypeError, match="mode"):
        conv.pool_forward(_A, _POOL_HP, mode=None)


@pytest.mark.parametrize("backward", [conv.conv_backward, conv.conv_backward_naive])
@pytest.mark.parametrize(
    ("dZ", "cache", "match"),
    [
        (
            np.zeros((2, 3, 3, 3)),
            _CACHE,
            r"dZ must be an array of the layer's output shape \(2, 3, 3, 4\)",
        ),
        (np.zeros((3, 3, 4)), _CACHE, r"dZ must be an array of rank 4"),
        (_with_nan(_Z), _CACHE, r"dZ must be an array of finite numbers"),
        (_Z, _CACHE[:3], r"cache must be the tuple \(A_prev, W, b, hparameters\)"),
        (_Z, None, r"cache must be the tuple"),
        (_Z, (_A, _W, _b, {"stride": 0, "pad": 0}), r"hparameters\['stride'\]"),
    ],
)
def test_conv_backward_bad_inputs(backward, dZ, cache, match):
    with pytest.raises(ValueError, match=match):
        backward(dZ, cache)


BAD_POOL_ARGS = [
    pytest.param((_A[0], _POOL_HP, "max"), r"A_prev must be an array of rank 4", id="rank"),
    pytest.param(
        (_A, {"f": 6, "stride": 1}, "max"),
        r"hparameters\['f'\] must be at most the size 5x5 of the input A_prev .*got 6",
        id="f-too-big",
    ),
    pytest.param(
        (_A, {"f": 0, "stride": 1}, "max"), r"hparameters\['f'\] must be an integer in 1", id="f-0"
    ),
    pytest.param(
        (_A, {"f": 2, "stride": 0}, "max"),
        r"hparameters\['stride'\] must be an integer in 1",
        id="stride-0",
    ),
    pytest.param((_A, {"f": 2}, "max"), r"missing \['stride'\]", id="missing-stride"),
    pytest.param((_A, {"stride": 2}, "max"), r"missing \['f'\]", id="missing-f"),
    pytest.param(
        (_A, _POOL_HP, "min"), r"mode must be one of 'max', 'average'; got 'min'", id="mode"
    ),
    pytest.param((_A, _POOL_HP, "avg"), r"mode must be one of", id="mode-avg"),
    pytest.param(
        (_with_inf(_A), _POOL_HP, "max"), r"A_prev must be an array of finite numbers", id="inf"
    ),
]


@pytest.mark.parametrize("pool", [conv.pool_forward, conv.pool_forward_naive])
@pytest.mark.parametrize(("args", "match"), BAD_POOL_ARGS)
def test_pool_forward_bad_inputs(pool, args, match):
    with pytest.raises(ValueError, match=match):
        pool(args[0], args[1], mode=args[2])


@pytest.mark.parametrize("backward", [conv.pool_backward, conv.pool_backward_naive])
@pytest.mark.parametrize(
    ("dA", "cache", "kwargs", "match"),
    [
        (
            np.zeros((2, 3, 3, 3)),
            _PCACHE,
            {},
            r"dA must be an array of the layer's output shape \(2, 2, 2, 3\)",
        ),
        (_with_nan(_P), _PCACHE, {"mode": "average"}, r"dA must be an array of finite numbers"),
        (_P, _PCACHE, {"mode": "mean"}, r"mode must be one of"),
        (_P, _PCACHE, {"ties": "last"}, r"ties must be one of 'all', 'first'; got 'last'"),
        (_P, _PCACHE, {"ties": True}, r"ties must be one of"),
        (_P, (_A,), {}, r"cache must be the tuple \(A_prev, hparameters\)"),
    ],
)
def test_pool_backward_bad_inputs(backward, dA, cache, kwargs, match):
    with pytest.raises(ValueError, match=match):
        backward(dA, cache, **kwargs)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: conv.zero_pad(_A[0], 1), r"X must be an array of rank 4"),
        (lambda: conv.zero_pad(_A, -1), rf"pad must be an integer in 0\.\.{_BIG}; got -1"),
        (lambda: conv.zero_pad(_A, True), r"pad must be an integer"),
        (lambda: conv.zero_pad(_A, 10**5), r"pad must be small enough"),
        (lambda: conv.zero_pad(_with_nan(_A), 1), r"X must be an array of finite numbers"),
        (
            lambda: conv.conv_single_step(
                np.zeros((3, 3, 2)), np.zeros((3, 3, 3)), np.zeros((1, 1, 1))
            ),
            r"W must be an array of the shape of a_slice_prev \(3, 3, 2\)",
        ),
        (
            lambda: conv.conv_single_step(np.zeros((3, 3, 2)), np.zeros((3, 3, 2)), np.zeros((2,))),
            r"b must be one number",
        ),
        (
            lambda: conv.conv_single_step(np.zeros((3, 3)), np.zeros((3, 3)), 0.0),
            r"a_slice_prev must be an array of rank 3",
        ),
        (
            lambda: conv.conv_single_step(np.zeros((3, 3, 2)), np.zeros((3, 3, 2)), np.nan),
            r"b must be an array of finite numbers",
        ),
        (
            lambda: conv.create_mask_from_window(np.array([np.nan, 1.0])),
            r"x must be an array of finite numbers",
        ),
        (lambda: conv.create_mask_from_window([]), r"x must be a non-empty array"),
        (lambda: conv.distribute_value(1.0, (2,)), r"shape must be a tuple of 2 integers"),
        (lambda: conv.distribute_value(1.0, (0, 2)), r"shape\[0\] must be an integer in 1"),
        (lambda: conv.distribute_value(1.0, (2.0, 2)), r"shape\[0\] must be an integer"),
        (lambda: conv.distribute_value(1.0, (10**5, 10**5)), r"shape must be small enough"),
        (lambda: conv.distribute_value([1.0, 2.0], (2, 2)), r"dz must be a scalar"),
        (lambda: conv.distribute_value(np.inf, (2, 2)), r"dz must be an array of finite numbers"),
        (lambda: conv.same_padding(True), r"f must be an integer"),
    ],
)
def test_other_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_layers_do_not_mutate_their_inputs():
    A, W, b, hp = conv_data((2, 5, 5, 3, 2, 3, 2, 1))
    saved = [x.copy() for x in (A, W, b)]
    hp_saved = dict(hp)
    Z, cache = conv.conv_forward(A, W, b, hp)
    dZ = np.ones_like(Z)
    conv.conv_backward(dZ, cache)
    conv.conv_backward_naive(dZ, cache)
    conv.zero_pad(A, 2)
    for x, y in zip((A, W, b), saved, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(dZ, 1.0)
    assert hp == hp_saved


# --------------------------------------------------------------------------------------
# Hypothesis: shapes and bad inputs
# --------------------------------------------------------------------------------------


@st.composite
def conv_configs(draw):
    f = draw(st.integers(1, 4))
    pad = draw(st.integers(0, 2))
    stride = draw(st.integers(1, 3))
    n_H = draw(st.integers(max(1, f - 2 * pad), 9))
    n_W = draw(st.integers(max(1, f - 2 * pad), 9))
    m, n_C_prev, n_C = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return m, n_H, n_W, n_C_prev, n_C, f, stride, pad


@HYPOTHESIS
@given(conv_configs())
def test_conv_random_shapes_match_conv_output_size_the_loops_and_tf(case):
    m, n_H, n_W, _, n_C, f, stride, pad = case
    A, W, b, hp = conv_data(case)
    Z, _ = conv.conv_forward(A, W, b, hp)
    np.testing.assert_allclose(Z, tf_conv(A, W, b, stride, pad).numpy(), atol=1e-10)
    assert Z.shape == (
        m,
        conv.conv_output_size(n_H, f, pad, stride),
        conv.conv_output_size(n_W, f, pad, stride),
        n_C,
    )
    Z_naive, cache = conv.conv_forward_naive(A, W, b, hp)
    np.testing.assert_allclose(Z, Z_naive, atol=1e-12)
    dZ = rng_for(1, *case).standard_normal(Z.shape)
    got_all = conv.conv_backward(dZ, cache)
    for got, oracle, tf_grad in zip(
        got_all, conv.conv_backward_naive(dZ, cache), tf_conv_grads(A, W, b, hp, dZ), strict=True
    ):
        np.testing.assert_allclose(got, oracle, atol=1e-12)
        np.testing.assert_allclose(got, tf_grad, atol=1e-10)


@HYPOTHESIS
@given(
    st.integers(1, 3),
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(1, 4),
    st.integers(1, 3),
)
def test_pool_forward_shape_matches_conv_output_size(m, n_H, n_W, f, stride):
    if f > min(n_H, n_W):
        f = min(n_H, n_W)
    A = rng_for(m, n_H, n_W, f, stride).standard_normal((m, n_H, n_W, 2))
    for mode in conv.POOL_MODES:
        out, _ = conv.pool_forward(A, {"f": f, "stride": stride}, mode=mode)
        assert out.shape == (
            m,
            conv.conv_output_size(n_H, f, 0, stride),
            conv.conv_output_size(n_W, f, 0, stride),
            2,
        )


CORRUPTIONS = {
    "channels": lambda A, W, b, hp: (A, W[:, :, :0] if W.shape[2] == 1 else W[:, :, :-1], b, hp),
    "bias": lambda A, W, b, hp: (A, W, b.reshape(-1), hp),
    "stride": lambda A, W, b, hp: (A, W, b, {**hp, "stride": 0}),
    "pad": lambda A, W, b, hp: (A, W, b, {**hp, "pad": -1}),
    "filter": lambda A, W, b, hp: (
        A,
        np.ones((A.shape[1] + 2 * hp["pad"] + 1, 1, A.shape[3], W.shape[3])),
        b,
        hp,
    ),
    "rank": lambda A, W, b, hp: (A[0], W, b, hp),
    "nan": lambda A, W, b, hp: (_with_nan(A), W, b, hp),
    "missing": lambda A, W, b, hp: (A, W, b, {"stride": hp["stride"]}),
}
CORRUPTION_MATCH = {
    "channels": "W|A_prev",
    "bias": r"\bb\b",
    "stride": "stride",
    "pad": "pad",
    "filter": "W must be a filter no larger",
    "rank": "A_prev",
    "nan": "A_prev",
    "missing": "pad",
}


@HYPOTHESIS
@given(conv_configs(), st.sampled_from(sorted(CORRUPTIONS)))
def test_conv_forward_rejects_random_invalid_inputs(case, corruption):
    args = CORRUPTIONS[corruption](*conv_data(case))
    with pytest.raises(ValueError, match=CORRUPTION_MATCH[corruption]):
        conv.conv_forward(*args)
