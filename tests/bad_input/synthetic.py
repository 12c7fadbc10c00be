"""Bad-input specs of `cvutils.synthetic`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bad_input.registry import TMP, _mod, exempt, spec

# --- synthetic (notebooks 13-15)
_SHAPES: dict[str, Any] = {}


def _shapes():
    if "data" not in _SHAPES:
        _SHAPES["data"] = _mod("synthetic").make_shapes(3, image_size=32, seed=0)
    return _SHAPES["data"]


@spec("synthetic.make_shapes")
def _():
    return _mod("synthetic").make_shapes, dict(
        n_images=2,
        image_size=32,
        max_objects=2,
        min_objects=1,
        classes=("circle", "square"),
        size_range=(0.2, 0.4),
        max_overlap=0.3,
        backgrounds=("brick", "grass"),
        box_format="xyxy",
        seed=0,
    )


exempt("synthetic.ShapesData", "a record that make_shapes and read_coco return")


@spec("synthetic.ShapesData.objects")
def _():
    return _shapes().objects, dict(i=1)


@spec("synthetic.to_tf_dataset")
def _():
    return _mod("synthetic").to_tf_dataset, dict(
        data=_shapes(), batch_size=2, shuffle=True, seed=0, targets=np.zeros((3, 4))
    )


@spec("synthetic.write_coco")
def _():
    return _mod("synthetic").write_coco, dict(
        data=_shapes(), directory=TMP / "coco_out", name="annotations.json"
    )


def _coco_file() -> Path:
    path = TMP / "coco_in" / "annotations.json"
    if not path.exists():
        _mod("synthetic").write_coco(_shapes(), path.parent)
    return path


@spec("synthetic.read_coco")
def _():
    return _mod("synthetic").read_coco, dict(path=_coco_file(), box_format="xyxy")


# --- notebook 19 (1D and 3D convolutions): synthetic signals, volumes and videos
@spec("synthetic.ecg_like")
def _():
    return _mod("synthetic").ecg_like, dict(
        n_samples=300, fs=250.0, heart_rate=72.0, noise=0.1, seed=0
    )


@spec("synthetic.make_volumes")
def _():
    return _mod("synthetic").make_volumes, dict(
        n=3, size=8, classes=("sphere", "torus"), noise=0.1, seed=0
    )


@spec("synthetic.make_moving_shapes")
def _():
    return _mod("synthetic").make_moving_shapes, dict(
        n=3,
        frames=4,
        size=8,
        square=2,
        directions=("up", "left"),
        noise=0.1,
        seed=0,
        boundary="inside",
    )
