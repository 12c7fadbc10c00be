"""Tests of cvutils.nn: the initialization experiment against the course's table, batch norm
against keras.layers.BatchNormalization and numerical gradients, inverted dropout against
keras.layers.Dropout, L2 against keras.regularizers.L2."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from refusals import assert_refused

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
        mine, _, bn_param = nn.batchnorm_forward(x, gamma, beta, bn_param)
        theirs = keras.ops.convert_to_numpy(layer(x, training=True))
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(bn_param["running_mean"], layer.moving_mean.numpy(), rtol=1e-5)
        np.testing.assert_allclose(
            bn_param["running_var"], layer.moving_variance.numpy(), rtol=1e-5
        )
    x = rng.normal(size=shape).astype(np.float32)
    bn_param = {**bn_param, "mode": "test"}
    before = bn_param["running_mean"].copy()
    mine, _, after = nn.batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(
        mine, keras.ops.convert_to_numpy(layer(x, training=False)), rtol=1e-4, atol=1e-4
    )
    np.testing.assert_array_equal(after["running_mean"], before)


@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_never_mutates_bn_param_or_inputs(mode):
    rng = np.random.default_rng(5)
    x, gamma, beta = rng.normal(size=(8, 3)), rng.normal(size=3), rng.normal(size=3)
    running_mean, running_var = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    bn_param = {"mode": mode, "running_mean": running_mean, "running_var": running_var}
    copies = [a.copy() for a in (x, gamma, beta, running_mean, running_var)]
    keys = set(bn_param)
    _, _, new = nn.batchnorm_forward(x, gamma, beta, bn_param)
    assert set(bn_param) == keys and bn_param["running_mean"] is running_mean
    for a, c in zip((x, gamma, beta, running_mean, running_var), copies, strict=True):
        np.testing.assert_array_equal(a, c)
    assert new is not bn_param and new["running_mean"] is not running_mean
    if mode == "train":  # momentum 0.99 towards the batch statistics
        np.testing.assert_allclose(new["running_mean"], 0.99 * running_mean + 0.01 * x.mean(0))
        np.testing.assert_allclose(new["running_var"], 0.99 * running_var + 0.01 * x.var(0))
    else:
        np.testing.assert_array_equal(new["running_var"], running_var)
    # {"mode": "train"} alone: the new dict gets the statistics, the caller's stays empty
    plain = {"mode": "train"}
    new = nn.batchnorm_forward(x, gamma, beta, plain)[2]
    assert plain == {"mode": "train"} and new["running_mean"].shape == (3,)


def test_batchnorm_train_output_is_normalized():
    rng = np.random.default_rng(1)
    x = 5 + 3 * rng.normal(size=(200, 4))
    out, *_ = nn.batchnorm_forward(x, np.ones(4), np.zeros(4), {"mode": "train", "eps": 1e-12})
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

    _, cache, _ = nn.batchnorm_forward(x, gamma, beta, dict(base))
    dx, dgamma, dbeta = nn.batchnorm_backward(dout, cache)
    assert _rel_err(dx, _num_grad(fwd, x, dout)) < 1e-7
    assert _rel_err(dgamma, _num_grad(lambda g: fwd(x, g), gamma.copy(), dout)) < 1e-7
    assert _rel_err(dbeta, _num_grad(lambda b: fwd(x, gamma, b), beta.copy(), dout)) < 1e-7


X45, G5, B5 = np.ones((4, 5)), np.ones(5), np.zeros(5)
TRAIN = {"mode": "train"}


@pytest.mark.parametrize(
    ("args", "arg"),
    [
        ((np.ones(5), G5, B5, TRAIN), "x"),
        ((None, G5, B5, TRAIN), "x"),
        ((X45 + 1j, G5, B5, TRAIN), "x"),
        ((np.full((4, 5), np.nan), G5, B5, TRAIN), "x"),
        ((np.ones((0, 5)), G5, B5, TRAIN), "x"),
        ((X45, np.ones(4), B5, TRAIN), "gamma"),
        ((X45, [np.inf] * 5, B5, TRAIN), "gamma"),
        ((X45, G5, np.zeros((1, 5)), TRAIN), "beta"),
        ((X45, G5, None, TRAIN), "beta"),
        ((X45, G5, B5, {"mode": "eval"}), "bn_param['mode']"),
        ((X45, G5, B5, {}), "bn_param['mode']"),
        ((X45, G5, B5, {"mode": "train", "eps": 0}), "bn_param['eps']"),
        ((X45, G5, B5, {"mode": "train", "eps": np.nan}), "bn_param['eps']"),
        ((X45, G5, B5, {"mode": "train", "momentum": 1.5}), "bn_param['momentum']"),
        ((X45, G5, B5, {"mode": "train", "momentum": True}), "bn_param['momentum']"),
        ((X45, G5, B5, {"mode": "test", "running_mean": np.zeros(3)}), "bn_param['running_mean']"),
        ((X45, G5, B5, {"mode": "test", "running_var": -np.ones(5)}), "bn_param['running_var']"),
        ((X45, G5, B5, {"mode": "test", "running_var": [np.nan] * 5}), "bn_param['running_var']"),
        ((X45, G5, B5, "train"), "bn_param"),
    ],
)
def test_batchnorm_bad_arguments(args, arg):
    assert_refused(lambda: nn.batchnorm_forward(*args), arg)


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


def _cache():
    return nn.batchnorm_forward(np.ones((3, 3)), np.ones(3), np.zeros(3), TRAIN)[1]


RNG = np.random.default_rng


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda: nn.dropout_forward(np.ones(3), 1.0, RNG()), "p_drop"),
        (lambda: nn.dropout_forward(np.ones(3), -0.1, RNG()), "p_drop"),
        (lambda: nn.dropout_forward(np.ones(3), None, RNG()), "p_drop"),
        (lambda: nn.dropout_forward(np.ones(3), 0.5, None), "rng"),
        (lambda: nn.dropout_forward(np.ones(3), 0.5, 0), "rng"),
        (lambda: nn.dropout_forward(np.ones(3), 0.5, RNG(), train="no"), "train"),
        (lambda: nn.dropout_forward(np.ones(3), 0.5, RNG(), train=1), "train"),
        (lambda: nn.dropout_forward([np.nan], 0.5, RNG()), "x"),
        (lambda: nn.dropout_forward("abc", 0.5, RNG()), "x"),
        (lambda: nn.dropout_backward(np.ones(3), np.ones(4)), "mask"),
        (lambda: nn.dropout_backward(np.ones(3), [np.nan] * 3), "mask"),
        (lambda: nn.dropout_backward([np.inf, 0, 0], np.ones(3)), "dout"),
        (lambda: nn.dropout_backward([np.nan], None), "dout"),
        (lambda: nn.init_experiment("glorot"), "init"),
        (lambda: nn.init_experiment(None), "init"),
        (lambda: nn.init_experiment("he", "sigmoid"), "activation"),
        (lambda: nn.init_experiment("he", hidden_sizes=[]), "hidden_sizes"),
        (lambda: nn.init_experiment("he", hidden_sizes=[5, 0]), "hidden_sizes[1]"),
        (lambda: nn.init_experiment("he", hidden_sizes=5), "hidden_sizes"),
        (lambda: nn.init_experiment("he", n_examples=0), "n_examples"),
        (lambda: nn.init_experiment("he", n_examples=10**7), "n_examples"),
        (lambda: nn.init_experiment("he", n_features=2.5), "n_features"),
        (lambda: nn.init_experiment("he", seed=-1), "seed"),
        (lambda: nn.init_experiment("small", scale=0.0), "scale"),
        (lambda: nn.init_weights(0, 3, "he", RNG()), "fan_in"),
        (lambda: nn.init_weights(3, True, "he", RNG()), "fan_out"),
        (lambda: nn.init_weights(10**5, 10**5, "he", RNG()), "fan_out"),
        (lambda: nn.init_weights(3, 3, "glorot", RNG()), "init"),
        (lambda: nn.init_weights(3, 3, "he", 0), "rng"),
        (lambda: nn.init_weights(3, 3, "small", RNG(), scale=-1), "scale"),
        (lambda: nn.l2_penalty([np.ones(3)], -1.0), "reg"),
        (lambda: nn.l2_penalty([np.ones(3)], np.inf), "reg"),
        (lambda: nn.l2_penalty(np.ones(3), 0.1), "weights"),
        (lambda: nn.l2_penalty(None, 0.1), "weights"),
        (lambda: nn.l2_penalty([np.ones(3), [np.nan]], 0.1), "weights[1]"),
        (lambda: nn.batchnorm_backward(np.ones((2, 3)), _cache()), "dout"),
        (lambda: nn.batchnorm_backward(np.full((3, 3), np.nan), _cache()), "dout"),
        (lambda: nn.batchnorm_backward(np.ones((3, 3)), {}), "cache"),
        (lambda: nn.batchnorm_backward(np.ones((3, 3)), None), "cache"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, arg):
    assert_refused(call, arg)


def test_dropout_does_not_mutate_its_input():
    x = np.ones((4, 4))
    out, mask = nn.dropout_forward(x, 0.5, RNG(0))
    nn.dropout_backward(out, mask)
    np.testing.assert_array_equal(x, np.ones((4, 4)))


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


# Found by tests/test_bad_input.py.
def test_batchnorm_backward_refuses_a_dict_that_is_not_its_cache():
    keys = ("x_hat", "gamma", "inv_std", "mode", "axes")
    for value in (None, -1):
        cache = dict.fromkeys(keys, value)
        assert_refused(lambda cache=cache: nn.batchnorm_backward(np.ones((2, 3)), cache), "cache")


def test_batchnorm_gamma_message_says_D_comes_from_x():
    err = assert_refused(
        lambda: nn.batchnorm_forward(np.ones((4, 5)), np.ones(3), np.zeros(3), {"mode": "train"}),
        "gamma",
    )
    assert "x.shape[-1] = 5" in str(err)
