"""Bad-input specs of `cvutils.nms`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.boxes import _boxes4
from bad_input.registry import _mod, spec


# an emptied boxes array disagrees with the scores: the message names scores and its length
@spec("nms.non_max_suppression", aliases={"boxes": ["scores"]})
def _():
    return _mod("nms").non_max_suppression, dict(
        boxes=_boxes4(),
        scores=np.array([0.9, 0.8, 0.7]),
        max_output_size=2,
        iou_threshold=0.5,
        score_threshold=0.1,
        inclusive=False,
    )


@spec("nms.per_class_non_max_suppression", aliases={"boxes": ["scores"]})
def _():
    return _mod("nms").per_class_non_max_suppression, dict(
        boxes=_boxes4(),
        scores=np.array([0.9, 0.8, 0.7]),
        classes=np.array([0, 1, 0]),
        max_output_size=3,
        iou_threshold=0.5,
        score_threshold=0.1,
        inclusive=False,
    )
