"""Tests of cvutils.npnet: the tiny NumPy ConvNet.

References: centred finite differences (written here, independent of cvutils.gradcheck),
scipy.special.log_softmax, and a Keras model holding the same weights.
"""

import numpy as np
import pytest
from scipy.special import log_softmax

from cvutils import gradcheck, npnet


def centred_difference(f, x, eps=1e-6):
    """Numerical gradient of the scalar f() with respect to array x (cvutils.gradcheck)."""
    return gradcheck.numerical_gradient(lambda _: f(), x, eps=eps)


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def tiny_model(shape=(6, 5, 2), n_filters=3, n_classes=4, f=3, seed=0):
    """A float64 model with non-zero biases (so no ReLU sits exactly at its kink)."""
    model = npnet.ConvNet(
        shape, n_filters=n_filters, n_classes=n_classes, f=f, seed=seed, dtype=np.float64
    )
    rng = np.random.default_rng(seed + 10)
    model.params["b1"][...] = rng.normal(0, 0.5, model.params["b1"].shape)
    model.params["b2"][...] = rng.normal(0, 0.5, model.params["b2"].shape)
    return model


@pytest.mark.parametrize(
    ("shape", "n_filters", "n_classes", "f"),
    [((6, 5, 2), 3, 4, 3), ((4, 4, 1), 2, 3, 1), ((7, 6, 3), 2, 5, 5)],
)
def test_whole_network_gradient_matches_centred_differences(shape, n_filters, n_classes, f):
    model = tiny_model(shape, n_filters, n_classes, f)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, *shape))
    y = rng.integers(0, n_classes, 3)
    _, grads = model.loss_and_grads(x, y)
    for name, p in model.params.items():
        num = centred_difference(lambda: model.loss_and_grads(x, y)[0], p)
        assert grads[name].shape == p.shape
        err = rel_error(grads[name], num)
        assert err < 1e-6, f"{name}: relative error {err:.2e}"


def test_flat_pooling_windows_need_one_maximum_per_window():
    """Real digits: a black background makes whole pooling windows equal (ties)."""
    rng = np.random.default_rng(4)
    x = np.zeros((2, 8, 8, 1))
    x[:, 2:6, 3:5] = rng.random((2, 4, 2, 1))  # a small "stroke" on a black background
    y = np.array([0, 2])
    errors = {}
    for ties in ["first", "all"]:
        model = npnet.ConvNet(
            (8, 8, 1), n_filters=3, n_classes=3, seed=1, dtype=np.float64, max_pool_ties=ties
        )
        model.params["b1"][...] = 0.1  # background Z = 0.1 > 0: no ReLU kink, but tied windows
        _, grads = model.loss_and_grads(x, y)
        num = centred_difference(lambda m=model: m.loss_and_grads(x, y)[0], model.params["b1"])
        errors[ties] = rel_error(grads["b1"], num)
    assert errors["first"] < 1e-7
    assert errors["all"] > 1e-2  # the course's mask counts the flat windows' gradient 4 times


def test_the_model_routes_ties_through_conv_pool_backward(monkeypatch):
    """max_pool_ties is passed on as conv.pool_backward's ties (one max-pool backward)."""
    from cvutils import conv

    seen = []
    original = conv.pool_backward

    def spy(dA, cache, mode="max", ties="all"):
        seen.append(ties)
        return original(dA, cache, mode=mode, ties=ties)

    monkeypatch.setattr(conv, "pool_backward", spy)
    x, y = np.random.default_rng(0).random((2, 6, 6, 1)), np.array([0, 1])
    for ties in ("first", "all"):
        npnet.ConvNet((6, 6, 1), n_filters=2, n_classes=2, max_pool_ties=ties).loss_and_grads(x, y)
    assert seen == ["first", "all"]


@pytest.mark.parametrize(("m", "n_classes", "scale"), [(1, 2, 1.0), (5, 10, 3.0), (8, 3, 100.0)])
def test_softmax_cross_entropy_and_grad_matches_scipy(m, n_classes, scale):
    rng = np.random.default_rng(m)
    logits = scale * rng.normal(size=(m, n_classes))
    y = rng.integers(0, n_classes, m)
    loss, dlogits = npnet.softmax_cross_entropy_and_grad(logits, y)
    ref = -log_softmax(logits, axis=1)[np.arange(m), y].mean()
    np.testing.assert_allclose(loss, ref, rtol=1e-12)
    probs = np.exp(log_softmax(logits, axis=1))
    np.testing.assert_allclose(dlogits, (probs - np.eye(n_classes)[y]) / m, atol=1e-15)
    if scale == 1.0:
        num = centred_difference(lambda: npnet.softmax_cross_entropy_and_grad(logits, y)[0], logits)
        assert rel_error(dlogits, num) < 1e-8


def test_uniform_logits_give_log_n_classes():
    loss, _ = npnet.softmax_cross_entropy_and_grad(np.zeros((4, 10)), np.arange(4))
    assert loss == pytest.approx(np.log(10), rel=1e-12)


def test_forward_matches_keras_with_the_same_weights():
    keras = pytest.importorskip("keras")
    model = tiny_model((8, 8, 2), n_filters=4, n_classes=5)
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 2)).astype(np.float32)
    ref = keras.Sequential(
        [
            keras.Input((8, 8, 2)),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(5),
        ]
    )
    p = model.params
    ref.layers[0].set_weights([p["W1"], p["b1"].reshape(-1)])
    ref.layers[3].set_weights([p["W2"], p["b2"]])
    logits, _ = model.forward(x)
    np.testing.assert_allclose(logits, np.asarray(ref(x)), rtol=1e-4, atol=1e-5)


def test_he_initialisation_is_seeded_and_scaled():
    a, b, c = npnet.ConvNet(seed=1), npnet.ConvNet(seed=1), npnet.ConvNet(seed=2)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    assert a.params["W1"].shape == (3, 3, 1, 8) and a.params["W2"].shape == (14 * 14 * 8, 10)
    assert a.params["W2"].std() == pytest.approx(np.sqrt(2 / 1568), rel=0.05)
    assert not a.params["b1"].any() and not a.params["b2"].any()
    assert a.params["W1"].dtype == np.float32


@pytest.mark.parametrize(("momentum", "lr"), [(0.0, 0.5), (0.9, 0.1)])
def test_loss_decreases_on_a_fixed_batch(momentum, lr):
    rng = np.random.default_rng(0)
    x = rng.random((16, 8, 8, 1))
    y = np.arange(16) % 4
    model = npnet.ConvNet((8, 8, 1), n_filters=4, n_classes=4, momentum=momentum, dtype=np.float64)
    first, _ = model.loss_and_grads(x, y)
    for _ in range(30):
        loss, grads = model.loss_and_grads(x, y)
        model.step(grads, lr=lr)
    assert loss < 0.25 * first
    assert npnet.accuracy(model, x, y) >= 0.75


def test_plain_sgd_step_is_p_minus_lr_g():
    model = tiny_model()
    model.momentum = 0.0
    before = {k: v.copy() for k, v in model.params.items()}
    grads = {k: np.ones_like(v) for k, v in model.params.items()}
    model.step(grads, lr=0.25)
    for k in before:
        np.testing.assert_allclose(model.params[k], before[k] - 0.25)


def test_train_epoch_returns_one_loss_per_batch_and_is_reproducible():
    rng = np.random.default_rng(1)
    x = rng.random((50, 6, 6))
    y = rng.integers(0, 3, 50)
    runs = []
    for _ in range(2):
        model = npnet.ConvNet((6, 6, 1), n_filters=2, n_classes=3, seed=5)
        losses = npnet.train_epoch(model, x, y, batch_size=16, lr=0.05, progress=False)
        runs.append((losses, model.params["W2"].copy()))
    assert runs[0][0].shape == (4,)  # 16 + 16 + 16 + 2
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert np.all(np.isfinite(runs[0][0]))


def test_train_epoch_with_progress_bar():
    x = np.zeros((4, 4, 4, 1))
    losses = npnet.train_epoch(npnet.ConvNet((4, 4, 1), 1, 2), x, np.array([0, 1, 0, 1]), 2, 0.1)
    assert losses.shape == (2,)
    np.testing.assert_allclose(losses[0], np.log(2), rtol=1e-6)  # zero input -> uniform


def test_accuracy_and_predict_match_argmax_of_logits():
    model = tiny_model((5, 5, 1), n_classes=3)
    x = np.random.default_rng(2).normal(size=(11, 5, 5, 1))
    logits, _ = model.forward(x)
    pred = logits.argmax(axis=1)
    np.testing.assert_array_equal(model.predict(x, batch_size=4), pred)
    y = pred.copy()
    y[:3] = (y[:3] + 1) % 3
    assert npnet.accuracy(model, x, y, batch_size=3) == pytest.approx(8 / 11)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(input_shape=(28, 28)), "input_shape"),
        (dict(input_shape=(1, 28, 1)), "input_shape"),
        (dict(n_filters=0), "n_filters"),
        (dict(n_classes=1), "n_classes"),
        (dict(f=2), "f must be an odd integer"),
        (dict(momentum=1.0), "momentum"),
        (dict(momentum=-0.1), "momentum"),
        (dict(dtype=np.int32), "dtype"),
        (dict(seed=-1), "seed"),
        (dict(max_pool_ties="some"), "max_pool_ties"),
    ],
)
def test_bad_constructor_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        npnet.ConvNet(**kwargs)


def _model():
    return npnet.ConvNet((6, 6, 1), n_filters=2, n_classes=3)


_X = np.zeros((4, 6, 6, 1))
_Y = np.array([0, 1, 2, 0])


def _grads(model, **change):
    grads = {k: np.zeros_like(v) for k, v in model.params.items()}
    grads.update(change)
    return grads


def _nan(shape):
    return np.full(shape, np.nan)


BAD_CALLS = {
    "x shape": (lambda m: m.forward(np.zeros((4, 7, 6, 1))), r"x must be an array of shape"),
    "x rank": (lambda m: m.forward(np.zeros((6, 6))), r"x must be an array of rank 3 or 4"),
    "x dtype": (lambda m: m.forward(np.zeros((4, 6, 6, 1), dtype=np.uint8)), "x / 255"),
    "x nan": (lambda m: m.forward(_nan((1, 6, 6, 1))), r"x must be an array of finite numbers"),
    "y length": (lambda m: m.loss_and_grads(_X, _Y[:3]), r"y must be 4 labels"),
    "y range": (lambda m: m.loss_and_grads(_X, np.array([0, 1, 3, 0])), r"y must be .*0\.\.2"),
    "y float": (lambda m: m.loss_and_grads(_X, _Y + 0.5), r"y must be integer class indices"),
    "y nan": (lambda m: m.loss_and_grads(_X, _nan(4)), r"y must be integer class indices"),
    "batch_size": (
        lambda m: npnet.train_epoch(m, _X, _Y, batch_size=0, progress=False),
        r"batch_size must be an integer in 1\.\.",
    ),
    "lr zero": (lambda m: npnet.train_epoch(m, _X, _Y, lr=0.0, progress=False), r"lr must be"),
    "lr nan": (lambda m: npnet.train_epoch(m, _X, _Y, lr=np.nan, progress=False), r"lr must be"),
    "progress": (lambda m: npnet.train_epoch(m, _X, _Y, progress="no"), r"progress must be True"),
    "model": (lambda m: npnet.train_epoch(object(), _X, _Y), r"model must be a cvutils"),
    "model acc": (lambda m: npnet.accuracy(None, _X, _Y), r"model must be a cvutils"),
    "grads keys": (lambda m: m.step({"W1": 0}, lr=0.1), r"grads must be a dict with keys"),
    "grads kind": (lambda m: m.step([1, 2], lr=0.1), r"grads must be a dict"),
    "grads shape": (
        lambda m: m.step(_grads(m, b2=np.zeros(2)), lr=0.1),
        r"grads\['b2'\] must be an array of shape \(3\)",
    ),
    "grads nan": (
        lambda m: m.step(_grads(m, W2=_nan(m.params["W2"].shape)), lr=0.1),
        r"grads\['W2'\] must be an array of finite numbers",
    ),
    "step lr nan": (lambda m: m.step(_grads(m), lr=float("nan")), r"lr must be a finite real"),
    "step lr inf": (lambda m: m.step(_grads(m), lr=np.inf), r"lr must be a finite real"),
    "step overflow": (
        lambda m: m.step(_grads(m, W2=np.full(m.params["W2"].shape, 1e30)), lr=1e30),
        r"lr must be small enough to keep W2 finite",
    ),
    "logits rank": (
        lambda m: npnet.softmax_cross_entropy_and_grad(np.zeros(3), [0]),
        r"logits must be an array of rank 2",
    ),
    "logits nan": (
        lambda m: npnet.softmax_cross_entropy_and_grad(_nan((2, 3)), [0, 1]),
        r"logits must be an array of finite numbers",
    ),
    "logits inf": (
        lambda m: npnet.softmax_cross_entropy_and_grad(np.array([[np.inf, 0.0]]), [0]),
        r"logits must be an array of finite numbers",
    ),
    "logits empty": (
        lambda m: npnet.softmax_cross_entropy_and_grad(np.zeros((0, 3)), []),
        r"logits must be a non-empty array",
    ),
    "logits y": (
        lambda m: npnet.softmax_cross_entropy_and_grad(np.zeros((2, 3)), [0, 3]),
        r"y must be class indices in 0\.\.2",
    ),
    "dlogits": (
        lambda m: m.backward(np.zeros((4, 2)), m.forward(_X)[1]),
        r"dlogits must be an array of shape \(4, 3\)",
    ),
    "dlogits nan": (
        lambda m: m.backward(_nan((4, 3)), m.forward(_X)[1]),
        r"dlogits must be an array of finite numbers",
    ),
    "cache": (lambda m: m.backward(np.zeros((4, 3)), None), r"cache must be the cache"),
    # These escaped as AttributeError or a broadcasting error (found by test_bad_input.py).
    "cache of Nones": (
        lambda m: m.backward(np.zeros((4, 3)), (None,) * 5),
        r"cache must be the cache returned by this model's forward",
    ),
    "cache of another model": (
        lambda m: m.backward(
            np.zeros((4, 3)),
            npnet.ConvNet((8, 8, 1), n_filters=2, n_classes=3).forward(np.zeros((4, 8, 8, 1)))[1],
        ),
        r"cache must be the cache returned by this model's forward; got .*Z",
    ),
    "predict batch": (lambda m: m.predict(_X, batch_size=True), r"batch_size must be an integer"),
    "empty": (
        lambda m: npnet.accuracy(m, np.zeros((0, 6, 6, 1)), np.zeros(0, dtype=int)),
        r"x must be at least one example",
    ),
    "input_shape": (lambda m: npnet.ConvNet((6, 6)), r"input_shape must be a tuple of 3"),
    "input_shape small": (lambda m: npnet.ConvNet((1, 6, 1)), r"input_shape must be .*H and W"),
    "input_shape huge": (lambda m: npnet.ConvNet((10**5, 10**5, 1)), r"input_shape must be"),
    "n_classes": (lambda m: npnet.ConvNet(n_classes=1), r"n_classes must be an integer"),
    "n_filters": (lambda m: npnet.ConvNet(n_filters=True), r"n_filters must be an integer"),
    "f even": (lambda m: npnet.ConvNet(f=2), r"f must be an odd integer"),
    "momentum": (lambda m: npnet.ConvNet(momentum=1.0), r"momentum must be in \[0, 1\)"),
    "momentum nan": (lambda m: npnet.ConvNet(momentum=np.nan), r"momentum must be a finite"),
    "dtype": (lambda m: npnet.ConvNet(dtype=np.int32), r"dtype must be float32 or float64"),
    "dtype kind": (lambda m: npnet.ConvNet(dtype=object()), r"dtype must be float32 or float64"),
    "ties": (lambda m: npnet.ConvNet(max_pool_ties="last"), r"max_pool_ties must be one of"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_inputs_raise_value_error(case):
    call, match = BAD_CALLS[case]
    with pytest.raises(ValueError, match=match):
        call(_model())


def test_a_refused_step_leaves_the_model_unchanged():
    model = _model()
    params = {k: v.copy() for k, v in model.params.items()}
    velocity = {k: v.copy() for k, v in model.velocity.items()}
    bad = _grads(model, b2=np.array([0.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match=r"grads\['b2'\]"):
        model.step(bad, lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        model.step(_grads(model, W2=np.full(model.params["W2"].shape, 1e30)), lr=1e30)
    for k in params:
        np.testing.assert_array_equal(model.params[k], params[k])
        np.testing.assert_array_equal(model.velocity[k], velocity[k])


def test_integer_valued_float_labels_are_accepted():
    model = _model()
    x = np.random.default_rng(0).random((4, 6, 6, 1))
    loss_int, _ = model.loss_and_grads(x, _Y)
    loss_float, _ = model.loss_and_grads(x, _Y.astype(float))
    assert loss_int == loss_float


def test_training_does_not_mutate_its_inputs():
    model = _model()
    x = np.random.default_rng(0).random((4, 6, 6, 1))
    x0, y0 = x.copy(), _Y.copy()
    grads = model.loss_and_grads(x, _Y)[1]
    saved = {k: v.copy() for k, v in grads.items()}
    model.step(grads, lr=0.1)
    npnet.train_epoch(model, x, _Y, batch_size=2, progress=False)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(_Y, y0)
    for k in grads:
        np.testing.assert_array_equal(grads[k], saved[k])
