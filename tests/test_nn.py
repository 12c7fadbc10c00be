"""Tests of cvutils.nn: the initialization experiment against the course's table, batch norm
against keras.layers.BatchNormalization and numerical gradients, inverted dropout against
keras.layers.Dropout, L2 against keras.regularizers.L2."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from cvutils import gradcheck, nn

XAVIER_TANH = [0.628, 0.486, 0.408, 0.357, 0.321, 0.292, 0.273, 0.255, 0.239, 0.228]


# ----------------------------------------------------------------------------- initialization


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_xavier_tanh_reproduces_course_table(seed):
    res = nn.init_experiment("xavier", "tanh", seed=seed)
    assert res.stds.shape == (10,) and len(res.activations) == 10
    assert res.activations[0].shape == (1000, 500)
    np.testing.assert_allclose(res.stds, XAVIER_TANH, atol=0.01)
    assert np.all(np.abs(res.means) < 0.01)


def test_small_init_collapses():
    s = nn.init_experiment("small", "tanh", seed=0).stds
    assert s[0] == pytest.approx(0.21, abs=0.02)
    assert s[1] == pytest.approx(0.048, abs=0.01)
    assert s[2] == pytest.approx(0.011, abs=0.005)
    assert np.all(np.diff(s) < 0) and s[-1] < 1e-6


def test_relu_xavier_collapses_and_he_holds():
    xav = nn.init_experiment("xavier", "relu", seed=0).stds
    he = nn.init_experiment("he", "relu", seed=0).stds
    assert xav[-1] < xav[0] / 10
    assert he[0] / 2 < he[-1] < he[0] * 2


def test_init_experiment_std_of_one_linear_layer_is_analytic():
    # linear Xavier layer on unit Gaussian data: Var = fan_in * (1/fan_in) = 1
    res = nn.init_experiment(
        "xavier", "linear", n_examples=2000, n_features=400, hidden_sizes=[300], seed=3
    )
    assert res.stds[0] == pytest.approx(1.0, abs=0.02)


def test_init_weights_scales():
    rng = np.random.default_rng(0)
    assert nn.init_weights(1000, 1000, "xavier", rng).std() == pytest.approx(
        1 / np.sqrt(1000), rel=0.01
    )
    assert nn.init_weights(1000, 1000, "he", rng).std() == pytest.approx(
        np.sqrt(2 / 1000), rel=0.01
    )
    assert nn.init_weights(1000, 1000, "small", rng).std() == pytest.approx(0.01, rel=0.01)


# ----------------------------------------------------------------------------- batch norm


@pytest.mark.parametrize("shape", [(16, 5), (4, 3, 3, 6)])
@pytest.mark.parametrize(("momentum", "eps"), [(0.99, 1e-3), (0.9, 1e-5)])
def test_batchnorm_matches_keras(shape, momentum, eps):
    rng = np.random.default_rng(0)
    d = shape[-1]
    gamma = rng.uniform(0.5, 1.5, d).astype(np.float32)
    beta = rng.normal(size=d).astype(np.float32)
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=eps)
    layer.build(shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    bn_param = {"mode": "train", "momentum": momentum, "eps": eps}
    for _ in range(3):
        x = (3 + 2 * rng.normal(size=shape)).astype(np.float32)
        mine, _ = nn.batchnorm_forward(x, gamma, beta, bn_param)
        theirs = keras.ops.convert_to_numpy(layer(x, training=True))
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(bn_param["running_mean"], layer.moving_mean.numpy(), rtol=1e-5)
        np.testing.assert_allclose(
            bn_param["running_var"], layer.moving_variance.numpy(), rtol=1e-5
        )
    x = rng.normal(size=shape).astype(np.float32)
    bn_param["mode"] = "test"
    before = bn_param["running_mean"].copy()
    mine, _ = nn.batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(
        mine, keras.ops.convert_to_numpy(layer(x, training=False)), rtol=1e-4, atol=1e-4
    )
    np.testing.assert_array_equal(bn_param["running_mean"], before)


def test_batchnorm_train_output_is_normalized():
    rng = np.random.default_rng(1)
    x = 5 + 3 * rng.normal(size=(200, 4))
    out, _ = nn.batchnorm_forward(x, np.ones(4), np.zeros(4), {"mode": "train", "eps": 1e-12})
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-9)  # biased variance


def _num_grad(f, x, df, h=1e-6):
    """Centred differences of sum(f(x) * df) with respect to x.

    Uses cvutils.gradcheck, which is tested on its own.
    """
    return gradcheck.numerical_gradient(lambda x_: np.sum(f(x_) * df), x, eps=h)


def _rel_err(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 3, 2)])
def test_batchnorm_backward_matches_numerical_gradient(mode, shape):
    rng = np.random.default_rng(2)
    d = shape[-1]
    x = rng.normal(size=shape) * 2 + 1
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    dout = rng.normal(size=shape)
    base = {"mode": mode, "running_mean": rng.normal(size=d), "running_var": rng.uniform(0.5, 2, d)}

    def fwd(x_, g_=gamma, b_=beta):
        return nn.batchnorm_forward(x_, g_, b_, dict(base))[0]

    _, cache = nn.batchnorm_forward(x, gamma, beta, dict(base))
    dx, dgamma, dbeta = nn.batchnorm_backward(dout, cache)
    assert _rel_err(dx, _num_grad(fwd, x, dout)) < 1e-7
    assert _rel_err(dgamma, _num_grad(lambda g: fwd(x, g), gamma.copy(), dout)) < 1e-7
    assert _rel_err(dbeta, _num_grad(lambda b: fwd(x, gamma, b), beta.copy(), dout)) < 1e-7


@pytest.mark.parametrize(
    ("args", "arg"),
    [
        ((np.ones(5), np.ones(5), np.zeros(5), {"mode": "train"}), "x"),
        ((np.ones((4, 5)), np.ones(4), np.zeros(5), {"mode": "train"}), "gamma"),
        ((np.ones((4, 5)), np.ones(5), np.zeros((1, 5)), {"mode": "train"}), "beta"),
        ((np.ones((4, 5)), np.ones(5), np.zeros(5), {"mode": "eval"}), "mode"),
        ((np.ones((4, 5)), np.ones(5), np.zeros(5), {"mode": "train", "eps": 0}), "eps"),
        (
            (np.ones((4, 5)), np.ones(5), np.zeros(5), {"mode": "train", "momentum": 1.5}),
            "momentum",
        ),
        (
            (
                np.ones((4, 5)),
                np.ones(5),
                np.zeros(5),
                {"mode": "test", "running_mean": np.zeros(3)},
            ),
            "running_mean",
        ),
        ((np.ones((4, 5)), np.ones(5), np.zeros(5), "train"), "bn_param"),
    ],
)
def test_batchnorm_bad_arguments(args, arg):
    with pytest.raises(ValueError, match=arg):
        nn.batchnorm_forward(*args)


# ----------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("p_drop", [0.0, 0.25, 0.5, 0.8])
def test_dropout_properties_match_keras(p_drop):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, size=(200, 50)).astype(np.float32)
    out, mask = nn.dropout_forward(x, p_drop, rng, train=True)
    theirs = keras.ops.convert_to_numpy(keras.layers.Dropout(p_drop, seed=0)(x, training=True))
    for y in (out, theirs):
        kept = y != 0
        # survivors are scaled by 1 / (1 - p), the rest are exactly zero
        np.testing.assert_allclose(y[kept], x[kept] / (1 - p_drop), rtol=1e-6)
        assert abs(1 - kept.mean() - p_drop) < 0.02
    assert set(np.unique(mask)) <= {0.0, 1 / (1 - p_drop)}
    # expectation preserved: average over many draws
    draws = np.mean([nn.dropout_forward(x[:4], p_drop, rng)[0] for _ in range(4000)], axis=0)
    np.testing.assert_allclose(draws, x[:4], rtol=0.1)
    # inference: identity, exactly, for both
    assert np.array_equal(nn.dropout_forward(x, p_drop, train=False)[0], x)
    assert np.array_equal(
        keras.ops.convert_to_numpy(keras.layers.Dropout(p_drop)(x, training=False)), x
    )


def test_dropout_backward_uses_the_mask():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 6))
    out, mask = nn.dropout_forward(x, 0.3, rng)
    dout = rng.normal(size=x.shape)
    # the gradient flows only through kept units, scaled like them
    np.testing.assert_allclose(nn.dropout_backward(dout, mask), dout * (out != 0) / 0.7, rtol=1e-12)
    np.testing.assert_array_equal(nn.dropout_backward(dout, None), dout)


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda: nn.dropout_forward(np.ones(3), 1.0, np.random.default_rng()), "p_drop"),
        (lambda: nn.dropout_forward(np.ones(3), -0.1, np.random.default_rng()), "p_drop"),
        (lambda: nn.dropout_forward(np.ones(3), 0.5, None), "rng"),
        (lambda: nn.dropout_backward(np.ones(3), np.ones(4)), "mask"),
        (lambda: nn.init_experiment("glorot"), "init"),
        (lambda: nn.init_experiment("he", "sigmoid"), "activation"),
        (lambda: nn.init_experiment("he", hidden_sizes=[]), "hidden_sizes"),
        (lambda: nn.init_weights(0, 3, "he", np.random.default_rng()), "fan_in"),
        (lambda: nn.l2_penalty([np.ones(3)], -1.0), "reg"),
        (
            lambda: nn.batchnorm_backward(
                np.ones((2, 3)),
                nn.batchnorm_forward(np.ones((3, 3)), np.ones(3), np.zeros(3), {"mode": "train"})[
                    1
                ],
            ),
            "dout",
        ),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()


# ----------------------------------------------------------------------------- L2


def test_l2_penalty_is_half_of_keras_l2():
    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    reg = 0.01
    penalty, grads = nn.l2_penalty(ws, reg)
    keras_value = sum(float(keras.regularizers.L2(reg)(w)) for w in ws)
    assert penalty == pytest.approx(0.5 * keras_value, rel=1e-6)
    assert penalty == pytest.approx(0.5 * reg * sum((w**2).sum() for w in ws))
    for g, w in zip(grads, ws, strict=True):
        np.testing.assert_allclose(g, reg * w)
