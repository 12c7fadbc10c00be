"""Bad-input specs of `cvutils.npnet`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


# --- npnet
def _convnet(**kw):
    args = dict(input_shape=(6, 6, 1), n_filters=2, n_classes=3, seed=0, dtype=np.float64)
    return _mod("npnet").ConvNet(**{**args, **kw})


def _batch(m=4):
    return rng().random((m, 6, 6, 1)), np.arange(m) % 3


@spec("npnet.softmax_cross_entropy_and_grad")
def _():
    return _mod("npnet").softmax_cross_entropy_and_grad, dict(
        logits=rng().normal(size=(4, 3)), y=np.array([0, 2, 1, 2])
    )


@spec("npnet.ConvNet")
def _():
    return _mod("npnet").ConvNet, dict(
        input_shape=(6, 6, 1),
        n_filters=2,
        n_classes=3,
        f=3,
        seed=0,
        momentum=0.9,
        dtype=np.float64,
        max_pool_ties="first",
    )


@spec("npnet.ConvNet.forward")
def _():
    return _convnet().forward, dict(x=_batch()[0])


@spec("npnet.ConvNet.backward")
def _():
    model = _convnet()
    logits, cache = model.forward(_batch()[0])
    return model.backward, dict(dlogits=rng(1).normal(size=logits.shape), cache=cache)


@spec("npnet.ConvNet.loss_and_grads")
def _():
    x, y = _batch()
    return _convnet().loss_and_grads, dict(x=x, y=y)


@spec("npnet.ConvNet.step")
def _():
    model = _convnet()
    grads = {k: rng(1).normal(size=v.shape) for k, v in model.params.items()}
    return model.step, dict(grads=grads, lr=0.01)


@spec("npnet.ConvNet.predict")
def _():
    return _convnet().predict, dict(x=_batch()[0], batch_size=3)


@spec("npnet.accuracy")
def _():
    x, y = _batch()
    return _mod("npnet").accuracy, dict(model=_convnet(), x=x, y=y, batch_size=3)


@spec("npnet.train_epoch", mutates=("model",))  # model: training it is the point
def _():
    x, y = _batch()
    return _mod("npnet").train_epoch, dict(
        model=_convnet(), x=x, y=y, batch_size=2, lr=0.05, progress=False
    )
