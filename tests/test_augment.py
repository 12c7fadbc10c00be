import numpy as np
import pytest
from refusals import assert_refused

from cvutils.augment import shift_images


def _loop_shift(x, dy, dx, fill=0):
    out = np.full_like(x, fill)
    h, w = x.shape[1:3]
    for n in range(len(x)):
        for i in range(h):
            for j in range(w):
                si, sj = i - dy[n], j - dx[n]
                if 0 <= si < h and 0 <= sj < w:
                    out[n, i, j] = x[n, si, sj]
    return out


@pytest.mark.parametrize("channels", [None, 3])
@pytest.mark.parametrize("dy, dx", [(0, 0), (2, -1), (-3, 4), (9, 0), (0, -12)])
def test_shift_matches_a_loop(channels, dy, dx):
    rng = np.random.default_rng(0)
    shape = (4, 7, 9) + ((channels,) if channels else ())
    x = rng.integers(1, 255, shape).astype(np.uint8)
    expected = _loop_shift(x, [dy] * 4, [dx] * 4)
    np.testing.assert_array_equal(shift_images(x, dy, dx), expected)


def test_per_image_shifts_and_fill():
    x = np.ones((3, 5, 5), dtype=np.float32)
    dy, dx = np.array([0, 1, -2]), np.array([1, 0, 3])
    out = shift_images(x, dy, dx, fill=-1)
    np.testing.assert_array_equal(out, _loop_shift(x, dy, dx, fill=-1))
    assert out.dtype == np.float32


Z = np.zeros((2, 5, 5))


@pytest.mark.parametrize(
    "args, kwargs, name",
    [
        ((np.zeros((5, 5)), 1, 1), {}, "images"),
        ((None, 1, 1), {}, "images"),
        ((Z + 1j, 1, 1), {}, "images"),
        ((np.full((2, 5, 5), np.nan), 1, 1), {}, "images"),
        ((Z, 1.5, 0), {}, "dy"),
        ((Z, None, 0), {}, "dy"),
        ((Z, True, 0), {}, "dy"),
        ((Z, 0, np.array([1, 2, 3])), {}, "dx"),
        ((Z, 0, np.zeros((2, 2), dtype=int)), {}, "dx"),
        ((Z, 0, 0), {"fill": None}, "fill"),
        ((Z, 0, 0), {"fill": np.nan}, "fill"),
        ((Z, 0, 0), {"fill": "0"}, "fill"),
        ((np.zeros((2, 5, 5), dtype=np.uint8), 0, 0), {"fill": 300}, "fill"),
        ((np.zeros((2, 5, 5), dtype=np.uint8), 0, 0), {"fill": 0.5}, "fill"),
    ],
)
def test_bad_input(args, kwargs, name):
    assert_refused(lambda: shift_images(*args, **kwargs), name)


def test_input_is_not_changed_and_bool_images_stay_bool():
    x = np.arange(18.0).reshape(2, 3, 3)
    before = x.copy()
    shift_images(x, 1, -1, fill=-1)
    np.testing.assert_array_equal(x, before)
    assert shift_images(np.ones((1, 2, 2), dtype=bool), 1, 0).dtype == np.bool_
