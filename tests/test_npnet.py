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


@pytest.mark.parametrize("shape", [(2, 4, 4, 3), (1, 5, 7, 2), (3, 6, 2, 1)])
def test_max_pool_backward_first_matches_tensorflow_even_with_ties(shape):
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(sum(shape))
    A = rng.integers(0, 3, shape).astype(np.float64)  # many ties
    P = tf.nn.max_pool2d(tf.constant(A), 2, 2, "VALID")
    dP = rng.standard_normal(P.shape)
    A_t = tf.constant(A)
    with tf.GradientTape() as tape:
        tape.watch(A_t)
        J = tf.reduce_sum(tf.nn.max_pool2d(A_t, 2, 2, "VALID") * dP)
    np.testing.assert_allclose(
        npnet.max_pool_backward_first(dP, A), tape.gradient(J, A_t).numpy(), atol=1e-15
    )


@pytest.mark.parametrize("f", [1, 2, 3])
def test_max_pool_backward_first_equals_conv_pool_backward_without_ties(f):
    from cvutils import conv

    rng = np.random.default_rng(f)
    A = rng.standard_normal((2, 7, 6, 3))
    P, cache = conv.pool_forward(A, {"f": f, "stride": f})
    dP = rng.standard_normal(P.shape)
    np.testing.assert_allclose(
        npnet.max_pool_backward_first(dP, A, f), conv.pool_backward(dP, cache), atol=1e-15
    )


@pytest.mark.parametrize(("m", "n_classes", "scale"), [(1, 2, 1.0), (5, 10, 3.0), (8, 3, 100.0)])
def test_softmax_cross_entropy_matches_scipy(m, n_classes, scale):
    rng = np.random.default_rng(m)
    logits = scale * rng.normal(size=(m, n_classes))
    y = rng.integers(0, n_classes, m)
    loss, dlogits = npnet.softmax_cross_entropy(logits, y)
    ref = -log_softmax(logits, axis=1)[np.arange(m), y].mean()
    np.testing.assert_allclose(loss, ref, rtol=1e-12)
    probs = np.exp(log_softmax(logits, axis=1))
    np.testing.assert_allclose(dlogits, (probs - np.eye(n_classes)[y]) / m, atol=1e-15)
    if scale == 1.0:
        num = centred_difference(lambda: npnet.softmax_cross_entropy(logits, y)[0], logits)
        assert rel_error(dlogits, num) < 1e-8


def test_uniform_logits_give_log_n_classes():
    loss, _ = npnet.softmax_cross_entropy(np.zeros((4, 10)), np.arange(4))
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
        (dict(f=2), "f=2"),
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


def _bad_call(case):
    model = npnet.ConvNet((6, 6, 1), n_filters=2, n_classes=3)
    x = np.zeros((4, 6, 6, 1))
    y = np.array([0, 1, 2, 0])
    calls = {
        "x shape": lambda: model.forward(np.zeros((4, 7, 6, 1))),
        "x dtype": lambda: model.forward(np.zeros((4, 6, 6, 1), dtype=np.uint8)),
        "y length": lambda: model.loss_and_grads(x, y[:3]),
        "y range": lambda: model.loss_and_grads(x, np.array([0, 1, 3, 0])),
        "y float": lambda: model.loss_and_grads(x, y.astype(float)),
        "batch_size": lambda: npnet.train_epoch(model, x, y, batch_size=0, progress=False),
        "lr": lambda: npnet.train_epoch(model, x, y, lr=0.0, progress=False),
        "model": lambda: npnet.train_epoch(object(), x, y),
        "grads": lambda: model.step({"W1": 0}, lr=0.1),
        "logits": lambda: npnet.softmax_cross_entropy(np.zeros(3), [0]),
        "dP shape": lambda: npnet.max_pool_backward_first(np.zeros((4, 2, 2, 1)), x),
        "A rank": lambda: npnet.max_pool_backward_first(np.zeros((4, 3, 3)), x[..., 0]),
        "empty": lambda: npnet.accuracy(model, np.zeros((0, 6, 6, 1)), np.zeros(0, dtype=int)),
    }
    return calls[case]


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("x shape", r"x must have shape \(m, 6, 6, 1\)"),
        ("x dtype", "x / 255"),
        ("y length", "3 labels but there are 4"),
        ("y range", r"0\.\.2"),
        ("y float", "integer class labels"),
        ("batch_size", "batch_size"),
        ("lr", "lr"),
        ("model", "model"),
        ("grads", "grads"),
        ("logits", "logits"),
        ("dP shape", r"dP must have shape \(4, 3, 3, 1\)"),
        ("A rank", "A must have shape"),
        ("empty", "at least one"),
    ],
)
def test_bad_inputs_raise_value_error(case, match):
    with pytest.raises(ValueError, match=match):
        _bad_call(case)()
