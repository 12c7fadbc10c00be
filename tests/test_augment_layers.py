"""cvutils.augment_layers: PCA colour augmentation, ten crops, ImageDataGenerator as layers."""

import math

import keras
import numpy as np
import pytest
from layer_harness import run_layer_test
from refusals import assert_refused

from cvutils import augment_layers as al

# ------------------------------------------------------------------ rgb_pca


def _coloured_pixels(n=4000, seed=0):
    """Pixels with a known covariance C = A A^T (A a fixed mixing matrix)."""
    rng = np.random.default_rng(seed)
    mix = np.array([[1.0, 0.3, 0.0], [0.8, -0.2, 0.1], [0.5, 0.1, -0.3]])
    pixels = rng.normal(size=(n, 3)) @ mix.T + 0.5
    return pixels.reshape(10, n // 40, 4, 3), mix @ mix.T


def test_rgb_pca_diagonalises_the_covariance():
    images, _ = _coloured_pixels()
    values, vectors = al.rgb_pca(images)
    pixels = images.reshape(-1, 3)
    # independent reference: singular values of the centred pixel table
    centred = pixels - pixels.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    np.testing.assert_allclose(values, singular**2 / (len(pixels) - 1), rtol=1e-10)
    cov = np.cov(pixels, rowvar=False)
    np.testing.assert_allclose(vectors.T @ cov @ vectors, np.diag(values), atol=1e-10)
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(3), atol=1e-12)
    assert np.all(np.diff(values) <= 0)
    largest = vectors[np.argmax(np.abs(vectors), axis=0), np.arange(3)]
    assert np.all(largest > 0)


def test_rgb_pca_refuses_bad_input():
    assert_refused(lambda: al.rgb_pca(np.zeros((4, 4, 2))), "images")
    assert_refused(lambda: al.rgb_pca(np.zeros((1, 3))), "images")
    assert_refused(lambda: al.rgb_pca(np.full((4, 3), np.nan)), "images")
    assert_refused(lambda: al.rgb_pca("abc"), "images")


# ------------------------------------------------------------------ PCAColorAugmentation

EIG = dict(eigenvalues=[0.3, 0.05, 0.01], eigenvectors=np.linalg.qr(np.ones((3, 3)) + np.eye(3))[0])


@pytest.mark.parametrize("shape", [(2, 5, 6, 3), (1, 3, 3, 3)])
def test_pca_colour_layer_harness(shape):
    kwargs = dict(
        eigenvalues=EIG["eigenvalues"],
        eigenvectors=EIG["eigenvectors"].tolist(),
        sigma=0.1,
        seed=3,
    )
    run_layer_test(
        al.PCAColorAugmentation,
        kwargs,
        shape,
        shape,
        expected_num_trainable_weights=0,
        expected_num_trainable_params=0,
    )


def test_pca_colour_is_the_identity_at_inference():
    layer = al.PCAColorAugmentation(**EIG, seed=0)
    x = np.random.default_rng(0).uniform(size=(4, 6, 6, 3)).astype("float32")
    before = x.copy()
    for training in (None, False):
        np.testing.assert_array_equal(np.asarray(layer(x, training=training)), x)
    np.testing.assert_array_equal(x, before)


def test_pca_colour_offsets_follow_the_eigenbasis_statistics():
    """In training: one offset per image, in the span of P, with coordinates alpha_i lambda_i."""
    sigma, n = 0.1, 4000
    layer = al.PCAColorAugmentation(**EIG, sigma=sigma, seed=7)
    x = np.random.default_rng(1).uniform(size=(n, 2, 3, 3)).astype("float32")
    delta = np.asarray(layer(x, training=True), dtype=np.float64) - x
    offset = delta[:, 0, 0, :]
    np.testing.assert_allclose(
        delta, np.broadcast_to(offset[:, None, None, :], delta.shape), atol=1e-6
    )
    vectors = np.asarray(EIG["eigenvectors"])
    alpha = (offset @ vectors) / np.asarray(EIG["eigenvalues"])  # coordinates / lambda_i
    # alpha ~ N(0, sigma) independently: mean 0, std sigma, uncorrelated (5-sigma bounds)
    np.testing.assert_allclose(alpha.mean(axis=0), 0.0, atol=5 * sigma / math.sqrt(n))
    np.testing.assert_allclose(alpha.std(axis=0), sigma, rtol=5 / math.sqrt(2 * n))
    corr = np.corrcoef(alpha, rowvar=False)
    np.testing.assert_allclose(corr, np.eye(3), atol=5 / math.sqrt(n))
    # two calls draw different offsets
    again = np.asarray(layer(x, training=True)) - x
    assert not np.allclose(again, delta)


def test_pca_colour_offset_stays_in_the_span_of_a_rank_one_basis():
    """Grey training images vary only along (1, 1, 1): every offset is grey too."""
    grey = np.random.default_rng(0).uniform(size=(8, 5, 5, 1)).repeat(3, axis=-1)
    layer = al.PCAColorAugmentation.from_images(grey, sigma=0.5, seed=1)
    values = np.asarray(layer.eigenvalues)
    assert values[0] > 0 and np.all(values[1:] < 1e-12)
    np.testing.assert_allclose(np.abs(layer.eigenvectors[0][0]), 1 / math.sqrt(3), rtol=1e-9)
    x = np.zeros((64, 2, 2, 3), "float32")
    offset = np.asarray(layer(x, training=True))[:, 0, 0, :]
    assert np.abs(offset).max() > 1e-3
    np.testing.assert_allclose(offset[:, 0], offset[:, 1], atol=1e-6)
    np.testing.assert_allclose(offset[:, 0], offset[:, 2], atol=1e-6)


def test_pca_colour_from_images_and_a_saved_model(tmp_path):
    images, _ = _coloured_pixels()
    layer = al.PCAColorAugmentation.from_images(images, sigma=0.2, seed=0)
    values, vectors = al.rgb_pca(images)
    np.testing.assert_allclose(layer.eigenvalues, values)
    np.testing.assert_allclose(layer.eigenvectors, vectors)
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3)(layer(inputs)))
    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.layers[1], al.PCAColorAugmentation)
    assert reloaded.layers[1].get_config()["sigma"] == 0.2
    x = np.random.default_rng(0).uniform(size=(3, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_pca_colour_refuses_bad_arguments():
    vec = np.eye(3).tolist()
    assert_refused(lambda: al.PCAColorAugmentation([1.0, 2.0], vec), "eigenvalues")
    assert_refused(lambda: al.PCAColorAugmentation([1.0, -2.0, 0.0], vec), "eigenvalues")
    assert_refused(lambda: al.PCAColorAugmentation([1.0, 1, 1], np.eye(2)), "eigenvectors")
    assert_refused(lambda: al.PCAColorAugmentation([1.0, 1, 1], vec, sigma=-0.1), "sigma")
    assert_refused(lambda: al.PCAColorAugmentation([1.0, 1, 1], vec, sigma="x"), "sigma")
    assert_refused(lambda: al.PCAColorAugmentation([1.0, 1, 1], vec, seed=1.5), "seed")


# ------------------------------------------------------------------ ten_crop


def _ten_crop_loop(x, h, w):
    """Loop oracle: one crop at a time, mirrors with np.fliplr."""
    n_h, n_w = x.shape[1:3]
    starts = [(0, 0), (0, n_w - w), (n_h - h, 0), (n_h - h, n_w - w)]
    out = np.empty((len(x), 10, h, w, *x.shape[3:]), x.dtype)
    for i, image in enumerate(x):
        for k, (r, c) in enumerate(starts):
            out[i, k] = image[r : r + h, c : c + w]
        out[i, 4] = keras.ops.convert_to_numpy(keras.layers.CenterCrop(h, w)(image[None]))[0]
        for k in range(5):
            out[i, 5 + k] = np.fliplr(out[i, k])
    return out


@pytest.mark.parametrize(
    "shape, size",
    [((2, 7, 9, 3), 4), ((1, 6, 6, 1), (3, 5)), ((3, 5, 8, 2), (5, 8)), ((2, 8, 8, 3), 1)],
)
def test_ten_crop_matches_a_loop_oracle(shape, size):
    x = np.random.default_rng(0).integers(0, 255, size=shape).astype("float32")
    before = x.copy()
    h, w = (size, size) if isinstance(size, int) else size
    crops = al.ten_crop(x, size)
    assert crops.shape == (shape[0], 10, h, w, shape[3]) and crops.dtype == x.dtype
    np.testing.assert_array_equal(crops, _ten_crop_loop(x, h, w))
    np.testing.assert_array_equal(x, before)
    assert len(al.TEN_CROP_NAMES) == 10


def test_ten_crop_grey_images_and_a_hand_worked_example():
    x = np.arange(16).reshape(1, 4, 4)
    crops = al.ten_crop(x, 2)
    assert crops.shape == (1, 10, 2, 2)
    assert crops[0, 1].tolist() == [[2, 3], [6, 7]]  # top-right
    assert crops[0, 3].tolist() == [[10, 11], [14, 15]]  # bottom-right
    assert crops[0, 4].tolist() == [[5, 6], [9, 10]]  # centre
    assert crops[0, 9].tolist() == [[6, 5], [10, 9]]  # centre mirrored
    crops[0, 0, 0, 0] = 99
    assert x[0, 0, 0] == 0  # a copy, not a view


def test_ten_crop_refuses_bad_arguments():
    x = np.zeros((2, 4, 4, 3))
    assert_refused(lambda: al.ten_crop(x, 5), "crop_size")
    assert_refused(lambda: al.ten_crop(x, (2, 5)), "crop_size")
    assert_refused(lambda: al.ten_crop(x, 0), "crop_size")
    assert_refused(lambda: al.ten_crop(x, 2.0), "crop_size")
    assert_refused(lambda: al.ten_crop(x, (1, 2, 3)), "crop_size")
    assert_refused(lambda: al.ten_crop(np.zeros((4, 4)), 2), "images")


# ------------------------------------------------------------------ ImageDataGenerator


def test_the_course_generator_translated_layer_by_layer():
    aug = al.image_data_generator_layers(
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.1,
        shear_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,
        fill_mode="nearest",
        seed=5,
    )
    kinds = [type(layer).__name__ for layer in aug.layers]
    assert kinds == [
        "RandomRotation",
        "RandomTranslation",
        "RandomShear",
        "RandomZoom",
        "RandomFlip",
    ]
    rot, trans, shear, zoom, flip = aug.layers
    assert tuple(rot.factor) == pytest.approx((-40 / 360, 40 / 360))
    assert trans.get_config()["height_factor"] == 0.1 and trans.get_config()["width_factor"] == 0.2
    tan = math.tan(math.radians(0.2))
    assert tuple(shear.x_factor) == pytest.approx((-tan, tan)) and tuple(shear.y_factor) == (0, 0)
    assert zoom.get_config()["height_factor"] == 0.2 == zoom.get_config()["width_factor"]
    assert flip.get_config()["mode"] == "horizontal"
    assert [layer.get_config()["seed"] for layer in aug.layers] == [5, 6, 7, 8, 9]
    assert all(layer.fill_mode == "nearest" for layer in aug.layers[:4])
    x = np.random.default_rng(0).uniform(0, 255, size=(4, 16, 16, 3)).astype("float32")
    out = np.asarray(aug(x, training=True))
    assert out.shape == x.shape and not np.allclose(out, x)
    assert out.min() >= 0 - 1e-3 and out.max() <= 255 + 1e-3  # nearest fill: no new values
    np.testing.assert_allclose(np.asarray(aug(x, training=False)), x)


def test_generator_layers_zero_settings_are_the_identity_and_flip_alone_flips():
    identity = al.image_data_generator_layers()
    assert [type(layer).__name__ for layer in identity.layers] == ["Identity"]
    x = np.random.default_rng(0).uniform(size=(32, 5, 6, 1)).astype("float32")
    flip = al.image_data_generator_layers(horizontal_flip=True, seed=0)
    out = np.asarray(flip(x, training=True))
    same = np.all(out == x, axis=(1, 2, 3))
    mirrored = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(same | mirrored) and same.any() and mirrored.any()
    np.testing.assert_array_equal(np.asarray(identity(x, training=True)), x)


def test_generator_layers_refuse_bad_arguments():
    assert_refused(lambda: al.image_data_generator_layers(rotation_range=200), "rotation_range")
    assert_refused(lambda: al.image_data_generator_layers(width_shift_range=5), "width_shift_range")
    assert_refused(lambda: al.image_data_generator_layers(zoom_range=-0.1), "zoom_range")
    assert_refused(lambda: al.image_data_generator_layers(shear_range=60), "shear_range")
    assert_refused(lambda: al.image_data_generator_layers(horizontal_flip=1), "horizontal_flip")
    assert_refused(lambda: al.image_data_generator_layers(fill_mode="edge"), "fill_mode")
    assert_refused(lambda: al.image_data_generator_layers(seed=-1), "seed")


# Regression tests for what the bad-input sweep found.
def test_pca_colour_layer_names_bad_inputs_and_batch_sizes():
    import numpy as np
    import pytest

    from cvutils.augment_layers import PCAColorAugmentation

    layer = PCAColorAugmentation.from_images(np.random.default_rng(0).random((4, 6, 6, 3)), seed=0)
    with pytest.raises(ValueError, match=r"^inputs must be"):
        layer(np.ones((1, 2, 2, 3)).astype(object))
    with pytest.raises(ValueError, match=r"^batch_size must be"):
        layer.colour_offsets("abc")
