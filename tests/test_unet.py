"""Tests of the U-Net of notebook 15: cvutils.blocks.conv_block / upsampling_block on the layer
harness, cvutils.models.unet_model (the course's 8,640,471 parameters, shapes, a fit step, a
.keras round trip), bad arguments."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from layer_harness import run_block_test
from refusals import assert_refused

from cvutils import blocks, models


def conv3(c_in, c_out):
    return 9 * c_in * c_out + c_out


@pytest.mark.parametrize(
    "kwargs, out_shapes",
    [
        (dict(n_filters=4), ((2, 4, 3, 4), (2, 8, 6, 4))),
        (dict(n_filters=3, dropout_prob=0.3), ((2, 4, 3, 3), (2, 8, 6, 3))),
        (dict(n_filters=5, dropout_prob=0.3, max_pooling=False), ((2, 8, 6, 5), (2, 8, 6, 5))),
    ],
)
def test_conv_block_on_the_harness(kwargs, out_shapes):
    n = kwargs["n_filters"]
    run_block_test(
        blocks.conv_block,
        kwargs,
        (2, 8, 6, 2),
        out_shapes,
        expected_num_trainable_params=conv3(2, n) + conv3(n, n),
        expected_num_non_trainable_params=0,
        rtol=1e-5,
        atol=1e-5,
    )


def up_from_skip(x, n_filters=4):
    """The block with one input: the skip connection is ``x``, the expansive input its pool."""
    return blocks.upsampling_block(keras.layers.MaxPooling2D(2)(x), x, n_filters=n_filters)


@pytest.mark.parametrize("n, in_shape", [(4, (2, 8, 6, 3)), (2, (1, 4, 4, 5))])
def test_upsampling_block_on_the_harness(n, in_shape):
    c = in_shape[3]
    transpose = 9 * c * n + n  # Conv2DTranspose(n, 3) on c channels
    run_block_test(
        up_from_skip,
        dict(n_filters=n),
        in_shape,
        (*in_shape[:3], n),
        expected_num_trainable_params=transpose + conv3(n + c, n) + conv3(n, n),
        expected_num_non_trainable_params=0,
        rtol=1e-5,
        atol=1e-5,
    )


def bn_conv3(c_in, c_out):
    """Conv 3x3 without bias, then BatchNormalization: (trainable, non-trainable) counts."""
    return 9 * c_in * c_out + 2 * c_out, 2 * c_out


@pytest.mark.parametrize("max_pooling", [True, False])
def test_conv_block_with_batch_norm_on_the_harness(max_pooling):
    n, c = 3, 2
    (t1, s1), (t2, s2) = bn_conv3(c, n), bn_conv3(n, n)
    out = (2, 4, 3, n) if max_pooling else (2, 8, 6, n)
    run_block_test(
        blocks.conv_block,
        dict(n_filters=n, dropout_prob=0.3, max_pooling=max_pooling, batch_norm=True),
        (2, 8, 6, c),
        (out, (2, 8, 6, n)),
        expected_num_trainable_params=t1 + t2,
        expected_num_non_trainable_params=s1 + s2,
        rtol=1e-4,
        atol=1e-4,
    )


def test_upsampling_block_with_batch_norm_on_the_harness():
    n, c = 4, 3
    (t1, s1), (t2, s2) = bn_conv3(n + c, n), bn_conv3(n, n)
    run_block_test(
        lambda x, **kw: blocks.upsampling_block(keras.layers.MaxPooling2D(2)(x), x, **kw),
        dict(n_filters=n, batch_norm=True),
        (2, 8, 6, c),
        (2, 8, 6, n),
        expected_num_trainable_params=(9 * c * n + n) + t1 + t2,
        expected_num_non_trainable_params=s1 + s2,
        rtol=1e-4,
        atol=1e-4,
    )


def test_batch_norm_blocks_normalize_every_convolution():
    x = keras.Input((8, 8, 3))
    nxt, skip = blocks.conv_block(x, 4, dropout_prob=0.3, batch_norm=True)
    model = keras.Model(x, [nxt, skip])
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == [
        "Conv2D",
        "BatchNormalization",
        "ReLU",
        "Conv2D",
        "BatchNormalization",
        "ReLU",
        "Dropout",
        "MaxPooling2D",
    ]
    for conv in (la for la in model.layers if isinstance(la, keras.layers.Conv2D)):
        cfg = conv.get_config()
        assert cfg["activation"] == "linear" and cfg["use_bias"] is False
        assert cfg["kernel_size"] == (3, 3) and cfg["padding"] == "same"
        assert cfg["kernel_initializer"]["class_name"] == "HeNormal"
    e, s = keras.Input((4, 4, 8)), keras.Input((8, 8, 4))
    up = keras.Model([e, s], blocks.upsampling_block(e, s, 6, batch_norm=True))
    kinds = [type(layer).__name__ for layer in up.layers if type(layer).__name__ != "InputLayer"]
    assert kinds == [
        "Conv2DTranspose",
        "Concatenate",
        "Conv2D",
        "BatchNormalization",
        "ReLU",
        "Conv2D",
        "BatchNormalization",
        "ReLU",
    ]


def test_batch_norm_conv_block_matches_conv_then_normalize_then_relu():
    """Inference mode, random kernels and statistics, against tf.nn.conv2d and the formula."""
    import tensorflow as tf

    rng = np.random.default_rng(1)
    x_in = keras.Input((6, 5, 2))
    _, skip = blocks.conv_block(x_in, 3, max_pooling=False, batch_norm=True)
    model = keras.Model(x_in, skip)
    convs = [la for la in model.layers if isinstance(la, keras.layers.Conv2D)]
    norms = [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]
    for conv in convs:
        conv.set_weights([rng.normal(size=conv.kernel.shape).astype("float32")])
    for norm in norms:
        gamma, beta, mean = rng.normal(size=(3, 3)).astype("float32")
        var = rng.uniform(0.5, 2.0, size=3).astype("float32")
        norm.set_weights([gamma, beta, mean, var])
    x = rng.normal(size=(2, 6, 5, 2)).astype("float32")
    ref = x
    for conv, norm in zip(convs, norms, strict=True):
        z = tf.nn.conv2d(ref, conv.get_weights()[0], strides=1, padding="SAME").numpy()
        gamma, beta, mean, var = norm.get_weights()
        ref = np.maximum(gamma * (z - mean) / np.sqrt(var + norm.epsilon) + beta, 0)
    got = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def unet_bn_extra(n):
    """Parameters that batch_norm=True adds: 4 c per normalization, minus c conv biases."""
    encoder = sum(2 * f for f in (n, 2 * n, 4 * n, 8 * n, 16 * n))
    decoder = sum(2 * f for f in (8 * n, 4 * n, 2 * n, n))
    return 3 * (encoder + decoder + n)


def test_unet_with_batch_norm_adds_only_the_normalizations():
    model = models.unet_model((32, 16, 1), n_filters=2, n_classes=3, batch_norm=True)
    assert model.output_shape == (None, 32, 16, 3)
    assert model.count_params() == unet_params(2, 1, 3) + unet_bn_extra(2)
    norms = [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]
    assert len(norms) == 19  # two per block (nine blocks) and one in the head
    assert models.unet_model(batch_norm=False).count_params() == 8_640_471


def test_blocks_have_the_course_layers():
    x = keras.Input((8, 8, 3))
    nxt, skip = blocks.conv_block(x, 4, dropout_prob=0.3)
    model = keras.Model(x, [nxt, skip])
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Conv2D", "Conv2D", "Dropout", "MaxPooling2D"]
    for conv in model.layers[1:3]:
        cfg = conv.get_config()
        assert cfg["kernel_size"] == (3, 3) and cfg["padding"] == "same"
        assert cfg["activation"] == "relu"
        assert cfg["kernel_initializer"]["class_name"] == "HeNormal"
    e, s = keras.Input((4, 4, 8)), keras.Input((8, 8, 4))
    up = keras.Model([e, s], blocks.upsampling_block(e, s, 6))
    kinds = [type(layer).__name__ for layer in up.layers if type(layer).__name__ != "InputLayer"]
    assert kinds == ["Conv2DTranspose", "Concatenate", "Conv2D", "Conv2D"]
    t = up.get_layer(index=[type(la).__name__ for la in up.layers].index("Conv2DTranspose"))
    assert t.get_config()["strides"] == (2, 2) and t.get_config()["kernel_size"] == (3, 3)


def unet_params(n, c_in, k):
    """The U-Net's parameters by hand, block by block."""
    total, c = 0, c_in
    for f in (n, 2 * n, 4 * n, 8 * n, 16 * n):  # encoder and bottleneck: two 3x3 convs each
        total += conv3(c, f) + conv3(f, f)
        c = f
    for f in (8 * n, 4 * n, 2 * n, n):  # decoder: transpose 3x3, then two 3x3 convs on the concat
        total += (9 * c * f + f) + conv3(2 * f, f) + conv3(f, f)
        c = f
    return total + conv3(n, n) + (n * k + k)


def test_default_unet_has_the_course_parameter_count():
    model = models.unet_model()
    assert model.input_shape == (None, 96, 128, 3)
    assert model.output_shape == (None, 96, 128, 23)
    assert model.count_params() == 8_640_471 == unet_params(32, 3, 23)
    counts = {}
    for layer in model.layers:
        counts[type(layer).__name__] = counts.get(type(layer).__name__, 0) + 1
    assert counts == {
        "InputLayer": 1,
        "Conv2D": 20,
        "Dropout": 2,
        "MaxPooling2D": 4,
        "Conv2DTranspose": 4,
        "Concatenate": 4,
    }


@pytest.mark.parametrize("batch_norm", [False, True])
def test_small_unet_shapes_fit_step_and_round_trip(tmp_path, batch_norm):
    keras.utils.set_random_seed(0)
    model = models.unet_model((32, 16, 1), n_filters=2, n_classes=3, batch_norm=batch_norm)
    assert model.output_shape == (None, 32, 16, 3)
    assert model.count_params() == unet_params(2, 1, 3) + batch_norm * unet_bn_extra(2)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(4, 32, 16, 1)).astype("float32")
    y = rng.integers(0, 3, size=(4, 32, 16))
    model.compile(
        keras.optimizers.Adam(1e-2),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        run_eagerly=True,  # tracing the U-Net's training graph takes far longer than a step
    )
    before = [w.numpy().copy() for w in model.weights]
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    changed = [not np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights, strict=True)]
    assert all(changed)  # every kernel, bias, scale, offset and running statistic
    path = tmp_path / "unet.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), again.predict(x, verbose=0), rtol=1e-6, atol=1e-6
    )


def test_bad_arguments_are_refused():
    x = keras.Input((8, 8, 3))
    assert_refused(lambda: blocks.conv_block(x, 0), "n_filters")
    assert_refused(lambda: blocks.conv_block(x, 4, dropout_prob=1.0), "dropout_prob")
    assert_refused(lambda: blocks.conv_block(x, 4, max_pooling="yes"), "max_pooling")
    assert_refused(lambda: blocks.conv_block("x", 4), "inputs")
    assert_refused(lambda: blocks.upsampling_block(x, x, 4), "contractive_input")
    assert_refused(lambda: blocks.upsampling_block(x, None, 4), "contractive_input")
    assert_refused(lambda: models.unet_model((40, 64, 3)), "input_size")
    assert_refused(lambda: models.unet_model((32, 32)), "input_size")
    assert_refused(lambda: models.unet_model((8, 32, 3)), "input_size")
    assert_refused(lambda: models.unet_model(n_filters=0), "n_filters")
    assert_refused(lambda: models.unet_model(n_classes=0), "n_classes")
    assert_refused(lambda: blocks.conv_block(x, 4, batch_norm="yes"), "batch_norm")
    assert_refused(lambda: blocks.upsampling_block(x, x, 4, batch_norm=1), "batch_norm")
    assert_refused(lambda: models.unet_model(batch_norm=None), "batch_norm")
