"""Hidden tests of notebooks/06_training_convnets_well.ipynb (seeds and settings unused there)."""

import numpy as np

from cvutils import nn, optim
from cvutils.grading.hidden import HiddenTest


def _adam_reference(p, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One step of cvutils.optim.Adam from the state (m, v) after t - 1 steps."""
    opt = optim.Adam(lr, beta_1=beta_1, beta_2=beta_2, epsilon=eps)
    p = np.array(p, dtype=np.float64)
    opt.apply([np.zeros_like(p)], [p.copy()])  # builds the state slots
    opt.momentums, opt.velocities = [np.array(m, dtype=np.float64)], [np.array(v, dtype=float)]
    opt.iterations = t - 1
    opt.apply([np.asarray(g, dtype=np.float64)], [p])
    return p, opt.momentums[0], opt.velocities[0]


def _adam_cases():
    r = np.random.default_rng(2006)
    out = []
    for shape, t, kwargs in [
        ((4,), 1, {"lr": 0.1}),
        ((2, 3), 7, {"lr": 0.01, "beta_1": 0.8}),
        ((5,), 50, {"lr": 0.003, "beta_2": 0.99, "eps": 1e-5}),
    ]:
        p, g, m = r.standard_normal(shape), r.standard_normal(shape), r.standard_normal(shape)
        v = r.random(shape)
        out.append((f"adam_step shape {shape}, t={t}, {kwargs}", (p, g, m, v, t), kwargs))
    return out


def _batchnorm_reference(dout, x, gamma, eps=1e-3):
    """The (N, D) training-mode gradients from cvutils.nn (an independent implementation)."""
    _, cache, _ = nn.batchnorm_forward(
        x, gamma, np.zeros_like(gamma), {"mode": "train", "eps": eps}
    )
    return nn.batchnorm_backward(dout, cache)


def _batchnorm_cases():
    r = np.random.default_rng(2016)
    out = []
    for (n, d), eps in [((8, 3), 1e-3), ((32, 5), 1e-5), ((3, 1), 0.1)]:
        x = 2.0 + 3.0 * r.standard_normal((n, d))
        gamma, dout = r.uniform(0.5, 2.0, d), r.standard_normal((n, d))
        out.append((f"batchnorm_backward on ({n}, {d}), eps={eps}", (dout, x, gamma), {"eps": eps}))
    return out


def _momentum_reference(p, g, v, lr=0.01, momentum=0.9):
    v = momentum * np.asarray(v, dtype=np.float64) - lr * np.asarray(g, dtype=np.float64)
    return np.asarray(p, dtype=np.float64) + v, v


def _rmsprop_reference(p, g, s, lr=0.001, rho=0.9, eps=1e-7):
    g = np.asarray(g, dtype=np.float64)
    s = rho * np.asarray(s, dtype=np.float64) + (1 - rho) * g**2
    return np.asarray(p, dtype=np.float64) - lr * g / np.sqrt(s + eps), s


def _step_cases(name, extra):
    def cases():
        r = np.random.default_rng(2026 if name == "momentum" else 2027)
        out = []
        for shape, kwargs in extra:
            p, g, state = r.standard_normal(shape), r.standard_normal(shape), r.random(shape)
            out.append((f"{name}_step shape {shape}, {kwargs}", (p, g, state), kwargs))
        return out

    return cases


TESTS = [
    HiddenTest(
        "batchnorm_backward",
        3,
        _batchnorm_cases,
        _batchnorm_reference,
        ("cvutils.nn.batchnorm_backward",),
        atol=1e-9,
        upstream="",  # the package's function has another signature
    ),
    HiddenTest(
        "momentum_step",
        2,
        _step_cases("momentum", [((4,), {"lr": 0.1}), ((2, 3), {"lr": 0.02, "momentum": 0.5})]),
        _momentum_reference,
        ("cvutils.optim.SGD",),
        atol=1e-12,
    ),
    HiddenTest(
        "rmsprop_step",
        2,
        _step_cases(
            "rmsprop", [((4,), {"lr": 0.1}), ((3, 2), {"lr": 0.01, "rho": 0.8, "eps": 1e-5})]
        ),
        _rmsprop_reference,
        ("cvutils.optim.RMSprop",),
        atol=1e-12,
    ),
    HiddenTest("adam_step", 2, _adam_cases, _adam_reference, ("cvutils.optim.Adam",), atol=1e-10),
]
