"""Bad-input specs of `cvutils.interpret`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.models import tiny_model
from bad_input.registry import _mod, exempt, rng, spec


# --- interpret (on `tiny_model`)
def _digit(seed=0):
    return rng(seed).random((8, 8, 1)).astype("float32")


exempt("interpret.ReceptiveField", "a record that receptive_field returns; learners read it")


@spec("interpret.first_layer_filters")
def _():
    return _mod("interpret").first_layer_filters, dict(model=tiny_model())


@spec("interpret.feature_maps")
def _():
    return _mod("interpret").feature_maps, dict(
        model=tiny_model(), image=_digit(), layer_names=["conv", "pool"]
    )


@spec("interpret.receptive_field")
def _():
    return _mod("interpret").receptive_field, dict(model=tiny_model(), layer_name="pool")


@spec("interpret.top_patches")
def _():
    return _mod("interpret").top_patches, dict(
        model=tiny_model(),
        images=rng().random((3, 8, 8, 1)).astype("float32"),
        layer_name="conv",
        unit=1,
        k=2,
        return_locations=True,
    )


@spec("interpret.occlusion_map")
def _():
    return _mod("interpret").occlusion_map, dict(
        model=tiny_model(),
        image=_digit(),
        label=1,
        patch=4,
        stride=2,
        fill=0.5,
        from_logits=False,
        anchor="center",
    )


@spec("interpret.saliency")
def _():
    return _mod("interpret").saliency, dict(model=tiny_model(), image=_digit(), label=2)


@spec("interpret.activation_maximization")
def _():
    return _mod("interpret").activation_maximization, dict(
        model=tiny_model(),
        layer_name="conv",
        unit=0,
        steps=3,
        lr=0.1,
        shape=None,
        seed=0,
        value_range=(0.0, 1.0),
    )


@spec("interpret.fgsm")
def _():
    return _mod("interpret").fgsm, dict(
        model=tiny_model(),
        images=rng().random((2, 8, 8, 1)).astype("float32"),
        labels=np.array([0, 2]),
        epsilon=0.1,
        from_logits=False,
        clip=(0.0, 1.0),
    )


# --- interpret: accuracy under attack (notebook 17)
@spec("interpret.accuracy_under_attack")
def _():
    return _mod("interpret").accuracy_under_attack, dict(
        model=tiny_model(),
        images=rng().random((2, 8, 8, 1)).astype("float32"),
        labels=np.array([0, 2]),
        epsilons=[0.0, 0.1],
        from_logits=False,
        clip=(0.0, 1.0),
    )
