"""Bad-input specs of `cvutils.augment_layers`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from bad_input.blocks import _build_and_apply
from bad_input.registry import _mod, rng, spec


# --- augment_layers (notebook 10)
def _rgb_batch(n=4, side=8):
    return rng().random((n, side, side, 3)).astype("float32")


@spec("augment_layers.rgb_pca")
def _():
    return _mod("augment_layers").rgb_pca, dict(images=_rgb_batch())


@spec("augment_layers.ten_crop")
def _():
    return _mod("augment_layers").ten_crop, dict(images=_rgb_batch(2), crop_size=6)


@spec("augment_layers.image_data_generator_layers")
def _():
    return _mod("augment_layers").image_data_generator_layers, dict(
        rotation_range=10.0,
        width_shift_range=0.1,
        height_shift_range=0.1,
        shear_range=0.0,
        zoom_range=0.1,
        horizontal_flip=True,
        fill_mode="nearest",
        seed=0,
    )


def _pca_layer():
    return _mod("augment_layers").PCAColorAugmentation.from_images(_rgb_batch(), seed=0)


@spec("augment_layers.PCAColorAugmentation")
def _():
    aug = _mod("augment_layers")
    vals, vecs = aug.rgb_pca(_rgb_batch())
    return _build_and_apply(aug.PCAColorAugmentation, _rgb_batch(2)), dict(
        eigenvalues=vals, eigenvectors=vecs, sigma=0.1, seed=0
    )


@spec("augment_layers.PCAColorAugmentation.from_images")
def _():
    return _mod("augment_layers").PCAColorAugmentation.from_images, dict(
        images=_rgb_batch(), sigma=0.1, seed=0
    )


@spec("augment_layers.PCAColorAugmentation.colour_offsets")
def _():
    return _pca_layer().colour_offsets, dict(batch_size=3)


@spec("augment_layers.PCAColorAugmentation.__call__", propagates=("inputs",))
def _():
    return _pca_layer(), dict(inputs=_rgb_batch(2))
