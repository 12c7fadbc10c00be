"""Tests of cvutils.models.resnet9 (notebook 08's speed-run): the parameter count against a
hand formula from the structure, the shapes of every stage, the float32 head under
mixed precision, a save/load round trip and the argument checks."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from refusals import assert_refused

from cvutils import models


def expected_params(width: int, classes: int, channels: int = 3) -> tuple[int, int]:
    """``(total, trainable)`` counted by hand from the structure (not from Keras).

    The convolutions, as (c_in, c_out) pairs: prep (C, w); layer1 (w, 2w) and its residual
    (2w, 2w) twice; layer2 (2w, 4w); layer3 (4w, 8w) and its residual (8w, 8w) twice. Each
    is 3x3 without bias; each batch norm holds gamma, beta, moving mean and moving variance
    (the first two trainable); the head is Dense(8w -> classes) with a bias.
    """
    w = width
    convs = [(channels, w), (w, 2 * w), (2 * w, 2 * w), (2 * w, 2 * w), (2 * w, 4 * w)]
    convs += [(4 * w, 8 * w), (8 * w, 8 * w), (8 * w, 8 * w)]
    conv = sum(3 * 3 * c_in * c_out for c_in, c_out in convs)
    bn = sum(4 * c_out for _, c_out in convs)
    dense = 8 * w * classes + classes
    return conv + bn + dense, conv + bn // 2 + dense


def test_the_hand_formula_gives_page_s_6_57_million():
    total, trainable = expected_params(64, 10)
    assert 6.57e6 <= total < 6.58e6  # the "6.5M parameters" of Page's ResNet-9
    assert total - trainable == 2 * (64 + 3 * 128 + 256 + 3 * 512)  # the moving statistics


@pytest.mark.parametrize(
    ("input_shape", "classes", "width"),
    [((32, 32, 3), 10, 64), ((8, 8, 3), 6, 4), ((12, 9, 1), 3, 5)],
)
def test_parameter_count_matches_the_hand_formula(input_shape, classes, width):
    model = models.resnet9(input_shape, n_classes=classes, width=width)
    total, trainable = expected_params(width, classes, input_shape[2])
    assert model.count_params() == total
    assert sum(int(np.prod(v.shape)) for v in model.trainable_weights) == trainable
    n_conv = sum(isinstance(layer, keras.layers.Conv2D) for layer in model.layers)
    assert n_conv == 8  # 8 convolutions + 1 dense: the "9" of ResNet-9
    assert all(
        not layer.use_bias for layer in model.layers if isinstance(layer, keras.layers.Conv2D)
    )


def test_stage_shapes_and_logits():
    w = 4
    model = models.resnet9((32, 32, 3), n_classes=10, width=w)
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes["prep_relu"] == (32, 32, w)
    assert shapes["layer1_pool"] == shapes["layer1_add"] == (16, 16, 2 * w)
    assert shapes["layer2_pool"] == (8, 8, 4 * w)
    assert shapes["layer3_pool"] == shapes["layer3_add"] == (4, 4, 8 * w)
    assert shapes["pool"] == (8 * w,) and shapes["scale"] == (10,)
    # the logits are 0.125 times the dense layer's output: no softmax
    x = np.random.default_rng(0).standard_normal((2, 32, 32, 3)).astype("float32")
    dense = keras.Model(model.input, model.get_layer("logits").output)
    np.testing.assert_allclose(model.predict(x, verbose=0), 0.125 * dense.predict(x, verbose=0))
    # odd sides are floored by each pool: 9 -> 4 -> 2 -> 1
    assert models.resnet9((9, 9, 3), width=1).get_layer("layer3_pool").output.shape[1:3] == (1, 1)


def test_head_stays_float32_under_mixed_precision():
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = models.resnet9((8, 8, 3), n_classes=3, width=2)
        assert model.get_layer("prep_conv").compute_dtype == "float16"
        assert model.get_layer("logits").compute_dtype == "float32"
        assert model.get_layer("scale").compute_dtype == "float32"
        assert model.output.dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy(previous)


def test_save_and_load_round_trip(tmp_path):
    model = models.resnet9((8, 8, 3), n_classes=3, width=2)
    x = np.random.default_rng(1).standard_normal((4, 8, 8, 3)).astype("float32")
    path = tmp_path / "resnet9.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.count_params() == model.count_params()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(input_shape=(7, 8, 3)), "input_shape"),  # the third pool would leave 0 pixels
        (dict(input_shape=(32, 32)), "input_shape"),
        (dict(n_classes=0), "n_classes"),
        (dict(classes=0), "n_classes"),  # the old name: checked under the new one
        (dict(width=0), "width"),
        (dict(width=2.5), "width"),
    ],
)
def test_bad_arguments_are_refused(kwargs, name):
    assert_refused(lambda: models.resnet9(**kwargs), name)
