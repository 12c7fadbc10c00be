"""Bad-input specs of `cvutils.optim`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, exempt, spec


# --- optim
@spec("optim.step_decay")
def _():
    return _mod("optim").step_decay, dict(step=5, initial_learning_rate=0.1, drop=0.5, every=2)


@spec("optim.exponential_decay")
def _():
    return _mod("optim").exponential_decay, dict(step=5, initial_learning_rate=0.1, k=0.1)


@spec("optim.inverse_time_decay")
def _():
    return _mod("optim").inverse_time_decay, dict(step=5, initial_learning_rate=0.1, k=0.1)


@spec("optim.StepDecay")
def _():
    return _mod("optim").StepDecay, dict(initial_learning_rate=0.1, drop=0.5, every=10)


@spec("optim.ExponentialDecay")
def _():
    return _mod("optim").ExponentialDecay, dict(initial_learning_rate=0.1, k=0.1)


@spec("optim.InverseTimeDecay")
def _():
    return _mod("optim").InverseTimeDecay, dict(initial_learning_rate=0.1, k=0.1)


@spec("optim.StepDecay.to_keras")
def _():
    return _mod("optim").StepDecay(0.1).to_keras, dict(n_drops=3)


@spec("optim.ExponentialDecay.to_keras")
def _():
    return _mod("optim").ExponentialDecay(0.1, 0.1).to_keras, {}


@spec("optim.InverseTimeDecay.to_keras")
def _():
    return _mod("optim").InverseTimeDecay(0.1, 0.1).to_keras, {}


@spec("optim.Optimizer")
def _():
    return _mod("optim").Optimizer, dict(learning_rate=0.01)


@spec("optim.SGD")
def _():
    return _mod("optim").SGD, dict(learning_rate=0.01, momentum=0.9, nesterov=True)


@spec("optim.Adagrad")
def _():
    return _mod("optim").Adagrad, dict(
        learning_rate=0.01, initial_accumulator_value=0.1, epsilon=1e-7
    )


@spec("optim.RMSprop")
def _():
    return _mod("optim").RMSprop, dict(learning_rate=0.01, rho=0.9, epsilon=1e-7)


@spec("optim.Adam")
def _():
    return _mod("optim").Adam, dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7)


@spec("optim.Optimizer.apply", mutates=("params",))
def _():
    return _mod("optim").Adam(0.01).apply, dict(grads=[np.ones(3)], params=[np.zeros(3)])


# update(param, grad) is apply([grad], [param]): its messages name params[0] and grads[0].
@spec(
    "optim.Optimizer.update",
    mutates=("param",),
    aliases={"param": ["params[0]"], "grad": ["grads[0]"]},
)
def _():
    return _mod("optim").SGD(0.1, momentum=0.9).update, dict(param=np.zeros(3), grad=np.ones(3))


@spec("optim.Optimizer.current_learning_rate")
def _():
    return _mod("optim").SGD(0.1).current_learning_rate, {}


@spec("optim.ill_conditioned_quadratic")
def _():
    return _mod("optim").ill_conditioned_quadratic, dict(p=np.array([1.0, 1.0]), a=1.0, b=25.0)


@spec("optim.rosenbrock")
def _():
    return _mod("optim").rosenbrock, dict(p=np.array([-1.0, 1.0]), a=1.0, b=100.0)


@spec("optim.trajectory")
def _():
    optim = _mod("optim")
    return optim.trajectory, dict(
        optimizer=optim.SGD(0.01),
        loss_fn=optim.ill_conditioned_quadratic,
        start=np.array([1.0, 1.0]),
        steps=5,
    )


@spec("optim.one_cycle")
def _():
    return _mod("optim").one_cycle, dict(
        step=5, peak_learning_rate=0.4, total_steps=20, warmup_fraction=0.25
    )


@spec("optim.OneCycle")
def _():
    return _mod("optim").OneCycle, dict(
        peak_learning_rate=0.4, total_steps=20, warmup_fraction=0.25
    )


exempt("optim.OneCycle.get_config", "a Keras hook that takes no argument")
