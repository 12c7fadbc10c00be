"""Tests of cvutils.models.tiny_yolo (notebooks/13_yolo_building_blocks.ipynb)."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
from layer_harness import run_block_test

from cvutils.checks import ArgumentTypeError
from cvutils.models import tiny_yolo
from cvutils.synthetic import make_shapes
from cvutils.yolo import YoloLoss, encode_targets, yolo_head


def conv_params(f, n_in, n_out, bias=False):
    return f * f * n_in * n_out + (n_out if bias else 0)


@pytest.mark.parametrize(
    "input_shape, filters, head, anchors, classes",
    [((64, 64, 3), (8, 16, 32, 64), 64, 2, 3), ((32, 48, 1), (4, 8), 16, 3, 5)],
)
def test_shapes_and_parameters_by_formula(input_shape, filters, head, anchors, classes):
    model = tiny_yolo(input_shape, anchors, classes, filters, head)
    stride = 2 ** len(filters)
    depth = anchors * (5 + classes)
    assert model.output_shape == (None, input_shape[0] // stride, input_shape[1] // stride, depth)
    chans = [input_shape[2], *filters, head]
    convs = sum(conv_params(3, a, b) for a, b in itertools.pairwise(chans))
    bns = 4 * sum(chans[1:])
    assert model.count_params() == convs + bns + conv_params(1, head, depth, bias=True)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert non_trainable == 2 * sum(chans[1:])
    assert model.get_layer("yolo_output").dtype_policy.compute_dtype == "float32"


def test_default_is_the_notebook_model():
    model = tiny_yolo()
    assert model.output_shape == (None, 4, 4, 16) and model.count_params() == 63048


def test_harness():
    run_block_test(
        lambda x, **kw: tiny_yolo(tuple(x.shape[1:]), **kw)(x),
        dict(num_anchors=2, n_classes=3, filters=(4, 8), head_filters=8),
        (2, 16, 16, 3),
        (2, 4, 4, 16),
        expected_num_trainable_params=108 + 8 + 288 + 16 + 576 + 16 + 9 * 16,
        expected_num_non_trainable_params=2 * (4 + 8 + 8),
        # the output layer is float32 on purpose (a stable loss under mixed_float16), which
        # the harness's mixed-precision check reads as a float16 block that leaked float32
        run_mixed_precision_check=False,
    )


def test_trains_with_yolo_loss_and_round_trips_its_anchors(tmp_path):
    keras.utils.set_random_seed(0)
    data = make_shapes(8, image_size=32, max_objects=2, seed=0)
    anchors = [[0.8, 0.8], [1.5, 1.5]]
    y = np.stack(
        [
            encode_targets(o["boxes"], o["class_ids"], anchors, (4, 4), 3, (32, 32))
            for o in (data.objects(i) for i in range(len(data)))
        ]
    )
    x = data.images.astype("float32") / 255
    model = tiny_yolo((32, 32, 3), 2, 3, filters=(4, 8, 8), head_filters=8)
    model.compile(keras.optimizers.Adam(1e-2), loss=YoloLoss(anchors, 3))
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    decoded = yolo_head(model.predict(x, verbose=0), anchors, 3)
    assert [tuple(t.shape) for t in decoded] == [
        (8, 4, 4, 2, 2),
        (8, 4, 4, 2, 2),
        (8, 4, 4, 2, 1),
        (8, 4, 4, 2, 3),
    ]
    path = tmp_path / "tiny_yolo_shapes.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.loss, YoloLoss)
    np.testing.assert_allclose(loaded.loss.anchors, anchors)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(input_shape=(60, 64, 3)), ValueError, "^input_shape must be .* multiples of 16"),
        (dict(input_shape=(8, 64, 3)), ValueError, "^input_shape must be at least 16x16"),
        (dict(input_shape=(64, 64)), ValueError, "input_shape"),
        (dict(num_anchors=0), ValueError, "num_anchors must be"),
        (dict(n_classes=1.5), ArgumentTypeError, "n_classes must be"),
        (dict(filters=()), ArgumentTypeError, "filters must be"),
        (dict(filters="16"), ArgumentTypeError, "filters must be"),
        (dict(filters=(8, -1)), ValueError, "filters\\[1\\] must be"),
        (dict(head_filters=0), ValueError, "head_filters must be"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        tiny_yolo(**kwargs)


def test_a_numpy_shape_is_a_shape():
    assert tiny_yolo(np.array([32, 48, 1]), filters=(4, 8)).output_shape == (None, 8, 12, 16)
