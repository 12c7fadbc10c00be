"""cvutils.faces against loop references, the course's messages and scikit-learn."""

import keras
import numpy as np
import pytest
from refusals import assert_refused

from cvutils import faces


def _linear_model(d=3, shape=(5, 4, 1), seed=0):
    """A tiny Keras encoder with fixed weights: Flatten -> Dense(d)."""
    w = np.random.default_rng(seed).standard_normal((int(np.prod(shape)), d))
    model = keras.Sequential([keras.Input(shape), keras.layers.Flatten(), keras.layers.Dense(d)])
    model.layers[-1].set_weights([w.astype("float32"), np.zeros(d, "float32")])
    return model, w


def _encode_reference(image, w):
    """What img_to_encoding must give: flatten, project, divide by the L2 norm (loops)."""
    v = [sum(float(x) * w[k, j] for k, x in enumerate(image.ravel())) for j in range(w.shape[1])]
    norm = sum(t * t for t in v) ** 0.5
    return np.array([[t / norm for t in v]])


@pytest.mark.parametrize("seed", [0, 1])
def test_img_to_encoding_matches_a_loop_and_has_norm_1(seed):
    model, w = _linear_model(seed=seed)
    image = np.random.default_rng(seed + 10).uniform(size=(5, 4))
    enc = faces.img_to_encoding(image, model)
    assert enc.shape == (1, 3) and enc.dtype == np.float32
    np.testing.assert_allclose(enc, _encode_reference(image, w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(enc), 1.0, rtol=1e-6)
    uint8 = (image * 255).round().astype(np.uint8)  # integers are scaled by 1/255
    np.testing.assert_allclose(
        faces.img_to_encoding(uint8, model), _encode_reference(uint8 / 255.0, w), atol=1e-5
    )


def test_img_to_encoding_reads_a_path_like_the_course(tmp_path):
    from PIL import Image

    model, w = _linear_model()
    pixels = np.random.default_rng(3).integers(0, 256, (10, 8), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "face.png")
    resized = np.asarray(Image.fromarray(pixels).resize((4, 5), Image.BILINEAR)) / 255.0
    want = _encode_reference(resized, w)
    for path in (tmp_path / "face.png", str(tmp_path / "face.png")):
        np.testing.assert_allclose(faces.img_to_encoding(path, model), want, atol=1e-5)


def test_img_to_encoding_refuses_bad_images_and_models(tmp_path):
    model, _ = _linear_model()
    assert_refused(lambda: faces.img_to_encoding(np.zeros((6, 4)), model), "image_path")
    assert_refused(lambda: faces.img_to_encoding(tmp_path / "none.png", model), "image_path")
    assert_refused(lambda: faces.img_to_encoding(np.zeros((5, 4)), model), "model")  # norm 0
    assert_refused(lambda: faces.img_to_encoding(np.ones((5, 4)), "model"), "model")


def _database(model, images, names):
    return {n: faces.img_to_encoding(im, model) for n, im in zip(names, images, strict=True)}


def test_verify_and_who_is_it_follow_the_course(capsys):
    model, w = _linear_model(d=4)
    rng = np.random.default_rng(5)
    people = rng.uniform(size=(3, 5, 4))
    names = ["younes", "kian", "andrew"]
    db = _database(model, people, names)
    query = np.clip(people[1] + 0.01 * rng.standard_normal((5, 4)), 0, 1)
    want = {n: float(np.linalg.norm(_encode_reference(query, w) - db[n])) for n in names}

    dist, door_open = faces.verify(query, "kian", db, model)
    assert np.isclose(dist, want["kian"], atol=1e-5) and door_open is (want["kian"] < 0.7)
    assert capsys.readouterr().out == "It's kian, welcome in!\n"
    dist, door_open = faces.verify(query, "younes", db, model, threshold=0.0)
    assert np.isclose(dist, want["younes"], atol=1e-5) and door_open is False
    assert capsys.readouterr().out == "It's not younes, please go away\n"

    min_dist, identity = faces.who_is_it(query, db, model)
    best = min(want, key=want.get)
    assert identity == best == "kian" and np.isclose(min_dist, want[best], atol=1e-5)
    assert capsys.readouterr().out == f"it's kian, the distance is {min_dist}\n"
    min_dist, identity = faces.who_is_it(query, db, model, threshold=0.0)
    assert identity == "kian"  # the nearest name is returned, as in the course
    assert capsys.readouterr().out == "Not in the database.\n"


def test_verify_and_who_is_it_refuse_bad_arguments():
    model, _ = _linear_model()
    db = {"a": np.ones((1, 3)) / 3**0.5}
    image = np.random.default_rng(0).uniform(size=(5, 4))
    assert_refused(lambda: faces.verify(image, "b", db, model), "identity")
    assert_refused(lambda: faces.verify(image, "a", {}, model), "database")
    assert_refused(lambda: faces.verify(image, "a", db, model, threshold=-1), "threshold")
    assert_refused(lambda: faces.who_is_it(image, {"a": np.ones((1, 5))}, model), "database['a']")


@pytest.mark.parametrize("shape", [(4, 6, 5), (3, 7, 7, 3)])
def test_jitter_faces_is_a_crop_flip_and_relighting(shape):
    x = np.random.default_rng(0).uniform(0.2, 0.8, size=shape)
    before = x.copy()
    out = faces.jitter_faces(x, seed=1, shift=0, flip=False, brightness=0.0, contrast=0.0)
    np.testing.assert_allclose(out, x, atol=1e-6)  # nothing to do: the identity
    out = faces.jitter_faces(x, seed=1, shift=2)
    assert out.shape == x.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_array_equal(x, before)  # the input is not changed
    np.testing.assert_array_equal(out, faces.jitter_faces(x, seed=1, shift=2))  # seeded
    assert not np.allclose(out, faces.jitter_faces(x, seed=2, shift=2))
    # a pure flip: every image is itself or its mirror
    flipped = faces.jitter_faces(x, seed=3, shift=0, brightness=0.0, contrast=0.0)
    for a, b in zip(x, flipped, strict=True):
        assert np.allclose(a, b, atol=1e-6) or np.allclose(a[:, ::-1], b, atol=1e-6)
    # a pure shift: each output is a window of the edge-padded image (loop reference)
    moved = faces.jitter_faces(x, seed=4, shift=1, flip=False, brightness=0.0, contrast=0.0)
    pad = [(1, 1), (1, 1)] + [(0, 0)] * (len(shape) - 3)
    h, w = shape[1:3]
    for a, b in zip(x, moved, strict=True):
        p = np.pad(a, pad, mode="edge")
        windows = [p[i : i + h, j : j + w] for i in range(3) for j in range(3)]
        assert any(np.allclose(win, b, atol=1e-6) for win in windows)


def test_jitter_faces_refuses_bad_arguments():
    x = np.full((2, 5, 5), 0.5)
    assert_refused(lambda: faces.jitter_faces(x * 3), "images")
    assert_refused(lambda: faces.jitter_faces(x, shift=5), "shift")
    assert_refused(lambda: faces.jitter_faces(x, flip=1), "flip")
    assert_refused(lambda: faces.jitter_faces(x, contrast=1.0), "contrast")


LABELS = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sample_pk_draws_p_identities_times_k(seed):
    idx = faces.sample_pk(LABELS, p=3, k=4, seed=seed)
    groups = LABELS[idx].reshape(3, 4)
    assert idx.dtype == np.int64 and len(set(groups[:, 0])) == 3
    assert all(len(set(g)) == 1 for g in groups)
    np.testing.assert_array_equal(idx, faces.sample_pk(LABELS, p=3, k=4, seed=seed))
    assert_refused(lambda: faces.sample_pk(LABELS, p=5, k=2), "p")
    assert_refused(lambda: faces.sample_pk([0, 0], p=2, k=2), "labels")


@pytest.mark.parametrize("seed", [0, 1])
def test_sample_triplets_and_pairs_are_valid(seed):
    a, p, n = faces.sample_triplets(LABELS, 200, seed=seed)
    assert np.all(LABELS[a] == LABELS[p]) and np.all(a != p) and np.all(LABELS[a] != LABELS[n])
    assert set(LABELS[a]) == {0, 1, 3}  # identity 2 has one image: never an anchor
    i, j, same = faces.sample_pairs(LABELS, 9, seed=seed)
    assert same.tolist() == [True] * 4 + [False] * 5
    np.testing.assert_array_equal(same, LABELS[i] == LABELS[j])
    assert np.all(i != j)
    assert_refused(lambda: faces.sample_triplets([0, 1, 2], 3), "labels")
    assert_refused(lambda: faces.sample_pairs(LABELS, 1), "n_pairs")


@pytest.mark.parametrize("alpha", [0.0, 0.2, 1.0, -0.5])
def test_zero_loss_fraction_matches_a_loop(alpha):
    rng = np.random.default_rng(7)
    a, p, n = rng.standard_normal((3, 50, 4))
    zero = 0
    for t in range(50):
        pos = sum((a[t, k] - p[t, k]) ** 2 for k in range(4))
        neg = sum((a[t, k] - n[t, k]) ** 2 for k in range(4))
        zero += max(pos - neg + alpha, 0.0) == 0.0
    assert faces.zero_loss_fraction(a, p, n, alpha) == zero / 50
    assert faces.zero_loss_fraction(a[0], p[0], n[0], alpha) in (0.0, 1.0)
    assert_refused(lambda: faces.zero_loss_fraction(a, p[:3], n, alpha), "positive")


@pytest.mark.parametrize("kind", ["abs", "chi2"])
def test_pair_features_match_a_loop(kind):
    rng = np.random.default_rng(8)
    fi, fj = rng.uniform(-1, 1, (2, 6, 5))
    out = faces.pair_features(fi, fj, kind=kind)
    for r in range(6):
        for c in range(5):
            x, y = fi[r, c], fj[r, c]
            want = abs(x - y) if kind == "abs" else (x - y) ** 2 / (abs(x + y) + 1e-6)
            assert np.isclose(out[r, c], want, rtol=1e-12)
    pos = np.abs(fi), np.abs(fj)  # on non-negative features: DeepFace's chi-square
    if kind == "chi2":
        np.testing.assert_allclose(
            faces.pair_features(*pos, kind="chi2", eps=1e-12),
            (pos[0] - pos[1]) ** 2 / (pos[0] + pos[1]),
            rtol=1e-9,
        )
    assert_refused(lambda: faces.pair_features(fi, fj, kind="l1"), "kind")


def test_best_threshold_is_the_best_accuracy_of_a_brute_force_search():
    from sklearn.metrics import roc_curve

    rng = np.random.default_rng(9)
    same = rng.random(80) < 0.5
    d = np.where(same, rng.normal(0.6, 0.25, 80), rng.normal(1.1, 0.25, 80))
    tau, acc = faces.best_threshold(d, same)
    brute = max(np.mean((d < t) == same) for t in np.linspace(d.min() - 1, d.max() + 1, 20001))
    assert acc == pytest.approx(brute) and np.mean((d < tau) == same) == acc
    # it is a point of the ROC curve of the score -distance
    fpr, tpr, thr = roc_curve(same, -d)
    n_pos, n_neg = same.sum(), (~same).sum()
    assert acc == pytest.approx(np.max((tpr * n_pos + (1 - fpr) * n_neg) / 80))
    assert faces.best_threshold([0.1, 0.9], [1, 0]) == (0.5, 1.0)
    assert_refused(lambda: faces.best_threshold(d, same[:5]), "same")
    assert_refused(lambda: faces.best_threshold(d, d), "same")
