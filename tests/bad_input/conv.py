"""Bad-input specs of `cvutils.conv`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec

# --- conv (a cache holds the forward pass's arguments: messages name those)
CONV_CACHE = {"cache": ["A_prev", "W", "b", "hparameters"]}
POOL_CACHE = {"cache": ["A_prev", "hparameters"]}


def _conv_args():
    return dict(
        A_prev=rng().normal(size=(2, 5, 5, 3)),
        W=rng(1).normal(size=(3, 3, 3, 4)),
        b=rng(2).normal(size=(1, 1, 1, 4)),
        hparameters={"stride": 2, "pad": 1},
    )


for _fwd in ("conv_forward", "conv_forward_naive"):

    @spec(f"conv.{_fwd}")
    def _(_fwd=_fwd):
        return getattr(_mod("conv"), _fwd), _conv_args()


for _bwd in ("conv_backward", "conv_backward_naive"):

    @spec(f"conv.{_bwd}", aliases=CONV_CACHE)
    def _(_bwd=_bwd):
        conv = _mod("conv")
        Z, cache = conv.conv_forward(**_conv_args())
        return getattr(conv, _bwd), dict(dZ=rng(3).normal(size=Z.shape), cache=cache)


def _pool_args():
    return dict(A_prev=rng().normal(size=(2, 5, 5, 3)), hparameters={"f": 2, "stride": 2})


for _fwd in ("pool_forward", "pool_forward_naive"):

    @spec(f"conv.{_fwd}")
    def _(_fwd=_fwd):
        return getattr(_mod("conv"), _fwd), dict(**_pool_args(), mode="max")


for _bwd in ("pool_backward", "pool_backward_naive"):

    @spec(f"conv.{_bwd}", aliases=POOL_CACHE)
    def _(_bwd=_bwd):
        conv = _mod("conv")
        A, cache = conv.pool_forward(**_pool_args(), mode="average")
        return getattr(conv, _bwd), dict(
            dA=rng(3).normal(size=A.shape), cache=cache, mode="average", ties="first"
        )


@spec("conv.zero_pad")
def _():
    return _mod("conv").zero_pad, dict(X=rng().normal(size=(2, 3, 3, 2)), pad=2)


@spec("conv.conv_single_step")
def _():
    return _mod("conv").conv_single_step, dict(
        a_slice_prev=rng().normal(size=(3, 3, 2)),
        W=rng(1).normal(size=(3, 3, 2)),
        b=np.ones((1, 1, 1)),
    )


@spec("conv.conv_output_size")
def _():
    return _mod("conv").conv_output_size, dict(n=7, f=3, pad=1, stride=2, strict=True)


@spec("conv.same_padding")
def _():
    return _mod("conv").same_padding, dict(f=5)


@spec("conv.create_mask_from_window")
def _():
    return _mod("conv").create_mask_from_window, dict(x=np.array([[1.0, 3.0], [4.0, 2.0]]))


@spec("conv.distribute_value")
def _():
    return _mod("conv").distribute_value, dict(dz=2.0, shape=(2, 2))


# --- notebook 15 (semantic segmentation): transposed convolution, segmentation metrics,
# U-Net blocks and model, Oxford-IIIT Pets


def _transpose_args():
    return dict(
        A_prev=rng().normal(size=(2, 3, 3, 2)),
        W=rng(1).normal(size=(3, 3, 4, 2)),
        b=rng(2).normal(size=(1, 1, 1, 4)),
        hparameters={"stride": 2, "padding": "same"},
    )


for _fwd in ("conv_transpose_forward", "conv_transpose_forward_naive"):

    @spec(f"conv.{_fwd}")
    def _(_fwd=_fwd):
        return getattr(_mod("conv"), _fwd), _transpose_args()


@spec("conv.conv_transpose_output_size")
def _():
    return _mod("conv").conv_transpose_output_size, dict(n=2, f=3, stride=2, padding="same")
