"""Hidden tests of notebooks/06_training_convnets_well.ipynb (seeds and settings unused there)."""

import numpy as np

from cvutils import optim
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


TESTS = [
    HiddenTest("adam_step", 2, _adam_cases, _adam_reference, ("cvutils.optim.Adam",), atol=1e-10),
]
