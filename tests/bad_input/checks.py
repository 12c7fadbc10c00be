"""Bad-input specs of `cvutils.checks`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, exempt, spec

# --- checks: the value and the name are corrupted (a non-string name is refused by name);
# the options are the calling module's own constants, not learner input.
CHECK_OPTIONS = ("minimum", "maximum", "low", "high", "choices", "ndim", "n_classes")


@spec("checks.check_int", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_int, dict(name="n", value=3, minimum=0, maximum=10)


@spec("checks.check_real", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_real, dict(name="x", value=0.5, low=0.0, high=1.0)


# only the names are corrupted: the values pass through unchecked (the caller checks them)
@spec("checks.check_renamed", skip=("value", "default", "old_value"))
def _():
    return _mod("checks").check_renamed, dict(
        name="n_classes", value=3, default=10, old_name="classes", old_value=None
    )


@spec("checks.check_bool", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_bool, dict(name="flag", value=True)


@spec("checks.check_choice", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_choice, dict(name="mode", value="max", choices=("max", "avg"))


@spec("checks.check_str", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_str, dict(name="s", value="abc")


@spec("checks.check_callable", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_callable, dict(name="f", value=print)


@spec("checks.check_path", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_path, dict(name="path", value="some/file.txt")


@spec("checks.check_filename", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_filename, dict(name="filename", value="a.npz")


@spec("checks.check_array", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_array, dict(name="X", x=np.ones((2, 3)), ndim=2)


@spec("checks.check_labels", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_labels, dict(name="y", y=np.array([0, 1, 2]), n_classes=3)


@spec("checks.check_same_length")
def _():
    return _mod("checks").check_same_length, dict(name_a="a", a=[1, 2], name_b="b", b=[3, 4])


@spec("checks.check_shape", skip=CHECK_OPTIONS)
def _():
    return _mod("checks").check_shape, dict(name="input_shape", value=(8, 8, 3), ndim=3)


# a tensor check converts; finiteness is the caller's (graph losses propagate NaN as Keras does)
@spec("checks.check_tensor", skip=("name", "dtype"), propagates=("x",))
def _():
    return _mod("checks").check_tensor, dict(name="y_pred", x=np.ones((2, 3)), dtype=None)


@spec("checks.check_float_tensor", skip=("name",), propagates=("x",))
def _():
    return _mod("checks").check_float_tensor, dict(name="y_pred", x=np.ones((2, 3)))


# a and b are the calling module's own tensors, already converted; only their shapes differ
@spec("checks.check_same_shape", skip=("a", "b"))
def _():
    return _mod("checks").check_same_shape, dict(
        name_a="y_true", a=np.ones((2, 3)), name_b="y_pred", b=np.ones((2, 3))
    )


@spec("checks.check_size", skip=("maximum", "what", "detail"))
def _():
    return _mod("checks").check_size, dict(name="filters", count=3 * 3 * 64 * 8)


exempt("checks.describe", "formats any value for a message; every value is valid input")
exempt("checks.fail", "raises by design")
