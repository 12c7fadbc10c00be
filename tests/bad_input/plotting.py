"""Bad-input specs of `cvutils.plotting`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


@spec("plotting.image_grid")
def _():
    return _mod("plotting").image_grid, dict(
        images=rng().random((3, 5, 5)),
        titles=["a", "b", "c"],
        ncols=2,
        cmap="gray",
        size=1.0,
        suptitle="t",
    )


@spec("plotting.show_matrix")
def _():
    return _mod("plotting").show_matrix, dict(
        matrix=np.arange(6.0).reshape(2, 3), title="m", fmt="{:g}", cmap="coolwarm", ax=None
    )


@spec("plotting.plot_history")
def _():
    hist = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
    return _mod("plotting").plot_history, dict(history=hist, metrics=["loss"])


@spec("plotting.confusion_matrix")
def _():
    return _mod("plotting").confusion_matrix, dict(
        y_true=np.array([0, 1, 2, 2]), y_pred=np.array([0, 2, 2, 1]), n_classes=3
    )


@spec("plotting.plot_confusion_matrix")
def _():
    return _mod("plotting").plot_confusion_matrix, dict(
        y_true=np.array([0, 1, 2, 2]),
        y_pred=np.array([0, 2, 2, 1]),
        class_names=["a", "b", "c"],
        normalize=True,
    )


@spec("plotting.plot_misclassified")
def _():
    return _mod("plotting").plot_misclassified, dict(
        images=rng().random((4, 5, 5)),
        y_true=np.array([0, 1, 2, 2]),
        y_pred=np.array([0, 2, 2, 1]),
        class_names=["a", "b", "c"],
        max_images=2,
    )
