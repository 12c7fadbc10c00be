"""Bad-input specs of `cvutils.draw`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.boxes import _boxes4
from bad_input.registry import _mod, rng, spec


# an emptied boxes array disagrees with class_ids and scores (one per box); ids beyond the
# class names are refused naming class_names
@spec(
    "draw.draw_boxes",
    aliases={"boxes": ["class_ids", "scores"], "class_ids": ["class_names"]},
)
def _():
    return _mod("draw").draw_boxes, dict(
        image=rng().random((10, 10, 3)),
        boxes=_boxes4(),
        fmt="xyxy",
        class_ids=np.array([0, 1, 0]),
        class_names=["a", "b"],
        scores=np.array([0.9, 0.8, 0.7]),
        keypoints=None,
        ax=None,
    )


@spec("draw.overlay_mask")
def _():
    return _mod("draw").overlay_mask, dict(
        image=rng().random((6, 6, 3)), mask=np.arange(36).reshape(6, 6) % 3, alpha=0.5
    )
