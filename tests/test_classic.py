"""Tests of cvutils.classic against the course's worked examples and independent references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from refusals import assert_refused
from scipy.spatial.distance import cdist

from cvutils import classic

# The course's table has one column per image; we store one row per example (transposed).
COURSE_SCORES = np.array(
    [
        [3.2, 5.1, -1.7],  # image 1, label cat
        [1.3, 4.9, 2.0],  # image 2, label car
        [2.2, 2.5, -3.1],  # image 3, label frog
    ]
)
COURSE_LABELS = np.array([0, 1, 2])  # cat, car, frog


# ----------------------------------------------------------------------------- course examples


def test_course_hinge_example():
    losses, mean = classic.svm_loss(COURSE_SCORES, COURSE_LABELS)
    np.testing.assert_allclose(losses, [2.9, 0.0, 12.9], rtol=0, atol=1e-12)
    assert np.isclose(mean, 15.8 / 3, rtol=0, atol=1e-12)
    assert round(mean, 1) == 5.3


def test_course_softmax_example():
    probs = classic.softmax(COURSE_SCORES[0])
    np.testing.assert_array_equal(np.round(probs, 2), [0.13, 0.87, 0.00])
    (loss10,), _ = classic.softmax_cross_entropy_losses(COURSE_SCORES[:1], [0], base=10)
    (loss_e,), _ = classic.softmax_cross_entropy_losses(COURSE_SCORES[:1], [0])
    assert round(loss10, 2) == 0.89
    assert round(loss_e, 2) == 2.04
    assert np.isclose(loss10, -np.log10(probs[0]))
    assert np.isclose(loss_e, -np.log(probs[0]))
    assert np.isclose(loss_e / loss10, np.log(10))


def test_course_one_vs_rest_example():
    scores = [3.5, 6.2, 1.4, 5.5]
    index = classic.one_vs_rest_decision(scores)
    assert index == 1  # 0-based
    assert index + 1 == 2  # the course numbers classes from 1


def test_course_one_vs_one_example():
    votes = [
        1,
        1,
        4,
        2,
        4,
        4,
    ]  # course numbering: classes 1..4, pairs (1,2) (1,3) (1,4) (2,3) (2,4) (3,4)
    assert classic.one_vs_one_vote(votes, 4, first=1) == 4
    assert classic.one_vs_one_vote(np.array(votes) - 1, 4) == 3  # the same vote, 0-based


def test_logistic_regression_parameter_count():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    assert model.count_params() == 10 * 784 + 10 == 7850


# ----------------------------------------------------------------------------- losses vs references


def _svm_loss_loops(scores, y, delta):
    n, c = scores.shape
    losses = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                losses[i] += max(0.0, scores[i, j] - scores[i, y[i]] + delta)
    return losses


@pytest.mark.parametrize("n, c", [(1, 2), (5, 3), (17, 10), (64, 7)])
@pytest.mark.parametrize("delta", [1.0, 0.5, 3.0])
def test_svm_loss_matches_loop_oracle(n, c, delta):
    rng = np.random.default_rng(n * 100 + c)
    scores = rng.normal(scale=2.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    losses, mean = classic.svm_loss(scores, y, delta=delta)
    expected = _svm_loss_loops(scores, y, delta)
    np.testing.assert_allclose(losses, expected, rtol=1e-12, atol=1e-12)
    assert np.isclose(mean, expected.mean())


@pytest.mark.parametrize("shape, axis", [((3,), -1), ((4, 5), -1), ((4, 5), 0), ((2, 3, 6), 1)])
def test_softmax_matches_scipy(shape, axis):
    x = np.random.default_rng(0).normal(scale=5.0, size=shape)
    np.testing.assert_allclose(
        classic.softmax(x, axis=axis), scipy.special.softmax(x, axis=axis), rtol=1e-12
    )


def test_softmax_is_stable_for_huge_scores():
    p = classic.softmax([1000.0, 1001.0, 999.0])
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, scipy.special.softmax([0.0, 1.0, -1.0]))


@pytest.mark.parametrize("n, c", [(1, 3), (8, 10), (32, 4)])
@pytest.mark.parametrize("base", [np.e, 10.0, 2.0])
def test_cross_entropy_matches_scipy_log_softmax(n, c, base):
    rng = np.random.default_rng(c)
    scores = rng.normal(scale=3.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    losses, mean = classic.softmax_cross_entropy_losses(scores, y, base=base)
    expected = -scipy.special.log_softmax(scores, axis=1)[np.arange(n), y] / np.log(base)
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    assert np.isclose(mean, expected.mean())


def test_cross_entropy_matches_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(3)
    scores = rng.normal(scale=3.0, size=(16, 10)).astype(np.float32)
    y = rng.integers(0, 10, size=16)
    per_example = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(
        y, scores
    )
    losses, mean = classic.softmax_cross_entropy_losses(scores, y)
    np.testing.assert_allclose(losses, np.asarray(per_example), rtol=1e-5)
    keras_mean = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, scores))
    assert np.isclose(mean, keras_mean, rtol=1e-5)
    course = float(
        keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
            np.array([0]), COURSE_SCORES[:1]
        )
    )
    assert round(course, 2) == 2.04


# ----------------------------------------------------------------------------- nearest neighbours


@pytest.mark.parametrize("n, m, d", [(1, 1, 1), (7, 5, 3), (40, 30, 64)])
def test_pairwise_sq_distances_matches_cdist(n, m, d):
    rng = np.random.default_rng(d)
    a, b = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    np.testing.assert_allclose(
        classic.pairwise_sq_distances(a, b), cdist(a, b, "sqeuclidean"), rtol=1e-9, atol=1e-9
    )


def test_pairwise_sq_distances_exact_on_pixels():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(20, 784), dtype=np.uint8)
    b = rng.integers(0, 256, size=(30, 784), dtype=np.uint8)
    got = classic.pairwise_sq_distances(a, b)
    expected = ((a[:, None, :].astype(np.int64) - b[None, :, :].astype(np.int64)) ** 2).sum(-1)
    np.testing.assert_array_equal(got, expected)
    assert np.all(np.diag(classic.pairwise_sq_distances(a, a)) == 0)


@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_knn_matches_sklearn(k):
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(k)
    x_train = rng.normal(size=(300, 2, 8))  # any trailing shape is flattened
    y_train = rng.integers(0, 4, size=300)
    x_test = rng.normal(size=(120, 2, 8))
    d = np.sort(cdist(x_test.reshape(120, -1), x_train.reshape(300, -1)), axis=1)
    assert np.all(
        d[:, k - 1] < d[:, k]
    )  # no distance tie at the k-th place: the neighbour sets are unique
    ours = classic.KNNClassifier(k, batch_size=37).fit(x_train, y_train)
    ref = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(
        x_train.reshape(300, -1), y_train
    )
    np.testing.assert_array_equal(ours.predict(x_test), ref.predict(x_test.reshape(120, -1)))
    dist, idx = ours.kneighbors(x_test)
    ref_dist, ref_idx = ref.kneighbors(x_test.reshape(120, -1))
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-9)
    assert ours.score(x_test, ref.predict(x_test.reshape(120, -1))) == 1.0


@pytest.mark.parametrize("k", [1, 2, 5, 19, 20])
def test_kneighbors_is_a_stable_sort_even_with_many_ties(k):
    rng = np.random.default_rng(k)
    x_train = rng.integers(0, 3, size=(20, 2))  # few distinct points: distances tie everywhere
    x_test = rng.integers(0, 3, size=(15, 2))
    dist, idx = (
        classic.KNNClassifier(k, batch_size=4)
        .fit(x_train, np.zeros(20, dtype=int))
        .kneighbors(x_test)
    )
    d = cdist(x_test, x_train)
    np.testing.assert_array_equal(idx, np.argsort(d, axis=1, kind="stable")[:, :k])
    np.testing.assert_allclose(dist, np.take_along_axis(d, idx, axis=1))


def test_knn_tie_rules():
    # distance tie with k = 1: 1 and -1 are both at distance 1 from 0; the earlier training row wins
    assert classic.KNNClassifier(1).fit([[1.0], [-1.0]], [3, 5]).predict([[0.0]])[0] == 3
    assert classic.KNNClassifier(1).fit([[-1.0], [1.0]], [5, 3]).predict([[0.0]])[0] == 5
    # vote tie (7, 3, 5 once each with k = 3): the smallest label wins
    x_train, y_train = np.array([[0.0], [1.0], [-1.0], [2.5], [-2.5]]), np.array([7, 3, 5, 5, 3])
    assert classic.KNNClassifier(3).fit(x_train, y_train).predict([[0.0]])[0] == 3
    # a majority beats a smaller label: neighbours 5, 5, 3
    assert (
        classic.KNNClassifier(3)
        .fit([[0.0], [1.0], [2.0], [10.0]], [5, 5, 3, 1])
        .predict([[0.5]])[0]
        == 5
    )


# ---------------------------------------------------------------------------- kernels and decisions


def _hik_loops(x, y):
    k = np.zeros((len(x), len(y)))
    for i in range(len(x)):
        for j in range(len(y)):
            k[i, j] = sum(min(a, b) for a, b in zip(x[i], y[j], strict=True))
    return k


@pytest.mark.parametrize("n, m, d", [(1, 1, 1), (6, 4, 9), (15, 11, 36)])
def test_histogram_intersection_matches_loops(n, m, d):
    rng = np.random.default_rng(n + m + d)
    x, y = rng.random((n, d)), rng.random((m, d))
    np.testing.assert_allclose(
        classic.histogram_intersection_kernel(x, y), _hik_loops(x, y), rtol=1e-12, atol=1e-12
    )


def test_histogram_intersection_works_as_svc_kernel():
    from sklearn.svm import SVC

    rng = np.random.default_rng(0)
    x = rng.random((80, 12))
    y = (x[:, :6].sum(1) > x[:, 6:].sum(1)).astype(int)
    x_new = rng.random((20, 12))
    callable_svc = SVC(kernel=classic.histogram_intersection_kernel).fit(x, y)
    pre = SVC(kernel="precomputed").fit(_hik_loops(x, x), y)
    np.testing.assert_array_equal(callable_svc.predict(x_new), pre.predict(_hik_loops(x_new, x)))
    assert callable_svc.score(x, y) > 0.8


def test_one_vs_rest_batch_and_ties():
    scores = np.array([[3.5, 6.2, 1.4, 5.5], [1.0, 1.0, 0.0, 0.5], [0.0, -1.0, 2.0, 2.0]])
    np.testing.assert_array_equal(classic.one_vs_rest_decision(scores), [1, 0, 2])


def test_one_vs_one_reproduces_sklearn_svc():
    from sklearn.datasets import load_iris
    from sklearn.svm import SVC

    x, y = load_iris(return_X_y=True)
    svc = SVC(kernel="linear", C=0.1, decision_function_shape="ovo").fit(x, y)
    pairs = [(i, j) for i in range(3) for j in range(i + 1, 3)]
    dv = svc.decision_function(x)  # (N, 3) pairwise decisions; > 0 votes for the first class
    votes = np.where(dv > 0, [i for i, _ in pairs], [j for _, j in pairs])
    np.testing.assert_array_equal(classic.one_vs_one_vote(votes, 3), svc.predict(x))


def test_one_vs_one_batch_and_ties():
    votes = np.array([[0, 0, 1], [0, 2, 1], [2, 2, 1]])
    np.testing.assert_array_equal(classic.one_vs_one_vote(votes, 3), [0, 0, 2])


# ----------------------------------------------------------------------------- curve fitting


@pytest.mark.parametrize("M", [0, 1, 3, 9])
def test_polynomial_features_is_vandermonde(M):
    x = np.linspace(-1, 2, 7)
    np.testing.assert_allclose(
        classic.polynomial_features(x, M), np.vander(x, M + 1, increasing=True)
    )


@pytest.mark.parametrize("M", [0, 1, 2, 3, 5])
def test_fit_polynomial_matches_polyfit(M):
    rng = np.random.default_rng(M)
    x = np.linspace(0, 1, 20)
    t = np.sin(2 * np.pi * x) + rng.normal(scale=0.3, size=20)
    w = classic.fit_polynomial(x, t, M)
    np.testing.assert_allclose(w, np.polyfit(x, t, M)[::-1], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(
        classic.polynomial_predict(w, x), np.polyval(np.polyfit(x, t, M), x), atol=1e-9
    )


@pytest.mark.parametrize("M, ln_lambda", [(3, -5.0), (9, -18.0), (9, 0.0), (5, 2.0)])
def test_fit_polynomial_ridge_matches_closed_form(M, ln_lambda):
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 10)
    t = np.sin(2 * np.pi * x) + rng.normal(scale=0.3, size=10)
    phi = np.vander(x, M + 1, increasing=True)
    lam = np.exp(ln_lambda)
    closed = np.linalg.solve(phi.T @ phi + lam * np.eye(M + 1), phi.T @ t)
    w = classic.fit_polynomial(x, t, M, ln_lambda=ln_lambda)
    scale = np.abs(closed).max()
    np.testing.assert_allclose(w, closed, rtol=1e-5, atol=1e-6 * scale)
    # w minimizes the regularized error: its gradient Phi^T(Phi w - t) + lambda w vanishes
    grad = phi.T @ (phi @ w - t) + lam * w
    assert np.abs(grad).max() < 1e-6 * max(1.0, scale)


def test_m9_interpolates_ten_points_and_rms_formula():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 10)
    t = np.sin(2 * np.pi * x) + rng.normal(scale=0.3, size=10)
    w9 = classic.fit_polynomial(x, t, 9)
    assert classic.rms_error(w9, x, t) < 1e-3
    w3 = classic.fit_polynomial(x, t, 3)
    e_w = 0.5 * np.sum((classic.polynomial_predict(w3, x) - t) ** 2)  # Bishop's E(w)
    assert np.isclose(classic.rms_error(w3, x, t), np.sqrt(2 * e_w / len(x)))


# ----------------------------------------------------------------------------- bad inputs

S23 = np.zeros((2, 3))


def _fitted():
    return classic.KNNClassifier(1).fit(np.zeros((2, 4)), [0, 1])


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: classic.svm_loss(np.zeros(3), [0]), "scores"),
        (lambda: classic.svm_loss(None, [0]), "scores"),
        (lambda: classic.svm_loss([[1 + 1j, 0]], [0]), "scores"),
        (lambda: classic.svm_loss([["a", "b"]], [0]), "scores"),
        (lambda: classic.svm_loss([[1.0, 2.0], [3.0]], [0, 1]), "scores"),
        (lambda: classic.svm_loss(np.zeros((2, 1)), [0, 0]), "scores"),
        (lambda: classic.svm_loss(S23, [0, 3]), "y"),
        (lambda: classic.svm_loss(S23, [0]), "y"),
        (lambda: classic.svm_loss(S23, [0.5, 1]), "y"),
        (lambda: classic.svm_loss(S23, [True, False]), "y"),
        (lambda: classic.svm_loss(S23, None), "y"),
        (lambda: classic.svm_loss(S23, [0, 1], delta=0), "delta"),
        (lambda: classic.svm_loss(S23, [0, 1], delta=np.inf), "delta"),
        (lambda: classic.svm_loss(S23, [0, 1], delta=True), "delta"),
        (lambda: classic.svm_loss(S23, [0, 1], delta="1"), "delta"),
        (lambda: classic.svm_loss([[np.nan, 1.0]], [0]), "scores"),
        (lambda: classic.softmax(np.ones((2, 3)), axis=2), "axis"),
        (lambda: classic.softmax(np.ones((2, 3)), axis=1.0), "axis"),
        (lambda: classic.softmax(np.ones((2, 0)), axis=1), "scores"),
        (lambda: classic.softmax(3.0), "scores"),
        (lambda: classic.softmax([np.inf, 0.0]), "scores"),
        (lambda: classic.softmax_cross_entropy_losses(S23, [0, 1], base=1), "base"),
        (lambda: classic.softmax_cross_entropy_losses(S23, [0, 1], base=-2), "base"),
        (lambda: classic.softmax_cross_entropy_losses(S23, [0, 1], base=None), "base"),
        (lambda: classic.softmax_cross_entropy_losses(S23, [-1, 1]), "y"),
        (lambda: classic.softmax_cross_entropy_losses(S23, [[0, 1]]), "y"),
        (lambda: classic.pairwise_sq_distances(S23, np.zeros((2, 4))), "B"),
        (lambda: classic.pairwise_sq_distances(np.zeros(3), S23), "A"),
        (lambda: classic.pairwise_sq_distances(S23, None), "B"),
        (lambda: classic.KNNClassifier(0), "k"),
        (lambda: classic.KNNClassifier(True), "k"),
        (lambda: classic.KNNClassifier(2.0), "k"),
        (lambda: classic.KNNClassifier(10**9), "k"),
        (lambda: classic.KNNClassifier(1, batch_size=0), "batch_size"),
        (lambda: classic.KNNClassifier(1, batch_size=None), "batch_size"),
        (lambda: classic.KNNClassifier(3).fit(np.zeros((2, 4)), [0, 1]), "X"),
        (lambda: classic.KNNClassifier(1).fit(np.zeros(4), [0, 1, 1, 0]), "X"),
        (lambda: classic.KNNClassifier(1).fit([[np.nan]], [0]), "X"),
        (lambda: classic.KNNClassifier(1).fit(np.zeros((2, 4)), [0, 1, 1]), "y"),
        (lambda: classic.KNNClassifier(1).fit(np.zeros((2, 4)), [0.5, 1.0]), "y"),
        (lambda: classic.KNNClassifier(1).fit(np.zeros((2, 4)), [-1, 1]), "y"),
        (lambda: classic.KNNClassifier(1).fit(np.zeros((2, 4)), None), "y"),
        (lambda: classic.KNNClassifier(1).predict(np.zeros((2, 4))), "self"),
        (lambda: _fitted().predict(np.zeros((2, 5))), "X"),
        (lambda: _fitted().kneighbors(None), "X"),
        (lambda: _fitted().score(np.zeros((2, 4)), None), "y"),
        (lambda: _fitted().score(np.zeros((2, 4)), [0]), "y"),
        (lambda: _fitted().score(np.zeros((0, 4)), []), "X"),
        (lambda: classic.histogram_intersection_kernel(S23, np.zeros((2, 4))), "Y"),
        (lambda: classic.histogram_intersection_kernel("abc", S23), "X"),
        (lambda: classic.one_vs_rest_decision([1.0]), "scores"),
        (lambda: classic.one_vs_rest_decision(np.zeros((2, 2, 2))), "scores"),
        (lambda: classic.one_vs_one_vote([1, 1, 4, 2, 4], 4, first=1), "votes"),
        (lambda: classic.one_vs_one_vote([1, 1, 4, 2, 4, 5], 4, first=1), "votes"),
        (lambda: classic.one_vs_one_vote([1.0, 1, 4, 2, 4, 4], 4, first=1), "votes"),
        (lambda: classic.one_vs_one_vote(None, 4), "votes"),
        (lambda: classic.one_vs_one_vote([0], 1), "n_classes"),
        (lambda: classic.one_vs_one_vote([0], 2, first=True), "first"),
        (lambda: classic.one_vs_one_vote([0], 2, first=0.0), "first"),
        (lambda: classic.polynomial_features(np.zeros(3), -1), "M"),
        (lambda: classic.polynomial_features(np.zeros(3), 10**6), "M"),
        (lambda: classic.polynomial_features(np.zeros(3), 2.0), "M"),
        (lambda: classic.polynomial_features(np.zeros((3, 1)), 2), "x"),
        (lambda: classic.fit_polynomial(np.zeros(3), np.zeros(4), 2), "t"),
        (lambda: classic.fit_polynomial([], [], 2), "x"),
        (lambda: classic.fit_polynomial(np.zeros(3), [0, np.nan, 0], 2), "t"),
        (
            lambda: classic.fit_polynomial(np.zeros(3), np.zeros(3), 2, ln_lambda=np.inf),
            "ln_lambda",
        ),
        (lambda: classic.fit_polynomial(np.zeros(3), np.zeros(3), 2, ln_lambda=1e6), "ln_lambda"),
        (lambda: classic.fit_polynomial(np.zeros(3), np.zeros(3), 2, ln_lambda="0"), "ln_lambda"),
        (lambda: classic.polynomial_predict([], np.zeros(3)), "w"),
        (lambda: classic.polynomial_predict(np.ones(500), np.zeros(3)), "w"),
        (lambda: classic.rms_error(np.zeros(2), np.zeros(3), np.zeros(2)), "t"),
        (lambda: classic.rms_error(np.zeros(2), [], []), "x"),
    ],
)
def test_bad_inputs_are_refused_naming_the_argument(call, argument):
    assert_refused(call, argument)


@pytest.mark.parametrize(
    "call",
    [
        lambda: classic.svm_loss(S23, None),
        lambda: classic.svm_loss(S23, [0, 1], delta="1"),
        lambda: classic.KNNClassifier(2.0),
        lambda: classic.one_vs_one_vote([1.0, 1, 4, 2, 4, 4], 4, first=1),
    ],
)
def test_wrong_kinds_are_type_errors_too(call):
    with pytest.raises(TypeError):
        call()


def test_integer_valued_float_labels_are_accepted_everywhere():
    np.testing.assert_array_equal(
        classic.svm_loss(COURSE_SCORES, [0.0, 1.0, 2.0])[0],
        classic.svm_loss(COURSE_SCORES, COURSE_LABELS)[0],
    )
    knn = classic.KNNClassifier(1).fit(np.eye(2), [0.0, 1.0])
    assert knn.predict(np.eye(2)).dtype == np.int64
    assert knn.score(np.eye(2), [0.0, 1.0]) == 1.0


def test_inputs_are_not_mutated():
    scores, y = COURSE_SCORES.copy(), COURSE_LABELS.copy()
    classic.svm_loss(scores, y)
    classic.softmax_cross_entropy_losses(scores, y)
    classic.softmax(scores)
    np.testing.assert_array_equal(scores, COURSE_SCORES)
    np.testing.assert_array_equal(y, COURSE_LABELS)


# Found by tests/test_bad_input.py.
def test_mismatched_X_and_y_are_named_together():
    X, y = np.zeros((5, 2)), np.arange(6) % 2
    assert "X" in str(assert_refused(lambda: classic.KNNClassifier(k=1).fit(X, y), "y"))
    knn = classic.KNNClassifier(k=1).fit(X, y[:5])
    assert "X" in str(assert_refused(lambda: knn.score(X[:2], y), "y"))


def test_fit_polynomial_refuses_x_whose_powers_overflow():
    # Used to raise numpy's LinAlgError "SVD did not converge".
    x = np.linspace(0, 1e299, 10)
    assert_refused(lambda: classic.fit_polynomial(x, np.ones(10), M=3), "x")


def test_one_vs_one_vote_message_says_where_the_label_range_comes_from():
    err = assert_refused(lambda: classic.one_vs_one_vote([0, 2, 2], 3, first=-1), "votes")
    assert "first" in str(err)
