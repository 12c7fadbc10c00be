import numpy as np
import pytest

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


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros((5, 5)), 1, 1), "images must be"),
        ((np.zeros((2, 5, 5)), 1.5, 0), "dy must be an int"),
        (
            (np.zeros((2, 5, 5)), 0, np.array([1, 2, 3])),
            r"dx must be a scalar or have shape \(2,\)",
        ),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        shift_images(*args)
