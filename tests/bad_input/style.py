"""Bad-input specs of `cvutils.style`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from bad_input.registry import _mod, exempt, rng, spec


# --- style (notebook 18)
def _quadratic_cost(image):
    import tensorflow as tf

    return tf.reduce_sum((image - 0.25) ** 2)


def _rgb(seed=0, size=12):
    return rng(seed).random((1, size, size, 3)).astype("float32")


@spec("style.random_texture_features", costly=True)
def _():
    return _mod("style").random_texture_features, dict(
        kernel_sizes=(3, 5), filters=2, scales=2, seed=0
    )


@spec("style.minimize_pixels")
def _():
    return _mod("style").minimize_pixels, dict(
        cost=_quadratic_cost, image=_rgb(), iterations=3, grad_norm=10.0, snapshots=(0, 2)
    )


exempt("style.PixelOptimization", "a record that minimize_pixels returns; learners read it")


@spec("style.gabor_bank")
def _():
    return _mod("style").gabor_bank, dict(wavelengths=(3.0, 6.0), orientations=2)


@spec("style.texture_statistics")
def _():
    return _mod("style").texture_statistics, dict(
        image=_rgb(), bank=_mod("style").gabor_bank((3.0,), 2)
    )


@spec("style.texture_distance")
def _():
    return _mod("style").texture_distance, dict(
        image_a=_rgb(0), image_b=_rgb(1), bank=_mod("style").gabor_bank((3.0,), 2)
    )


@spec("style.edge_correlation")
def _():
    return _mod("style").edge_correlation, dict(image_a=_rgb(0), image_b=_rgb(1), sigma=2.0)
