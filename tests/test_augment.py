import numpy as np
import pytest
from refusals import assert_refused

from cvutils import augment
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


def test_pad_crop_flip_is_a_shifted_window_of_the_padded_image():
    import tensorflow as tf

    image = np.arange(6 * 7 * 2, dtype="float32").reshape(6, 7, 2)
    for s in range(20):
        out = augment.pad_crop_flip(image, [s, 1], pad=2, pad_mode="constant").numpy()
        padded = np.pad(image, ((2, 2), (2, 2), (0, 0)))
        windows = [
            padded[i : i + 6, j : j + 7] for i in range(5) for j in range(5)
        ]  # every crop, unflipped and flipped
        assert any(np.array_equal(out, w) or np.array_equal(out, w[:, ::-1]) for w in windows)
    same = augment.pad_crop_flip(image, tf.constant([3, 4]), pad=2, cutout=3)
    np.testing.assert_array_equal(same, augment.pad_crop_flip(image, [3, 4], pad=2, cutout=3))


def test_cutout_zeroes_a_square_that_may_stick_out():
    image = np.ones((8, 8, 1), "float32")
    zeros = [
        int((augment.pad_crop_flip(image, [s, 0], pad=0, cutout=3).numpy() == 0).sum())
        for s in range(60)
    ]
    assert max(zeros) == 9 and 0 < min(zeros) < 9


def test_training_batches_crop_each_image_of_a_batch_on_its_own():
    """Two copies of one image in one batch get different crops (a layer after .batch would
    crop the whole batch alike)."""
    image = np.random.default_rng(0).random((16, 16, 3)).astype("float32")
    images = np.repeat(image[None], 32, axis=0)
    (batch, labels) = next(iter(augment.training_batches(images, np.arange(32), 32, pad=4)))
    batch = batch.numpy()
    distinct = {batch[i].tobytes() for i in range(len(batch))}
    assert len(distinct) > 8, len(distinct)
    assert sorted(labels.numpy().tolist()) == list(range(32))
    again = next(iter(augment.training_batches(images, np.arange(32), 32, pad=4)))[0].numpy()
    np.testing.assert_array_equal(batch, again)  # reproducible for one seed


def test_training_batches_without_augmentation_shuffles_the_images_as_they_are():
    images = np.arange(10 * 2 * 2 * 1, dtype="float32").reshape(10, 2, 2, 1)
    batches = list(augment.training_batches(images, np.arange(10), 4, augment=False))
    assert len(batches) == 2  # the partial batch is dropped
    for x, y in batches:
        np.testing.assert_array_equal(x.numpy(), images[y.numpy()])
