"""Bad-input specs of `cvutils.blocks`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


# --- blocks (Keras layers: the class spec builds the layer and applies it to an input)
def _lc_input():
    return rng().random((2, 6, 6, 2)).astype("float32")


def _build_and_apply(cls, inputs=None):
    """A callable that constructs ``cls(**kwargs)`` and applies it (build and call hooks)."""

    def construct_and_call(**kwargs):
        return np.asarray(cls(**kwargs)(_lc_input() if inputs is None else inputs))

    return construct_and_call


@spec("blocks.LocallyConnected2D")
def _():
    return _build_and_apply(_mod("blocks").LocallyConnected2D), dict(
        filters=2,
        kernel_size=(3, 2),
        strides=2,
        activation="relu",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
    )


@spec("blocks.LocallyConnected2D.__call__", propagates=("inputs",))
def _():
    layer = _mod("blocks").LocallyConnected2D(2, 3)
    layer(_lc_input())  # built for (batch, 6, 6, 2)
    return layer, dict(inputs=_lc_input())


# --- blocks: network blocks (functions of the functional API), applied eagerly to a small
# batch so that a NaN in the result is seen; like every Keras layer they propagate
# non-finite inputs (`propagates`).
def _feature_map(c=4, n=8):
    return rng().random((2, n, n, c)).astype("float32")


@spec("blocks.ZeroPadShortcut")
def _():
    return _build_and_apply(_mod("blocks").ZeroPadShortcut, _feature_map(c=2)), dict(
        filters=4, strides=2
    )


@spec("blocks.ZeroPadShortcut.__call__", propagates=("inputs",))
def _():
    layer = _mod("blocks").ZeroPadShortcut(4, strides=2)
    layer(_feature_map(c=2))
    return layer, dict(inputs=_feature_map(c=2))


@spec("blocks.basic_residual_block", propagates=("x",))
def _():
    return _mod("blocks").basic_residual_block, dict(
        x=_feature_map(), filters=4, stride=2, plain=False, training=False, name="res"
    )


@spec("blocks.identity_block", propagates=("X",))
def _():
    return _mod("blocks").identity_block, dict(
        X=_feature_map(), f=3, filters=[2, 2, 4], training=False, name="id"
    )


@spec("blocks.convolutional_block", propagates=("X",))
def _():
    return _mod("blocks").convolutional_block, dict(
        X=_feature_map(), f=3, filters=[2, 2, 4], s=2, training=False, name="cb"
    )


@spec("blocks.depthwise_separable", propagates=("x",))
def _():
    return _mod("blocks").depthwise_separable, dict(
        x=_feature_map(),
        filters=4,
        stride=2,
        kernel_size=3,
        depth_multiplier=1,
        training=False,
        name="ds",
    )


@spec("blocks.inception_module", propagates=("x",))
def _():
    return _mod("blocks").inception_module, dict(
        x=_feature_map(),
        filters_1x1=2,
        filters_3x3_reduce=2,
        filters_3x3=2,
        filters_5x5_reduce=1,
        filters_5x5=1,
        filters_pool_proj=1,
        name="inc",
    )


@spec("blocks.inverted_residual", propagates=("x",))
def _():
    return _mod("blocks").inverted_residual, dict(
        x=_feature_map(), expansion=2, filters=4, stride=1, training=False, name="ir"
    )


@spec("blocks.conv_block", propagates=("inputs",))
def _():
    return _mod("blocks").conv_block, dict(
        inputs=_feature_map(), n_filters=2, dropout_prob=0.1, max_pooling=True, batch_norm=True
    )


@spec("blocks.upsampling_block", propagates=("expansive_input", "contractive_input"))
def _():
    return _mod("blocks").upsampling_block, dict(
        expansive_input=_feature_map(n=4),
        contractive_input=_feature_map(c=2),
        n_filters=2,
        batch_norm=True,
    )
