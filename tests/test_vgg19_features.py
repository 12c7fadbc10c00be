"""Tests of cvutils.models.vgg19_features (notebooks/18_neural_style_transfer.ipynb)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cvutils.checks import ArgumentTypeError
from cvutils.models import VGG19_STYLE_TRANSFER_LAYERS, vgg19_features

#: VGG-19's 3x3 convolutions per block and their filters (Simonyan & Zisserman, config E).
BLOCKS = ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512))

#: The layer names of VGG-19's trunk, in order.
ORDER = [
    name
    for b, (n, _) in enumerate(BLOCKS, start=1)
    for name in [f"block{b}_conv{k}" for k in range(1, n + 1)] + [f"block{b}_pool"]
]


def vgg19_conv_params_by_formula(n_blocks: int) -> int:
    total, n_in = 0, 3
    for n_convs, n_out in BLOCKS[:n_blocks]:
        for _ in range(n_convs):
            total += 3 * 3 * n_in * n_out + n_out
            n_in = n_out
    return total


@pytest.fixture(scope="module")
def keras_vgg19():
    return keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))


def test_whole_trunk_equals_keras_applications(keras_vgg19):
    model = vgg19_features(["block5_pool"], (32, 32, 3))
    assert model.count_params() == keras_vgg19.count_params() == vgg19_conv_params_by_formula(5)
    ours = [layer.name for layer in model.layers[2:]]
    assert ours == [layer.name for layer in keras_vgg19.layers[1:]]
    assert model.output_shape == keras_vgg19.output_shape == (None, 1, 1, 512)
    assert model.layers[1].name == "preprocess"
    assert not model.trainable and not model.trainable_weights


@pytest.mark.parametrize(
    "names, input_shape, n_blocks",
    [
        (VGG19_STYLE_TRANSFER_LAYERS, (64, 48, 3), 5),
        (["block3_conv1"], (32, 32, 3), 3),
        (["block2_pool", "block1_conv2"], (40, 36, 3), 2),
    ],
)
def test_outputs_in_the_given_order_and_truncation(names, input_shape, n_blocks):
    model = vgg19_features(names, input_shape)
    assert len(model.outputs) == len(names)
    channels = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
    for name, out in zip(names, model.outputs, strict=True):
        block = int(name[5])
        div = 2 ** (block - 1) * (2 if name.endswith("pool") else 1)
        assert tuple(out.shape) == (
            None,
            input_shape[0] // div,
            input_shape[1] // div,
            channels[block],
        )
    # the layers after the deepest named one are dropped
    kept = [layer.name for layer in model.layers[2:]]
    assert kept == ORDER[: max(ORDER.index(n) for n in names) + 1]
    if names == ["block3_conv1"]:
        expected = vgg19_conv_params_by_formula(2) + 3 * 3 * 128 * 256 + 256
        assert model.count_params() == expected


def test_course_layers_and_shapes():
    assert VGG19_STYLE_TRANSFER_LAYERS[:5] == tuple(f"block{b}_conv1" for b in range(1, 6))
    assert VGG19_STYLE_TRANSFER_LAYERS[-1] == "block5_conv4"
    model = vgg19_features(input_shape=(64, 64, 3))
    assert [tuple(o.shape)[1:] for o in model.outputs] == [
        (64, 64, 64),
        (32, 32, 128),
        (16, 16, 256),
        (8, 8, 512),
        (4, 4, 512),
        (4, 4, 512),
    ]


def test_equals_keras_vgg19_on_preprocessed_images(keras_vgg19):
    """Same weights: our [0, 1] RGB input == keras' VGG19 on preprocess_input(255 * x)."""
    model = vgg19_features(["block1_conv1", "block2_conv2", "block3_pool"], (32, 32, 3), seed=3)
    ref = keras_vgg19
    by_name = {layer.name: layer for layer in model.layers}
    for layer in ref.layers[1:]:
        if layer.name in by_name and layer.weights:
            kernel, bias = by_name[layer.name].get_weights()
            if layer.name == "block1_conv1":  # ours takes RGB; keras' takes BGR
                kernel = kernel[:, :, ::-1, :]
            layer.set_weights([kernel, bias + 0.01])  # non-zero biases exercise the mapping
            by_name[layer.name].set_weights([by_name[layer.name].get_weights()[0], bias + 0.01])
    x = np.random.default_rng(0).uniform(0, 1, (2, 32, 32, 3)).astype("float32")
    pre = keras.applications.vgg19.preprocess_input(255.0 * x)
    probe = keras.Model(
        ref.input,
        [ref.get_layer(n).output for n in ("block1_conv1", "block2_conv2", "block3_pool")],
    )
    for ours, theirs in zip(model(x), probe(pre), strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=2e-4, atol=2e-3)


def test_random_weights_are_seeded_he_normal():
    a = vgg19_features(["block2_conv1"], (32, 32, 3), seed=1)
    b = vgg19_features(["block2_conv1"], (32, 32, 3), seed=1)
    c = vgg19_features(["block2_conv1"], (32, 32, 3), seed=2)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(a.get_weights()[0], c.get_weights()[0])
    kernel, bias = a.get_layer("block2_conv1").get_weights()
    assert np.all(bias == 0)
    fan_in = 3 * 3 * 64
    assert abs(kernel.std() * np.sqrt(fan_in / 2.0) - 1.0) < 0.05  # He: var = 2 / fan_in


def test_input_is_not_modified():
    model = vgg19_features(["block1_conv1"], (32, 32, 3))
    x = np.full((1, 32, 32, 3), 0.5, "float32")
    model(x)
    assert np.all(x == 0.5)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(layer_names=["block6_conv1"]), ValueError, "layer_names\\[0\\]"),
        (dict(layer_names=[]), ValueError, "layer_names"),
        (dict(layer_names="block1_conv1"), ArgumentTypeError, "layer_names"),
        (dict(layer_names=["block1_conv1", "block1_conv1"]), ValueError, "distinct"),
        (dict(input_shape=(16, 32, 3)), ValueError, "^input_shape must be at least 32x32"),
        (dict(input_shape=(32, 32, 1)), ValueError, "input_shape"),
        (dict(weights="imagenet21k"), ValueError, "weights"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(seed=1.5), ArgumentTypeError, "seed"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    args = dict(layer_names=["block1_conv1"], input_shape=(32, 32, 3))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        vgg19_features(**args)


def test_imagenet_weights_offline_fail_loudly(monkeypatch):
    """No silent fallback to random weights: a failed download is a RuntimeError saying so."""

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    monkeypatch.setattr(keras.src.applications.vgg19.file_utils, "get_file", offline)
    with pytest.raises(RuntimeError, match="ImageNet weights of VGG-19 could not be downloaded"):
        vgg19_features(["block1_conv1"], (32, 32, 3), weights="imagenet")


def test_vgg19_features_loads_a_weights_file_by_its_path(tmp_path):
    from cvutils import models

    # Keras's layout of VGG-19 without its top, as datasets.imagenet_weights returns it
    reference = keras.applications.VGG19(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "vgg19_notop.weights.h5"
    reference.save_weights(path)
    model = models.vgg19_features(["block1_conv1"], (32, 32, 3), weights=str(path))
    kernel, bias = model.get_layer("block1_conv1").get_weights()
    want_kernel, want_bias = reference.get_layer("block1_conv1").get_weights()
    np.testing.assert_array_equal(kernel, want_kernel[:, :, ::-1, :])  # Keras's BGR, as RGB
    np.testing.assert_array_equal(bias, want_bias)
    with pytest.raises(ValueError, match="weights"):
        models.vgg19_features(["block1_conv1"], (32, 32, 3), weights=str(tmp_path / "missing.h5"))
