"""Bad-input specs of `cvutils.filters`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


# --- filters
@spec("filters.convolve1d")
def _():
    return _mod("filters").convolve1d, dict(
        x=rng().normal(size=7), k=np.array([1.0, 0, -1]), mode="full"
    )


@spec("filters.correlate1d")
def _():
    return _mod("filters").correlate1d, dict(
        x=rng().normal(size=7), k=np.array([1.0, -1.0]), mode="same"
    )


def _image_6x6():
    return np.array([[10.0, 10, 10, 0, 0, 0]] * 6)


@spec("filters.convolve2d")
def _():
    f = _mod("filters")
    return f.convolve2d, dict(image=_image_6x6(), kernel=f.vertical_edge(), mode="valid")


@spec("filters.correlate2d")
def _():
    f = _mod("filters")
    return f.correlate2d, dict(
        image=_image_6x6(), kernel=f.vertical_edge(), mode="valid", pad=1, stride=2
    )


@spec("filters.flip_kernel")
def _():
    return _mod("filters").flip_kernel, dict(k=np.arange(9.0).reshape(3, 3))


@spec("filters.vertical_edge")
def _():
    return _mod("filters").vertical_edge, dict(size=3)


@spec("filters.horizontal_edge")
def _():
    return _mod("filters").horizontal_edge, dict(size=4)


@spec("filters.sobel")
def _():
    return _mod("filters").sobel, dict(direction="vertical")


@spec("filters.scharr")
def _():
    return _mod("filters").scharr, dict(direction="horizontal")


@spec("filters.gaussian_kernel")
def _():
    return _mod("filters").gaussian_kernel, dict(size=5, sigma=1.4)
