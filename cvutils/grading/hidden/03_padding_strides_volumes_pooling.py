"""Hidden tests of notebooks/03_padding_strides_volumes_pooling.ipynb (sizes unused there).

The references do not use the formula the learner writes: the output size counts the
positions where the filter fits in the padded input, and pooling reduces NumPy's
`sliding_window_view` of the input, every ``s``-th window. The cases include a filter as
large as the padded input, strides that leave pixels over, 1x1 pooling, keyword arguments
and the default mode.
"""

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _output_size_reference(n, f, p=0, s=1):
    return len(range(0, n + 2 * p - f + 1, s))


def _output_size_cases():
    sizes = [(10, 4, 0, 3), (1, 1, 0, 1), (224, 7, 3, 2), (15, 5, 2, 4), (9, 9, 0, 1)]
    cases = [(f"output_size{c}", c, {}) for c in sizes]
    cases += [
        ("output_size(100, 3, p=1, s=7)", (100, 3), {"p": 1, "s": 7}),
        ("output_size(4, 6, p=1)", (4, 6), {"p": 1}),
        ("output_size(13, 2, s=2)", (13, 2), {"s": 2}),
    ]
    return cases


def _pool2d_reference(x, f, s, mode="max"):
    windows = np.lib.stride_tricks.sliding_window_view(x, (f, f))[::s, ::s]
    return windows.max(axis=(2, 3)) if mode == "max" else windows.mean(axis=(2, 3))


def _pool2d_cases():
    r = np.random.default_rng(303)
    return [
        ("pool2d(6x8, 2, 2, 'max')", (r.standard_normal((6, 8)), 2, 2, "max"), {}),
        ("pool2d(5x5, 5, 1, 'average')", (r.standard_normal((5, 5)), 5, 1, "average"), {}),
        (
            "pool2d(9x7, 3, 3, mode='average')",
            (r.standard_normal((9, 7)), 3, 3),
            {"mode": "average"},
        ),
        ("pool2d(4x10, 1, 2) (default mode)", (r.standard_normal((4, 10)), 1, 2), {}),
        ("pool2d(8x8, 3, 1, 'max')", (r.standard_normal((8, 8)), 3, 1, "max"), {}),
        ("pool2d(11x6, 4, 3, 'average')", (r.standard_normal((11, 6)), 4, 3, "average"), {}),
    ]


TESTS = [
    HiddenTest(
        "output_size",
        1,
        _output_size_cases,
        _output_size_reference,
        ("cvutils.conv.conv_output_size",),
        atol=0,
        rtol=0,
    ),
    HiddenTest(
        "pool2d",
        1,
        _pool2d_cases,
        _pool2d_reference,
        ("cvutils.conv.pool_forward", "cvutils.conv.pool_forward_naive"),
        atol=1e-12,
    ),
]
