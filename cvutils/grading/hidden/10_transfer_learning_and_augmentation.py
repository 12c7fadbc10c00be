"""Hidden tests of notebooks/10_transfer_learning_and_augmentation.ipynb (inputs unused there).

`make_augmenter` is graded by what it does (``kind="keras_call"``): its output on a batch,
with ``training=True``, against the augmenter the notebook's table defines, built here from
Keras's preprocessing layers with the same seeds (so the random transformations agree). The
cases switch arguments off one by one (the seeds then count only the layers created) and use
other fill modes, seeds and grey images. `ten_crop` is compared with crops cut by explicit
start positions; `linear_probe` with rows divided by their norms and scikit-learn's logistic
regression, on features and classes unlike the notebook's.
"""

import math

import keras
import numpy as np
from keras import layers
from sklearn.linear_model import LogisticRegression

from cvutils.grading.hidden import HiddenTest


def _augmenter_reference(
    batch,
    rotation_range=40.0,
    width_shift_range=0.2,
    height_shift_range=0.2,
    shear_range=0.2,
    zoom_range=0.2,
    horizontal_flip=True,
    fill_mode="nearest",
    seed=0,
):
    built = []

    def seed_next():
        return seed + len(built)

    if rotation_range:
        built.append(
            layers.RandomRotation(rotation_range / 360, fill_mode=fill_mode, seed=seed_next())
        )
    if width_shift_range or height_shift_range:
        built.append(
            layers.RandomTranslation(
                height_shift_range, width_shift_range, fill_mode=fill_mode, seed=seed_next()
            )
        )
    if shear_range:
        factor = math.tan(math.radians(shear_range))
        built.append(layers.RandomShear(x_factor=factor, fill_mode=fill_mode, seed=seed_next()))
    if zoom_range:
        built.append(
            layers.RandomZoom(zoom_range, zoom_range, fill_mode=fill_mode, seed=seed_next())
        )
    if horizontal_flip:
        built.append(layers.RandomFlip("horizontal", seed=seed_next()))
    if not built:
        return np.asarray(batch)
    return np.asarray(keras.Sequential(built)(batch, training=True))


def _augmenter_cases():
    r = np.random.default_rng(1001)
    rgb = r.uniform(0, 255, (4, 20, 24, 3)).astype("float32")
    grey = r.uniform(0, 1, (3, 16, 16, 1)).astype("float32")
    return [
        ("make_augmenter(defaults) on 4 RGB images", (rgb,), {}),
        (
            "make_augmenter(0, 0.1, 0, 0, 0.3, False, 'reflect', seed=5)",
            (rgb, 0, 0.1, 0, 0, 0.3, False, "reflect"),
            {"seed": 5},
        ),
        (
            "make_augmenter(horizontal flip only, seed=3)",
            (grey,),
            {
                "rotation_range": 0,
                "width_shift_range": 0,
                "height_shift_range": 0,
                "shear_range": 0,
                "zoom_range": 0,
                "seed": 3,
            },
        ),
        (
            "make_augmenter(rotation 15, shear 10, fill_mode='constant', seed=7)",
            (grey,),
            {
                "rotation_range": 15.0,
                "width_shift_range": 0,
                "height_shift_range": 0.15,
                "shear_range": 10.0,
                "zoom_range": 0,
                "horizontal_flip": False,
                "fill_mode": "constant",
                "seed": 7,
            },
        ),
        ("make_augmenter(all 0 / False)", (rgb, 0, 0, 0, 0, 0, False), {}),
    ]


def _ten_crop_reference(images, size):
    n_h, n_w = images.shape[1], images.shape[2]
    starts = [
        (0, 0),
        (0, n_w - size),
        (n_h - size, 0),
        (n_h - size, n_w - size),
        ((n_h - size) // 2, (n_w - size) // 2),
    ]
    out = np.empty((images.shape[0], 10, size, size, *images.shape[3:]), dtype=images.dtype)
    for k, (top, left) in enumerate(starts):
        for i in range(size):
            for j in range(size):
                out[:, k, i, j] = images[:, top + i, left + j]
                out[:, k + 5, i, size - 1 - j] = images[:, top + i, left + j]
    return out


def _ten_crop_cases():
    r = np.random.default_rng(1002)
    return [
        ("ten_crop((2, 8, 10, 3), 5)", (r.uniform(size=(2, 8, 10, 3)), 5), {}),
        ("ten_crop(grey (3, 6, 6), 6) (whole image)", (r.integers(0, 255, (3, 6, 6)), 6), {}),
        ("ten_crop(grey (1, 7, 9), 1)", (r.standard_normal((1, 7, 9)), 1), {}),
        ("ten_crop((2, 11, 5, 1), 4)", (r.integers(0, 9, (2, 11, 5, 1)), 4), {}),
    ]


def _linear_probe_reference(f_train, y_train, f_test, C=10.0):
    def unit(f):
        return f / np.sqrt((f**2).sum(axis=1, keepdims=True))

    clf = LogisticRegression(C=C, max_iter=2000).fit(unit(f_train), y_train)
    return clf.predict_proba(unit(f_test)), None


def _linear_probe_cases():
    r = np.random.default_rng(1003)

    def blobs(n_classes, d, n, scale):
        centres = r.standard_normal((n_classes, d)) * 3
        y = np.arange(n) % n_classes
        return centres[y] + scale * r.standard_normal((n, d)), y

    f1, y1 = blobs(3, 8, 30, 1.0)
    t1, _ = blobs(3, 8, 7, 1.0)
    f2, y2 = blobs(2, 5, 12, 2.0)
    t2, _ = blobs(2, 5, 4, 2.0)
    f3, y3 = blobs(4, 20, 16, 3.0)
    t3, _ = blobs(4, 20, 5, 3.0)
    return [
        ("linear_probe(30 rows of 8 features, 3 classes)", (f1, y1, t1), {}),
        ("linear_probe(2 classes, C=0.5)", (f2, y2, t2), {"C": 0.5}),
        ("linear_probe(4 classes, 20 features, C=100)", (f3, y3, t3, 100.0), {}),
    ]


TESTS = [
    HiddenTest(
        "make_augmenter",
        3,
        _augmenter_cases,
        _augmenter_reference,
        ("cvutils.augment_layers.image_data_generator_layers",),
        atol=1e-3,
        rtol=1e-5,
        kind="keras_call",
    ),
    HiddenTest(
        "ten_crop",
        3,
        _ten_crop_cases,
        _ten_crop_reference,
        ("cvutils.augment_layers.ten_crop",),
        atol=0,
        rtol=0,
    ),
    HiddenTest(
        "linear_probe",
        4,
        _linear_probe_cases,
        _linear_probe_reference,
        select=0,
        atol=1e-6,
        rtol=1e-5,
    ),
]
