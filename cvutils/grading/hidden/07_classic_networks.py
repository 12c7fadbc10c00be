"""Hidden tests of notebooks/07_classic_networks.ipynb (layer sizes and chains unused there).

The references are independent of the learner's formulas: Keras layers count the parameters,
LeNet-5's summary is worked out layer by layer, receptive fields are traced back to the input.
"""

import keras

from cvutils.grading.hidden import HiddenTest


def _conv_params_reference(f, n_c_prev, n_c):
    layer = keras.layers.Conv2D(n_c, f)
    layer.build((None, f + 1, f + 1, n_c_prev))
    return layer.count_params()


def _conv_params_cases():
    return [
        (f"conv_params({f}, {c}, {n})", (f, c, n), {})
        for f, c, n in [(3, 64, 128), (1, 256, 64), (7, 3, 64), (13, 2, 1), (2, 17, 5), (9, 9, 9)]
    ]


def _lenet5_reference(input_shape=(32, 32, 1), classes=10):
    """LeNet-5's ((layer class, output shape, parameters), ...) worked out by hand."""
    h, w, c = input_shape
    h1, w1 = h - 4, w - 4  # C1: 6 valid 5x5 filters
    h2, w2 = h1 // 2, w1 // 2  # S2: 2x2 average pooling
    h3, w3 = h2 - 4, w2 - 4  # C3: 16 valid 5x5 filters
    h4, w4 = h3 // 2, w3 // 2  # S4
    flat = h4 * w4 * 16
    return (
        ("Conv2D", (h1, w1, 6), (5 * 5 * c + 1) * 6),
        ("AveragePooling2D", (h2, w2, 6), 0),
        ("Conv2D", (h3, w3, 16), (5 * 5 * 6 + 1) * 16),
        ("AveragePooling2D", (h4, w4, 16), 0),
        ("Flatten", (flat,), 0),
        ("Dense", (120,), (flat + 1) * 120),
        ("Dense", (84,), (120 + 1) * 84),
        ("Dense", (classes,), (84 + 1) * classes),
    )


def _lenet5_cases():
    return [
        (
            "lenet5_course(input_shape=(28, 28, 1), classes=5)",
            (),
            {"input_shape": (28, 28, 1), "classes": 5},
        ),
        ("lenet5_course((36, 44, 3), 7)", ((36, 44, 3), 7), {}),
        ("lenet5_course(classes=2)", (), {"classes": 2}),
    ]


def _receptive_field_reference(kernel_sizes, strides):
    """Traces the input pixels that one output unit of each prefix of the chain sees."""
    sizes = []
    for n in range(1, len(kernel_sizes) + 1):
        lo, hi = 0, 0  # one unit of layer n
        for k, s in zip(reversed(kernel_sizes[:n]), reversed(strides[:n]), strict=True):
            lo, hi = lo * s, hi * s + k - 1
        sizes.append(hi - lo + 1)
    return sizes


def _receptive_field_cases():
    return [
        (f"receptive_field({k}, {s})", (k, s), {})
        for k, s in [
            ([3, 2, 3, 2, 3], [1, 2, 1, 2, 1]),
            ([1, 1], [1, 1]),
            ([5, 3, 3], [2, 2, 2]),
            ([2, 2, 2, 2], [2, 2, 2, 2]),
            ([7, 3, 1, 3], [2, 2, 1, 1]),
        ]
    ]


TESTS = [
    HiddenTest("conv_params", 2, _conv_params_cases, _conv_params_reference, atol=0, rtol=0),
    HiddenTest(
        "lenet5_course",
        4,
        _lenet5_cases,
        _lenet5_reference,
        ("cvutils.models.lenet5",),
        atol=0,
        rtol=0,
        kind="keras_model",
    ),
    HiddenTest(
        "receptive_field",
        3,
        _receptive_field_cases,
        _receptive_field_reference,
        ("cvutils.interpret.receptive_field",),
        atol=0,
        rtol=0,
    ),
]
