"""Bad-input specs of `cvutils.boxes`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, spec


# --- boxes, nms, draw (the detection modules: notebooks 12 and 13)
def _boxes4():
    return np.array([[0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 5.0, 5.0], [6.0, 6.0, 9.0, 8.0]])


@spec("boxes.check_boxes")
def _():
    return _mod("boxes").check_boxes, dict(name="boxes", boxes=_boxes4(), fmt="xyxy", ndim=2)


@spec("boxes.convert_boxes")
def _():
    return _mod("boxes").convert_boxes, dict(boxes=_boxes4(), source="xyxy", target="center_xywh")


@spec("boxes.iou")
def _():
    return _mod("boxes").iou, dict(box1=_boxes4()[0], box2=_boxes4()[1], fmt="xyxy")


# an emptied pred_boxes disagrees with the scores (one per box)
@spec("boxes.match_detections", aliases={"pred_boxes": ["scores"]})
def _():
    return _mod("boxes").match_detections, dict(
        pred_boxes=_boxes4(),
        true_boxes=_boxes4()[:2],
        scores=np.array([0.9, 0.8, 0.7]),
        iou_threshold=0.5,
        fmt="xyxy",
    )


@spec("boxes.pairwise_iou")
def _():
    return _mod("boxes").pairwise_iou, dict(boxes1=_boxes4(), boxes2=_boxes4()[:2], fmt="xyxy")


@spec("boxes.to_pixels")
def _():
    return _mod("boxes").to_pixels, dict(boxes=_boxes4() / 10, image_shape=(20, 30), fmt="xyxy")


@spec("boxes.to_relative")
def _():
    return _mod("boxes").to_relative, dict(boxes=_boxes4(), image_shape=(20, 30), fmt="xyxy")
