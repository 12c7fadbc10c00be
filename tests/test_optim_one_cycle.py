"""Tests of the one-cycle schedule of cvutils.optim (notebook 08's speed-run): hand-worked
values, a loop oracle, the Keras schedule against the NumPy function (also inside a Keras
optimizer), a save/load round trip and the argument checks."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from refusals import assert_refused

from cvutils import optim


def loop_oracle(t: float, peak: float, total: int, fraction: float) -> float:
    """The triangle written as two cases, straight from its definition."""
    warmup = fraction * total
    if t <= warmup:
        return peak * t / warmup
    if t >= total:
        return 0.0
    return peak * (total - t) / (total - warmup)


def test_hand_worked_values():
    # peak 0.4 at W = 0.25 * 8 = 2; down over the 6 steps from 2 to 8
    got = optim.one_cycle([0, 1, 2, 3, 5, 8, 100], 0.4, total_steps=8, warmup_fraction=0.25)
    np.testing.assert_allclose(got, [0, 0.2, 0.4, 0.4 * 5 / 6, 0.4 * 3 / 6, 0, 0], atol=1e-15)
    # a warm-up that ends between two steps: W = 0.3 * 10 = 3.0, T - W = 7
    got = optim.one_cycle([1.5, 3, 6.5], 1.0, total_steps=10, warmup_fraction=0.3)
    np.testing.assert_allclose(got, [0.5, 1.0, 0.5], rtol=1e-12)


@pytest.mark.parametrize(
    ("peak", "total", "fraction"), [(0.4, 8, 0.25), (2.0, 97, 0.2), (0.01, 1, 0.5), (1.0, 5, 0.9)]
)
def test_matches_the_loop_oracle_and_keras(peak, total, fraction):
    steps = np.arange(total + 3)
    expected = [loop_oracle(float(t), peak, total, fraction) for t in steps]
    np.testing.assert_allclose(optim.one_cycle(steps, peak, total, fraction), expected, atol=1e-12)
    schedule = optim.OneCycle(peak, total, fraction)
    got = [float(schedule(int(t))) for t in steps]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7 * peak)
    if float(fraction * total).is_integer():  # the peak falls on a whole step
        assert max(expected) == pytest.approx(peak)
    assert np.asarray(optim.one_cycle(steps.reshape(1, -1), peak, total, fraction)).shape == (
        1,
        total + 3,
    )


def test_an_optimizer_uses_it_step_by_step():
    """SGD on loss = sum(p): each step moves p by -lr(t), with t the step count before it."""
    schedule = optim.OneCycle(0.5, total_steps=6, warmup_fraction=0.5)
    p = keras.Variable(np.zeros(1, dtype="float32"))
    opt = keras.optimizers.SGD(schedule)
    moves = []
    for _ in range(8):
        before = float(p.numpy()[0])
        opt.apply([keras.ops.ones(1)], [p])
        moves.append(before - float(p.numpy()[0]))
    np.testing.assert_allclose(moves, optim.one_cycle(np.arange(8), 0.5, 6, 0.5), atol=1e-7)


def test_serialisation_round_trip(tmp_path):
    schedule = optim.OneCycle(0.3, total_steps=40, warmup_fraction=0.2)
    config = keras.saving.serialize_keras_object(schedule)
    again = keras.saving.deserialize_keras_object(config)
    assert isinstance(again, optim.OneCycle) and again.get_config() == schedule.get_config()
    # inside a saved model's optimizer
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    lr = loaded.optimizer._learning_rate  # the schedule itself (learning_rate is its value)
    assert isinstance(lr, optim.OneCycle) and lr.get_config() == schedule.get_config()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(peak_learning_rate=0.0), "peak_learning_rate"),
        (dict(peak_learning_rate=-1.0), "peak_learning_rate"),
        (dict(peak_learning_rate=float("inf")), "peak_learning_rate"),
        (dict(total_steps=0), "total_steps"),
        (dict(total_steps=2.5), "total_steps"),
        (dict(warmup_fraction=0.0), "warmup_fraction"),
        (dict(warmup_fraction=1.0), "warmup_fraction"),
        (dict(step=-1), "step"),
        (dict(step=[0, float("nan")]), "step"),
    ],
)
def test_bad_arguments_are_refused(kwargs, name):
    args = dict(step=3, peak_learning_rate=0.1, total_steps=10, warmup_fraction=0.25) | kwargs
    assert_refused(lambda: optim.one_cycle(**args), name)
    if name != "step":
        del args["step"]
        assert_refused(lambda: optim.OneCycle(**args), name)
