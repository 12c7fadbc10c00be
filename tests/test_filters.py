"""Tests of cvutils.filters: the course's worked examples, NumPy and SciPy references,
loop-free identities (flip, associativity), the classic kernels and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from course_examples import IMAGE_6X6, IMAGE_6X6_VERTICAL, STEP

from cvutils import conv, filters
from cvutils.checks import MAX_COUNT

STEP_IMAGE = STEP


def rng_for(*key: int) -> np.random.Generator:
    return np.random.default_rng(list(key))


def test_course_vertical_edge_example():
    np.testing.assert_array_equal(
        filters.correlate2d(IMAGE_6X6, filters.vertical_edge()), IMAGE_6X6_VERTICAL
    )


def test_course_1d_convolution_example():
    np.testing.assert_array_equal(filters.convolve1d([1, 0, -1], [0, 1, 2]), [0, 1, 2, -1, -2])
    np.testing.assert_array_equal(np.convolve([1, 0, -1], [0, 1, 2]), [0, 1, 2, -1, -2])


def test_course_flip_kernel_example():
    k = [[3, 4, 5], [1, 0, 2], [-1, 9, 7]]
    np.testing.assert_array_equal(filters.flip_kernel(k), [[7, 9, -1], [2, 0, 1], [5, 4, 3]])


# --------------------------------------------------------------------------------------
# Signal processing: true convolution vs cross-correlation
# --------------------------------------------------------------------------------------

LENGTHS_1D = [(7, 3), (7, 4), (3, 7), (4, 7), (6, 6), (5, 2), (2, 5), (1, 1), (5, 1), (1, 4)]
SHAPES_2D = [
    ((7, 8), (3, 3)),
    ((7, 8), (2, 4)),  # even kernel
    ((7, 8), (4, 5)),
    ((5, 6), (1, 2)),
    ((6, 6), (6, 6)),
    ((3, 3), (5, 4)),  # kernel larger than the image
    ((2, 3), (4, 6)),
    ((9, 5), (2, 2)),
]


@pytest.mark.parametrize("mode", filters.SIGNAL_MODES)
@pytest.mark.parametrize(("n", "m"), LENGTHS_1D)
def test_1d_matches_numpy(n, m, mode):
    rng = rng_for(n, m)
    x, k = rng.standard_normal(n), rng.standard_normal(m)
    np.testing.assert_allclose(filters.convolve1d(x, k, mode), np.convolve(x, k, mode), atol=1e-12)
    np.testing.assert_allclose(
        filters.correlate1d(x, k, mode), np.correlate(x, k, mode), atol=1e-12
    )
    xi, ki = rng.integers(-5, 6, n), rng.integers(-5, 6, m)
    np.testing.assert_array_equal(filters.convolve1d(xi, ki, mode), np.convolve(xi, ki, mode))
    np.testing.assert_array_equal(filters.correlate1d(xi, ki, mode), np.correlate(xi, ki, mode))


def test_1d_defaults_follow_numpy():
    x, k = [1.0, 2.0, 3.0, 4.0], [1.0, -1.0]
    np.testing.assert_allclose(filters.convolve1d(x, k), np.convolve(x, k))
    np.testing.assert_allclose(filters.correlate1d(x, k), np.correlate(x, k))


@pytest.mark.parametrize("mode", filters.SIGNAL_MODES)
@pytest.mark.parametrize(("shape", "kshape"), SHAPES_2D)
def test_2d_matches_scipy(shape, kshape, mode):
    rng = rng_for(*shape, *kshape)
    image, kernel = rng.standard_normal(shape), rng.standard_normal(kshape)
    got_conv = filters.convolve2d(image, kernel, mode)
    got_corr = filters.correlate2d(image, kernel, mode)
    np.testing.assert_allclose(got_conv, scipy.signal.convolve2d(image, kernel, mode), atol=1e-12)
    np.testing.assert_allclose(got_corr, scipy.signal.correlate2d(image, kernel, mode), atol=1e-12)
    if mode == "full":
        assert got_conv.shape == (shape[0] + kshape[0] - 1, shape[1] + kshape[1] - 1)
    if mode == "same":
        assert got_conv.shape == got_corr.shape == shape


def test_2d_integer_inputs_stay_integer():
    image = rng_for(8).integers(0, 10, (6, 6))
    got = filters.convolve2d(image, [[1, 2], [3, 4]], "full")
    np.testing.assert_array_equal(got, scipy.signal.convolve2d(image, [[1, 2], [3, 4]], "full"))
    assert np.issubdtype(got.dtype, np.integer)


def test_convolution_is_correlation_with_the_flipped_kernel():
    rng = rng_for(9)
    image, kernel = rng.standard_normal((8, 7)), rng.standard_normal((3, 3))
    for mode in ("full", "valid"):
        np.testing.assert_allclose(
            filters.convolve2d(image, kernel, mode),
            filters.correlate2d(image, filters.flip_kernel(kernel), mode),
            atol=1e-12,
        )


def test_associativity_holds_for_convolution_not_for_correlation():
    rng = rng_for(10)
    A, B, C = rng.standard_normal((6, 6)), rng.standard_normal((3, 3)), rng.standard_normal((3, 2))
    full_conv = lambda x, y: filters.convolve2d(x, y, "full")  # noqa: E731
    full_corr = lambda x, y: filters.correlate2d(x, y, "full")  # noqa: E731
    np.testing.assert_allclose(
        full_conv(full_conv(A, B), C), full_conv(A, full_conv(B, C)), atol=1e-10
    )
    left, right = full_corr(full_corr(A, B), C), full_corr(A, full_corr(B, C))
    assert left.shape == right.shape
    assert not np.allclose(left, right)
    # 1D as well.
    a, b, c = rng.standard_normal(7), rng.standard_normal(3), rng.standard_normal(4)
    np.testing.assert_allclose(
        filters.convolve1d(filters.convolve1d(a, b), c),
        filters.convolve1d(a, filters.convolve1d(b, c)),
        atol=1e-10,
    )
    assert not np.allclose(
        filters.correlate1d(filters.correlate1d(a, b, "full"), c, "full"),
        filters.correlate1d(a, filters.correlate1d(b, c, "full"), "full"),
    )


@pytest.mark.parametrize(
    ("shape", "f", "pad", "stride"),
    [((6, 6), 3, 0, 1), ((7, 9), 3, 1, 2), ((8, 8), 5, 2, 3), ((7, 7), 3, 0, 3)],
)
def test_correlate2d_pad_and_stride_match_the_layer(shape, f, pad, stride):
    rng = rng_for(*shape, f, pad, stride)
    image, kernel = rng.standard_normal(shape), rng.standard_normal((f, f))
    got = filters.correlate2d(image, kernel, pad=pad, stride=stride)
    Z, _ = conv.conv_forward(
        image[None, :, :, None],
        kernel[:, :, None, None],
        np.zeros((1, 1, 1, 1)),
        {"stride": stride, "pad": pad},
    )
    np.testing.assert_allclose(got, Z[0, :, :, 0], atol=1e-12)
    assert got.shape == tuple(conv.conv_output_size(n, f, pad, stride) for n in shape)


def test_sobel_responds_to_a_bright_to_dark_vertical_edge():
    response = filters.correlate2d(STEP_IMAGE, filters.sobel("vertical"))
    np.testing.assert_array_equal(response, [[0, 40, 40, 0]] * 4)
    np.testing.assert_array_equal(filters.correlate2d(STEP_IMAGE, filters.sobel("horizontal")), 0)


# --------------------------------------------------------------------------------------
# Classic kernels
# --------------------------------------------------------------------------------------


def test_classic_kernels():
    v = [[1, 0, -1]] * 3
    np.testing.assert_array_equal(filters.vertical_edge(), v)
    np.testing.assert_array_equal(filters.horizontal_edge(), np.transpose(v))
    np.testing.assert_array_equal(filters.sobel(), [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(filters.sobel("horizontal"), filters.sobel("vertical").T)
    np.testing.assert_array_equal(filters.scharr(), [[3, 0, -3], [10, 0, -10], [3, 0, -3]])
    np.testing.assert_array_equal(filters.scharr("horizontal"), filters.scharr().T)
    for k in (
        filters.vertical_edge(),
        filters.horizontal_edge(),
        filters.sobel(),
        filters.scharr("horizontal"),
    ):
        assert k.dtype == np.float64 and k.shape == (3, 3)
        assert k.sum() == 0  # edge detectors ignore flat regions


def test_kernels_are_fresh_arrays():
    k = filters.vertical_edge()
    k[0, 0] = 99
    assert filters.vertical_edge()[0, 0] == 1


def test_gaussian_kernel():
    g = filters.gaussian_kernel()
    assert g.shape == (5, 5)
    assert g.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(g, g.T)
    np.testing.assert_allclose(g, g[::-1, ::-1])
    assert g.argmax() == 12  # the centre
    np.testing.assert_allclose(g, filters.GAUSSIAN_5x5_159, atol=5e-3)
    assert filters.gaussian_kernel(4, 1.0).sum() == pytest.approx(1.0)
    assert filters.gaussian_kernel(1, 2.0).tolist() == [[1.0]]


def test_gaussian_5x5_159():
    expected = (
        np.array(
            [
                [2, 4, 5, 4, 2],
                [4, 9, 12, 9, 4],
                [5, 12, 15, 12, 5],
                [4, 9, 12, 9, 4],
                [2, 4, 5, 4, 2],
            ]
        )
        / 159
    )
    np.testing.assert_allclose(filters.GAUSSIAN_5x5_159, expected)
    assert filters.GAUSSIAN_5x5_159.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        filters.GAUSSIAN_5x5_159[0, 0] = 1.0  # read-only


@pytest.mark.parametrize("fn", [filters.sobel, filters.scharr])
def test_unknown_direction(fn):
    with pytest.raises(ValueError, match="direction must be one of"):
        fn("diagonal")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": 0}, "size"),
        ({"size": 2.5}, "size"),
        ({"sigma": 0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"sigma": float("nan")}, "sigma"),
        ({"sigma": "1"}, "sigma"),
    ],
)
def test_gaussian_kernel_bad(kwargs, match):
    with pytest.raises(ValueError, match=match):
        filters.gaussian_kernel(**kwargs)


@pytest.mark.parametrize("sigma", [1e-300, 1e-200, 1e-3, 1e3, 1e200, 1e300, 1.7e308])
@pytest.mark.parametrize("size", [1, 4, 5])
def test_gaussian_kernel_extreme_sigmas_stay_finite(size, sigma):
    """No OverflowError, no NaN: the limits are the identity (box of the centre) and the box."""
    g = filters.gaussian_kernel(size, sigma)
    assert np.isfinite(g).all() and g.sum() == pytest.approx(1.0)
    if sigma >= 1e200:
        np.testing.assert_allclose(g, 1.0 / size**2)
    if sigma <= 1e-200:
        centre = np.zeros((size, size))
        c = slice((size - 1) // 2, size // 2 + 1)
        centre[c, c] = 1.0
        np.testing.assert_allclose(g, centre / centre.sum())


def test_gaussian_kernel_matches_the_formula():
    g = filters.gaussian_kernel(7, 1.3)
    ax = np.arange(7) - 3.0
    expected = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * 1.3**2))
    np.testing.assert_allclose(g, expected / expected.sum(), rtol=1e-14)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 8])
def test_edge_kernels_of_any_size(size):
    v = filters.vertical_edge(size)
    assert v.shape == (size, size) and v.sum() == 0
    expected_row = [
        1.0 if j < (size - 1) / 2 else -1.0 if j > (size - 1) / 2 else 0.0 for j in range(size)
    ]
    np.testing.assert_array_equal(v, [expected_row] * size)
    np.testing.assert_array_equal(filters.horizontal_edge(size), v.T)


def test_filters_do_not_mutate_their_inputs():
    rng = rng_for(11)
    image, kernel = rng.standard_normal((6, 7)), rng.standard_normal((3, 3))
    x, k = rng.standard_normal(7), rng.standard_normal(3)
    saved = [a.copy() for a in (image, kernel, x, k)]
    for mode in filters.SIGNAL_MODES:
        filters.convolve2d(image, kernel, mode)
        filters.correlate2d(image, kernel, mode, pad=1, stride=2)
        filters.convolve1d(x, k, mode)
        filters.correlate1d(x, k, mode)
    flipped = filters.flip_kernel(kernel)
    flipped[0, 0] = 99.0  # a copy, not a view
    for a, b in zip((image, kernel, x, k), saved, strict=True):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------------
# Bad inputs: ValueError naming the argument
# --------------------------------------------------------------------------------------

_Z55, _Z22 = np.zeros((5, 5)), np.zeros((2, 2))
BAD_FILTER_CALLS = [
    (lambda: filters.convolve1d([[1.0]], [1.0]), r"x must be an array of rank 1 \(N,\)"),
    (lambda: filters.convolve1d([1.0], [[1.0]]), r"k must be an array of rank 1 \(M,\)"),
    (
        lambda: filters.convolve1d([1.0], [1.0], "middle"),
        r"mode must be one of 'full', 'same', 'valid'; got 'middle'",
    ),
    (lambda: filters.convolve1d([1.0], [1.0], None), r"mode must be one of"),
    (lambda: filters.correlate1d([], [1.0]), r"x must be a non-empty array"),
    (lambda: filters.correlate1d([1.0], []), r"k must be a non-empty array"),
    (lambda: filters.correlate1d([1.0, np.inf], [1.0]), r"x must be an array of finite numbers"),
    (lambda: filters.correlate1d([1.0], [np.nan]), r"k must be an array of finite numbers"),
    (lambda: filters.correlate1d("abc", [1.0]), r"x must be a numeric array"),
    (lambda: filters.correlate1d([1j], [1.0]), r"x must be an array of real numbers"),
    (lambda: filters.convolve1d(None, [1.0]), r"x must be an array; got None"),
    (lambda: filters.convolve2d(np.zeros(5), _Z22), r"image must be an array of rank 2"),
    (lambda: filters.convolve2d(_Z55, np.zeros((2, 2, 1))), r"kernel must be an array of rank 2"),
    (lambda: filters.convolve2d(_Z55, _Z22, mode="circular"), r"mode must be one of"),
    (
        lambda: filters.correlate2d(np.zeros((5, 3)), np.zeros((3, 5)), mode="valid"),
        r"kernel must be no larger than image .*kernel.shape=\(3, 5\) with image.shape=\(5, 3\)",
    ),
    (
        lambda: filters.convolve2d(np.zeros((5, 3)), np.zeros((3, 5)), mode="valid"),
        r"kernel must be .*mode='valid'",
    ),
    (lambda: filters.correlate2d(_Z55, _Z22, pad=-1), r"pad must be an integer in 0\.\."),
    (lambda: filters.correlate2d(_Z55, _Z22, pad=1.0), r"pad must be an integer"),
    (lambda: filters.correlate2d(_Z55, _Z22, pad=10**6), r"pad must be small enough"),
    (lambda: filters.correlate2d(_Z55, _Z22, stride=0), r"stride must be an integer in 1\.\."),
    (lambda: filters.correlate2d(_Z55, _Z22, stride=False), r"stride must be an integer"),
    (
        lambda: filters.correlate2d(np.full((5, 5), np.nan), _Z22),
        r"image must be an array of finite numbers; got 25 NaN or inf",
    ),
    (
        lambda: filters.correlate2d(_Z55, np.full((2, 2), -np.inf)),
        r"kernel must be an array of finite numbers",
    ),
    (
        lambda: filters.correlate2d(np.zeros((1, MAX_COUNT // 100)), np.zeros((1, 200)), "full"),
        r"image and kernel must be small enough",
    ),
    (lambda: filters.flip_kernel(np.zeros(3)), r"k must be an array of rank 2"),
    (lambda: filters.flip_kernel([[np.nan]]), r"k must be an array of finite numbers"),
    (lambda: filters.sobel("diagonal"), r"direction must be one of 'vertical', 'horizontal'"),
    (lambda: filters.scharr(1), r"direction must be one of"),
    (lambda: filters.vertical_edge(0), r"size must be an integer in 1\.\.10000; got 0"),
    (lambda: filters.horizontal_edge(3.0), r"size must be an integer"),
    (lambda: filters.vertical_edge(10**5), r"size must be an integer in 1\.\.10000"),
    (lambda: filters.gaussian_kernel(0), r"size must be an integer"),
    (lambda: filters.gaussian_kernel(True), r"size must be an integer"),
    (lambda: filters.gaussian_kernel(5, 0), r"sigma must be .*\(0, inf\)"),
    (lambda: filters.gaussian_kernel(5, float("inf")), r"sigma must be a finite real number"),
    (lambda: filters.gaussian_kernel(5, True), r"sigma must be a finite real number"),
]


@pytest.mark.parametrize(("call", "match"), BAD_FILTER_CALLS)
def test_filter_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()
