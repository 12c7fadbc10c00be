"""Tests of cvutils.style against loop and NumPy references, with hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from cvutils import style

# ----------------------------------------------------------------------------- references


def _correlate_valid(x, w):
    """``(H, W, C)`` x ``(k, k, C, F)`` -> ``(H-k+1, W-k+1, F)``: cross-correlation by loops."""
    k = w.shape[0]
    H, W = x.shape[0] - k + 1, x.shape[1] - k + 1
    out = np.zeros((H, W, w.shape[3]))
    for i in range(H):
        for j in range(W):
            out[i, j] = np.tensordot(x[i : i + k, j : j + k], w, axes=([0, 1, 2], [0, 1, 2]))
    return out


def _features_reference(model, image, kernel_sizes, scales):
    """Random texture features from the model's own weights, in NumPy."""
    x = image[0].astype("float64") - 0.5
    row = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    blur = np.outer(row, row)
    outs = []
    for s in range(scales):
        if s:
            padded = np.pad(x, ((2, 2), (2, 2), (0, 0)), mode="reflect")
            blurred = np.stack(
                [
                    _correlate_valid(padded[..., c : c + 1], blur[:, :, None, None])[..., 0]
                    for c in range(3)
                ],
                axis=-1,
            )
            x = blurred[::2, ::2]
        for k in kernel_sizes:
            w = model.get_layer(f"scale{s}_k{k}").get_weights()[0].astype("float64")
            padded = np.pad(x, ((k // 2, k // 2), (k // 2, k // 2), (0, 0)), mode="reflect")
            outs.append(np.maximum(_correlate_valid(padded, w), 0.0))
    return outs


# ----------------------------------------------------------------------------- features


def test_random_texture_features_match_a_numpy_reference():
    sizes, scales = (1, 3, 5), 3
    model = style.random_texture_features(sizes, filters=4, scales=scales, seed=3)
    image = np.random.default_rng(0).random((1, 12, 16, 3)).astype("float32")
    got = model(image)
    want = _features_reference(model, image, sizes, scales)
    assert model.output_names == [f"scale{s}_k{k}" for s in range(scales) for k in sizes]
    assert [tuple(g.shape) for g in got] == [(1, *w.shape) for w in want]
    assert [w.shape[:2] for w in want[::3]] == [(12, 16), (6, 8), (3, 4)]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g)[0], w, rtol=1e-4, atol=1e-5)


def test_random_texture_features_are_frozen_seeded_and_shared_across_scales():
    a = style.random_texture_features((3, 5), filters=8, scales=2, seed=0)
    b = style.random_texture_features((3, 5), filters=8, scales=2, seed=0)
    c = style.random_texture_features((3, 5), filters=8, scales=2, seed=1)
    assert not a.trainable_weights
    k3 = a.get_layer("scale0_k3").get_weights()[0]
    np.testing.assert_array_equal(k3, b.get_layer("scale0_k3").get_weights()[0])
    np.testing.assert_array_equal(k3, a.get_layer("scale1_k3").get_weights()[0])
    assert not np.allclose(k3, c.get_layer("scale0_k3").get_weights()[0])
    # variance 1 / (3 k^2): the response to a unit patch keeps its scale
    big = style.random_texture_features((5,), filters=512, scales=1, seed=0)
    w = big.get_layer("scale0_k5").get_weights()[0]
    assert abs(w.std() * np.sqrt(3 * 25) - 1.0) < 0.05


def test_random_texture_features_reflect_padding_adds_no_border():
    model = style.random_texture_features((3, 7), filters=4, scales=2, seed=0)
    for a in model(np.full((1, 16, 16, 3), 0.8, "float32")):
        a = np.asarray(a)
        np.testing.assert_allclose(a, np.broadcast_to(a[:, :1, :1], a.shape), atol=1e-6)


def test_random_texture_features_gram_tells_textures_apart():
    """Two halves of one random texture are closer in Gram statistics than two textures."""
    r = np.random.default_rng(0)
    stripes = (np.sin(np.arange(64) * 2 * np.pi / 6)[None, :, None] > 0) * np.ones((64, 64, 3))
    stripes = np.clip(stripes + r.normal(0, 0.05, stripes.shape), 0, 1)
    blobs = np.clip(r.random((64, 64, 3)), 0, 1)
    model = style.random_texture_features((3, 5), filters=16, scales=2, seed=0)

    def gram(x):
        out = []
        for a in model(x[None].astype("float32")):
            a = np.asarray(a).reshape(-1, a.shape[-1])
            out.append(a.T @ a / len(a))
        return np.concatenate([g.ravel() for g in out])

    top, bottom = gram(stripes[:32]), gram(stripes[32:])
    assert np.linalg.norm(top - bottom) < 0.2 * np.linalg.norm(top - gram(blobs[:32]))


# ----------------------------------------------------------------------------- optimiser


def test_minimize_pixels_solves_a_box_constrained_quadratic():
    target = np.random.default_rng(0).uniform(-0.5, 1.5, (1, 4, 5, 3)).astype("float32")
    start = np.full_like(target, 0.5)
    run = style.minimize_pixels(
        lambda g: tf.reduce_sum((g - target) ** 2), start, iterations=50, snapshots=(0, 1)
    )
    np.testing.assert_allclose(run.image, np.clip(target, 0, 1), atol=1e-4)
    assert run.image.dtype == np.float32 and run.image.shape == target.shape
    # costs are in the cost's own units (not rescaled) and start at cost(start)
    np.testing.assert_allclose(run.costs[0], np.sum((start - target) ** 2), rtol=1e-5)
    assert run.costs[-1] < 1e-3 * run.costs[0] + np.sum((np.clip(target, 0, 1) - target) ** 2)
    assert len(run.costs) == run.iterations + 1 and run.evaluations >= run.iterations
    np.testing.assert_array_equal(run.snapshots[0], start[0])
    assert set(run.snapshots) == {0, 1} and run.seconds >= 0.0


def test_minimize_pixels_is_independent_of_the_cost_units():
    """The first gradient is rescaled to grad_norm: 1000 x the cost takes the same steps."""
    target = np.random.default_rng(1).random((1, 6, 6, 3)).astype("float32")
    start = np.zeros_like(target)

    def cost(g):
        return tf.reduce_sum((g - target) ** 4)

    a = style.minimize_pixels(cost, start, iterations=5)
    b = style.minimize_pixels(lambda g: 1000.0 * cost(g), start, iterations=5)
    np.testing.assert_allclose(a.image, b.image, atol=1e-4)
    np.testing.assert_allclose(1000.0 * np.array(a.costs), b.costs, rtol=1e-3)


def test_minimize_pixels_refuses_a_cost_without_a_gradient():
    start = np.full((1, 4, 4, 3), 0.5, "float32")
    with pytest.raises(ValueError, match="cost"):
        style.minimize_pixels(lambda g: tf.reduce_sum(g) * 0.0, start, iterations=3)
    with pytest.raises(ValueError, match="cost"):
        style.minimize_pixels(lambda g: tf.constant(1.0), start, iterations=3)
    with pytest.raises(ValueError, match="image"):
        style.minimize_pixels(lambda g: tf.reduce_sum(g), start + 1.0, iterations=3)
    with pytest.raises(ValueError, match="snapshots"):
        style.minimize_pixels(lambda g: tf.reduce_sum(g), start, iterations=3, snapshots=(4,))


# ----------------------------------------------------------------------------- measures


def test_gabor_bank_is_zero_mean_unit_l1_and_has_even_and_odd_filters():
    bank = style.gabor_bank((4.0, 8.0), orientations=3)
    assert len(bank) == 2 * 3 * 2
    assert bank[0].shape == (11, 11) and bank[-1].shape == (21, 21)
    for k in bank:
        assert abs(k.sum()) < 1e-12 and abs(np.abs(k).sum() - 1.0) < 1e-12
    even, odd = bank[0], bank[1]
    np.testing.assert_allclose(even, even[::-1, ::-1], atol=1e-15)
    np.testing.assert_allclose(odd, -odd[::-1, ::-1], atol=1e-15)
    # orientation 0 varies along x only: a vertical grating (stripes along y) drives it
    x = np.arange(32)
    vertical = np.cos(2 * np.pi * x / 4.0)[None, :].repeat(32, 0)
    horizontal = vertical.T
    img = lambda y: np.repeat(((y + 1) / 2)[..., None], 3, -1)  # noqa: E731
    T_v = style.texture_statistics(img(vertical), bank[:2])
    T_h = style.texture_statistics(img(horizontal), bank[:2])
    assert np.trace(T_v) > 100 * np.trace(T_h)


def test_texture_statistics_match_a_loop_reference_and_ignore_colour():
    r = np.random.default_rng(0)
    image = r.random((9, 10, 3))
    bank = [r.normal(size=(3, 3)), r.normal(size=(5, 5))]
    Y = image @ np.array(style.LUMA)
    maps = []
    for k in bank:
        p = k.shape[0] // 2
        padded = np.pad(Y, p, mode="symmetric")  # SciPy's "reflect" repeats the edge pixel
        flipped = k[::-1, ::-1]  # convolution, not correlation
        maps.append(
            [
                [
                    np.sum(padded[i : i + k.shape[0], j : j + k.shape[1]] * flipped)
                    for j in range(Y.shape[1])
                ]
                for i in range(Y.shape[0])
            ]
        )
    R = np.array(maps).reshape(len(bank), -1)
    np.testing.assert_allclose(style.texture_statistics(image[None], bank), R @ R.T / R.shape[1])
    # the same luminance in other colours: the same statistics
    grey = np.repeat(Y[..., None], 3, axis=-1)
    np.testing.assert_allclose(
        style.texture_statistics(grey, bank), style.texture_statistics(image, bank), atol=1e-12
    )


def test_texture_distance_orders_textures_and_is_a_metric():
    r = np.random.default_rng(0)
    fine = np.repeat(r.random((48, 48, 1)), 3, axis=-1)
    coarse = np.kron(r.random((12, 12)), np.ones((4, 4)))[..., None].repeat(3, -1)
    fine2 = np.repeat(r.random((48, 48, 1)), 3, axis=-1)
    assert style.texture_distance(fine, fine) == 0.0
    assert style.texture_distance(fine, coarse) == pytest.approx(
        style.texture_distance(coarse, fine)
    )
    assert style.texture_distance(fine, fine2) < 0.2 * style.texture_distance(fine, coarse)
    with pytest.raises(ValueError, match="image_b"):
        style.texture_distance(fine, fine[..., :2])


def test_edge_correlation():
    r = np.random.default_rng(0)
    yy, xx = np.mgrid[:48, :48]
    disc = ((yy - 24) ** 2 + (xx - 20) ** 2 < 150).astype(float)[..., None].repeat(3, -1)
    assert style.edge_correlation(disc, disc) == pytest.approx(1.0)
    # brightness and contrast do not matter; the place of the edges does
    assert style.edge_correlation(0.2 + 0.5 * disc, disc) == pytest.approx(1.0)
    moved = np.roll(disc, 16, axis=1)
    assert style.edge_correlation(moved, disc) < 0.3
    noisy = np.clip(disc + r.normal(0, 0.1, disc.shape), 0, 1)
    assert style.edge_correlation(noisy, disc) > 0.8
    assert style.edge_correlation(np.full_like(disc, 0.5), disc) == 0.0
    with pytest.raises(ValueError, match="image_b"):
        style.edge_correlation(disc, disc[:40])
