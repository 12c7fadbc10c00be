"""Hidden tests of notebooks/09_network_in_network_inception_mobilenet.ipynb.

Shapes, channel counts and strides the public checks do not use. The references are
independent of the learner's formulas: an einsum for the 1x1 convolution, Keras layers counted
by `cvutils.models.multiply_count` for the costs, and the MobileNet v2 block's parameters and
shapes worked out by hand.
"""

import keras
import numpy as np

from cvutils import models
from cvutils.grading.hidden import HiddenTest


def _conv1x1_reference(A, W, b):
    return np.einsum("mhwc,cd->mhwd", A, W[0, 0]) + b.reshape(1, 1, 1, -1)


def _conv1x1_cases():
    r = np.random.default_rng(9001)
    return [
        (
            f"conv1x1(A of {a}, W of (1, 1, {a[3]}, {n}))",
            (
                r.standard_normal(a),
                r.standard_normal((1, 1, a[3], n)),
                r.standard_normal((1, 1, 1, n)),
            ),
            {},
        )
        for a, n in [((1, 3, 4, 5), 2), ((3, 1, 1, 8), 8), ((2, 6, 2, 1), 3)]
    ]


def _one_conv(shape, layer):
    x = keras.Input(shape)
    return keras.Model(x, layer(x))


def _conv_multiplies_reference(n_h, n_w, n_c_prev, f, n_c):
    model = _one_conv((n_h, n_w, n_c_prev), keras.layers.Conv2D(n_c, f, padding="same"))
    return models.multiply_count(model)


def _conv_multiplies_cases():
    return [
        (f"conv_multiplies{args}", args, {})
        for args in [(7, 9, 3, 3, 5), (1, 1, 512, 1, 1000), (14, 14, 480, 5, 48), (10, 6, 2, 7, 3)]
    ]


def _ratio_reference(n_c, f, n_c_prev=4):
    shape = (9, 9, n_c_prev)
    normal = _one_conv(shape, keras.layers.Conv2D(n_c, f, padding="same"))
    separable = _one_conv(shape, keras.layers.SeparableConv2D(n_c, f, padding="same"))
    return models.multiply_count(separable) / models.multiply_count(normal)


def _ratio_cases():
    return [
        (f"depthwise_separable_cost_ratio({n_c}, {f})", (n_c, f), {})
        for n_c, f in [(1, 3), (256, 3), (32, 5), (7, 1), (1000, 9)]
    ]


def _inverted_residual_reference(batch, expansion, filters, stride):
    """The package's MobileNet v2 block, with the same seeded weights, on the same batch.

    (Its parameter counts are checked against `keras.applications.MobileNetV2` in the tests.)
    """
    from cvutils import blocks
    from cvutils.grading._harness import block_model, seeded_outputs

    model = block_model(blocks.inverted_residual, batch.shape[1:], expansion, filters, stride)
    return seeded_outputs(model, batch)


def _inverted_residual_cases():
    rng = np.random.default_rng(9)
    return [
        (
            f"inverted_residual_block on a batch of {shape}, t={t}, filters={c}, stride={s}",
            (rng.uniform(-1, 1, (2, *shape)).astype("float32"), t, c, s),
            {},
        )
        for shape, t, c, s in [
            ((12, 12, 8), 6, 8, 1),  # residual
            ((15, 13, 12), 4, 20, 2),  # odd sides, stride 2
            ((9, 11, 32), 1, 32, 1),  # no expansion, residual
            ((8, 8, 16), 3, 24, 1),  # channels change
            ((7, 7, 6), 1, 10, 2),  # no expansion, stride 2
        ]
    ]


TESTS = [
    HiddenTest(
        "conv1x1",
        2,
        _conv1x1_cases,
        _conv1x1_reference,
        ("cvutils.conv.conv_forward", "cvutils.conv.conv_forward_naive"),
        atol=1e-10,
    ),
    HiddenTest(
        "conv_multiplies",
        2,
        _conv_multiplies_cases,
        _conv_multiplies_reference,
        ("cvutils.models.multiply_count",),
        atol=0,
        rtol=0,
    ),
    HiddenTest(
        "depthwise_separable_cost_ratio",
        2,
        _ratio_cases,
        _ratio_reference,
        ("cvutils.models.multiply_count",),
        atol=1e-12,
        rtol=1e-9,
    ),
    HiddenTest(
        "inverted_residual_block",
        3,
        _inverted_residual_cases,
        _inverted_residual_reference,
        ("cvutils.blocks.inverted_residual",),
        atol=1e-5,
        rtol=1e-4,
        kind="keras_block_outputs",
    ),
]
