"""Hidden tests of notebooks/05_convnets_in_keras.ipynb (input shapes and classes unused there).

The references are the models' ``((layer class, output shape, parameters), ...)`` worked out
by hand from the course's architectures: output sizes from the padding and strides, parameter
counts from ``(f * f * n_C_prev + 1) * n_C``, ``4 n_C`` for batch normalization and
``(n_in + 1) * n_out`` for dense layers. The cases use other sizes, odd sides (where "same"
pooling rounds up), more channels and other numbers of classes.
"""

import math

from cvutils.grading.hidden import HiddenTest


def _happy_model_reference(input_shape=(25, 25, 1)):
    h, w, c = input_shape
    flat = (h // 2) * (w // 2) * 32
    return (
        ("ZeroPadding2D", (h + 6, w + 6, c), 0),
        ("Conv2D", (h, w, 32), (7 * 7 * c + 1) * 32),  # 7x7, stride 1, on the padded input
        ("BatchNormalization", (h, w, 32), 4 * 32),
        ("ReLU", (h, w, 32), 0),
        ("MaxPooling2D", (h // 2, w // 2, 32), 0),
        ("Flatten", (flat,), 0),
        ("Dense", (1,), flat + 1),
    )


def _happy_model_cases():
    return [
        ("happy_model(input_shape=(32, 20, 3))", (), {"input_shape": (32, 20, 3)}),
        ("happy_model((9, 9, 2))", ((9, 9, 2),), {}),
        ("happy_model((16, 31, 1))", ((16, 31, 1),), {}),
    ]


def _convolutional_model_reference(input_shape=(28, 28, 1), n_classes=10):
    h, w, c = input_shape
    h1, w1 = math.ceil(h / 8), math.ceil(w / 8)  # "same" 8x8 pooling, stride 8
    h2, w2 = math.ceil(h1 / 4), math.ceil(w1 / 4)  # "same" 4x4 pooling, stride 4
    flat = h2 * w2 * 16
    return (
        ("Conv2D", (h, w, 8), (4 * 4 * c + 1) * 8),
        ("ReLU", (h, w, 8), 0),
        ("MaxPooling2D", (h1, w1, 8), 0),
        ("Conv2D", (h1, w1, 16), (2 * 2 * 8 + 1) * 16),
        ("ReLU", (h1, w1, 16), 0),
        ("MaxPooling2D", (h2, w2, 16), 0),
        ("Flatten", (flat,), 0),
        ("Dense", (n_classes,), (flat + 1) * n_classes),
    )


def _convolutional_model_cases():
    return [
        ("convolutional_model((64, 64, 3), 6)", ((64, 64, 3), 6), {}),
        ("convolutional_model(n_classes=2)", (), {"n_classes": 2}),
        ("convolutional_model((30, 17, 2), n_classes=5)", ((30, 17, 2),), {"n_classes": 5}),
        ("convolutional_model((100, 40, 1), 3)", ((100, 40, 1), 3), {}),
    ]


TESTS = [
    HiddenTest(
        "happy_model",
        1,
        _happy_model_cases,
        _happy_model_reference,
        atol=0,
        rtol=0,
        kind="keras_model",
    ),
    HiddenTest(
        "convolutional_model",
        1,
        _convolutional_model_cases,
        _convolutional_model_reference,
        atol=0,
        rtol=0,
        kind="keras_model",
    ),
]
