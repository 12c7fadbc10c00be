"""Tests of cvutils.blocks.LocallyConnected2D against a NumPy loop oracle, Conv2D and gradients."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from layer_harness import run_layer_test

from cvutils.blocks import LocallyConnected2D
from cvutils.checks import MAX_COUNT, ArgumentTypeError


def out_size(n, k, s):
    return (n - k) // s + 1


def loop_oracle(x, kernel, bias, k, s, out_h, out_w):
    """The loop reference for the locally connected layer.

    out[b, i, j, :] = patch(i, j) flattened (k_h, k_w, c) @ kernel[i * out_w + j] + bias[i, j].
    """
    (k_h, k_w), (s_h, s_w) = k, s
    out = np.zeros((x.shape[0], out_h, out_w, kernel.shape[-1]))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, i * s_h : i * s_h + k_h, j * s_w : j * s_w + k_w, :].reshape(
                x.shape[0], -1
            )
            out[:, i, j, :] = patch @ kernel[i * out_w + j]
            if bias is not None:
                out[:, i, j, :] += bias[i, j]
    return out


def random_weights(layer, rng):
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])


CASES = [
    # (h, w, c, filters, kernel_size, strides)
    (6, 6, 1, 1, 3, 1),
    (7, 7, 3, 4, 3, 2),
    (8, 5, 2, 3, (3, 2), (2, 1)),
    (9, 9, 3, 2, 5, 3),
    (5, 5, 4, 6, 1, 1),
    (4, 6, 2, 2, (4, 6), 1),
]


@pytest.mark.parametrize("h, w, c, filters, k, s", CASES)
def test_shapes_and_parameter_count(h, w, c, filters, k, s):
    layer = LocallyConnected2D(filters, k, strides=s)
    k2 = k if isinstance(k, tuple) else (k, k)
    s2 = s if isinstance(s, tuple) else (s, s)
    out_h, out_w = out_size(h, k2[0], s2[0]), out_size(w, k2[1], s2[1])
    y = layer(np.zeros((2, h, w, c), "float32"))
    assert tuple(y.shape) == (2, out_h, out_w, filters)
    assert layer.compute_output_shape((None, h, w, c)) == (None, out_h, out_w, filters)
    assert tuple(layer.kernel.shape) == (out_h * out_w, k2[0] * k2[1] * c, filters)
    assert tuple(layer.bias.shape) == (out_h, out_w, filters)
    assert layer.count_params() == out_h * out_w * (k2[0] * k2[1] * c * filters + filters)
    # Conv2D of the same geometry has the same output shape and out_h * out_w times fewer params.
    conv = keras.layers.Conv2D(filters, k, strides=s)
    assert tuple(conv(np.zeros((2, h, w, c), "float32")).shape) == tuple(y.shape)
    assert layer.count_params() == out_h * out_w * conv.count_params()


def test_course_example_parameter_count():
    # 32x32x3 -> 28x28x6 with 5x5 filters: the course's convolution has 456 parameters;
    # without sharing every one of the 28 * 28 positions has its own 456.
    layer = LocallyConnected2D(6, 5)
    layer.build((None, 32, 32, 3))
    assert layer.count_params() == 28 * 28 * 456 == 357_504


def test_no_bias():
    layer = LocallyConnected2D(3, 2, use_bias=False)
    layer.build((None, 4, 4, 2))
    assert layer.bias is None and len(layer.weights) == 1
    assert layer.count_params() == 9 * 2 * 2 * 2 * 3


@pytest.mark.parametrize("h, w, c, filters, k, s", CASES)
@pytest.mark.parametrize("use_bias", [True, False])
def test_forward_matches_loop_oracle(h, w, c, filters, k, s, use_bias):
    rng = np.random.default_rng(h * 100 + w)
    x = rng.normal(size=(3, h, w, c)).astype("float32")
    layer = LocallyConnected2D(filters, k, strides=s, use_bias=use_bias)
    layer.build((None, h, w, c))
    random_weights(layer, rng)
    k2 = k if isinstance(k, tuple) else (k, k)
    s2 = s if isinstance(s, tuple) else (s, s)
    out_h, out_w = out_size(h, k2[0], s2[0]), out_size(w, k2[1], s2[1])
    bias = layer.bias.numpy() if use_bias else None
    expected = loop_oracle(x, layer.kernel.numpy(), bias, k2, s2, out_h, out_w)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_activation(activation):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 5, 2)).astype("float32")
    linear = LocallyConnected2D(3, 3)
    act = LocallyConnected2D(3, 3, activation=activation)
    linear.build(x.shape)
    act.build(x.shape)
    random_weights(linear, rng)
    act.set_weights(linear.get_weights())
    fn = keras.activations.get(activation)
    np.testing.assert_allclose(np.asarray(act(x)), np.asarray(fn(linear(x))), rtol=1e-6)


@pytest.mark.parametrize("h, w, c, filters, k, s", CASES)
def test_equals_conv2d_when_weights_are_shared(h, w, c, filters, k, s):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, h, w, c)).astype("float32")
    conv = keras.layers.Conv2D(filters, k, strides=s)
    conv.build((None, h, w, c))
    random_weights(conv, rng)
    kernel, bias = conv.get_weights()
    layer = LocallyConnected2D(filters, k, strides=s)
    layer.build((None, h, w, c))
    positions = layer.kernel.shape[0]
    out_h, out_w = layer.bias.shape[:2]
    layer.set_weights(
        [
            np.tile(kernel.reshape(1, -1, filters), (positions, 1, 1)),
            np.tile(bias.reshape(1, 1, filters), (out_h, out_w, 1)),
        ]
    )
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(conv(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "init_kwargs, input_shape, output_shape, n_weights, n_params, input_dtype",
    [
        (
            dict(filters=3, kernel_size=3),
            (2, 6, 6, 2),
            (2, 4, 4, 3),
            2,
            16 * (18 * 3 + 3),
            "float32",
        ),
        (
            dict(
                filters=2,
                kernel_size=(3, 2),
                strides=(2, 1),
                activation="relu",
                use_bias=False,
                kernel_initializer="he_normal",
                name="lc",
            ),
            (2, 7, 5, 3),
            (2, 3, 4, 2),
            1,
            12 * (3 * 2 * 3 * 2),
            "float32",
        ),
        (
            dict(filters=2, kernel_size=2, strides=2, activation="tanh"),
            (3, 5, 5, 1),
            (3, 2, 2, 2),
            2,
            4 * (4 * 2 + 2),
            "uint8",
        ),
    ],
)
def test_layer_harness(init_kwargs, input_shape, output_shape, n_weights, n_params, input_dtype):
    run_layer_test(
        LocallyConnected2D,
        init_kwargs,
        input_shape,
        output_shape,
        expected_num_trainable_weights=n_weights,
        expected_num_non_trainable_weights=0,
        expected_num_trainable_params=n_params,
        input_dtype=input_dtype,
        atol=1e-5,
    )


def test_registered_name():
    data = keras.saving.serialize_keras_object(LocallyConnected2D(2, 3))
    assert data["registered_name"] == "cvutils>LocallyConnected2D"
    assert isinstance(keras.saving.deserialize_keras_object(data), LocallyConnected2D)


def test_config_is_complete():
    kwargs = dict(
        filters=5,
        kernel_size=(3, 2),
        strides=(2, 1),
        activation="relu",
        use_bias=False,
        kernel_initializer="he_normal",
        bias_initializer="ones",
    )
    config = LocallyConnected2D(**kwargs).get_config()
    assert set(kwargs) <= set(config)
    assert config["filters"] == 5 and tuple(config["kernel_size"]) == (3, 2)
    assert tuple(config["strides"]) == (2, 1) and config["use_bias"] is False
    assert config["activation"] == "relu"
    clone = LocallyConnected2D.from_config(config)
    assert clone.get_config() == config


def test_gradients_flow_to_every_weight_and_input():
    rng = np.random.default_rng(0)
    x = tf.constant(
        rng.normal(size=(3, 7, 7, 2)).astype("float32")
    )  # (7 - 3) % 2 == 0: every pixel is used
    layer = LocallyConnected2D(3, 3, strides=2)
    layer.build(x.shape)
    random_weights(layer, rng)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) ** 2)
    grads = tape.gradient(loss, [*layer.trainable_weights, x])
    assert len(grads) == 3
    for g in grads:
        g = g.numpy()
        assert np.all(np.isfinite(g))
        # Every position's filter sees data, so every kernel row and every bias gets a gradient.
        assert np.count_nonzero(g) == g.size


def test_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 4, 5, 1))
    layer = LocallyConnected2D(2, (2, 3), strides=(2, 1), activation="tanh", dtype="float64")
    layer.build(x.shape)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    target = rng.normal(size=(2, 2, 3, 2))

    def loss_of():
        return float(np.sum((np.asarray(layer(x)) - target) ** 2))

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum((layer(tf.constant(x)) - target) ** 2)
    analytic = [g.numpy() for g in tape.gradient(loss, layer.trainable_weights)]
    eps = 1e-6
    for variable, grad in zip(layer.trainable_weights, analytic, strict=True):
        w = variable.numpy()
        numeric = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            for sign in (1, -1):
                shifted = w.copy()
                shifted[idx] += sign * eps
                variable.assign(shifted)
                numeric[idx] += sign * loss_of() / (2 * eps)
        variable.assign(w)
        rel = np.linalg.norm(numeric - grad) / np.linalg.norm(numeric + grad)
        assert rel < 1e-7, (variable.name, rel)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    c=st.integers(1, 3),
    filters=st.integers(1, 3),
    k_h=st.integers(1, 4),
    k_w=st.integers(1, 4),
    s_h=st.integers(1, 3),
    s_w=st.integers(1, 3),
)
def test_output_shape_property(h, w, c, filters, k_h, k_w, s_h, s_w):
    layer = LocallyConnected2D(filters, (k_h, k_w), strides=(s_h, s_w))
    if k_h > h or k_w > w:
        with pytest.raises(ValueError, match="kernel_size"):
            layer.build((None, h, w, c))
        return
    expected = (None, out_size(h, k_h, s_h), out_size(w, k_w, s_w), filters)
    assert layer.compute_output_shape((None, h, w, c)) == expected
    y = layer(np.ones((1, h, w, c), "float32"))
    assert tuple(y.shape) == (1, *expected[1:])


@pytest.mark.parametrize(
    "kwargs, match, kind",
    [
        (dict(filters=0, kernel_size=3), "filters must be an integer in 1..", False),
        (dict(filters=-2, kernel_size=3), "filters", False),
        (dict(filters=10**9, kernel_size=3), "filters", False),
        (dict(filters=2.5, kernel_size=3), "filters", True),
        (dict(filters=True, kernel_size=3), "filters", True),
        (dict(filters=None, kernel_size=3), "filters", True),
        (dict(filters=2, kernel_size=0), "kernel_size", False),
        (dict(filters=2, kernel_size=(3, 0)), r"kernel_size\[1\]", False),
        (dict(filters=2, kernel_size=(1, 2, 3)), "kernel_size", False),
        (dict(filters=2, kernel_size=(2**31, 1)), r"kernel_size\[0\]", False),
        (dict(filters=2, kernel_size="3"), "kernel_size", True),
        (dict(filters=2, kernel_size=2.0), "kernel_size", True),
        (dict(filters=2, kernel_size=3, strides=0), "strides", False),
        (dict(filters=2, kernel_size=3, strides=(1, -1)), "strides", False),
        (dict(filters=2, kernel_size=3, strides=2**31), "strides must be an integer", False),
        (dict(filters=2, kernel_size=3, strides=(2**31, 2**31)), "strides", False),
        (dict(filters=2, kernel_size=3, strides=(1, 1.5)), "strides", True),
        (dict(filters=2, kernel_size=3, use_bias="yes"), "use_bias must be True or False", True),
        (dict(filters=2, kernel_size=3, use_bias=1), "use_bias", True),
        (dict(filters=2, kernel_size=3, activation="nope"), "activation must be a Keras", False),
        (dict(filters=2, kernel_size=3, activation=3), "activation", True),
        (dict(filters=2, kernel_size=3, kernel_initializer="nope"), "kernel_initializer", False),
        (dict(filters=2, kernel_size=3, bias_initializer=[1]), "bias_initializer", True),
    ],
)
def test_bad_arguments(kwargs, match, kind):
    with pytest.raises(ValueError, match=match) as info:
        LocallyConnected2D(**kwargs)
    assert isinstance(info.value, ArgumentTypeError) == kind
    assert "; got " in str(info.value)


def test_numpy_integers_and_lists_are_accepted():
    layer = LocallyConnected2D(np.int64(2), [np.int32(3), 2], strides=np.int8(2))
    assert layer.filters == 2 and layer.kernel_size == (3, 2) and layer.strides == (2, 2)
    assert tuple(layer(np.zeros((1, 5, 4, 1), "float32")).shape) == (1, 2, 2, 2)


def test_huge_strides_never_reach_tensorflow_and_the_largest_allowed_stride_works():
    # strides=2**31 used to abort the whole process inside TensorFlow; now it is refused at
    # construction. The largest stride allowed gives one position, as the loop oracle says.
    with pytest.raises(ValueError, match="strides"):
        LocallyConnected2D(2, 3, strides=2**31)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6, 2)).astype("float32")
    layer = LocallyConnected2D(2, 3, strides=MAX_COUNT)
    y = np.asarray(layer(x))
    assert y.shape == (2, 1, 1, 2)
    expected = loop_oracle(x, layer.kernel.numpy(), layer.bias.numpy(), (3, 3), (1, 1), 1, 1)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_too_many_weights_are_refused_at_build_time():
    layer = LocallyConnected2D(10**6, 5)
    with pytest.raises(ValueError, match="filters and kernel_size must be small enough"):
        layer.build((None, 32, 32, 3))
    assert not layer.weights


@pytest.mark.parametrize("strides", [1, 2])
def test_empty_batch_gives_an_empty_output(strides):
    layer = LocallyConnected2D(3, 3, strides=strides, activation="relu")
    out = 4 if strides == 1 else 2
    y = layer(np.zeros((0, 6, 6, 2), "float32"))
    assert tuple(y.shape) == (0, out, out, 3)
    traced = tf.function(layer)(tf.zeros((0, 6, 6, 2)))
    assert tuple(traced.shape) == (0, out, out, 3)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "bool", "float64"])
def test_integer_images_are_cast_to_the_compute_dtype(dtype):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2 if dtype == "bool" else 256, size=(2, 5, 5, 2)).astype(dtype)
    layer = LocallyConnected2D(2, 3, bias_initializer="ones")
    y = layer(x)
    assert keras.backend.standardize_dtype(y.dtype) == "float32"
    np.testing.assert_allclose(
        np.asarray(y), np.asarray(layer(x.astype("float32"))), rtol=1e-6, atol=1e-6
    )
    out_h = 3
    expected = loop_oracle(
        x.astype("float64"), layer.kernel.numpy(), layer.bias.numpy(), (3, 3), (1, 1), out_h, out_h
    )
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-5, atol=1e-3)


def test_integer_images_under_mixed_precision():
    layer = LocallyConnected2D(2, 3, dtype="mixed_float16")
    y = layer(np.full((1, 4, 4, 1), 255, "uint8"))
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert layer.kernel.dtype == "float32"


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match=r"kernel_size must be at most .* 4x6 .*; got \(5, 5\)"):
        LocallyConnected2D(2, 5).build((None, 4, 6, 1))
    with pytest.raises(ValueError, match="inputs must be of rank 4"):
        LocallyConnected2D(2, 3).build((None, 6, 6))
    with pytest.raises(ValueError, match="inputs must be of rank 4"):
        LocallyConnected2D(2, 3)(np.zeros((6, 6, 3), "float32"))
    with pytest.raises(ValueError, match="inputs must be of known height, width and channels"):
        LocallyConnected2D(2, 3).build((None, None, None, 3))
    with pytest.raises(ValueError, match="inputs must be of known height"):
        LocallyConnected2D(2, 3)(keras.Input((None, None, 3)))


@pytest.mark.parametrize(
    "inputs",
    [
        None,
        "abc",
        [[1.0], [1.0, 2.0]],
        np.zeros((1, 6, 6, 3), complex),
        np.zeros((1, 6, 6, 3)).astype(str),
        np.zeros((1, 6, 6, 3)).astype(object),
        tf.zeros((1, 6, 6, 3), tf.complex64),
    ],
)
def test_inputs_that_are_not_real_arrays_are_refused_by_name(inputs):
    # These used to escape as AttributeError, TensorFlow's UnimplementedError or a ValueError
    # that did not name the argument (found by tests/test_bad_input.py).
    layer = LocallyConnected2D(2, 3)
    layer.build((None, 6, 6, 3))
    with pytest.raises(ArgumentTypeError, match="inputs must be"):
        layer(inputs)
    with pytest.raises(ArgumentTypeError, match="inputs must be"):
        layer(inputs=inputs)


@pytest.mark.parametrize("value", [np.float64("nan"), np.array(0.5), np.ones((3, 3))])
@pytest.mark.parametrize("argument", ["kernel_initializer", "bias_initializer"])
def test_numbers_are_not_initializers(argument, value):
    # keras.initializers.get takes a number for a constant tensor of its own shape, which used
    # to fail only at build time with a message that did not name the argument.
    with pytest.raises(ArgumentTypeError, match=f"{argument} must be a Keras initializer"):
        LocallyConnected2D(2, 3, **{argument: value})


@pytest.mark.parametrize(
    "shape",
    [(1, 6, 6, 2), (1, 7, 6, 3), (1, 6, 5, 3), (6, 6, 3), (1, 1, 6, 6, 3)],
)
def test_inputs_unlike_the_built_shape_are_refused(shape):
    layer = LocallyConnected2D(2, 3)
    layer.build((None, 6, 6, 3))
    with pytest.raises(ValueError, match=r"inputs must be of shape \(batch, 6, 6, 3\)"):
        layer(np.zeros(shape, "float32"))


def test_a_graph_traced_with_unknown_sizes_gives_the_eager_result():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    layer = LocallyConnected2D(2, 3, strides=2)
    eager = np.asarray(layer(x))
    traced = tf.function(layer, input_signature=[tf.TensorSpec((None, None, None, 3))])
    np.testing.assert_allclose(np.asarray(traced(tf.constant(x))), eager, rtol=1e-6, atol=1e-6)
