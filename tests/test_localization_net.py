"""Tests of the localization and landmark networks of notebook 11 (cvutils.models)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from layer_harness import global_dtype_policy

from cvutils.checks import ArgumentTypeError
from cvutils.models import landmark_net, localization_net
from cvutils.yolo import LocalizationLoss, encode_targets

SMALL = dict(filters=(8, 16), dense=16)


def conv_params(f, c_in, c_out):
    return f * f * c_in * c_out  # no bias: batch norm's beta plays that role


@pytest.mark.parametrize("size, n_classes", [((32, 32, 3), 3), ((16, 24, 1), 5)])
def test_localization_net_shapes_ranges_and_parameters(size, n_classes):
    model = localization_net(size, n_classes=n_classes, **SMALL)
    x = np.random.default_rng(0).uniform(size=(4, *size)).astype("float32")
    y = keras.ops.convert_to_numpy(model(x, training=False))
    assert y.shape == (4, 5 + n_classes) and model.output_shape == (None, 5 + n_classes)
    assert ((y[:, :5] > 0) & (y[:, :5] < 1)).all()  # p_c and the box are sigmoids
    np.testing.assert_allclose(y[:, 5:].sum(axis=1), 1.0, rtol=1e-5)  # classes: a softmax
    flat = (size[0] // 4) * (size[1] // 4) * 16
    expected = (
        conv_params(3, size[2], 8)
        + 4 * 8
        + conv_params(3, 8, 16)
        + 4 * 16
        + 2 * (flat + 1) * 16  # the two heads' hidden layers
        + (16 + 1) * (1 + n_classes + 4)  # p_c, classes, box
    )
    assert model.count_params() == expected
    names = [layer.name for layer in model.layers]
    assert {"class_head", "box_head", "p_c", "classes", "box", "y_hat"} <= set(names)
    assert model.get_layer("y_hat").output.shape[-1] == 5 + n_classes


def test_localization_net_default_matches_hand_count():
    model = localization_net()
    assert model.input_shape == (None, 48, 48, 3) and model.output_shape == (None, 8)
    trunk = 27 * 8 + 32 + 72 * 16 + 64 + 144 * 32 + 128 + 288 * 64 + 256  # 48 -> 3 after 4 pools
    heads = 2 * (3 * 3 * 64 + 1) * 128 + 129 * (1 + 3 + 4)
    assert model.count_params() == trunk + heads == 24_888 + 148_744


@pytest.mark.parametrize("k", [1, 3, 4])
def test_landmark_net_shapes_and_ranges(k):
    model = landmark_net((32, 32, 3), n_keypoints=k, **SMALL)
    x = np.random.default_rng(1).uniform(size=(3, 32, 32, 3)).astype("float32")
    y = keras.ops.convert_to_numpy(model(x, training=False))
    assert y.shape == (3, k, 2) and model.output_shape == (None, k, 2)
    assert ((y > 0) & (y < 1)).all()
    flat = 8 * 8 * 16
    expected = 216 + 32 + 1152 + 64 + (flat + 1) * 16 + 17 * 2 * k
    assert model.count_params() == expected


def test_one_by_one_grid_target_is_the_course_vector():
    # box (x1, y1, x2, y2) = (8, 4, 24, 36) in a 40x40 image, class 2 of 3:
    # midpoint (16, 20) / 40 = (0.4, 0.5); height 32 / 40 = 0.8; width 16 / 40 = 0.4
    y = encode_targets([[8, 4, 24, 36]], [2], [[1, 1]], (1, 1), 3, (40, 40)).reshape(-1)
    np.testing.assert_allclose(y, [1, 0.4, 0.5, 0.8, 0.4, 0, 0, 1], atol=1e-6)
    empty = encode_targets(np.zeros((0, 4)), [], [[1, 1]], (1, 1), 3, (40, 40)).reshape(-1)
    np.testing.assert_array_equal(empty, np.zeros(8))


def test_both_nets_learn_a_tiny_set_and_reload_identically(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(16, 16, 16, 3)).astype("float32")
    y = np.zeros((16, 8), "float32")
    y[:8, 0] = 1
    y[:8, 1:5] = rng.uniform(0.2, 0.8, size=(8, 4))
    y[np.arange(8), 5 + rng.integers(0, 3, 8)] = 1
    kp = rng.uniform(0.1, 0.9, size=(16, 3, 2)).astype("float32")
    for model, target, loss in [
        (
            localization_net((16, 16, 3), filters=(4, 8), dense=16, dropout=0.0),
            y,
            LocalizationLoss(),
        ),
        (landmark_net((16, 16, 3), filters=(4, 8), dense=16, dropout=0.0), kp, "mse"),
    ]:
        model.compile(keras.optimizers.Adam(3e-3), loss)
        before = model.evaluate(x, target, verbose=0)
        # 40 steps on the same batch of 16, as one epoch (40 epochs of one step cost twice as
        # much: Keras' work per epoch dwarfs a step of these nets)
        reps = (40,) + (1,) * (target.ndim - 1)
        model.fit(
            np.tile(x, (40, 1, 1, 1)),
            np.tile(target, reps),
            batch_size=16,
            shuffle=False,
            verbose=0,
        )
        after = model.evaluate(x, target, verbose=0)
        assert after < 0.5 * before, (model.name, before, after)
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        again = keras.models.load_model(path, custom_objects={"LocalizationLoss": LocalizationLoss})
        np.testing.assert_array_equal(model.predict(x, verbose=0), again.predict(x, verbose=0))


@pytest.mark.parametrize("build", [localization_net, landmark_net])
@pytest.mark.parametrize(
    "kwargs, match, kind",
    [
        (dict(input_shape=(8, 8, 3)), "input_shape", ValueError),  # 4 poolings need 16x16
        (dict(input_shape=(32, 32)), "input_shape", ValueError),
        (dict(filters=()), "filters", ArgumentTypeError),
        (dict(filters="16"), "filters", ArgumentTypeError),
        (dict(filters=(8, 0)), r"filters\[1\]", ValueError),
        (dict(dense=0), "dense", ValueError),
        (dict(dropout=1.0), "dropout", ValueError),
        (dict(dropout="0.5"), "dropout", ArgumentTypeError),
    ],
)
def test_bad_arguments_are_refused(build, kwargs, match, kind):
    with pytest.raises(kind, match=match):
        build(**kwargs)


def test_outputs_are_float32_under_mixed_precision():
    with global_dtype_policy("mixed_float16"):
        loc = localization_net((16, 16, 3), filters=(4, 8), dense=8)
        lm = landmark_net((16, 16, 3), filters=(4, 8), dense=8)
    x = np.zeros((2, 16, 16, 3), "float32")
    for model in (loc, lm):
        assert model.layers[1].compute_dtype == "float16"  # the trunk runs in float16
        assert keras.backend.standardize_dtype(model(x).dtype) == "float32", model.name


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="n_classes"):
        localization_net(n_classes=0)
    with pytest.raises(ValueError, match="n_keypoints"):
        landmark_net(n_keypoints=0)
