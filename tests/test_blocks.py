"""Tests of cvutils.blocks.LocallyConnected2D against a NumPy loop oracle, Conv2D and gradients."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvutils.blocks import LocallyConnected2D


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


def _model(h=6, w=6, c=2):
    inputs = keras.Input((h, w, c))
    y = LocallyConnected2D(4, 3, strides=(1, 2), activation="relu", name="lc")(inputs)
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(y))
    return keras.Model(inputs, outputs)


def test_save_and_load_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    model = _model()
    x = np.random.default_rng(0).normal(size=(4, 6, 6, 2)).astype("float32")
    path = tmp_path / "lc.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.get_layer("lc"), LocallyConnected2D)
    np.testing.assert_array_equal(
        np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0))
    )


def test_from_config_round_trip():
    layer = LocallyConnected2D(
        5,
        (3, 2),
        strides=(2, 1),
        activation="relu",
        use_bias=False,
        kernel_initializer="he_normal",
        name="x",
    )
    config = layer.get_config()
    assert config["filters"] == 5 and tuple(config["kernel_size"]) == (3, 2)
    assert tuple(config["strides"]) == (2, 1) and config["use_bias"] is False
    clone = LocallyConnected2D.from_config(config)
    assert clone.get_config() == config
    x = np.random.default_rng(3).normal(size=(2, 7, 6, 3)).astype("float32")
    layer.build(x.shape)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(layer(x)))
    # Also through keras's generic (de)serialization, which uses the registered name.
    data = keras.saving.serialize_keras_object(layer)
    assert data["registered_name"] == "cvutils>LocallyConnected2D"
    assert isinstance(keras.saving.deserialize_keras_object(data), LocallyConnected2D)


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
    "kwargs, match",
    [
        (dict(filters=0, kernel_size=3), "filters"),
        (dict(filters=-2, kernel_size=3), "filters"),
        (dict(filters=2.5, kernel_size=3), "filters"),
        (dict(filters=True, kernel_size=3), "filters"),
        (dict(filters=2, kernel_size=0), "kernel_size"),
        (dict(filters=2, kernel_size=(3, 0)), "kernel_size"),
        (dict(filters=2, kernel_size=(1, 2, 3)), "kernel_size"),
        (dict(filters=2, kernel_size="3"), "kernel_size"),
        (dict(filters=2, kernel_size=2.0), "kernel_size"),
        (dict(filters=2, kernel_size=3, strides=0), "strides"),
        (dict(filters=2, kernel_size=3, strides=(1, -1)), "strides"),
        (dict(filters=2, kernel_size=3, use_bias="yes"), "use_bias"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LocallyConnected2D(**kwargs)


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match=r"kernel_size=\(5, 5\) is larger .* 4x6"):
        LocallyConnected2D(2, 5).build((None, 4, 6, 1))
    with pytest.raises(ValueError, match="rank 4"):
        LocallyConnected2D(2, 3).build((None, 6, 6))
    with pytest.raises(ValueError, match="known height, width and channels"):
        LocallyConnected2D(2, 3).build((None, None, None, 3))
    layer = LocallyConnected2D(2, 3)
    layer.build((None, 6, 6, 3))
    with pytest.raises(ValueError):  # built for 3 channels; Keras's input spec refuses 2
        layer(np.zeros((1, 6, 6, 2), "float32"))
