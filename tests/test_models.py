"""Tests of cvutils.models: shapes, exact parameter counts (against keras.applications where
Keras ships the network), one fit step, a .keras round trip, bad input (the layer
tables and multiply counts: test_layer_tables.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cvutils import models
from cvutils.checks import ArgumentTypeError


def conv_params(f, c_in, c_out, bias=True):
    return f * f * c_in * c_out + (c_out if bias else 0)


def dense_params(n_in, n_out):
    return n_in * n_out + n_out


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def rows_by_name(model):
    return {r["name"]: r for r in models.layer_table(model)}


# ----------------------------------------------------------------------------- LeNet-5


def test_lenet5_course_shapes_and_parameters():
    model = models.lenet5()
    rows = models.layer_table(model)
    assert [r["output_shape"] for r in rows] == [
        (32, 32, 1), (28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,),
        (10,),
    ]  # fmt: skip
    assert [r["type"] for r in rows[1:5]] == ["Conv2D", "AveragePooling2D"] * 2
    assert model.get_layer("C1").activation.__name__ == "tanh"
    params = [conv_params(5, 1, 6), conv_params(5, 6, 16)]
    params += [dense_params(400, 120), dense_params(120, 84), dense_params(84, 10)]
    assert [r["params"] for r in rows if r["params"]] == params
    assert model.count_params() == sum(params) == 61_706
    kernel, bias = model.get_layer("C3").get_weights()  # S2 -> C3
    assert (kernel.size, bias.size) == (16 * 6 * 5 * 5, 16) == (2_400, 16)


def test_lenet5_modern_variant():
    model = models.lenet5(modern=True)
    types = {type(layer).__name__ for layer in model.layers}
    assert {"ReLU", "MaxPooling2D", "BatchNormalization", "Dropout"} <= types
    assert "AveragePooling2D" not in types
    assert model.output.shape == (None, 10)
    expected = conv_params(5, 1, 6, bias=False) + 4 * 6 + conv_params(5, 6, 16, bias=False)
    expected += 4 * 16 + dense_params(400, 120) + dense_params(120, 84) + dense_params(84, 10)
    assert model.count_params() == expected == 61_772


# ----------------------------------------------------------------------------- AlexNet, VGG-16


def test_alexnet_course_layer_table():
    rows = rows_by_name(models.alexnet())
    shapes = {
        "conv1": (55, 55, 96), "pool1": (27, 27, 96), "conv2": (27, 27, 256),
        "pool2": (13, 13, 256), "conv3": (13, 13, 384), "conv4": (13, 13, 384),
        "conv5": (13, 13, 256), "pool5": (6, 6, 256), "flatten": (9216,), "fc6": (4096,),
        "fc7": (4096,), "predictions": (1000,),
    }  # fmt: skip
    assert {k: rows[k]["output_shape"] for k in shapes} == shapes
    params = {
        "conv1": conv_params(11, 3, 96), "conv2": conv_params(5, 96, 256),
        "conv3": conv_params(3, 256, 384), "conv4": conv_params(3, 384, 384),
        "conv5": conv_params(3, 384, 256), "fc6": dense_params(6 * 6 * 256, 4096),
        "fc7": dense_params(4096, 4096), "predictions": dense_params(4096, 1000),
    }  # fmt: skip
    assert {k: rows[k]["params"] for k in params} == params
    assert sum(r["params"] for r in rows.values()) == sum(params.values()) == 62_378_344


def test_vgg16_equals_keras_applications_layer_by_layer():
    ours, ref = models.vgg16(), keras.applications.VGG16(weights=None)
    assert ours.count_params() == ref.count_params() == 138_357_544
    ref_layers = {layer.name: layer for layer in ref.layers[1:]}
    for layer in ours.layers[1:]:
        assert layer.count_params() == ref_layers[layer.name].count_params(), layer.name
        assert layer.output.shape == ref_layers[layer.name].output.shape, layer.name


def test_vgg16_activation_memory():
    """The forward memory of VGG-16, row by row as in the CS231n table of the network."""
    rows = models.layer_table(models.vgg16())
    side_channels = [(224, 3), (224, 64), (224, 64), (112, 64), (112, 128), (112, 128)]
    side_channels += [(56, 128)] + [(56, 256)] * 3 + [(28, 256)] + [(28, 512)] * 3
    side_channels += [(14, 512)] + [(14, 512)] * 3 + [(7, 512)]
    expected = [n * n * c for n, c in side_channels] + [4096, 4096, 1000]
    got = [r["activations"] for r in rows if r["type"] != "Flatten"]
    assert got == expected
    total = sum(expected)
    assert total == 15_237_608  # ~15.2M values: the slide's "24M" does not add up its rows
    assert sum(r["memory_bytes"] for r in rows if r["type"] != "Flatten") == 4 * total


# ----------------------------------------------------------------------------- ResNets


def test_resnet50_course_parameters_and_shapes():
    model = models.resnet50()
    assert model.count_params() == 23_600_006
    assert trainable(model) == 23_546_886
    shapes = {
        "pool1_pool": (15, 15, 64), "conv2_block3_out": (15, 15, 256),
        "conv3_block4_out": (8, 8, 512), "conv4_block6_out": (4, 4, 1024),
        "conv5_block3_out": (2, 2, 2048), "avg_pool": (1, 1, 2048), "predictions": (6,),
    }  # fmt: skip
    assert {k: tuple(model.get_layer(k).output.shape[1:]) for k in shapes} == shapes
    n_blocks = sum(1 for layer in model.layers if layer.name.endswith("_add"))
    assert n_blocks == 3 + 4 + 6 + 3


def test_resnet50_global_pooling_equals_keras_applications():
    ours = models.resnet50((224, 224, 3), classes=1000, pooling="global")
    ref = keras.applications.ResNet50(weights=None)
    assert ours.count_params() == ref.count_params() == 25_636_712
    assert trainable(ours) == trainable(ref)


@pytest.mark.parametrize("depth, n_trainable", [(20, 269_722), (32, 464_154), (56, 853_018)])
def test_resnet_cifar_parameters(depth, n_trainable):
    n = (depth - 2) // 6
    convs = conv_params(3, 3, 16, False) + n * 2 * conv_params(3, 16, 16, False)
    convs += conv_params(3, 16, 32, False) + (2 * n - 1) * conv_params(3, 32, 32, False)
    convs += conv_params(3, 32, 64, False) + (2 * n - 1) * conv_params(3, 64, 64, False)
    bn_channels = 16 + 2 * n * (16 + 32 + 64)
    model, plain = models.resnet_cifar(depth), models.resnet_cifar(depth, plain=True)
    assert trainable(model) == convs + 2 * bn_channels + dense_params(64, 10) == n_trainable
    assert model.count_params() == n_trainable + 2 * bn_channels
    assert plain.count_params() == model.count_params()
    assert (model.name, plain.name) == (f"resnet{depth}", f"plain{depth}")
    assert sum(isinstance(layer, keras.layers.Add) for layer in model.layers) == 3 * n
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)
    assert model.get_layer(f"stage3_block{n}_out").output.shape == (None, 8, 8, 64)


# ----------------------------------------------------------------------------- MobileNets


def weighted_layers(model):
    return [(type(layer).__name__, layer.count_params()) for layer in model.layers if layer.weights]


def test_mobilenet_v2_equals_keras_applications():
    ours, ref = models.mobilenet_v2(), keras.applications.MobileNetV2(weights=None)
    assert ours.count_params() == ref.count_params() == 3_538_984
    assert weighted_layers(ours) == weighted_layers(ref)
    assert ours.get_layer("out_relu").output.shape == (None, 7, 7, 1280)


@pytest.mark.parametrize("alpha", [0.35, 1.4])
def test_mobilenet_v2_width_multiplier_equals_keras(alpha):
    ours = models.mobilenet_v2((32, 32, 3), alpha=alpha, classes=7)
    ref = keras.applications.MobileNetV2((32, 32, 3), alpha=alpha, classes=7, weights=None)
    assert ours.count_params() == ref.count_params()


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_mobilenet_v1_equals_keras_applications(alpha):
    ours = models.mobilenet_v1(alpha=alpha)
    ref = keras.applications.MobileNet(alpha=alpha, weights=None)
    assert ours.count_params() == ref.count_params()
    if alpha == 1.0:
        assert ours.count_params() == 4_253_864
    assert ours.get_layer("conv13_pw_relu").output.shape == (None, 7, 7, int(1024 * alpha))


# ----------------------------------------------------------------------------- fit and save

SMALL = {
    "lenet5": lambda: models.lenet5(),
    "lenet5_modern": lambda: models.lenet5(modern=True),
    "resnet_cifar": lambda: models.resnet_cifar(8, n_classes=3, input_shape=(16, 16, 3)),
    "mobilenet_v1": lambda: models.mobilenet_v1((32, 32, 3), alpha=0.25, n_classes=3),
    "mobilenet_v2": lambda: models.mobilenet_v2((32, 32, 3), classes=3),
    "resnet50": lambda: models.resnet50((64, 64, 3), classes=6),
    "alexnet": lambda: models.alexnet((67, 67, 3), n_classes=3),
    "vgg16": lambda: models.vgg16((32, 32, 3), classes=3),
}
SLOW = {"alexnet", "vgg16"}


@pytest.mark.parametrize(
    "key", [pytest.param(k, marks=pytest.mark.slow) if k in SLOW else k for k in SMALL]
)
def test_fit_step_and_keras_round_trip(key, tmp_path):
    keras.utils.set_random_seed(0)
    model = SMALL[key]()
    classes = model.output.shape[-1]
    x = np.random.default_rng(0).normal(size=(2, *model.input.shape[1:])).astype("float32")
    y = np.array([0, 1]) % classes
    model.compile(  # eager: one step does not pay for tracing a graph
        optimizer=keras.optimizers.SGD(0.01),
        loss="sparse_categorical_crossentropy",
        run_eagerly=True,
    )
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    path = tmp_path / f"{key}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.count_params() == model.count_params()
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x, training=False)), expected, rtol=1e-6, atol=1e-6
    )


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: models.lenet5((15, 15, 1)), "input_shape"),
        (lambda: models.alexnet((66, 66, 3)), "input_shape"),
        (lambda: models.vgg16((31, 64, 3)), "input_shape"),
        (lambda: models.resnet50((32, 32, 3)), "input_shape"),
        (lambda: models.vgg16((224, 224)), "input_shape"),
        (lambda: models.vgg16((224, 224, 0)), r"input_shape\[2\]"),
        (lambda: models.lenet5(n_classes=0), "n_classes"),
        (lambda: models.lenet5(classes=0), "n_classes"),
        (lambda: models.lenet5(n_classes=5, classes=4), "classes"),
        (lambda: models.vgg16(classes=0), "classes"),
        (lambda: models.resnet50(pooling="max"), "pooling"),
        (lambda: models.resnet_cifar(21), "depth"),
        (lambda: models.resnet_cifar(2), "depth"),
        (lambda: models.mobilenet_v2(alpha=0), "alpha"),
        (lambda: models.mobilenet_v2(alpha=-1.0), "alpha"),
        (lambda: models.mobilenet_v1(alpha=0.01), "alpha"),
        (lambda: models.mobilenet_v1(dropout=1.0), "dropout"),
    ],
)
def test_impossible_configurations_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        call()


def test_global_pooling_accepts_small_inputs():
    assert models.resnet50((32, 32, 3), pooling="global").output.shape == (None, 6)


@pytest.mark.parametrize(
    "call",
    [
        lambda: models.mobilenet_v2(alpha="1"),
        lambda: models.resnet_cifar(20.0),
        lambda: models.lenet5(modern=1),
        lambda: models.vgg16(input_shape="224"),
    ],
)
def test_wrong_kinds_are_argument_type_errors(call):
    with pytest.raises(ArgumentTypeError):
        call()


def test_tiny_yolo_names_a_missing_input_shape():
    from cvutils.models import tiny_yolo

    with pytest.raises(ValueError, match=r"^input_shape must be"):
        tiny_yolo(input_shape=None)


def test_the_old_name_of_n_classes_still_works():
    """The builders the course does not fix take ``n_classes``; ``classes`` (or tiny_yolo's
    ``num_classes``) still works, and the course's builders keep ``classes``."""
    assert models.lenet5(classes=4).output_shape == models.lenet5(n_classes=4).output_shape
    assert models.lenet5((32, 32, 1), 4).output_shape == (None, 4)
    assert models.alexnet((67, 67, 3), classes=3).output_shape == (None, 3)
    assert models.resnet9((8, 8, 3), classes=3, width=2).output_shape == (None, 3)
    assert models.tiny_yolo(num_classes=1).output_shape == (None, 4, 4, 12)
    assert models.tiny_yolo(n_classes=1).output_shape == (None, 4, 4, 12)
    assert models.vgg16((32, 32, 3), classes=3).output_shape == (None, 3)
