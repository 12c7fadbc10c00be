"""Tests of the network blocks of cvutils.blocks against TensorFlow-op oracles and the course."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from layer_harness import run_block_test, run_layer_test

from cvutils import blocks
from cvutils.checks import ArgumentTypeError

# ----------------------------------------------------------------------------- helpers


def block_model(fn, input_shape, **kwargs):
    x = keras.Input(input_shape)
    return keras.Model(x, fn(x, **kwargs))


def randomize(model, rng):
    """Random weights everywhere; positive moving variances."""
    for layer in model.layers:
        weights = []
        for w in layer.weights:
            value = rng.normal(size=w.shape).astype("float32") * 0.5
            if "variance" in w.path:
                value = np.abs(value) + 0.5
            weights.append(value)
        if weights:
            layer.set_weights(weights)


def conv(x, layer, stride=1):
    """Reference Conv2D with TensorFlow's op ("SAME" or "VALID" as the layer says)."""
    kernel, *bias = layer.get_weights()
    y = tf.nn.conv2d(x, kernel, strides=stride, padding=layer.padding.upper()).numpy()
    return y + bias[0] if bias else y


def dwconv(x, layer, stride=1):
    kernel = layer.get_weights()[0]
    strides = (1, stride, stride, 1)
    return tf.nn.depthwise_conv2d(x, kernel, strides, padding=layer.padding.upper()).numpy()


def bn(x, layer):
    gamma, beta, mean, var = layer.get_weights()
    return gamma * (x - mean) / np.sqrt(var + layer.epsilon) + beta


def relu(x):
    return np.maximum(x, 0)


def relu6(x):
    return np.clip(x, 0, 6)


def run(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


def n_params(*convs):
    """Parameters of convolutions given as (f, c_in, c_out, bias)."""
    return sum(f * f * c_in * c_out + (c_out if bias else 0) for f, c_in, c_out, bias in convs)


RNG = np.random.default_rng(0)

# ----------------------------------------------------------------------------- ResNet-50 blocks


def test_identity_block_course_example():
    """The course's public test: constant-1 kernels, inference batch norm, three inputs."""
    X = np.concatenate([np.full((1, 4, 4, 3), c, "float32") for c in (-1, 1, 3)])
    A3 = blocks.identity_block(
        X,
        f=2,
        filters=[4, 4, 3],
        initializer=lambda seed=0: keras.initializers.Constant(value=1),
        training=False,
    )
    A3 = keras.ops.convert_to_numpy(A3)
    assert A3.shape == (3, 4, 4, 3)
    resume = A3[:, (0, -1), :, :].mean(axis=3)
    expected = [
        [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
        [[192.71236, 192.71236, 192.71236, 96.85619], [96.85619, 96.85619, 96.85619, 48.9281]],
        [[578.1371, 578.1371, 578.1371, 290.56854], [290.56854, 290.56854, 290.56854, 146.78427]],
    ]
    np.testing.assert_allclose(resume, expected, rtol=1e-5)
    # By hand: each BN divides by s = sqrt(1 + 1e-3); a 2x2 "same" window sees k in {4, 2, 1}
    # positions, so out = relu(48 k c / s^3 + c).
    s = np.sqrt(1.001)
    k = np.array([[4, 4, 4, 2], [2, 2, 2, 1]])
    for i, c in enumerate((-1, 1, 3)):
        np.testing.assert_allclose(resume[i], relu(48 * k * max(c, 0) / s**3 + c), rtol=1e-5)


@pytest.mark.parametrize(
    "f, filters, shape", [(3, [4, 5, 6], (7, 7, 6)), (1, [2, 2, 3], (5, 4, 3))]
)
def test_identity_block_matches_tf_oracle(f, filters, shape):
    model = block_model(blocks.identity_block, shape, f=f, filters=filters, training=None, name="b")
    randomize(model, RNG)
    x = RNG.normal(size=(2, *shape)).astype("float32")
    g = model.get_layer
    a = relu(bn(conv(x, g("b_1_conv")), g("b_1_bn")))
    a = relu(bn(conv(a, g("b_2_conv")), g("b_2_bn")))
    a = bn(conv(a, g("b_3_conv")), g("b_3_bn"))
    np.testing.assert_allclose(run(model, x), relu(a + x), rtol=1e-4, atol=1e-4)
    F1, F2, F3 = filters
    c = shape[-1]
    bn_params = 4 * (F1 + F2 + F3)
    assert (
        model.count_params() == n_params((1, c, F1, 1), (f, F1, F2, 1), (1, F2, F3, 1)) + bn_params
    )


@pytest.mark.parametrize(
    "f, filters, s, shape, out",
    [(3, [4, 5, 6], 2, (7, 7, 3), (4, 4, 6)), (3, [2, 2, 8], 1, (5, 5, 4), (5, 5, 8))],
)
def test_convolutional_block_matches_tf_oracle(f, filters, s, shape, out):
    model = block_model(
        blocks.convolutional_block, shape, f=f, filters=filters, s=s, training=None, name="b"
    )
    randomize(model, RNG)
    x = RNG.normal(size=(2, *shape)).astype("float32")
    g = model.get_layer
    a = relu(bn(conv(x, g("b_1_conv"), s), g("b_1_bn")))
    a = relu(bn(conv(a, g("b_2_conv")), g("b_2_bn")))
    a = bn(conv(a, g("b_3_conv")), g("b_3_bn"))
    shortcut = bn(conv(x, g("b_0_conv"), s), g("b_0_bn"))
    y = run(model, x)
    assert y.shape == (2, *out)
    np.testing.assert_allclose(y, relu(a + shortcut), rtol=1e-4, atol=1e-4)


def test_course_initializer_defaults():
    """The course's defaults: random_uniform / glorot_uniform classes, called with seed=0."""
    import inspect

    assert inspect.signature(blocks.identity_block).parameters["initializer"].default is (
        keras.initializers.RandomUniform
    )
    sig = inspect.signature(blocks.convolutional_block).parameters
    assert sig["initializer"].default is keras.initializers.GlorotUniform
    assert sig["s"].default == 2 and sig["training"].default is True
    # Seeded like the course: two builds give the same kernels.
    x = keras.Input((5, 5, 3))
    a = keras.Model(x, blocks.identity_block(x, 3, [2, 2, 3]))
    b = keras.Model(x, blocks.identity_block(x, 3, [2, 2, 3]))
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


# ----------------------------------------------------------------------------- CIFAR ResNet block


@pytest.mark.parametrize(
    "shape, filters, stride", [((8, 8, 4), 4, 1), ((8, 8, 4), 8, 2), ((7, 7, 2), 6, 2)]
)
@pytest.mark.parametrize("plain", [False, True])
def test_basic_residual_block_matches_tf_oracle(shape, filters, stride, plain):
    model = block_model(
        blocks.basic_residual_block, shape, filters=filters, stride=stride, plain=plain, name="b"
    )
    randomize(model, RNG)
    x = RNG.normal(size=(2, *shape)).astype("float32")
    g = model.get_layer
    a = relu(bn(conv(x, g("b_1_conv"), stride), g("b_1_bn")))
    a = bn(conv(a, g("b_2_conv")), g("b_2_bn"))
    if not plain:  # option A: subsample, zero-pad the channels
        c = shape[-1]
        sub = x[:, ::stride, ::stride, :]
        before = (filters - c) // 2
        shortcut = np.zeros((*sub.shape[:3], filters), "float32")
        shortcut[..., before : before + c] = sub
        a = a + shortcut
    np.testing.assert_allclose(run(model, x), relu(a), rtol=1e-4, atol=1e-4)
    # The shortcut has no parameters: residual and plain blocks have the same count.
    c = shape[-1]
    assert (
        model.count_params() == n_params((3, c, filters, 0), (3, filters, filters, 0)) + 8 * filters
    )


def test_zero_pad_shortcut_config_round_trip():
    layer = blocks.ZeroPadShortcut(8, 2, name="sc")
    clone = blocks.ZeroPadShortcut.from_config(layer.get_config())
    assert (clone.filters, clone.strides, clone.name) == (8, 2, "sc")
    assert layer.compute_output_shape((None, 5, 5, 4)) == (None, 3, 3, 8)
    with pytest.raises(ValueError, match="filters"):
        layer(np.zeros((1, 4, 4, 16), "float32"))


# ----------------------------------------------------------------------------- Inception


def test_inception_naive_course_example():
    model = block_model(blocks.inception_module, (28, 28, 256), **dict(
        filters_1x1=128, filters_3x3_reduce=None, filters_3x3=192,
        filters_5x5_reduce=None, filters_5x5=96, filters_pool_proj=None,
    ))  # fmt: skip
    assert model.output.shape == (None, 28, 28, 128 + 192 + 96 + 256)
    assert model.count_params() == n_params((1, 256, 128, 1), (3, 256, 192, 1), (5, 256, 96, 1))


def test_inception_googlenet_3a_matches_tf_oracle():
    """GoogLeNet's inception (3a) (192 -> 256 channels), on a small map."""
    kw = dict(filters_1x1=64, filters_3x3_reduce=96, filters_3x3=128,
              filters_5x5_reduce=16, filters_5x5=32, filters_pool_proj=32)  # fmt: skip
    model = block_model(blocks.inception_module, (6, 6, 192), name="i", **kw)
    assert model.output.shape == (None, 6, 6, 256)
    assert model.count_params() == n_params(
        (1, 192, 64, 1), (1, 192, 96, 1), (3, 96, 128, 1), (1, 192, 16, 1), (5, 16, 32, 1),
        (1, 192, 32, 1),
    )  # fmt: skip
    randomize(model, RNG)
    x = RNG.normal(size=(2, 6, 6, 192)).astype("float32")
    g = model.get_layer
    b1 = relu(conv(x, g("i_1x1")))
    b2 = relu(conv(relu(conv(x, g("i_3x3_reduce"))), g("i_3x3")))
    b3 = relu(conv(relu(conv(x, g("i_5x5_reduce"))), g("i_5x5")))
    pooled = tf.nn.max_pool2d(x, 3, 1, "SAME").numpy()
    b4 = relu(conv(pooled, g("i_pool_proj")))
    expected = np.concatenate([b1, b2, b3, b4], axis=-1)
    np.testing.assert_allclose(run(model, x), expected, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- MobileNet blocks


@pytest.mark.parametrize("shape, filters, stride, f", [((6, 6, 3), 5, 1, 3), ((7, 7, 4), 6, 2, 5)])
def test_depthwise_separable_matches_tf_oracle(shape, filters, stride, f):
    model = block_model(
        blocks.depthwise_separable, shape, filters=filters, stride=stride, kernel_size=f, name="d"
    )
    randomize(model, RNG)
    x = RNG.normal(size=(2, *shape)).astype("float32")
    g = model.get_layer
    a = relu6(bn(dwconv(x, g("d_dw"), stride), g("d_dw_bn")))
    a = relu6(bn(conv(a, g("d_pw")), g("d_pw_bn")))
    np.testing.assert_allclose(run(model, x), a, rtol=1e-4, atol=1e-4)
    c = shape[-1]
    assert model.count_params() == f * f * c + c * filters + 4 * (c + filters)


@pytest.mark.parametrize(
    "shape, expansion, filters, stride, residual",
    [((6, 6, 8), 6, 8, 1, True), ((6, 6, 8), 6, 16, 1, False), ((7, 7, 8), 6, 8, 2, False),
     ((6, 6, 16), 1, 16, 1, True)],
)  # fmt: skip
def test_inverted_residual_matches_tf_oracle(shape, expansion, filters, stride, residual):
    model = block_model(
        blocks.inverted_residual, shape, expansion=expansion, filters=filters, stride=stride,
        name="r",
    )  # fmt: skip
    names = {layer.name for layer in model.layers}
    assert ("r_add" in names) == residual
    assert ("r_expand" in names) == (expansion != 1)
    randomize(model, RNG)
    x = RNG.normal(size=(2, *shape)).astype("float32")
    g = model.get_layer
    a = x
    if expansion != 1:
        a = relu6(bn(conv(a, g("r_expand")), g("r_expand_BN")))
    a = relu6(bn(dwconv(a, g("r_depthwise"), stride), g("r_depthwise_BN")))
    a = bn(conv(a, g("r_project")), g("r_project_BN"))
    if residual:
        a = a + x
    y = run(model, x)
    assert y.shape == (2, -(-shape[0] // stride), -(-shape[1] // stride), filters)
    np.testing.assert_allclose(y, a, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- layer harness

HARNESS = [
    # (block, kwargs, input shape, output shape, trainable params, non-trainable params)
    (blocks.identity_block, dict(f=3, filters=[4, 5, 6]), (2, 7, 7, 6), (2, 7, 7, 6), 279, 30),
    (blocks.identity_block, dict(f=2, filters=[2, 2, 3], training=None, name="id"),
     (2, 4, 4, 3), (2, 4, 4, 3), 49, 14),
    (blocks.convolutional_block, dict(f=3, filters=[4, 5, 6], s=2), (2, 7, 7, 3), (2, 4, 4, 6),
     303, 42),
    (blocks.basic_residual_block, dict(filters=8, stride=2), (2, 8, 8, 4), (2, 4, 4, 8), 896, 32),
    (blocks.inception_module, dict(filters_1x1=4, filters_3x3_reduce=2, filters_3x3=4,
     filters_5x5_reduce=2, filters_5x5=4, filters_pool_proj=4), (2, 6, 6, 8), (2, 6, 6, 16),
     388, 0),
    (blocks.inception_module, dict(filters_1x1=4, filters_3x3_reduce=None, filters_3x3=4,
     filters_5x5_reduce=None, filters_5x5=4, filters_pool_proj=None), (2, 6, 6, 8),
     (2, 6, 6, 20), 1132, 0),
    (blocks.depthwise_separable, dict(filters=5, stride=2), (2, 6, 6, 3), (2, 3, 3, 5), 58, 16),
    (blocks.inverted_residual, dict(expansion=6, filters=8, stride=1), (2, 6, 6, 8),
     (2, 6, 6, 8), 1408, 208),
    (blocks.inverted_residual, dict(expansion=1, filters=4, stride=2), (2, 5, 5, 8),
     (2, 3, 3, 4), 8 * 9 + 8 * 4 + 2 * 12, 2 * 12),
]  # fmt: skip


@pytest.mark.parametrize(
    "block, kwargs, input_shape, output_shape, n_trainable, n_fixed",
    HARNESS,
    ids=[f"{case[0].__name__}-{i}" for i, case in enumerate(HARNESS)],
)
def test_blocks_on_layer_harness(block, kwargs, input_shape, output_shape, n_trainable, n_fixed):
    run_block_test(
        block,
        kwargs,
        input_shape,
        output_shape,
        expected_num_trainable_params=n_trainable,
        expected_num_non_trainable_params=n_fixed,
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize(
    "kwargs, input_shape, output_shape",
    [(dict(filters=8, strides=2), (2, 5, 5, 4), (2, 3, 3, 8)),
     (dict(filters=4), (2, 3, 3, 4), (2, 3, 3, 4)),
     (dict(filters=7, strides=3), (1, 6, 4, 2), (1, 2, 2, 7))],
)  # fmt: skip
def test_zero_pad_shortcut_on_layer_harness(kwargs, input_shape, output_shape):
    run_layer_test(
        blocks.ZeroPadShortcut,
        kwargs,
        input_shape,
        output_shape,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda x: blocks.identity_block(x, 3, [4, 4]), "filters"),
        (lambda x: blocks.identity_block(x, 3, [4, 4, 5, 6]), "filters"),
        (lambda x: blocks.identity_block(x, 3, [4, 4, 5]), r"filters\[2\]"),
        (lambda x: blocks.identity_block(x, 0, [4, 4, 8]), "f"),
        (lambda x: blocks.convolutional_block(x, 3, [4, 0, 8]), r"filters\[1\]"),
        (lambda x: blocks.convolutional_block(x, 3, [4, 4, 8], s=0), "s"),
        (lambda x: blocks.basic_residual_block(x, 4), "filters"),
        (lambda x: blocks.basic_residual_block(x, 8, stride=0), "stride"),
        (lambda x: blocks.inception_module(x, 8, None, 0, None, 8, None), "filters_3x3"),
        (lambda x: blocks.depthwise_separable(x, 8, kernel_size=0), "kernel_size"),
        (lambda x: blocks.inverted_residual(x, 0, 8, 1), "expansion"),
        (lambda x: blocks.identity_block(x, 3, [4, 4, 8], name=""), "name"),
    ],
)
def test_bad_configurations_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        call(keras.Input((8, 8, 8)))


@pytest.mark.parametrize(
    "call",
    [
        lambda: blocks.identity_block(keras.Input((8, 8)), 3, [2, 2, 8]),
        lambda: blocks.depthwise_separable("not a tensor", 8),
        lambda: blocks.identity_block(keras.Input((8, 8, 8)), 3, "448"),
        lambda: blocks.basic_residual_block(keras.Input((8, 8, 8)), 8, plain="no"),
        lambda: blocks.identity_block(keras.Input((8, 8, 8)), 3, [2, 2, 8], initializer=3),
    ],
)
def test_bad_kinds_are_refused(call):
    with pytest.raises(ValueError, match=r"must be"):
        call()
    with pytest.raises((ArgumentTypeError, ValueError)):
        call()


# Found by tests/test_bad_input.py: strings, complex and object arrays escaped from Keras as
# InvalidArgumentError or a ValueError that named no argument.
@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((1, 8, 8, 4), complex),
        np.zeros((1, 8, 8, 4)).astype(str),
        np.zeros((1, 8, 8, 4)).astype(object),
    ],
)
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: blocks.identity_block(x, 3, [2, 2, 4], training=False), "X"),
        (lambda x: blocks.convolutional_block(x, 3, [2, 2, 4], training=False), "X"),
        (lambda x: blocks.basic_residual_block(x, 4), "x"),
        (lambda x: blocks.depthwise_separable(x, 4), "x"),
        (lambda x: blocks.inverted_residual(x, 2, 4, 1), "x"),
        (lambda x: blocks.ZeroPadShortcut(6)(x), "inputs"),
    ],
)
def test_non_real_inputs_are_refused_by_name(call, name, bad):
    with pytest.raises(ArgumentTypeError, match=rf"^{name} must be "):
        call(bad)


def test_zero_pad_shortcut_names_inputs_of_another_rank():
    with pytest.raises(ValueError, match=r"inputs must be of rank 4 .*; got shape \(8, 8, 4\)"):
        blocks.ZeroPadShortcut(6)(np.zeros((8, 8, 4), "float32"))


# ----------------------------------------------------------------------------- edge inputs
# An empty batch, one-pixel images and strides larger than the input, for every layer and
# block, with oneDNN on and off: TensorFlow's oneDNN convolutions fail on an empty batch
# (and its depthwise convolution returns its input), so the blocks must not rely on them
# there. tests/test_onednn.py reruns this file in a process with the other setting
# (TF_ENABLE_ONEDNN_OPTS is read when TensorFlow is imported).

EDGE_BLOCKS = {
    "LocallyConnected2D s3": lambda x: blocks.LocallyConnected2D(3, 1, strides=3)(x),
    "ZeroPadShortcut s3": lambda x: blocks.ZeroPadShortcut(6, 3)(x),
    "identity_block": lambda x: blocks.identity_block(x, 3, [2, 2, 4], training=False),
    "convolutional_block s3": lambda x: blocks.convolutional_block(
        x, 3, [2, 2, 4], s=3, training=False
    ),
    "basic_residual_block s3": lambda x: blocks.basic_residual_block(x, 6, stride=3),
    "inception_module": lambda x: blocks.inception_module(x, 2, 2, 2, 1, 1, 1),
    "depthwise_separable s3": lambda x: blocks.depthwise_separable(x, 4, stride=3),
    "inverted_residual s3": lambda x: blocks.inverted_residual(x, 2, 4, 3),
    "inverted_residual s1": lambda x: blocks.inverted_residual(x, 2, 4, 1),
    "conv_block no pooling": lambda x: blocks.conv_block(x, 2, max_pooling=False)[0],
    "conv_block": lambda x: blocks.conv_block(x, 2)[0],
    "upsampling_block": lambda x: blocks.upsampling_block(
        x, np.zeros((x.shape[0], 2 * x.shape[1], 2 * x.shape[2], 2), "float32"), 2
    ),
}
EDGE_INPUTS = {
    "empty batch": (0, 8, 8, 4),
    "one pixel": (2, 1, 1, 4),
    "2x2, stride 3": (2, 2, 2, 4),
}


def _symbolic_shape(name, shape):
    """The output shape the block promises for ``shape`` (built on a `keras.Input`)."""
    if name == "upsampling_block":
        x = keras.Input(shape[1:])
        skip = keras.Input((2 * shape[1], 2 * shape[2], 2))
        return tuple(blocks.upsampling_block(x, skip, 2).shape[1:])
    return tuple(EDGE_BLOCKS[name](keras.Input(shape[1:])).shape[1:])


@pytest.mark.parametrize("case", sorted(EDGE_INPUTS))
@pytest.mark.parametrize("name", sorted(EDGE_BLOCKS))
def test_edge_inputs_give_the_promised_shape_or_a_named_error(name, case):
    shape = EDGE_INPUTS[case]
    x = np.ones(shape, "float32")
    if name == "conv_block" and case == "one pixel":
        # a 2x2 max pooling has nothing to pool: refused by name (oneDNN aborted, plain
        # TensorFlow gave a 0x0 map)
        with pytest.raises(ValueError, match="^inputs must be at least 2x2"):
            EDGE_BLOCKS[name](x)
        return
    out = EDGE_BLOCKS[name](x)
    assert tuple(out.shape) == (shape[0], *_symbolic_shape(name, shape))
    assert np.isfinite(np.asarray(out)).all()
