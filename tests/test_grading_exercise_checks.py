"""Exercise checks that catch the concept: a wrong activation or layer order fails.

`grading.check_outputs` (public checks) and the ``keras_*_outputs`` hidden tests give the
learner's model and the reference the same seeded weights and compare outputs, so a model
with the right shapes and parameter counts but the wrong function fails, with a message that
names the first layer that differs. One test per wrong variant named by the course's
exercises (notebooks 07 and 09).
"""

import re

import keras
import numpy as np
import pytest
from keras import layers

from cvutils import blocks, grading, models
from cvutils.grading import CheckFailed, block_model, check_outputs


def lenet5(activation="tanh", pool=layers.AveragePooling2D, input_shape=(32, 32, 1), classes=10):
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, 5, activation=activation),
            pool(2),
            layers.Conv2D(16, 5, activation=activation),
            pool(2),
            layers.Flatten(),
            layers.Dense(120, activation=activation),
            layers.Dense(84, activation=activation),
            layers.Dense(classes, activation="softmax"),
        ]
    )


def lenet5_two_layers(input_shape=(32, 32, 1), classes=10):
    """Conv2D then a separate tanh Activation: the same function, written another way."""
    conv = [layers.Conv2D(6, 5), layers.Activation("tanh")]
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            *conv,
            *lenet5(input_shape=input_shape).layers[1:-1],
            layers.Dense(classes, activation="softmax"),
        ]
    )


def inverted_residual(x, expansion, filters, stride, variant=None):
    n_c = x.shape[-1]
    y = x
    if expansion != 1:
        y = layers.Conv2D(expansion * n_c, 1, use_bias=False)(y)
        y = layers.ReLU(6.0)(layers.BatchNormalization()(y))
    y = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(y)
    if variant == "relu6 before batch norm":
        y = layers.BatchNormalization()(layers.ReLU(6.0)(y))
    else:
        y = layers.ReLU(6.0)(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(y))
    if variant == "relu6 after the projection":
        y = layers.ReLU(6.0)(y)
    if stride == 1 and filters == n_c:
        y = layers.Add()([x, y])
    return y


BATCH = np.random.default_rng(0).uniform(0, 1, (3, 32, 32, 1))


def test_the_course_lenet5_passes_written_either_way(capsys):
    check_outputs("lenet5", lenet5(), models.lenet5(), BATCH)
    check_outputs("lenet5", lenet5_two_layers(), models.lenet5(), BATCH)
    assert "same outputs" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("variant", "named"),
    [
        (dict(activation="relu"), "activation=relu"),
        (dict(pool=layers.MaxPooling2D), "MaxPooling2D"),
    ],
    ids=["relu for tanh", "max for average pooling"],
)
def test_a_lenet5_with_the_wrong_function_fails_and_says_where(variant, named):
    with pytest.raises(CheckFailed, match=named) as err:
        check_outputs("lenet5", lenet5(**variant), models.lenet5(), BATCH)
    assert "layer 1" in str(err.value) or "layer 2" in str(err.value)


@pytest.mark.parametrize(
    ("variant", "named"),
    [
        ("relu6 after the projection", re.escape("ReLU(max_value=6), is not in the reference")),
        ("relu6 before batch norm", "BatchNormalization.. after layer 4"),
    ],
)
def test_an_inverted_residual_block_with_the_wrong_function_fails(variant, named):
    shape = (14, 14, 16)
    batch = np.random.default_rng(1).uniform(-1, 1, (2, *shape))
    reference = block_model(blocks.inverted_residual, shape, 6, 16, 1)
    check_outputs("block", block_model(inverted_residual, shape, 6, 16, 1), reference, batch)
    wrong = block_model(inverted_residual, shape, 6, 16, 1, variant=variant)
    with pytest.raises(CheckFailed, match=named):
        check_outputs("block", wrong, reference, batch)


def test_shapes_that_differ_are_named_before_outputs():
    wide = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3)])
    narrow = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3)])
    with pytest.raises(CheckFailed, match=r"weight 1 has shape \(3, 3, 1, 4\)"):
        check_outputs("conv", wide, narrow, np.zeros((1, 8, 8, 1)))


def _score(assignment, exercise, fn):
    report = grading.grade_namespace({exercise: fn}, assignment)
    (row,) = [r for r in report["exercises"] if r["id"] == exercise]
    return row


@pytest.mark.parametrize(
    ("fn", "full"),
    [
        (lambda input_shape=(32, 32, 1), classes=10: lenet5("tanh", layers.AveragePooling2D,
                                                            input_shape, classes), True),
        (lambda input_shape=(32, 32, 1), classes=10: lenet5("relu", layers.AveragePooling2D,
                                                            input_shape, classes), False),
        (lambda input_shape=(32, 32, 1), classes=10: lenet5("tanh", layers.MaxPooling2D,
                                                            input_shape, classes), False),
    ],
    ids=["course", "relu", "max pooling"],
)  # fmt: skip
def test_hidden_tests_of_lenet5_course_score_the_function(fn, full):
    row = _score("07_classic_networks", "lenet5_course", fn)
    assert (row["points"] == row["max_points"]) is full, row


@pytest.mark.parametrize(
    ("variant", "full"),
    [(None, True), ("relu6 after the projection", False), ("relu6 before batch norm", False)],
)
def test_hidden_tests_of_inverted_residual_block_score_the_function(variant, full):
    def learner(x, expansion, filters, stride):
        return inverted_residual(x, expansion, filters, stride, variant=variant)

    row = _score("09_network_in_network_inception_mobilenet", "inverted_residual_block", learner)
    assert (row["points"] == row["max_points"]) is full, row
