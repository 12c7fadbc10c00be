"""Face verification and recognition with an embedding: the course's functions and the rest.

The course's names, argument order, defaults, return types and printed messages:

* `img_to_encoding(image_path, model)` -> the ``(1, d)`` L2-normalised embedding of one image
  (a file path, as in the course, or an image array);
* `verify(image_path, identity, database, model, threshold=0.7)` -> ``(dist, door_open)``
  (1:1, "is this person who they claim to be?");
* `who_is_it(image_path, database, model, threshold=0.7)` -> ``(min_dist, identity)``
  (1:K, "who is this, if anyone in the database?").

And what training and evaluating an encoder needs: `jitter_faces` (random crops, flips and
lighting changes), `sample_pk` (batches of P identities x K images, for the label-based
triplet losses), `sample_triplets` and `sample_pairs` (random triplets and pairs of a
labelled set), `zero_loss_fraction` (how many triplets are already "too easy"),
`pair_features` (``|f_i - f_j|`` and the chi-square features, inputs of a logistic unit) and
`best_threshold` (the distance threshold of best accuracy on validation pairs).

Taught in notebooks/16_face_recognition.ipynb.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_choice,
    check_int,
    check_labels,
    check_path,
    check_real,
    check_same_length,
    check_same_shape,
    describe,
    fail,
)

__all__ = [
    "best_threshold",
    "img_to_encoding",
    "jitter_faces",
    "pair_features",
    "sample_pairs",
    "sample_pk",
    "sample_triplets",
    "verify",
    "who_is_it",
    "zero_loss_fraction",
]


# ----------------------------------------------------------------------------- encodings


def _model_input(model: Any) -> tuple[int | None, int | None, int | None] | None:
    """``(n_H, n_W, n_C)`` of a Keras model's single image input, or None for a callable."""
    import keras

    if isinstance(model, keras.Model):
        shape = tuple(model.inputs[0].shape)
        if len(shape) != 4:
            fail("model", "a Keras model of (m, n_H, n_W, n_C) images", f"input {shape}")
        return shape[1:]
    if not callable(model):
        fail("model", "a Keras model or a callable on an image batch", describe(model), kind=True)
    return None


def _read_image(path: Any, shape: tuple | None) -> np.ndarray:
    """An image file -> ``(H, W, C)`` float32 in [0, 1], resized to the model's input."""
    from PIL import Image

    path = check_path("image_path", path, must_exist=True, kind="file")
    with Image.open(path) as im:
        im = im.convert("L" if shape is not None and shape[2] == 1 else "RGB")
        if shape is not None and shape[0] and shape[1]:
            im = im.resize((shape[1], shape[0]), Image.BILINEAR)
        image = np.asarray(im, dtype=np.float32) / 255.0
    return image[..., None] if image.ndim == 2 else image


def img_to_encoding(image_path, model):
    """The L2-normalised embedding of one image, ``(1, d)``, as in the course.

    ``image_path`` is a file path (read with Pillow, converted to grey or RGB and resized to
    the model's input size, scaled to [0, 1], as the course does) or an image array:
    ``(n_H, n_W)`` or ``(n_H, n_W, n_C)``, integers in 0..255 (scaled to [0, 1]) or floats
    (used as they are). A grey ``(n_H, n_W)`` image gets a channel axis when ``model`` is a
    Keras model. The embedding is divided by its L2 norm.

    Args:
        image_path: a path (str or `os.PathLike`) or an image array.
        model: a Keras model ``(m, n_H, n_W, n_C) -> (m, d)``, or any callable that maps a
            ``(1, ...)`` batch to a ``(1, d)`` array.

    Returns:
        A ``(1, d)`` float32 NumPy array of L2 norm 1.

    Raises:
        ValueError: a missing file, a bad image array, an image of the wrong size for the
            model, or a model whose output is not ``(1, d)`` with a non-zero norm.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> model = lambda batch: batch.reshape(1, -1)[:, :2]
        >>> img_to_encoding(np.array([[3.0, 4.0], [0.0, 0.0]]), model)
        array([[0.6, 0.8]], dtype=float32)
    """
    shape = _model_input(model)
    if isinstance(image_path, str) or hasattr(image_path, "__fspath__"):
        image = _read_image(image_path, shape)
    else:
        raw = check_array("image_path", image_path, ndim=(2, 3), allow_empty=False)
        image = raw.astype(np.float32)
        if np.issubdtype(raw.dtype, np.integer):
            image = image / np.float32(255.0)
        if shape is not None and image.ndim == 2:
            image = image[..., None]
        if shape is not None and any(
            want is not None and got != want for got, want in zip(image.shape, shape, strict=True)
        ):
            fail("image_path", f"an image of shape {shape} for this model", f"{raw.shape}")
    batch = image[None]
    if shape is not None:
        out = model(batch, training=False)
    else:
        out = model(batch)
    embedding = np.asarray(out, dtype=np.float32)
    if embedding.ndim != 2 or embedding.shape[0] != 1:
        fail("model", "a model whose output is (1, d) for one image", f"{embedding.shape}")
    norm = np.linalg.norm(embedding, ord=2)
    if not np.isfinite(norm) or norm == 0:
        fail("model", "a model whose embedding has a finite, non-zero norm", f"norm {norm}")
    return embedding / norm


def _database(database: Any) -> dict[str, np.ndarray]:
    if not isinstance(database, Mapping):
        fail("database", "a dict {name: (1, d) encoding}", describe(database), kind=True)
    if not database:
        fail("database", "a non-empty dict {name: (1, d) encoding}", "an empty dict")
    out = {}
    for name, enc in database.items():
        out[name] = check_array(f"database[{name!r}]", enc, dtype="float", allow_empty=False)
    return out


def _threshold(threshold: Any) -> float:
    return check_real("threshold", threshold, low=0.0, high=4.0, high_open=False)


def _distance(encoding: np.ndarray, name: str, db_enc: np.ndarray) -> float:
    if db_enc.size != encoding.size:
        fail(
            f"database[{name!r}]",
            f"an encoding of {encoding.size} numbers like the model's",
            f"shape {db_enc.shape}",
        )
    return float(np.linalg.norm(encoding.ravel() - db_enc.ravel()))


def verify(image_path, identity, database, model, threshold=0.7):
    """Face verification (1:1): is the person in ``image_path`` who they claim to be?

    Computes ``dist = ||img_to_encoding(image_path) - database[identity]||_2``; the door
    opens when ``dist < threshold``. Prints the course's messages:
    ``"It's <identity>, welcome in!"`` or ``"It's not <identity>, please go away"``.

    Args:
        image_path: the image of the person at the door (a path or an image array, see
            `img_to_encoding`).
        identity: the name they claim, a key of ``database``.
        database: ``{name: (1, d) encoding}``, the precomputed encodings of the allowed people.
        model: the encoder (see `img_to_encoding`).
        threshold: the distance threshold ``tau`` in ``[0, 4]`` (the course's 0.7).

    Returns:
        ``(dist, door_open)``: a float and a bool.

    Raises:
        ValueError: an unknown identity or a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> model = lambda batch: batch.reshape(1, -1)
        >>> db = {"ana": np.array([[1.0, 0.0]])}
        >>> dist, door_open = verify(np.array([[3.0, 0.1]]), "ana", db, model)
        It's ana, welcome in!
        >>> round(dist, 3), door_open
        (0.033, True)
    """
    database = _database(database)
    threshold = _threshold(threshold)
    if not isinstance(identity, str) or identity not in database:
        fail("identity", f"a name in the database {sorted(database)}", describe(identity))
    encoding = img_to_encoding(image_path, model)
    dist = _distance(encoding, identity, database[identity])
    if dist < threshold:
        print(f"It's {identity}, welcome in!")
        door_open = True
    else:
        print(f"It's not {identity}, please go away")
        door_open = False
    return dist, door_open


def who_is_it(image_path, database, model, threshold=0.7):
    """Face recognition (1:K): the nearest person of the database, if near enough.

    Finds the name whose encoding is nearest (L2) to ``img_to_encoding(image_path)``. Prints
    ``"Not in the database."`` when that distance is above ``threshold``, else
    ``"it's <identity>, the distance is <min_dist>"`` (the course's messages); the nearest
    name is returned in both cases, as in the course.

    Args:
        image_path: the image (a path or an image array, see `img_to_encoding`).
        database: ``{name: (1, d) encoding}``.
        model: the encoder (see `img_to_encoding`).
        threshold: the distance threshold in ``[0, 4]`` (the course's 0.7).

    Returns:
        ``(min_dist, identity)``: a float and the nearest name.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> model = lambda batch: batch.reshape(1, -1)
        >>> db = {"ana": np.array([[1.0, 0.0]]), "ben": np.array([[0.0, 1.0]])}
        >>> min_dist, identity = who_is_it(np.array([[0.0, 2.0]]), db, model)
        it's ben, the distance is 0.0
    """
    database = _database(database)
    threshold = _threshold(threshold)
    encoding = img_to_encoding(image_path, model)
    min_dist, identity = 100.0, None
    for name, db_enc in database.items():
        dist = _distance(encoding, name, db_enc)
        if dist < min_dist:
            min_dist, identity = dist, name
    if min_dist > threshold:
        print("Not in the database.")
    else:
        print(f"it's {identity}, the distance is {min_dist}")
    return min_dist, identity


# ----------------------------------------------------------------------------- training data


def _rng(seed: Any) -> np.random.Generator:
    return np.random.default_rng(check_int("seed", seed, 0, 2**32 - 1))


def jitter_faces(images, seed=0, shift=2, flip=True, brightness=0.15, contrast=0.25):
    """Random crops, horizontal flips and lighting changes of a batch of images.

    Each image is padded by ``shift`` pixels (edge values repeated), cropped back to its size
    at a random offset in ``-shift..shift`` (a random translation), flipped left-right with
    probability 1/2 (when ``flip``), then relit: ``x -> (1 + c) (x - mean) + mean + b`` with
    ``c`` uniform in ``[-contrast, contrast]`` and ``b`` in ``[-brightness, brightness]``,
    and clipped to [0, 1]. One face and its jittered copies stand for one person.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)`` floats in [0, 1].
        seed: the seed of the random draws.
        shift: the largest translation in pixels, ``0..min(H, W) - 1``.
        flip: flip half of the images left-right.
        brightness: the largest brightness offset, in ``[0, 1]``.
        contrast: the largest relative contrast change, in ``[0, 1)``.

    Returns:
        A new float32 array of the shape of ``images``.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> x = np.random.default_rng(0).uniform(size=(4, 8, 8))
        >>> jitter_faces(x, seed=1).shape
        (4, 8, 8)
    """
    x = check_array("images", images, ndim=(3, 4), dtype="float", allow_empty=False)
    if x.min() < 0 or x.max() > 1:
        fail("images", "values in [0, 1]", f"values in [{x.min():.3g}, {x.max():.3g}]")
    n, h, w = x.shape[:3]
    shift = check_int("shift", shift, 0, MAX_COUNT)
    if shift > min(h, w) - 1:
        fail(
            "shift", f"at most {min(h, w) - 1}, less than the images' height and width", str(shift)
        )
    if not isinstance(flip, bool | np.bool_):
        fail("flip", "a bool", describe(flip), kind=True)
    brightness = check_real("brightness", brightness, low=0.0, high=1.0, high_open=False)
    contrast = check_real("contrast", contrast, low=0.0, high=1.0)
    rng = _rng(seed)
    pad = [(0, 0), (shift, shift), (shift, shift)] + [(0, 0)] * (x.ndim - 3)
    padded = np.pad(x.astype(np.float32), pad, mode="edge")
    dy, dx = rng.integers(0, 2 * shift + 1, size=(2, n))
    rows = dy[:, None] + np.arange(h)[None, :]  # (N, H)
    cols = dx[:, None] + np.arange(w)[None, :]  # (N, W)
    out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    if flip:
        flipped = rng.random(n) < 0.5
        out[flipped] = out[flipped][:, :, ::-1]
    axes = tuple(range(1, x.ndim))
    mean = out.mean(axis=axes, keepdims=True)
    shape = (n,) + (1,) * (x.ndim - 1)
    c = rng.uniform(-contrast, contrast, n).reshape(shape).astype(np.float32)
    b = rng.uniform(-brightness, brightness, n).reshape(shape).astype(np.float32)
    return np.clip((1 + c) * (out - mean) + mean + b, 0.0, 1.0).astype(np.float32)


def _labels(labels: Any, min_classes: int = 2) -> np.ndarray:
    y = check_labels("labels", labels)
    if len(np.unique(y)) < min_classes:
        fail("labels", f"labels of at least {min_classes} identities", describe(labels))
    return y


def sample_pk(labels, p, k, seed=0):
    """Indices of a batch of ``p`` identities x ``k`` images each (a "PK batch").

    The label-based triplet losses (batch-hard, semi-hard) mine triplets inside a batch, so
    each identity of the batch needs several images: ``p`` distinct identities are drawn,
    then ``k`` of their images (with replacement when an identity has fewer than ``k``).

    Args:
        labels: ``(N,)`` integer identities.
        p: identities per batch, ``2..(number of identities)``.
        k: images per identity, >= 1.
        seed: the seed of the draw.

    Returns:
        ``(p * k,)`` int64 indices into ``labels``, identity by identity.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> idx = sample_pk([0, 0, 1, 1, 2], p=2, k=3, seed=0)
        >>> idx.shape
        (6,)
    """
    y = _labels(labels)
    ids = np.unique(y)
    p = check_int("p", p, 2, len(ids))
    k = check_int("k", k, 1, MAX_COUNT)
    rng = _rng(seed)
    chosen = rng.choice(ids, size=p, replace=False)
    out = []
    for c in chosen:
        members = np.flatnonzero(y == c)
        out.append(rng.choice(members, size=k, replace=len(members) < k))
    return np.concatenate(out).astype(np.int64)


def sample_triplets(labels, n, seed=0):
    """``n`` random triplets (anchor, positive, negative) of a labelled set.

    The anchor is a random image of an identity with at least two images, the positive
    another image of the same identity, the negative an image of another identity, all
    uniformly at random: the "random triplets" that are mostly too easy.

    Args:
        labels: ``(N,)`` integer identities; at least one with two images, and two identities.
        n: the number of triplets, >= 1.
        seed: the seed of the draw.

    Returns:
        ``(anchor, positive, negative)``: three ``(n,)`` int64 index arrays.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> a, p, neg = sample_triplets([0, 0, 1, 1], n=3, seed=0)
        >>> bool(np.all(a != p))
        True
    """
    y = _labels(labels)
    n = check_int("n", n, 1, MAX_COUNT)
    ids, counts = np.unique(y, return_counts=True)
    if counts.max() < 2:
        fail("labels", "at least one identity with two images", "one image per identity")
    rng = _rng(seed)
    eligible = np.flatnonzero(np.isin(y, ids[counts >= 2]))
    anchor = rng.choice(eligible, size=n)
    positive = np.empty(n, np.int64)
    negative = np.empty(n, np.int64)
    for t, a in enumerate(anchor):
        same = np.flatnonzero((y == y[a]) & (np.arange(len(y)) != a))
        positive[t] = rng.choice(same)
        negative[t] = rng.choice(np.flatnonzero(y != y[a]))
    return anchor.astype(np.int64), positive, negative


def sample_pairs(labels, n_pairs, seed=0):
    """``n_pairs`` random pairs, half of the same identity and half of different ones.

    Args:
        labels: ``(N,)`` integer identities; at least one with two images, and two identities.
        n_pairs: the number of pairs, >= 2 (``n_pairs // 2`` same-identity pairs).
        seed: the seed of the draw.

    Returns:
        ``(i, j, same)``: two ``(n_pairs,)`` int64 index arrays (``i != j``) and a bool array,
        True where ``labels[i] == labels[j]``; same pairs first.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> i, j, same = sample_pairs([0, 0, 1, 1], n_pairs=4, seed=0)
        >>> same.tolist()
        [True, True, False, False]
    """
    y = _labels(labels)
    n_pairs = check_int("n_pairs", n_pairs, 2, MAX_COUNT)
    n_same = n_pairs // 2
    a, p, neg = sample_triplets(y, n_same + (n_pairs - n_same), seed)
    i = np.concatenate([a[:n_same], a[n_same:]])
    j = np.concatenate([p[:n_same], neg[n_same:]])
    return i, j, y[i] == y[j]


# ----------------------------------------------------------------------------- losses, metrics


def zero_loss_fraction(anchor, positive, negative, alpha=0.2):
    """The fraction of triplets whose triplet loss is 0: ``||a-p||^2 - ||a-n||^2 + alpha <= 0``.

    Such a triplet is already satisfied by a margin ``alpha``: it gives no gradient. A
    fraction near 1 means the triplets are too easy to teach the encoder anything.

    Args:
        anchor, positive, negative: ``(m, d)`` embeddings (or ``(d,)`` for one triplet).
        alpha: the margin, a real number.

    Returns:
        A float in [0, 1].

    Raises:
        ValueError: shapes that differ, empty or non-finite embeddings, or a bad ``alpha``.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> zero_loss_fraction([[0.0, 0.0], [0.0, 0.0]], [[0.1, 0.0], [1.0, 0.0]],
        ...                    [[1.0, 0.0], [0.1, 0.0]], alpha=0.2)
        0.5
    """
    arrays = []
    for name, v in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        arrays.append(check_array(name, v, ndim=(1, 2), dtype="float", allow_empty=False))
    a, p, n = arrays
    check_same_shape("anchor", a, "positive", p)
    check_same_shape("anchor", a, "negative", n)
    alpha = check_real("alpha", alpha, low=-1e6, high=1e6)
    loss = np.sum((a - p) ** 2, axis=-1) - np.sum((a - n) ** 2, axis=-1) + alpha
    return float(np.mean(np.atleast_1d(loss) <= 0))


def pair_features(f_i, f_j, kind="abs", eps=1e-6):
    """The features of a pair of embeddings that a logistic unit classifies as same / not.

    ``kind="abs"``: ``|f_i - f_j|``; ``kind="chi2"``: the chi-square features
    ``(f_i - f_j)^2 / (f_i + f_j)`` of the course (DeepFace). DeepFace's features are
    non-negative; for signed embeddings (an L2-normalised one) the denominator here is
    ``|f_i + f_j| + eps``, so that it is never 0 or negative.

    Args:
        f_i, f_j: ``(m, d)`` embeddings (or ``(d,)``), of one shape.
        kind: ``"abs"`` or ``"chi2"``.
        eps: added to the chi-square denominator, in ``(0, 1]``.

    Returns:
        A float array of the shape of ``f_i``.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> pair_features([[0.5, -0.5]], [[0.25, 0.5]])
        array([[0.25, 1.  ]])
    """
    a = check_array("f_i", f_i, ndim=(1, 2), dtype="float", allow_empty=False)
    b = check_array("f_j", f_j, ndim=(1, 2), dtype="float", allow_empty=False)
    check_same_shape("f_i", a, "f_j", b)
    kind = check_choice("kind", kind, ("abs", "chi2"))
    eps = check_real("eps", eps, low=0.0, low_open=True, high=1.0, high_open=False)
    if kind == "abs":
        return np.abs(a - b)
    return (a - b) ** 2 / (np.abs(a + b) + eps)


def best_threshold(distances, same):
    """The distance threshold ``tau`` of best accuracy for "same person iff ``d < tau``".

    Tries a threshold between each two consecutive distinct distances (and below the
    smallest and above the largest) and returns the first of best accuracy. Choose it on
    validation pairs; report the accuracy on test pairs.

    Args:
        distances: ``(n,)`` distances of ``n`` pairs, finite.
        same: ``(n,)`` bools (or 0/1), True for pairs of one person.

    Returns:
        ``(threshold, accuracy)``: two floats.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> best_threshold([0.2, 0.4, 0.9, 1.3], [True, True, False, False])
        (0.65, 1.0)
    """
    d = check_array("distances", distances, ndim=1, dtype="float", allow_empty=False)
    s = check_array("same", same, ndim=1, allow_empty=False)  # booleans become 0 / 1
    if not np.all((s == 0) | (s == 1)):
        fail("same", "bools or 0 / 1 values", describe(same))
    check_same_length("distances", d, "same", s)
    values = np.unique(d)
    candidates = np.concatenate(
        [[values[0] - 1.0], (values[:-1] + values[1:]) / 2, [values[-1] + 1.0]]
    )
    accuracy = np.mean((d[None, :] < candidates[:, None]) == (s[None, :] == 1), axis=1)
    best = int(np.argmax(accuracy))
    return float(candidates[best]), float(accuracy[best])
