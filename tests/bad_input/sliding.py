"""Bad-input specs of `cvutils.sliding`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.boxes import _boxes4
from bad_input.registry import _mod, exempt, rng, spec


# --- sliding (notebook 12)
def _blob(side=8):
    r = (np.arange(side) + 0.5) / side - 0.5
    return np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 0.15**2))


def _blob_image():
    image = np.zeros((24, 24))
    image[4:12, 4:12] = _blob(8)
    return image


def _blob_score(x):
    return -np.mean((x[..., 0] - _blob(8)) ** 2, axis=(1, 2))


@spec("sliding.sliding_windows", aliases={"image": ["size"]})  # a window larger than the image
def _():
    return _mod("sliding").sliding_windows, dict(image=_blob_image(), size=8, stride=4)


# one stride per size; an image smaller than a window is refused naming the size
@spec("sliding.sliding_window_detect", aliases={"sizes": ["strides"], "image": ["sizes[0]"]})
def _():
    return _mod("sliding").sliding_window_detect, dict(
        score_fn=_blob_score,
        image=_blob_image(),
        sizes=[8, 16],
        strides=[4, 8],
        window=8,
        threshold=-0.01,
        iou_threshold=0.3,
        max_detections=10,
    )


@spec("sliding.dense_to_conv_weights", aliases={"kernel": ["input_shape"]})  # h * w * c = n_in
def _():
    return _mod("sliding").dense_to_conv_weights, dict(
        kernel=rng().normal(size=(12, 3)), input_shape=(2, 3, 2)
    )


@spec("sliding.nms", aliases={"boxes": ["scores"]})  # one score per box
def _():
    return _mod("sliding").nms, dict(
        boxes=_boxes4(),
        scores=np.array([0.9, 0.8, 0.7]),
        iou_threshold=0.5,
        score_threshold=0.1,
        max_detections=5,
    )


def _pr_args():
    return dict(
        pred_boxes=_boxes4(),
        true_boxes=_boxes4()[:2],
        scores=np.array([0.9, 0.8, 0.7]),
        iou_threshold=0.5,
        fmt="xyxy",
    )


for _fn in ("detection_counts", "precision_recall"):  # match_detections: cvutils.boxes
    # an emptied pred_boxes disagrees with the scores (one per box); NaN is the documented
    # precision of no detections and recall of no ground truth
    @spec(
        f"sliding.{_fn}",
        aliases={"pred_boxes": ["scores"]},
        nan_ok=("pred_boxes", "true_boxes"),
    )
    def _(_fn=_fn):
        return getattr(_mod("sliding"), _fn), _pr_args()


# a background at least size wide; a gap too large for the patches is refused naming size
@spec("sliding.make_collages", aliases={"size": ["background"], "gap": ["size"]})
def _():
    return _mod("sliding").make_collages, dict(
        targets=rng().uniform(size=(4, 5, 5)),
        distractors=rng(1).uniform(size=(3, 5, 5)),
        n_images=2,
        size=30,
        n_targets=2,
        n_distractors=1,
        scale_range=(1.0, 1.2),
        background=rng(2).uniform(size=(40, 40)),
        gap=1,
        seed=0,
    )


exempt("sliding.Collages", "a record that make_collages returns; learners read it")
exempt("sliding.Detections", "a record that sliding_window_detect returns; learners read it")
