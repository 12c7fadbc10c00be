"""Tests of cvutils.interpret on tiny Keras models built here, against hand-worked values."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

from cvutils import gradcheck
from cvutils.interpret import (
    ReceptiveField,
    accuracy_under_attack,
    activation_maximization,
    feature_maps,
    fgsm,
    first_layer_filters,
    occlusion_map,
    receptive_field,
    saliency,
    top_patches,
)

L = keras.layers


@pytest.fixture(scope="module")
def convnet():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            L.Conv2D(4, 3, name="conv1", activation="relu"),
            L.MaxPooling2D(2, name="pool1"),
            L.Conv2D(5, 3, padding="same", name="conv2"),
            L.Flatten(name="flat"),
            L.Dense(3, activation="softmax", name="out"),
        ]
    )


def linear_model(shape, n_classes, weights, activation=None, dtype="float32"):
    model = keras.Sequential(
        [
            keras.Input(shape, dtype=dtype),
            L.Flatten(dtype=dtype),
            L.Dense(n_classes, activation=activation, dtype=dtype),
        ]
    )
    model.layers[-1].set_weights([weights, np.zeros(n_classes)])
    return model


# ----------------------------------------------------------------------------- filters, maps


def test_first_layer_filters_scaled_per_filter(convnet):
    f = first_layer_filters(convnet)
    w = convnet.get_layer("conv1").get_weights()[0]
    assert f.shape == w.shape == (3, 3, 3, 4)
    for i in range(4):
        expected = (w[..., i] - w[..., i].min()) / (w[..., i].max() - w[..., i].min())
        np.testing.assert_allclose(f[..., i], expected, rtol=1e-6)
    assert f.min() == 0.0 and f.max() == 1.0


def test_first_layer_filters_constant_filter_is_grey():
    model = keras.Sequential([keras.Input((4, 4, 1)), L.Conv2D(2, 2)])
    model.layers[0].set_weights([np.ones((2, 2, 1, 2)), np.zeros(2)])
    np.testing.assert_array_equal(first_layer_filters(model), 0.5)


def test_feature_maps_match_direct_computation(convnet):
    image = np.random.default_rng(0).uniform(size=(12, 12, 3))
    maps = feature_maps(convnet, image)
    assert list(maps) == ["conv1", "pool1", "conv2"]
    assert maps["conv1"].shape == (10, 10, 4)
    assert maps["pool1"].shape == (5, 5, 4)
    assert maps["conv2"].shape == (5, 5, 5)
    w, b = convnet.get_layer("conv1").get_weights()
    # loop reference for conv1 (valid cross-correlation, ReLU)
    ref = np.zeros((10, 10, 4))
    for i in range(10):
        for j in range(10):
            ref[i, j] = np.maximum(np.tensordot(image[i : i + 3, j : j + 3], w, 3) + b, 0)
    np.testing.assert_allclose(maps["conv1"], ref, atol=1e-5)
    only = feature_maps(convnet, image[None], layer_names=["pool1"])
    np.testing.assert_allclose(only["pool1"], maps["pool1"])


# ----------------------------------------------------------------------------- receptive fields


@pytest.mark.parametrize(
    "layers, name, expected",
    [
        # conv 3x3 s1 then conv 3x3 s1: 3 + 2 = 5, stride 1
        ([L.Conv2D(1, 3, name="a"), L.Conv2D(1, 3, name="b")], "b", ((5, 5), (1, 1), (0, 0))),
        # conv 3x3 s2 then conv 3x3 s1: 3 + 2*2 = 7, stride 2
        (
            [L.Conv2D(1, 3, strides=2, name="a"), L.Conv2D(1, 3, name="b")],
            "b",
            ((7, 7), (2, 2), (0, 0)),
        ),
        # conv 5x5 s1 then 2x2 max-pool s2: 5 + 1 = 6, stride 2
        ([L.Conv2D(1, 5, name="a"), L.MaxPooling2D(2, name="b")], "b", ((6, 6), (2, 2), (0, 0))),
        # 'same' 3x3 s1 (pad 1) then 'same' 3x3 s2 on 16 (pad 0 before: total 1, 1 // 2 = 0)
        (
            [
                L.Conv2D(1, 3, padding="same", name="a"),
                L.ReLU(name="r"),
                L.Conv2D(1, 3, strides=2, padding="same", name="b"),
            ],
            "b",
            ((5, 5), (2, 2), (-1, -1)),
        ),
        # non-square kernel, dilation 2 (effective 5x3), first layer only
        ([L.Conv2D(1, (3, 2), dilation_rate=(2, 2), name="a")], "a", ((5, 3), (1, 1), (0, 0))),
    ],
)
def test_receptive_field_hand_computed(layers, name, expected):
    model = keras.Sequential([keras.Input((16, 16, 1)), *layers])
    assert receptive_field(model, name) == ReceptiveField(*expected)


def test_receptive_field_refuses_flatten_on_the_way(convnet):
    with pytest.raises(ValueError, match="layer_name"):
        receptive_field(convnet, "out")


def test_top_patches_finds_the_pattern_the_unit_detects():
    # conv1 detects a bright 2x2 square (kernel of ones); conv2 (1x1) copies it.
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), L.Conv2D(1, 2, name="c1"), L.Conv2D(1, 1, name="c2")]
    )
    model.get_layer("c1").set_weights([np.ones((2, 2, 1, 1)), np.zeros(1)])
    model.get_layer("c2").set_weights([np.ones((1, 1, 1, 1)), np.zeros(1)])
    images = np.zeros((3, 8, 8, 1))
    images[1, 4:6, 2:4] = 1.0  # the strongest: a full 2x2 square at rows 4-5, cols 2-3
    images[2, 0, 7] = 0.5
    patches, acts, loc = top_patches(model, images, "c2", 0, k=6, return_locations=True)
    assert patches.shape == (6, 2, 2, 1)
    # then the four windows that overlap the square by two pixels, then by one
    np.testing.assert_allclose(acts, [4.0, 2.0, 2.0, 2.0, 2.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(loc[0], [1, 4, 2, 6, 4])
    np.testing.assert_array_equal(patches[0, ..., 0], np.ones((2, 2)))
    np.testing.assert_array_equal(loc[:, 0], 1)
    for patch, act in zip(patches, acts, strict=True):
        assert patch.sum() == pytest.approx(act)  # the crop is what the unit saw
    patches, acts = top_patches(model, images, "c2", 0, k=1)
    assert patches.shape == (1, 2, 2, 1) and acts.shape == (1,)


def test_top_patches_pads_crops_outside_the_image():
    model = keras.Sequential([keras.Input((4, 4, 1)), L.Conv2D(1, 3, padding="same", name="c")])
    w = np.zeros((3, 3, 1, 1))
    w[1, 1] = 1.0  # identity
    model.layers[0].set_weights([w, np.zeros(1)])
    image = np.zeros((1, 4, 4, 1))
    image[0, 0, 0] = 1.0
    patches, acts, loc = top_patches(model, image, "c", 0, k=1, return_locations=True)
    np.testing.assert_array_equal(loc[0], [0, -1, -1, 2, 2])
    expected = np.zeros((3, 3))
    expected[1, 1] = 1.0
    np.testing.assert_array_equal(patches[0, ..., 0], expected)


# ----------------------------------------------------------------------------- attributions


def region_model():
    """Softmax over 2 classes; the class-0 logit is the sum of the top-left 4x4 pixels."""
    w = np.zeros((8, 8, 1, 2))
    w[:4, :4, 0, 0] = 1.0
    return linear_model((8, 8, 1), 2, w.reshape(64, 2), activation="softmax")


def test_occlusion_lowers_the_probability_where_the_model_looks():
    model = region_model()
    image = np.full((8, 8, 1), 0.5)
    image[:4, :4] = 1.0
    m = occlusion_map(model, image, 0, patch=4, stride=4, fill=0.0)
    assert m.shape == (2, 2)
    base = float(model(image[None])[0, 0])
    assert base > 0.99
    assert m[0, 0] == pytest.approx(0.5)  # the top-left square carries the decision
    np.testing.assert_allclose([m[0, 1], m[1, 0], m[1, 1]], base, rtol=1e-6)
    assert occlusion_map(model, image, 0, patch=3, stride=2).shape == (3, 3)


def occlusion_by_pixel_loop(model, image, label, patch, stride, fill):
    """The centred occlusion map by an explicit loop over the pixels of each square."""
    H, W = image.shape[:2]
    half = patch // 2
    rows = []
    for ci in range(0, H, stride):
        row = []
        for cj in range(0, W, stride):
            x = np.array(image, dtype="float32", copy=True)
            for r in range(ci - half, ci - half + patch):
                for c in range(cj - half, cj - half + patch):
                    if 0 <= r < H and 0 <= c < W:
                        x[r, c, :] = fill
            row.append(float(model(x[None])[0, label]))
        rows.append(row)
    return np.array(rows)


@pytest.mark.parametrize("patch, stride", [(3, 1), (4, 2), (1, 3), (5, 5)])
def test_centred_occlusion_equals_a_pixel_loop(patch, stride):
    w = np.random.default_rng(3).normal(size=(7 * 6 * 2, 3))
    model = linear_model((7, 6, 2), 3, w, activation="softmax")
    image = np.random.default_rng(4).uniform(size=(7, 6, 2))
    m = occlusion_map(model, image, 1, patch=patch, stride=stride, fill=0.0, anchor="center")
    assert m.shape == ((7 - 1) // stride + 1, (6 - 1) // stride + 1)
    expected = occlusion_by_pixel_loop(model, image, 1, patch, stride, 0.0)
    np.testing.assert_allclose(m, expected, rtol=1e-5, atol=1e-7)


def test_centred_occlusion_sits_on_the_pixel_that_matters():
    # the class-0 score is 10 x pixel (2, 5): only squares that cover that pixel lower it
    w = np.zeros((8, 8, 1, 2))
    w[2, 5, 0, 0] = 10.0
    model = linear_model((8, 8, 1), 2, w.reshape(64, 2), activation="softmax")
    image = np.ones((8, 8, 1))
    m = occlusion_map(model, image, 0, patch=3, stride=1, fill=0.0, anchor="center")
    assert m.shape == (8, 8)
    low = m < 0.9  # p drops from sigmoid(10) to 0.5 where the square covers the pixel
    expected = np.zeros((8, 8), bool)
    expected[1:4, 4:7] = True  # centres within one pixel of (2, 5)
    np.testing.assert_array_equal(low, expected)


def test_occlusion_from_logits_equals_probabilities():
    w = np.random.default_rng(0).normal(size=(16, 3))
    logits = linear_model((4, 4, 1), 3, w)
    probs = linear_model((4, 4, 1), 3, w, activation="softmax")
    image = np.random.default_rng(1).uniform(size=(4, 4, 1))
    np.testing.assert_allclose(
        occlusion_map(logits, image, 2, patch=2, stride=1, from_logits=True),
        occlusion_map(probs, image, 2, patch=2, stride=1),
        rtol=1e-5,
    )


def test_saliency_equals_numerical_gradient_on_a_linear_model():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(5 * 4 * 3, 2))
    model = linear_model((5, 4, 3), 2, w, dtype="float64")
    image = rng.uniform(size=(5, 4, 3))
    s = saliency(model, image, 1)

    def score(x):
        return float(model(x[None])[0, 1])

    g = gradcheck.numerical_gradient(score, image.copy(), eps=1e-5)
    assert s.shape == (5, 4)
    np.testing.assert_allclose(s, np.abs(g).max(axis=-1), rtol=1e-6)
    np.testing.assert_allclose(s, np.abs(w[:, 1].reshape(5, 4, 3)).max(axis=-1), rtol=1e-9)


def test_activation_maximization_reaches_the_units_optimum():
    # a 1x1 conv unit with weights (+1, -1, +2): the optimum on [0, 1] is (1, 0, 1) everywhere
    model = keras.Sequential([keras.Input((4, 4, 3)), L.Conv2D(2, 1, name="c")])
    w = np.zeros((1, 1, 3, 2))
    w[0, 0, :, 1] = [1.0, -1.0, 2.0]
    model.layers[0].set_weights([w, np.zeros(2)])
    x0 = activation_maximization(model, "c", 1, steps=0, seed=3)
    x = activation_maximization(model, "c", 1, steps=30, lr=0.1, seed=3)
    assert x.shape == (4, 4, 3)
    assert (x >= 0).all() and (x <= 1).all()
    np.testing.assert_allclose(x, np.broadcast_to([1.0, 0.0, 1.0], x.shape), atol=1e-6)
    assert (x0 @ w[0, 0, :, 1]).mean() < (x @ w[0, 0, :, 1]).mean()
    np.testing.assert_array_equal(x, activation_maximization(model, "c", 1, 30, 0.1, seed=3))


def test_fgsm_step_is_epsilon_times_gradient_sign_on_a_linear_softmax_model():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(36, 3))
    model = linear_model((6, 6, 1), 3, w, activation="softmax")
    x = rng.uniform(0.3, 0.7, size=(5, 6, 6, 1))
    y = np.array([0, 1, 2, 1, 0])
    # analytic gradient of the cross-entropy: W (p - onehot(y))
    z = x.reshape(5, 36) @ w
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    grad = (p - np.eye(3)[y]) @ w.T
    assert np.abs(grad).min() > 1e-3  # no sign is ambiguous in float32
    adv = fgsm(model, x, y, epsilon=0.1)
    np.testing.assert_allclose(adv - x, 0.1 * np.sign(grad).reshape(x.shape), atol=1e-6)
    np.testing.assert_allclose(fgsm(model, x, y, epsilon=0.0), x, atol=1e-7)
    assert fgsm(model, x, y, epsilon=0.5).min() >= 0.0 and fgsm(model, x, y, 0.5).max() <= 1.0


def test_fgsm_accuracy_does_not_increase_with_epsilon_on_a_trained_model():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=256)
    x = rng.uniform(0, 0.6, size=(256, 6, 6, 1))
    x[y == 1, :, :3] += 0.4  # class 1: the left half is brighter
    x[y == 0, :, 3:] += 0.4
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Flatten(), L.Dense(2)])
    model.compile(
        keras.optimizers.Adam(0.05), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(x, y, epochs=15, batch_size=64, verbose=0)
    accs = []
    for eps in [0.0, 0.02, 0.05, 0.1, 0.2, 0.4]:
        adv = fgsm(model, x, y, eps, from_logits=True)
        accs.append(float(np.mean(np.argmax(model.predict(adv, verbose=0), 1) == y)))
    assert accs[0] > 0.95
    assert all(b <= a for a, b in itertools.pairwise(accs))
    assert accs[-1] < 0.5


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m: fgsm(m, np.zeros((2, 12, 12, 3)), [0, 1], epsilon=-0.1), "epsilon"),
        (lambda m: fgsm(m, np.zeros((2, 12, 12, 3)), [0, 1, 2], epsilon=0.1), "labels"),
        (lambda m: fgsm(m, np.zeros((2, 12, 12, 3)), [[0], [1]], epsilon=0.1), "labels"),
        (lambda m: fgsm(m, np.zeros((12, 12, 3)), [0], epsilon=0.1), "images"),
        (lambda m: occlusion_map(m, np.zeros((12, 12, 3)), 0, patch=0), "patch"),
        (lambda m: occlusion_map(m, np.zeros((12, 12, 3)), 0, patch=13), "patch"),
        (lambda m: occlusion_map(m, np.zeros((12, 12, 3)), 0, stride=0), "stride"),
        (lambda m: occlusion_map(m, np.zeros((12, 12, 3)), 3), "label"),
        (lambda m: occlusion_map(m, np.zeros((2, 12, 12, 3)), 0), "image"),
        (lambda m: occlusion_map(m, np.zeros((12, 12, 3)), 0, anchor="centre"), "anchor"),
        (lambda m: saliency(m, np.zeros((12, 12)), 0), "image"),
        (lambda m: saliency(m, np.zeros((12, 12, 4)), 0), "image"),
        (lambda m: feature_maps(m, np.zeros((12, 12, 3)), ["nope"]), "layer_names"),
        (lambda m: feature_maps(m, np.zeros((12, 12, 3)), ["out"]), "layer_names"),
        (lambda m: top_patches(m, np.zeros((2, 12, 12, 3)), "nope", 0), "layer_name"),
        (lambda m: top_patches(m, np.zeros((2, 12, 12, 3)), "conv2", 5), "unit"),
        (lambda m: top_patches(m, np.zeros((2, 12, 12, 3)), "conv2", 0, k=0), "k"),
        (lambda m: activation_maximization(m, "conv2", 0, shape=(0, 12, 3)), r"shape\[0\]"),
        (lambda m: activation_maximization(m, "conv2", 0, lr=0.0), "lr"),
        (lambda m: activation_maximization(m, "conv2", 0, steps=-1), "steps"),
        (lambda m: first_layer_filters("model"), "model"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(convnet, call, name):
    with pytest.raises(ValueError, match=name):
        call(convnet)


# Found by tests/test_bad_input.py: steps=2**31 ran for ever, and a huge lr, epsilon or fill
# overflowed the float32 model into NaN instead of being refused.
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda m, x: activation_maximization(m, "conv1", 0, steps=2**31), "steps"),
        (lambda m, x: activation_maximization(m, "conv1", 0, steps=1, lr=1e300), "lr"),
        (lambda m, x: fgsm(m, x[None], [0], epsilon=1e300), "epsilon"),
        (lambda m, x: occlusion_map(m, x, 0, patch=4, stride=4, fill=1e300), "fill"),
        (lambda m, x: occlusion_map(m, x, 0, patch=4, stride=4, fill=-1e300), "fill"),
    ],
)
def test_unbounded_sizes_are_refused(convnet, call, name):
    x = np.random.default_rng(0).random((12, 12, 3)).astype("float32")
    with pytest.raises(ValueError, match=rf"^{name} must be .*; got "):
        call(convnet, x)


# ------------------------------------------------------------------------ accuracy under attack
# (notebooks/17_what_convnets_learn.ipynb)

EPSILONS = [0.0, 0.01, 0.05, 0.1, 0.3]


def _fgsm_accuracies(model, x, y, epsilons, **kwargs):
    """The loop oracle: fgsm per epsilon, then the arg-max against the labels."""
    outs = [keras.ops.convert_to_numpy(model(fgsm(model, x, y, e, **kwargs))) for e in epsilons]
    return [float(np.mean(np.argmax(out, 1) == y)) for out in outs]


@pytest.mark.parametrize("n", [7, 260])  # 260 > one batch of 256
def test_accuracy_under_attack_equals_fgsm_then_argmax(convnet, n):
    rng = np.random.default_rng(n)
    x = rng.uniform(size=(n, 12, 12, 3)).astype("float32")
    y = np.argmax(keras.ops.convert_to_numpy(convnet(x)), 1)  # every clean image is right
    y[::3] = (y[::3] + 1) % 3  # a third are wrong
    accs = accuracy_under_attack(convnet, x, y, EPSILONS)
    assert accs.shape == (len(EPSILONS),) and accs.dtype == np.float64
    np.testing.assert_allclose(accs, _fgsm_accuracies(convnet, x, y, EPSILONS), atol=1e-12)
    assert accs[0] == pytest.approx(np.mean(np.arange(n) % 3 != 0))


def test_accuracy_under_attack_from_logits_and_without_clip_on_a_linear_model():
    rng = np.random.default_rng(7)
    w = rng.normal(size=(16, 4))
    model = linear_model((4, 4, 1), 4, w)  # logits
    x = rng.uniform(-1, 2, size=(40, 4, 4, 1))
    y = rng.integers(0, 4, size=40)
    for clip in [None, (-0.5, 1.5)]:
        accs = accuracy_under_attack(model, x, y, np.array(EPSILONS), from_logits=True, clip=clip)
        expected = _fgsm_accuracies(model, x, y, EPSILONS, from_logits=True, clip=clip)
        np.testing.assert_allclose(accs, expected, atol=1e-12)
    # a large step moves every image against its true class: the accuracy falls to (near) 0
    assert accuracy_under_attack(model, x, y, [100.0], from_logits=True, clip=None)[0] <= 0.1


def test_accuracy_under_attack_does_not_mutate_its_inputs(convnet):
    x = np.random.default_rng(0).uniform(size=(4, 12, 12, 3)).astype("float32")
    y, eps = np.array([0, 1, 2, 0]), [0.0, 0.1]
    x0, y0, eps0 = x.copy(), y.copy(), list(eps)
    accuracy_under_attack(convnet, x, y, eps)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    assert eps == eps0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(epsilons=[]), "epsilons"),
        (dict(epsilons=0.1), "epsilons"),
        (dict(epsilons="0.1"), "epsilons"),
        (dict(epsilons=[[0.1]]), r"epsilons\[0\]"),
        (dict(epsilons=[0.1, -0.1]), r"epsilons\[1\]"),
        (dict(epsilons=[1e300]), r"epsilons\[0\]"),
        (dict(epsilons=[float("nan")]), r"epsilons\[0\]"),
        (dict(labels=[0, 3]), "labels"),
        (dict(labels=[0]), "labels"),
        (dict(images=np.zeros((2, 12, 12, 1))), "images"),
        (dict(clip=(1.0, 0.0)), r"clip\[1\]"),
        (dict(clip=0.5), "clip"),
    ],
)
def test_accuracy_under_attack_refuses_bad_input(convnet, kwargs, name):
    args = dict(images=np.zeros((2, 12, 12, 3)), labels=[0, 1], epsilons=[0.1]) | kwargs
    with pytest.raises(ValueError, match=rf"^{name} must be .*; got "):
        accuracy_under_attack(convnet, **args)


def test_occlusion_of_large_images_goes_through_the_model_in_small_batches():
    from cvutils import interpret

    class Recorder(keras.layers.Layer):
        """Passes its input through and records the batch sizes it sees."""

        def __init__(self):
            super().__init__()
            self.sizes = []

        def call(self, x):
            if x.shape[0] is not None:  # a real batch, not the symbolic build
                self.sizes.append(int(x.shape[0]))
            return x

    recorder = Recorder()
    inputs = keras.Input((224, 224, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(recorder(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(pooled))
    image = np.random.default_rng(0).random((224, 224, 3)).astype("float32")
    occ = interpret.occlusion_map(model, image, 0, patch=48, stride=16, anchor="center")
    assert occ.shape == (14, 14)
    per_batch = interpret._BATCH_VALUES // (224 * 224 * 3)
    assert sum(recorder.sizes) == 196 and max(recorder.sizes) == per_batch < 196
