"""Bad-input specs of `cvutils.fewshot`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


# --- fewshot: the trainer's model is a small dense net built fresh for every call
def _fewshot_model():
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])


@spec("fewshot.sample_per_class")
def _():
    return _mod("fewshot").sample_per_class, dict(
        y=np.arange(12) % 3, k=2, seed=0, classes=np.array([2, 0])
    )


@spec("fewshot.mean_and_se")
def _():
    return _mod("fewshot").mean_and_se, dict(values=rng().uniform(size=(5, 2)), axis=0)


@spec("fewshot.StepTrainer")
def _():
    return _mod("fewshot").StepTrainer, dict(
        model=_fewshot_model(), learning_rate=0.01, batch_size=4
    )


@spec("fewshot.StepTrainer.batches")
def _():
    trainer = _mod("fewshot").StepTrainer(_fewshot_model(), batch_size=4)
    return trainer.batches, dict(n=10, steps=3, seed=0)


@spec("fewshot.StepTrainer.fit")
def _():
    model = _fewshot_model()
    trainer = _mod("fewshot").StepTrainer(model, batch_size=4)
    return trainer.fit, dict(
        x=rng().normal(size=(6, 4)).astype("float32"),
        y=np.arange(6) % 3,
        steps=3,
        seed=0,
        weights=model.get_weights(),
        learning_rate=0.01,
    )
