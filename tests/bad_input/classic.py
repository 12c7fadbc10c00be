"""Bad-input specs of `cvutils.classic`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


# --- classic
def _scores():
    return np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])


@spec("classic.svm_loss")
def _():
    return _mod("classic").svm_loss, dict(scores=_scores(), y=np.array([0, 1, 2]), delta=1.0)


@spec("classic.softmax")
def _():
    return _mod("classic").softmax, dict(scores=_scores(), axis=-1)


@spec("classic.softmax_cross_entropy_losses")
def _():
    fn = _mod("classic").softmax_cross_entropy_losses
    return fn, dict(scores=_scores(), y=np.array([0, 1, 2]), base=np.e)


@spec("classic.pairwise_sq_distances")
def _():
    return _mod("classic").pairwise_sq_distances, dict(
        A=rng().random((4, 3)), B=rng(1).random((5, 3))
    )


@spec("classic.histogram_intersection_kernel")
def _():
    return _mod("classic").histogram_intersection_kernel, dict(
        X=rng().random((4, 3)), Y=rng(1).random((5, 3))
    )


@spec("classic.one_vs_rest_decision")
def _():
    return _mod("classic").one_vs_rest_decision, dict(scores=_scores())


@spec("classic.one_vs_one_vote")
def _():
    return _mod("classic").one_vs_one_vote, dict(votes=np.array([0, 2, 2]), n_classes=3, first=0)


@spec("classic.polynomial_features")
def _():
    return _mod("classic").polynomial_features, dict(x=np.linspace(0, 1, 5), M=3)


@spec("classic.fit_polynomial")
def _():
    x = np.linspace(0, 1, 10)
    return _mod("classic").fit_polynomial, dict(x=x, t=np.sin(2 * np.pi * x), M=3, ln_lambda=-5.0)


@spec("classic.polynomial_predict")
def _():
    return _mod("classic").polynomial_predict, dict(
        w=np.array([0.1, 1.0, -2.0]), x=np.linspace(0, 1, 5)
    )


@spec("classic.rms_error")
def _():
    x = np.linspace(0, 1, 5)
    return _mod("classic").rms_error, dict(w=np.array([0.1, 1.0]), x=x, t=x)


def _knn_data():
    X = rng().random((12, 4))
    return X, np.arange(12) % 3


@spec("classic.KNNClassifier")
def _():
    return _mod("classic").KNNClassifier, dict(k=3, batch_size=4)


@spec("classic.KNNClassifier.fit")
def _():
    X, y = _knn_data()
    return _mod("classic").KNNClassifier(k=3).fit, dict(X=X, y=y)


def _fitted_knn():
    X, y = _knn_data()
    return _mod("classic").KNNClassifier(k=3).fit(X, y), X, y


@spec("classic.KNNClassifier.kneighbors")
def _():
    knn, X, _ = _fitted_knn()
    return knn.kneighbors, dict(X=X[:3])


@spec("classic.KNNClassifier.predict")
def _():
    knn, X, _ = _fitted_knn()
    return knn.predict, dict(X=X[:3])


@spec("classic.KNNClassifier.score")
def _():
    knn, X, y = _fitted_knn()
    return knn.score, dict(X=X[:3], y=y[:3])
