"""Hidden tests of notebooks/04_convolution_step_by_step.ipynb (seeds and shapes unused there)."""

import numpy as np

from cvutils import conv
from cvutils.grading.hidden import HiddenTest


def _rng(seed):
    return np.random.default_rng(1000 + seed)


def _zero_pad():
    r = _rng(0)
    return [
        (f"zero_pad(X of {shape}, {pad})", (r.standard_normal(shape), pad), {})
        for shape, pad in [((2, 4, 5, 3), 1), ((1, 3, 3, 1), 0), ((3, 2, 6, 2), 2)]
    ]


def _conv_single_step():
    r = _rng(1)
    return [
        (
            f"conv_single_step on {shape}",
            (r.standard_normal(shape), r.standard_normal(shape), r.standard_normal((1, 1, 1))),
            {},
        )
        for shape in [(3, 3, 2), (1, 1, 5), (5, 5, 4)]
    ]


def _conv_forward():
    r = _rng(2)
    out = []
    for a_shape, w_shape, hp in [
        ((1, 6, 6, 3), (3, 3, 3, 2), {"pad": 1, "stride": 1}),
        ((2, 7, 5, 2), (2, 2, 2, 3), {"pad": 0, "stride": 2}),
        ((1, 5, 5, 1), (5, 5, 1, 1), {"pad": 2, "stride": 1}),
        ((2, 8, 9, 2), (3, 3, 2, 4), {"pad": 1, "stride": 3}),
    ]:
        args = (
            r.standard_normal(a_shape),
            r.standard_normal(w_shape),
            r.standard_normal((1, 1, 1, w_shape[3])),
            hp,
        )
        out.append((f"conv_forward A {a_shape}, W {w_shape}, {hp}", args, {}))
    return out


def _pool_forward():
    r = _rng(3)
    return [
        (
            f"pool_forward A {shape}, {hp}, mode={mode!r}",
            (r.standard_normal(shape), hp),
            {"mode": mode},
        )
        for shape, hp in [
            ((2, 6, 7, 2), {"f": 2, "stride": 1}),
            ((1, 9, 9, 3), {"f": 3, "stride": 3}),
            ((3, 8, 6, 1), {"f": 4, "stride": 2}),
        ]
        for mode in ["max", "average"]
    ]


def _conv_backward():
    r = _rng(4)
    out = []
    for a_shape, w_shape, hp in [
        ((2, 5, 6, 2), (3, 3, 2, 3), {"pad": 1, "stride": 1}),
        ((1, 7, 7, 3), (3, 3, 3, 2), {"pad": 0, "stride": 2}),
        ((3, 4, 4, 1), (2, 2, 1, 4), {"pad": 2, "stride": 3}),
    ]:
        A, W = r.standard_normal(a_shape), r.standard_normal(w_shape)
        Z, cache = conv.conv_forward(A, W, r.standard_normal((1, 1, 1, w_shape[3])), hp)
        out.append(
            (
                f"conv_backward A {a_shape}, W {w_shape}, {hp}",
                (r.standard_normal(Z.shape), cache),
                {},
            )
        )
    return out


def _create_mask_from_window():
    r = _rng(5)
    return [
        ("create_mask_from_window 3x3", (r.standard_normal((3, 3)),), {}),
        ("create_mask_from_window 4x2", (r.standard_normal((4, 2)),), {}),
        ("create_mask_from_window of integers", (np.array([[5, -1], [7, 2], [0, 3]]),), {}),
    ]


def _distribute_value():
    return [
        ("distribute_value(5, (3, 3))", (5.0, (3, 3)), {}),
        ("distribute_value(-1.5, (1, 4))", (-1.5, (1, 4)), {}),
        ("distribute_value(0.7, (4, 2))", (0.7, (4, 2)), {}),
    ]


def _pool_backward():
    r = _rng(6)
    out = []
    for shape, hp in [
        ((2, 4, 6, 3), {"f": 2, "stride": 2}),
        ((1, 7, 7, 2), {"f": 3, "stride": 2}),
        ((2, 5, 4, 1), {"f": 2, "stride": 1}),
    ]:
        for mode in ["max", "average"]:
            A, cache = conv.pool_forward(r.standard_normal(shape), hp, mode=mode)
            out.append(
                (
                    f"pool_backward A {shape}, {hp}, mode={mode!r}",
                    (r.standard_normal(A.shape), cache),
                    {"mode": mode},
                )
            )
    return out


def _forbidden(name):
    naive = f"{name}_naive"  # the four-loop teaching version, where the package has one
    return (f"cvutils.conv.{name}",) + ((f"cvutils.conv.{naive}",) if hasattr(conv, naive) else ())


TESTS = [
    HiddenTest("zero_pad", 1, _zero_pad, conv.zero_pad, _forbidden("zero_pad")),
    HiddenTest(
        "conv_single_step",
        1,
        _conv_single_step,
        conv.conv_single_step,
        _forbidden("conv_single_step"),
    ),
    HiddenTest(
        "conv_forward", 2, _conv_forward, conv.conv_forward, _forbidden("conv_forward"), select=0
    ),
    HiddenTest(
        "pool_forward", 2, _pool_forward, conv.pool_forward, _forbidden("pool_forward"), select=0
    ),
    HiddenTest("conv_backward", 3, _conv_backward, conv.conv_backward, _forbidden("conv_backward")),
    HiddenTest(
        "create_mask_from_window",
        1,
        _create_mask_from_window,
        conv.create_mask_from_window,
        _forbidden("create_mask_from_window"),
    ),
    HiddenTest(
        "distribute_value",
        1,
        _distribute_value,
        conv.distribute_value,
        _forbidden("distribute_value"),
    ),
    HiddenTest("pool_backward", 2, _pool_backward, conv.pool_backward, _forbidden("pool_backward")),
]
