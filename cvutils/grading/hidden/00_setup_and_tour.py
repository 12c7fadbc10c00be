"""Hidden tests of notebooks/00_setup_and_tour.ipynb (images the public check does not use).

The reference reads each pixel's value off a 256-entry table (``k -> k / 255``) instead of
dividing; the cases include the extremes 0 and 255, a single pixel and shapes unlike MNIST's.
"""

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _to_unit_range_reference(images):
    return np.linspace(0.0, 1.0, 256)[images]


def _to_unit_range_cases():
    r = np.random.default_rng(1)
    extremes = np.zeros((2, 3, 4), dtype=np.uint8)
    extremes[0] = 255
    return [
        ("to_unit_range(one white pixel)", (np.full((1, 1, 1), 255, dtype=np.uint8),), {}),
        ("to_unit_range(0 and 255)", (extremes,), {}),
        ("to_unit_range(random (3, 5, 7))", (r.integers(0, 256, (3, 5, 7), dtype=np.uint8),), {}),
        ("to_unit_range(random (8, 16, 9))", (r.integers(0, 256, (8, 16, 9), dtype=np.uint8),), {}),
    ]


TESTS = [
    HiddenTest("to_unit_range", 1, _to_unit_range_cases, _to_unit_range_reference, atol=1e-6),
]
