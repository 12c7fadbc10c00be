"""cvutils.fewshot against independent references: counts and sets for the draws, the
textbook formula for the standard error, and Keras's own ``fit`` for the trainer."""

import math
import statistics

import keras
import numpy as np
import pytest

from cvutils import fewshot


def _labels():
    return np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 0, 1, 2])


def test_sample_per_class_draws_k_distinct_examples_of_every_class():
    y = _labels()
    idx = fewshot.sample_per_class(y, 3, seed=4)
    assert idx.dtype == np.int64 and len(idx) == 9 and len(set(idx.tolist())) == 9
    assert y[idx].tolist() == [0] * 3 + [1] * 3 + [2] * 3
    np.testing.assert_array_equal(idx, fewshot.sample_per_class(y, 3, seed=4))
    seen = {tuple(fewshot.sample_per_class(y, 1, seed=s)) for s in range(20)}
    assert len(seen) > 1  # the seed changes the draw


def test_sample_per_class_reaches_every_member_and_follows_classes():
    y = _labels()
    hits = np.zeros(len(y), int)
    for s in range(200):
        hits[fewshot.sample_per_class(y, 1, seed=s, classes=[2])] += 1
    assert set(np.flatnonzero(hits)) == set(np.flatnonzero(y == 2))  # uniform over class 2
    assert y[fewshot.sample_per_class(y, 2, classes=[2, 0])].tolist() == [2, 2, 0, 0]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"k": 5}, "k"), ({"k": 1, "classes": [0, 7]}, "classes"), ({"k": 0}, "k")],
)
def test_sample_per_class_refuses_impossible_draws(kwargs, name):
    with pytest.raises(ValueError, match=name):
        fewshot.sample_per_class(_labels(), **kwargs)


def test_mean_and_se_is_the_textbook_formula():
    values = np.array([[0.5, 0.9], [0.7, 0.8], [0.6, 0.85], [0.2, 0.95]])
    mean, se = fewshot.mean_and_se(values)
    for j in range(2):
        col = values[:, j].tolist()
        assert mean[j] == pytest.approx(statistics.fmean(col))
        assert se[j] == pytest.approx(statistics.stdev(col) / math.sqrt(len(col)))
    mean_t, se_t = fewshot.mean_and_se(values.T, axis=1)
    np.testing.assert_allclose(mean_t, mean)
    np.testing.assert_allclose(se_t, se)
    with pytest.raises(ValueError, match="values"):
        fewshot.mean_and_se([0.5])


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(5, activation="tanh", name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(hidden))


def _data(n=6):
    r = np.random.default_rng(0)
    return r.normal(size=(n, 4)).astype("float32"), np.arange(n) % 3


def test_step_trainer_matches_keras_fit_on_full_batches():
    x, y = _data()
    model, reference = _model(), _model()
    reference.set_weights(model.get_weights())
    start = model.get_weights()
    trainer = fewshot.StepTrainer(model, learning_rate=0.05, batch_size=8)
    trainer.fit(x, y, steps=7, weights=start)
    reference.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    reference.fit(x, y, batch_size=8, epochs=7, shuffle=False, verbose=0)  # 7 full batches
    for w, w_ref in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(w, w_ref, rtol=1e-4, atol=1e-5)
    assert not np.allclose(model.get_weights()[0], start[0])  # it trained


def test_step_trainer_restarts_from_the_given_weights_with_a_fresh_optimizer():
    x, y = _data()
    model = _model()
    start = model.get_weights()
    trainer = fewshot.StepTrainer(model, learning_rate=0.05)
    loss_a = trainer.fit(x, y, steps=5, weights=start)
    after_a = model.get_weights()
    loss_b = trainer.fit(x, y, steps=5, weights=start)
    assert loss_a == pytest.approx(loss_b, rel=1e-6)
    for a, b in zip(after_a, model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    slow = fewshot.StepTrainer(_model(), learning_rate=0.001)
    slow.fit(x, y, steps=5, weights=start, learning_rate=0.05)  # the rate of this run
    for a, b in zip(after_a, slow.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_step_trainer_leaves_frozen_layers_alone():
    x, y = _data()
    model = _model()
    model.get_layer("hidden").trainable = False
    frozen = model.get_layer("hidden").get_weights()
    trainer = fewshot.StepTrainer(model, learning_rate=0.05)
    trainer.fit(x, y, steps=5)
    for a, b in zip(frozen, model.get_layer("hidden").get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(model.get_layer("out").get_weights()[0], 0)


def test_step_trainer_batches_are_shuffled_passes():
    trainer = fewshot.StepTrainer(_model(), batch_size=4)
    np.testing.assert_array_equal(trainer.batches(3, 2), [[0, 1, 2], [0, 1, 2]])
    b = trainer.batches(10, 5, seed=3)
    assert b.shape == (5, 4)
    flat = b.ravel()
    assert sorted(flat[:10].tolist()) == list(range(10))  # the first pass holds each once
    assert sorted(flat[10:20].tolist()) == list(range(10))
    np.testing.assert_array_equal(b, trainer.batches(10, 5, seed=3))


def test_step_trainer_refuses_bad_input():
    x, y = _data()
    trainer = fewshot.StepTrainer(_model())
    with pytest.raises(ValueError, match="x"):
        trainer.fit(x[:, :3], y, steps=2)
    with pytest.raises(ValueError, match="y"):
        trainer.fit(x, y[:-1], steps=2)
    with pytest.raises(ValueError, match="y"):
        trainer.fit(x, y + 1, steps=2)  # class 3 of a 3-class model
    with pytest.raises(ValueError, match="weights"):
        trainer.fit(x, y, steps=2, weights=trainer.model.get_weights()[:-1])
    with pytest.raises(ValueError, match="model"):
        fewshot.StepTrainer("model")
    frozen = _model()
    frozen.trainable = False
    with pytest.raises(ValueError, match="model"):
        fewshot.StepTrainer(frozen)
