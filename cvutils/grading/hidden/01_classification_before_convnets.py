"""Hidden tests of notebooks/01_classification_before_convnets.ipynb (scores unused there).

The references are loops over examples and classes in plain Python (`math`), independent of
the learner's vectorized formulas and of `cvutils.classic`: the hinge loss term by term, and
the cross-entropy through a log-sum-exp shifted by each row's maximum. The cases include two
classes, a single example, margins exactly at zero, other margins ``delta`` and scores in the
thousands (where an unshifted softmax overflows).
"""

import math

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _svm_loss_reference(scores, y, delta=1.0):
    losses = []
    for row, label in zip(scores.tolist(), y.tolist(), strict=True):
        terms = [max(0.0, s - row[label] + delta) for j, s in enumerate(row) if j != label]
        losses.append(math.fsum(terms))
    return np.array(losses), math.fsum(losses) / len(losses)


def _softmax_loss_reference(scores, y):
    losses = []
    for row, label in zip(scores.tolist(), y.tolist(), strict=True):
        top = max(row)
        log_sum = top + math.log(math.fsum(math.exp(s - top) for s in row))
        losses.append(log_sum - row[label])
    return np.array(losses), math.fsum(losses) / len(losses)


def _scores(r, n, c, scale=1.0):
    return scale * r.standard_normal((n, c)), r.integers(0, c, size=n)


def _svm_loss_cases():
    r = np.random.default_rng(101)
    at_margin = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 3.5]])  # margins exactly 0, and 1.5
    return [
        ("svm_loss(8 examples, 4 classes)", _scores(r, 8, 4), {}),
        ("svm_loss(2 classes, delta=2.5)", _scores(r, 6, 2), {"delta": 2.5}),
        ("svm_loss(one example, 7 classes)", _scores(r, 1, 7), {}),
        ("svm_loss(margins at zero)", (at_margin, np.array([0, 1])), {}),
        ("svm_loss(scores x 100, delta=0.1)", (*_scores(r, 5, 3, 100.0), 0.1), {}),
    ]


def _softmax_loss_cases():
    r = np.random.default_rng(102)
    return [
        ("softmax_loss(8 examples, 4 classes)", _scores(r, 8, 4), {}),
        ("softmax_loss(2 classes)", _scores(r, 6, 2), {}),
        ("softmax_loss(one example, 7 classes)", _scores(r, 1, 7), {}),
        ("softmax_loss(equal scores)", (np.zeros((3, 5)), np.array([4, 0, 2])), {}),
        ("softmax_loss(scores x 5000)", _scores(r, 5, 3, 5000.0), {}),
    ]


TESTS = [
    HiddenTest(
        "svm_loss",
        1,
        _svm_loss_cases,
        _svm_loss_reference,
        ("cvutils.classic.svm_loss",),
        atol=1e-10,
    ),
    HiddenTest(
        "softmax_loss",
        1,
        _softmax_loss_cases,
        _softmax_loss_reference,
        ("cvutils.classic.softmax_cross_entropy_losses", "cvutils.classic.softmax"),
        atol=1e-10,
    ),
]
