"""Hidden tests of notebooks/16_face_recognition.ipynb (embeddings and encoders unused there).

The references are NumPy and plain-Python loops, independent of `cvutils.losses` and
`cvutils.faces`: the triplet loss as the course writes it, triplet by triplet; the distance
of `verify` and the nearest name of `who_is_it` from an embedding computed here from the
small Keras encoder's output (divided by its norm, as the course's `img_to_encoding` does).
The triplet cases include the course's four hand-worked ones (identical triplets with
alpha 5 give 5; ``([1, 1], [1, 1], [0, 0])`` with alpha 3 gives 1; ``([1, 1], [0, 0],
[1, 1])`` with alpha 0 gives 2; zeros with alpha -2 give 0), batches, a triplet exactly at
the margin and 128-d embeddings. The verify and who_is_it cases use encoders, databases and
thresholds other than the notebook's, and people inside and outside the threshold.
"""

import keras
import numpy as np
import tensorflow as tf

from cvutils.grading.hidden import HiddenTest


def _triplet_reference(y_true, y_pred, alpha=0.2):
    anchor, positive, negative = (np.asarray(v, dtype=np.float64) for v in y_pred)
    anchor, positive, negative = (np.atleast_2d(v) for v in (anchor, positive, negative))
    total = 0.0
    for a, p, n in zip(anchor, positive, negative, strict=True):
        pos = sum((x - y) ** 2 for x, y in zip(a, p, strict=True))
        neg = sum((x - y) ** 2 for x, y in zip(a, n, strict=True))
        total += max(pos - neg + alpha, 0.0)
    return np.float32(total)


def _triplet_cases():
    r = np.random.default_rng(1601)

    def t(*arrays):
        return tuple(tf.constant(np.asarray(a, dtype=np.float32)) for a in arrays)

    batch = r.standard_normal((3, 4, 3))
    big = r.standard_normal((3, 6, 128)) * 0.1
    return [
        (
            "course: identical triplet, alpha 5",
            (None, t([1.0, 1.0], [1.0, 1.0], [1.0, 1.0])),
            {"alpha": 5},
        ),
        (
            "course: ([1,1],[1,1],[0,0]), alpha 3",
            (None, t([1.0, 1.0], [1.0, 1.0], [0.0, 0.0])),
            {"alpha": 3},
        ),
        (
            "course: ([1,1],[0,0],[1,1]), alpha 0",
            (None, t([1.0, 1.0], [0.0, 0.0], [1.0, 1.0])),
            {"alpha": 0},
        ),
        ("course: zeros, alpha -2", (None, t([0.0, 0.0], [0.0, 0.0], [0.0, 0.0])), {"alpha": -2}),
        (
            "a batch of two, alpha 3",
            (None, t([[1.0, 1.0], [2.0, 0.0]], [[0.0, 3.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]])),
            {"alpha": 3},
        ),
        ("a batch of 4 in 3-d, default alpha", (None, t(*batch)), {}),
        (
            "exactly at the margin",
            (None, t([[0.0, 0.0]], [[0.3, 0.4]], [[0.0, 0.5]])),
            {"alpha": 0.0},
        ),
        ("6 triplets of 128-d embeddings, alpha 0.5", (None, t(*big)), {"alpha": 0.5}),
    ]


def _encoder(seed, shape=(6, 5, 1), d=4):
    """A small Keras encoder with seeded weights: Flatten -> Dense(d, tanh)."""
    init = keras.initializers.RandomNormal(stddev=0.5, seed=seed)
    return keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.Flatten(),
            keras.layers.Dense(d, activation="tanh", kernel_initializer=init),
        ]
    )


def _encode(image, model):
    raw = np.asarray(image)
    image = raw.astype(np.float32) / (255.0 if np.issubdtype(raw.dtype, np.integer) else 1.0)
    if image.ndim == 2:
        image = image[..., None]
    e = np.asarray(model(image[None], training=False), dtype=np.float64)
    return e / np.sqrt(np.sum(e**2))


def _dist(a, b):
    return float(np.sqrt(np.sum((np.ravel(a) - np.ravel(b)) ** 2)))


def _verify_reference(image_path, identity, database, model, threshold=0.7):
    dist = _dist(_encode(image_path, model), database[identity])
    return dist, bool(dist < threshold)


def _who_reference(image_path, database, model, threshold=0.7):
    enc = _encode(image_path, model)
    best, name = 100.0, None
    for key, value in database.items():
        d = _dist(enc, value)
        if d < best:
            best, name = d, key
    return best, name


def _people(seed, n=4, shape=(6, 5)):
    """A seeded encoder, n people's images, and a database of their encodings (computed here)."""
    r = np.random.default_rng(seed)
    model = _encoder(seed)
    images = r.uniform(size=(n, *shape)).astype(np.float32)
    names = [f"person {k}" for k in range(n)]
    database = {
        nm: _encode(im, model).astype(np.float32) for nm, im in zip(names, images, strict=True)
    }
    near = np.clip(images + 0.02 * r.standard_normal(images.shape), 0, 1).astype(np.float32)
    stranger = r.uniform(size=shape).astype(np.float32)
    return model, images, names, database, near, stranger


def _verify_cases():
    model, _, names, db, near, stranger = _people(1602)
    model2, _, names2, db2, near2, _ = _people(1603, n=3)
    return [
        ("verify: the right person, default threshold", (near[1], names[1], db, model), {}),
        ("verify: an impostor's claim", (near[2], names[0], db, model), {"threshold": 0.3}),
        ("verify: a stranger, threshold 1.2", (stranger, names[3], db, model), {"threshold": 1.2}),
        ("verify: threshold 0 opens no door", (near[0], names[0], db, model), {"threshold": 0.0}),
        ("verify: another encoder", (near2[2], names2[2], db2, model2), {"threshold": 0.5}),
    ]


def _who_cases():
    model, _, _, db, near, stranger = _people(1604, n=5)
    model2, _, _, db2, near2, _ = _people(1605, n=2)
    return [
        ("who_is_it: a known person", (near[3], db, model), {}),
        (
            "who_is_it: another known person, threshold 0.4",
            (near[0], db, model),
            {"threshold": 0.4},
        ),
        ("who_is_it: a stranger", (stranger, db, model), {"threshold": 0.1}),
        ("who_is_it: two people, another encoder", (near2[1], db2, model2), {}),
    ]


TESTS = [
    HiddenTest(
        "triplet_loss",
        3,
        _triplet_cases,
        _triplet_reference,
        (
            "cvutils.losses.triplet_loss",
            "cvutils.losses.TripletLoss",
        ),
        atol=1e-5,
        rtol=1e-5,
    ),
    HiddenTest(
        "verify",
        2,
        _verify_cases,
        _verify_reference,
        ("cvutils.faces.verify", "cvutils.faces.who_is_it"),
        atol=1e-5,
        rtol=1e-5,
    ),
    HiddenTest(
        "who_is_it",
        2,
        _who_cases,
        _who_reference,
        ("cvutils.faces.who_is_it", "cvutils.faces.verify"),
        atol=1e-5,
        rtol=1e-5,
    ),
]
