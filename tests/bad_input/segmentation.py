"""Bad-input specs of `cvutils.segmentation`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


def _label_masks(n=3):
    t = rng().integers(0, n, (2, 4, 4))
    return t, np.where(rng(1).uniform(size=t.shape) < 0.5, t, rng(2).integers(0, n, t.shape))


@spec("segmentation.create_mask")
def _():
    return _mod("segmentation").create_mask, dict(pred_mask=rng().normal(size=(2, 4, 4, 3)))


@spec("segmentation.pixel_accuracy")
def _():
    t, p = _label_masks()
    return _mod("segmentation").pixel_accuracy, dict(y_true=t, y_pred=p)


for _metric in ("confusion_matrix", "per_class_iou", "mean_iou"):

    @spec(f"segmentation.{_metric}")
    def _(_metric=_metric):
        t, p = _label_masks()
        return getattr(_mod("segmentation"), _metric), dict(y_true=t, y_pred=p, n_classes=3)
