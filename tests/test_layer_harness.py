"""Tests of the layer test harness (tests/layer_harness.py): it passes Keras's own layers and a
small functional block, and fails (AssertionError) on layers and blocks broken on purpose."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops
from layer_harness import global_dtype_policy, random_inputs, run_block_test, run_layer_test

# ---------------------------------------------------------------------- Keras built-ins


def test_conv2d():
    run_layer_test(
        keras.layers.Conv2D,
        dict(filters=3, kernel_size=3, strides=(1, 2), activation="relu"),
        (2, 6, 7, 2),
        (2, 4, 3, 3),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        expected_num_trainable_params=3 * 3 * 2 * 3 + 3,
        expected_num_non_trainable_params=0,
    )


def test_batch_normalization_has_non_trainable_weights():
    run_layer_test(
        keras.layers.BatchNormalization,
        dict(axis=-1, momentum=0.5),
        (4, 3, 3, 2),
        (4, 3, 3, 2),
        expected_num_trainable_weights=2,  # gamma, beta
        expected_num_non_trainable_weights=2,  # moving mean and variance
        expected_num_trainable_params=4,
        expected_num_non_trainable_params=4,
        atol=1e-5,
    )


def test_dense():
    run_layer_test(
        keras.layers.Dense,
        dict(units=4, use_bias=False),
        (3, 5),
        (3, 4),
        expected_num_trainable_weights=1,
        expected_num_trainable_params=20,
    )


def test_layer_without_weights_skips_the_training_step():
    run_layer_test(
        keras.layers.MaxPooling2D,
        dict(pool_size=2),
        (2, 4, 4, 3),
        (2, 2, 2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


# ---------------------------------------------------------------------- functional blocks


def residual_block(x, filters=2, training=None):
    """A tiny residual block: conv -> batch norm -> relu -> conv, plus the shortcut."""
    y = keras.layers.Conv2D(filters, 3, padding="same")(x)
    y = keras.layers.BatchNormalization(axis=3)(y, training=training)
    y = keras.layers.Activation("relu")(y)
    y = keras.layers.Conv2D(filters, 3, padding="same")(y)
    return keras.layers.Activation("relu")(keras.layers.Add()([y, x]))


def down_block(x, n_filters=4):
    """A tiny U-Net contracting block returning ``(next_layer, skip)``."""
    skip = keras.layers.Conv2D(n_filters, 3, padding="same", activation="relu")(x)
    return keras.layers.MaxPooling2D(2)(skip), skip


def test_block_with_one_output():
    run_block_test(
        residual_block,
        dict(filters=2, training=False),
        (2, 4, 4, 2),
        (2, 4, 4, 2),
        expected_num_trainable_weights=6,  # 2 kernels, 2 biases, gamma, beta
        expected_num_non_trainable_weights=2,
        expected_num_trainable_params=2 * (3 * 3 * 2 * 2 + 2) + 4,
        expected_num_non_trainable_params=4,
        atol=1e-5,
    )


def test_block_with_a_tuple_of_outputs():
    run_block_test(
        down_block,
        dict(n_filters=4),
        (2, 4, 6, 3),
        ((2, 2, 3, 4), (2, 4, 6, 4)),
        expected_num_trainable_weights=2,
        expected_num_trainable_params=3 * 3 * 3 * 4 + 4,
    )


def test_block_on_integer_images():
    def scaled_conv(x, filters=2):
        x = keras.layers.Rescaling(1 / 255)(x)
        return keras.layers.Conv2D(filters, 2)(x)

    run_block_test(scaled_conv, {}, (2, 3, 3, 1), (2, 2, 2, 2), input_dtype="uint8")


# ---------------------------------------------------------------------- broken on purpose


@keras.saving.register_keras_serializable(package="test_layer_harness")
class Scale(keras.layers.Layer):
    """Multiplies by one trainable weight per channel, then applies ``activation``."""

    def __init__(self, activation=None, drop_from_config=False, freeze=False, **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        self.drop_from_config = drop_from_config
        self.freeze = freeze

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        scale = ops.stop_gradient(self.scale) if self.freeze else self.scale
        return self.activation(inputs * scale)

    def get_config(self):
        config = super().get_config()
        config.update(drop_from_config=self.drop_from_config, freeze=self.freeze)
        if not self.drop_from_config:
            config["activation"] = keras.activations.serialize(self.activation)
        return config


def test_the_good_scale_layer_passes():
    run_layer_test(Scale, dict(activation="tanh"), (2, 3), (2, 3), expected_num_trainable_weights=1)


def test_fails_when_get_config_drops_an_argument():
    with pytest.raises(AssertionError, match=r"get_config\(\) lacks .*'activation'"):
        run_layer_test(Scale, dict(activation="tanh", drop_from_config=True), (2, 3), (2, 3))


def test_fails_when_weights_do_not_train():
    with pytest.raises(AssertionError, match="unchanged"):
        run_layer_test(Scale, dict(freeze=True), (2, 3), (2, 3))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(expected_output_shape=(2, 4)),
            r"output shape\(s\) \(None, 3\); expected \(None, 4\)",
        ),
        (dict(expected_num_trainable_weights=2), "1 trainable weights; expected 2"),
        (dict(expected_num_non_trainable_weights=1), "0 non-trainable weights; expected 1"),
        (dict(expected_num_trainable_params=4), "3 trainable parameters; expected 4"),
    ],
)
def test_fails_on_a_wrong_expectation(kwargs, match):
    args = {"expected_output_shape": (2, 3), **kwargs}
    with pytest.raises(AssertionError, match=match):
        run_layer_test(Scale, {}, (2, 3), **args)


def test_fails_when_compute_output_shape_disagrees_with_the_call():
    class WrongShape(Scale):
        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], 1)

    # Keras derives a symbolic call's output from compute_output_shape: the eager call disagrees.
    with pytest.raises(
        AssertionError, match=r"symbolic keras.Input: output shape\(s\) \(None, 1\)"
    ):
        run_layer_test(WrongShape, {}, (2, 3), (2, 3))


def test_fails_when_the_layer_is_not_serializable():
    class Unregistered(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    with pytest.raises(AssertionError, match="register_keras_serializable"):
        run_layer_test(Unregistered, {}, (2, 3), (2, 3), run_training_check=False)


@keras.saving.register_keras_serializable(package="test_layer_harness")
class Float32Out(keras.layers.Layer):
    """Casts its output to float32 whatever the dtype policy (wrong under mixed precision)."""

    def call(self, inputs):
        return ops.cast(inputs, "float32")


def test_fails_under_mixed_precision_and_restores_the_global_policy():
    before = keras.config.dtype_policy().name
    with pytest.raises(AssertionError, match="float32 under mixed_float16"):
        run_layer_test(Float32Out, {}, (2, 3), (2, 3))
    assert keras.config.dtype_policy().name == before

    def block(x):
        return keras.layers.Activation("linear", dtype="float32")(x)

    with pytest.raises(AssertionError, match="float32 under mixed_float16"):
        run_block_test(block, {}, (2, 3), (2, 3))
    assert keras.config.dtype_policy().name == before


def test_fails_on_a_block_whose_weights_do_not_train():
    def frozen(x):
        return Scale(freeze=True)(x)

    with pytest.raises(AssertionError, match="unchanged"):
        run_block_test(frozen, {}, (2, 3), (2, 3))


def test_fails_on_a_block_with_the_wrong_number_of_outputs():
    with pytest.raises(AssertionError, match="output shape"):
        run_block_test(down_block, {}, (2, 4, 4, 1), (2, 2, 2, 4))


def test_global_dtype_policy_restores_after_an_error():
    before = keras.config.dtype_policy().name
    with pytest.raises(RuntimeError), global_dtype_policy("mixed_float16"):
        assert keras.config.dtype_policy().name == "mixed_float16"
        raise RuntimeError
    assert keras.config.dtype_policy().name == before


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8", "int8", "int32"])
def test_random_inputs_are_seeded(dtype):
    a, b = random_inputs((3, 4), dtype, seed=1), random_inputs((3, 4), dtype, seed=1)
    assert a.dtype == np.dtype(dtype) and a.shape == (3, 4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, random_inputs((3, 4), dtype, seed=2))
    if a.dtype.kind in "iu":
        assert a.min() >= 0 and a.max() <= min(255, np.iinfo(a.dtype).max)
