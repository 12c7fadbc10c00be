"""Bad-input specs of `cvutils.nn`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, exempt, rng, spec


# --- nn
@spec("nn.init_weights")
def _():
    return _mod("nn").init_weights, dict(fan_in=4, fan_out=3, init="he", rng=rng(), scale=0.01)


@spec("nn.init_experiment")
def _():
    return _mod("nn").init_experiment, dict(
        init="xavier",
        activation="tanh",
        n_examples=20,
        n_features=8,
        hidden_sizes=(8, 8),
        scale=0.01,
        seed=0,
    )


@spec("nn.InitExperiment.table")
def _():
    exp = _mod("nn").init_experiment("xavier", n_examples=10, n_features=4, hidden_sizes=(4,))
    return exp.table, {}


def _bn_inputs():
    x = rng().normal(size=(6, 3))
    return x, np.ones(3), np.zeros(3)


@spec("nn.batchnorm_forward")
def _():
    x, g, b = _bn_inputs()
    return _mod("nn").batchnorm_forward, dict(x=x, gamma=g, beta=b, bn_param={"mode": "train"})


@spec("nn.batchnorm_backward")
def _():
    nn = _mod("nn")
    x, g, b = _bn_inputs()
    out = nn.batchnorm_forward(x, g, b, {"mode": "train"})
    return nn.batchnorm_backward, dict(dout=rng(1).normal(size=x.shape), cache=out[1])


@spec("nn.dropout_forward")
def _():
    return _mod("nn").dropout_forward, dict(
        x=rng().normal(size=(4, 5)), p_drop=0.5, rng=rng(1), train=True
    )


@spec("nn.dropout_backward")
def _():
    nn = _mod("nn")
    out = nn.dropout_forward(rng().normal(size=(4, 5)), 0.5, rng(1))
    return nn.dropout_backward, dict(dout=np.ones((4, 5)), mask=out[1])


@spec("nn.l2_penalty")
def _():
    return _mod("nn").l2_penalty, dict(weights=[np.ones((2, 2)), np.ones(3)], reg=0.1)


exempt(
    "nn.InitExperiment",
    "a frozen record the package builds and returns; learners read it, never build it",
)
