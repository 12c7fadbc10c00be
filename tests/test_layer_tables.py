"""Tests of cvutils.layer_tables: multiply counts against the course's cost arithmetic, the
layer table's shapes, memory and nesting, bad input, and the names models re-exports."""

from __future__ import annotations

from fractions import Fraction

import keras
import pytest

from cvutils import blocks, layer_tables, models
from cvutils.checks import ArgumentTypeError


def test_models_reexports_the_same_functions():
    for name in layer_tables.__all__:
        assert getattr(models, name) is getattr(layer_tables, name)
        assert name in models.__all__


# ----------------------------------------------------------------------------- multiply counts


def tiny(input_shape, *layers):
    x = keras.Input(input_shape)
    y = x
    for layer in layers:
        y = layer(y)
    return keras.Model(x, y)


def test_multiply_count_course_bottleneck_example():
    L = keras.layers
    direct = tiny((28, 28, 192), L.Conv2D(32, 5, padding="same"))
    assert direct.output.shape == (None, 28, 28, 32)
    assert layer_tables.multiply_count(direct) == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400
    bottleneck = tiny((28, 28, 192), L.Conv2D(16, 1), L.Conv2D(32, 5, padding="same"))
    rows = layer_tables.layer_table(bottleneck)
    assert [r["multiplies"] for r in rows] == [0, 2_408_448, 10_035_200]
    assert layer_tables.multiply_count(bottleneck) == 12_443_648


def test_multiply_count_naive_inception_module():
    x = keras.Input((28, 28, 256))
    model = keras.Model(x, blocks.inception_module(x, 128, None, 192, None, 96, None))
    assert model.output.shape == (None, 28, 28, 672)
    expected = 28 * 28 * (128 * 1 * 256 + 192 * 9 * 256 + 96 * 25 * 256)
    assert layer_tables.multiply_count(model) == expected == 854_196_224


def test_multiply_count_depthwise_separable_course_example():
    """6x6x3, 3x3 filters, 5 outputs: 2,160 multiplies normally, 432 + 240 separably."""
    L = keras.layers
    normal = tiny((6, 6, 3), L.Conv2D(5, 3))
    separable = tiny((6, 6, 3), L.DepthwiseConv2D(3), L.Conv2D(5, 1))
    assert layer_tables.multiply_count(normal) == 2_160
    assert [r["multiplies"] for r in layer_tables.layer_table(separable)] == [0, 432, 240]
    assert layer_tables.multiply_count(
        keras.Sequential([keras.Input((6, 6, 3)), L.SeparableConv2D(5, 3)])
    )
    assert layer_tables.multiply_count(separable) == 672


@pytest.mark.parametrize("shape, filters, f", [((16, 16, 8), 32, 3), ((10, 12, 4), 6, 5)])
def test_depthwise_separable_cost_ratio(shape, filters, f):
    x = keras.Input(shape)
    block = keras.Model(x, blocks.depthwise_separable(x, filters, kernel_size=f))
    normal = tiny(shape, keras.layers.Conv2D(filters, f, padding="same"))
    ratio = Fraction(layer_tables.multiply_count(block), layer_tables.multiply_count(normal))
    assert ratio == Fraction(1, filters) + Fraction(1, f * f)


def test_multiply_count_dense_and_transposed_conv():
    L = keras.layers
    assert layer_tables.multiply_count(tiny((7,), L.Dense(3))) == 21
    assert layer_tables.multiply_count(tiny((4, 7), L.Dense(3))) == 4 * 21
    assert (
        layer_tables.multiply_count(tiny((3, 3, 2), L.Conv2DTranspose(4, 2, strides=2))) == 18 * 16
    )
    assert layer_tables.multiply_count(models.lenet5()) == 117_600 + 240_000 + 48_000 + 10_080 + 840


# ----------------------------------------------------------------------------- layer table


def test_layer_table_print_frame_and_sequential(capsys):
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.Flatten()]
    )
    rows = layer_tables.layer_table(model, print_table=True)
    printed = capsys.readouterr().out
    assert [r["activations"] for r in rows] == [192, 144, 144]
    assert [r["memory_bytes"] for r in rows] == [768, 576, 576]
    assert "total" in printed and "112" in printed  # 3*3*3*4 + 4 parameters
    assert layer_tables.layer_table(model, bytes_per_value=2)[1]["memory_bytes"] == 288
    pd = pytest.importorskip("pandas")
    frame = layer_tables.layer_table(model, as_frame=True)
    assert isinstance(frame, pd.DataFrame) and list(frame["params"]) == [0, 112, 0]


def test_layer_table_nested_model():
    inner = tiny((8, 8, 3), keras.layers.Conv2D(4, 3, name="c"))
    x = keras.Input((8, 8, 3))
    outer = keras.Model(x, keras.layers.Flatten(name="f")(inner(x)))
    names = [r["name"] for r in layer_tables.layer_table(outer)]
    assert f"{inner.name}/c" in names and "f" in names
    assert layer_tables.multiply_count(outer) == 6 * 6 * 4 * 27


# ----------------------------------------------------------------------------- bad input


def test_unbuilt_model_is_refused():
    with pytest.raises(ValueError, match="^model must be"):
        layer_tables.multiply_count(keras.Sequential([keras.layers.Dense(3)]))


# Found by tests/test_bad_input.py: None or a string escaped as TypeError.
@pytest.mark.parametrize("rows", [None, "abc", [None], [{"name": "x"}]])
def test_format_table_refuses_what_layer_table_does_not_return(rows):
    with pytest.raises(ValueError, match=r"^rows(\[0\])? must be "):
        layer_tables.format_table(rows)


def test_bad_byte_size_and_wrong_kind_are_refused_by_name():
    with pytest.raises(ValueError, match="^bytes_per_value must be"):
        layer_tables.layer_table(models.lenet5(), bytes_per_value=0)
    with pytest.raises(ArgumentTypeError):
        layer_tables.layer_table("model")
