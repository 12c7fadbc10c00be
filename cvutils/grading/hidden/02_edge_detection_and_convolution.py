"""Hidden tests of notebooks/02_edge_detection_and_convolution.ipynb (shapes unused there).

The reference is SciPy's valid cross-correlation. The cases include a kernel as large as the
image (one output), one-row and one-column kernels, the course's 6x6 image with its vertical
edge detector (given as nested lists, which the exercise converts), and integer pixels.
"""

import numpy as np
import scipy.signal

from cvutils.grading.hidden import HiddenTest


def _correlate2d_reference(image, kernel):
    return scipy.signal.correlate2d(
        np.asarray(image, dtype=float), np.asarray(kernel, dtype=float), mode="valid"
    )


def _correlate2d_cases():
    r = np.random.default_rng(202)
    course = [[10, 10, 10, 0, 0, 0]] * 6  # bright left half: a vertical edge in the middle
    vertical = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
    return [
        ("correlate2d_loops(course 6x6 image, vertical edge)", (course, vertical), {}),
        (
            "correlate2d_loops(5x4 image, 5x4 kernel)",
            (r.standard_normal((5, 4)), r.standard_normal((5, 4))),
            {},
        ),
        (
            "correlate2d_loops(6x8 image, 1x3 kernel)",
            (r.standard_normal((6, 8)), r.standard_normal((1, 3))),
            {},
        ),
        (
            "correlate2d_loops(9x5 image, 4x1 kernel)",
            (r.standard_normal((9, 5)), r.standard_normal((4, 1))),
            {},
        ),
        (
            "correlate2d_loops(integer 10x12 image, 3x5 kernel)",
            (r.integers(0, 256, (10, 12)), r.integers(-2, 3, (3, 5))),
            {},
        ),
    ]


TESTS = [
    HiddenTest(
        "correlate2d_loops",
        1,
        _correlate2d_cases,
        _correlate2d_reference,
        ("cvutils.filters.correlate2d", "cvutils.filters.convolve2d"),
        atol=1e-9,
    ),
]
