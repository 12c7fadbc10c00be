"""Bad-input specs of `cvutils.augment`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


# --- augment, plotting
@spec("augment.shift_images")
def _():
    return _mod("augment").shift_images, dict(images=rng().random((2, 6, 6)), dy=1, dx=-2, fill=0)


# --- notebook 14: detection augmentation (augment) and yolo training helpers
def _det_inputs():
    return dict(
        image=rng().random((16, 16, 3)).astype(np.float32),
        boxes=np.array([[2.0, 3.0, 9.0, 10.0], [0.0, 0.0, 0.0, 0.0]], np.float32),
        class_ids=np.array([1, -1]),
    )


@spec("augment.pad_crop_flip")
def _():
    return _mod("augment").pad_crop_flip, dict(
        image=rng().random((8, 8, 3)).astype("float32"),
        seed=np.array([1, 2]),
        pad=2,
        cutout=3,
        pad_mode="reflect",
    )


@spec("augment.training_batches", aliases={"images": ["labels"]}, costly=True)
def _():
    return _mod("augment").training_batches, dict(
        images=rng().random((6, 8, 8, 1)).astype("float32"),
        labels=np.arange(6),
        batch_size=2,
        seed=0,
        pad=2,
        cutout=0,
        pad_mode="constant",
        augment=True,
        repeat=False,
    )


@spec("augment.random_flip_boxes", aliases={"boxes": ["class_ids"]})
def _():
    return _mod("augment").random_flip_boxes, dict(
        **_det_inputs(), seed=np.array([1, 2]), probability=0.5
    )


@spec("augment.scale_translate_boxes", aliases={"boxes": ["class_ids"]})
def _():
    return _mod("augment").scale_translate_boxes, dict(
        **_det_inputs(),
        scale=1.2,
        shift=(2.0, -1.0),
        min_visible=0.5,
        fill=0.0,
        interpolation="bilinear",
    )


@spec("augment.random_scale_translate", aliases={"boxes": ["class_ids"]})
def _():
    return _mod("augment").random_scale_translate, dict(
        **_det_inputs(),
        seed=np.array([1, 2]),
        scale_range=(0.8, 1.2),
        max_shift=0.2,
        min_visible=0.5,
    )
