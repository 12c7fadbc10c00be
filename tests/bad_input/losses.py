"""Bad-input specs of `cvutils.losses`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bad_input.registry import _mod, exempt, rng, spec
from bad_input.yolo import _keras_loss_spec, _loc_y

exempt("losses.CheckedInputsLoss", "an abstract base class; every loss built on it is swept")


# --- losses: tensor functions that run inside compiled graphs; like Keras's own losses they
# propagate non-finite tensors (`propagates`) and check everything else.
def _embeddings(m=6, d=4, seed=0):
    return rng(seed).normal(size=(m, d)).astype("float32")


def _activations(seed=0):
    return rng(seed).random((1, 3, 4, 2)).astype("float32")


@spec("losses.triplet_loss", propagates=("y_pred",))
def _():
    return _mod("losses").triplet_loss, dict(
        y_true=None, y_pred=[_embeddings(seed=s) for s in range(3)], alpha=0.2
    )


@spec("losses.pairwise_distances", propagates=("embeddings",))
def _():
    return _mod("losses").pairwise_distances, dict(
        embeddings=_embeddings(), distance_metric="squared-L2"
    )


@spec("losses.triplet_semihard_loss", propagates=("y_pred",))
def _():
    return _mod("losses").triplet_semihard_loss, dict(
        y_true=np.array([0, 0, 1, 1, 2, 2]),
        y_pred=_embeddings(),
        margin=1.0,
        distance_metric="L2",
    )


@spec("losses.triplet_hard_loss", propagates=("y_pred",))
def _():
    return _mod("losses").triplet_hard_loss, dict(
        y_true=np.array([0, 0, 1, 1, 2, 2]),
        y_pred=_embeddings(),
        margin=1.0,
        soft=False,
        distance_metric="L2",
    )


@spec("losses.gram_matrix", propagates=("A",))
def _():
    return _mod("losses").gram_matrix, dict(A=rng().random((3, 12)).astype("float32"))


@spec("losses.compute_content_cost", propagates=("a_C", "a_G"))
def _():
    return _mod("losses").compute_content_cost, dict(a_C=_activations(0), a_G=_activations(1))


@spec("losses.compute_layer_style_cost", propagates=("a_S", "a_G"))
def _():
    return _mod("losses").compute_layer_style_cost, dict(a_S=_activations(0), a_G=_activations(1))


@spec("losses.compute_style_cost", propagates=("style_image_output", "generated_image_output"))
def _():
    return _mod("losses").compute_style_cost, dict(
        style_image_output=[_activations(0), _activations(2)],
        generated_image_output=[_activations(1), _activations(3)],
        STYLE_LAYERS=[("conv", 0.5)],
    )


@spec("losses.total_cost", propagates=("J_content", "J_style"))
def _():
    return _mod("losses").total_cost, dict(J_content=1.5, J_style=0.5, alpha=10, beta=40)


@spec("losses.total_variation", propagates=("image",))
def _():
    return _mod("losses").total_variation, dict(image=_activations())


def _loss_spec(
    cls_name: str, kwargs: dict, y_true: Any, y_pred: Any, aliases: Mapping | None = None
) -> None:
    """The class spec constructs the loss and applies it; ``__call__`` corrupts its inputs."""

    def make():
        cls = getattr(_mod("losses"), cls_name)

        def construct_and_call(**kw):
            return np.asarray(cls(**kw)(y_true(), y_pred()))

        return construct_and_call, dict(kwargs)

    def make_call():
        return getattr(_mod("losses"), cls_name)(**kwargs), dict(y_true=y_true(), y_pred=y_pred())

    spec(f"losses.{cls_name}")(make)
    # the class's call hands y_true and y_pred to a function that names them its own way
    spec(f"losses.{cls_name}.__call__", propagates=("y_true", "y_pred"), aliases=aliases or {})(
        make_call
    )


def _labels6():
    return np.array([0, 0, 1, 1, 2, 2])


def _triplet_batch():
    return np.stack([_embeddings(seed=s) for s in range(3)])


_loss_spec("TripletLoss", dict(alpha=0.2, name="t"), lambda: np.zeros(6), _triplet_batch)
_loss_spec(
    "TripletSemiHardLoss", dict(margin=1.0, distance_metric="L2", name="t"), _labels6, _embeddings
)
_loss_spec(
    "TripletHardLoss",
    dict(margin=1.0, soft=True, distance_metric="L2", name="t"),
    _labels6,
    _embeddings,
)
_loss_spec(
    "ContentLoss",
    dict(name="c"),
    lambda: _activations(0),
    lambda: _activations(1),
    aliases={"y_true": ["a_C"], "y_pred": ["a_G"]},
)
_loss_spec(
    "StyleLoss",
    dict(name="s"),
    lambda: _activations(0),
    lambda: _activations(1),
    aliases={"y_true": ["a_S"], "y_pred": ["a_G"]},
)
_loss_spec(
    "TotalVariationLoss",
    dict(weight=0.5, name="tv"),
    lambda: np.zeros((1, 3, 4, 2)),
    _activations,
    aliases={"y_pred": ["image"]},
)


# LocalizationLoss lives here (yolo re-exports it); its spec is built like YoloLoss's
_keras_loss_spec("LocalizationLoss", dict(name="loc", reduction="sum"), _loc_y, module="losses")
