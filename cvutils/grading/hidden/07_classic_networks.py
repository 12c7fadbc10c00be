"""Hidden tests of notebooks/07_classic_networks.ipynb (layer sizes and chains unused there).

The references are independent of the learner's formulas: Keras layers count the parameters,
LeNet-5 is written out here and compared by its outputs with shared seeded weights, receptive
fields are traced back to the input.
"""

import keras
import numpy as np

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


def _lenet5_reference(batch, input_shape=(32, 32, 1), classes=10):
    """The course's LeNet-5 (tanh, average pooling, softmax), written out here, on ``batch``.

    Its weights are seeded by position (`seeded_outputs`), as the learner's are, so a ReLU
    for a tanh, max for average pooling or another layer order changes the outputs.
    """

    from cvutils.grading._harness import seeded_outputs

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="tanh"),
            layers.Dense(84, activation="tanh"),
            layers.Dense(classes, activation="softmax"),
        ]
    )
    return seeded_outputs(model, batch)


def _lenet5_cases():
    rng = np.random.default_rng(5)
    return [
        (
            f"lenet5_course({args}, {kwargs}) on a batch of {shape} with shared weights",
            (rng.uniform(0, 1, (3, *shape)).astype("float32"), *args),
            kwargs,
        )
        for shape, args, kwargs in [
            ((28, 28, 1), (), {"input_shape": (28, 28, 1), "classes": 5}),
            ((36, 44, 3), ((36, 44, 3), 7), {}),
            ((32, 32, 1), (), {"classes": 2}),
        ]
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
        atol=1e-5,
        rtol=1e-4,
        kind="keras_model_outputs",
    ),
    HiddenTest(
        "receptive_field",
        3,
        _receptive_field_cases,
        _receptive_field_reference,
        ("cvutils.interpret.receptive_field",),
        atol=0,
        rtol=0,
        upstream="",  # the package's function takes a model
    ),
]
