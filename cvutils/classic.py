"""Image classification before ConvNets: the classic pipeline, from scratch (NumPy).

What notebook 01 builds and then imports from here:

* linear-classifier losses: the multiclass SVM (hinge) loss `svm_loss`, a numerically
  stable `softmax` and `softmax_cross_entropy_losses` (natural log like Keras, or any base);
* k-nearest neighbours on raw pixels: `pairwise_sq_distances`, `KNNClassifier`;
* kernels and multiclass decisions: `histogram_intersection_kernel` (usable as
  ``sklearn.svm.SVC(kernel=histogram_intersection_kernel)``), `one_vs_rest_decision`,
  `one_vs_one_vote`;
* generalization on polynomial curve fitting (Bishop, PRML ch. 1): `polynomial_features`,
  `fit_polynomial` (least squares, optionally L2-regularized), `polynomial_predict`,
  `rms_error`.

Layout convention: scores are ``(N, C)``, **one row per example**, one column per class.
The course's slides draw the transposed table (one column per image); transpose it first.
Classes are 0-based indices everywhere except where an argument (``first``) says otherwise.
Labels may be integer-valued floats (``2.0``); any other float label is refused. Arguments are
checked with `cvutils.checks` (one message form, ``"<name> must be <expected>; got <actual>."``).

Taught in notebooks/01_classification_before_convnets.ipynb.
"""

from __future__ import annotations

import numpy as np

from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_int,
    check_labels,
    check_real,
    check_same_length,
    describe,
    fail,
)

__all__ = [
    "KNNClassifier",
    "fit_polynomial",
    "histogram_intersection_kernel",
    "one_vs_one_vote",
    "one_vs_rest_decision",
    "pairwise_sq_distances",
    "polynomial_features",
    "polynomial_predict",
    "rms_error",
    "softmax",
    "softmax_cross_entropy_losses",
    "svm_loss",
]


# ----------------------------------------------------------------------------- validation

#: The highest polynomial order accepted (beyond it ``x ** M`` overflows for ``|x| > 1``).
MAX_ORDER = 100


def _float(name: str, value, ndim, **kwargs) -> np.ndarray:
    """`check_array` as float64, finite: the one conversion this module needs."""
    return check_array(name, value, ndim=ndim, dtype=np.float64, **kwargs)


def _scores_2d(scores, name: str = "scores") -> np.ndarray:
    s = _float(name, scores, 2, layout="(N, C)")
    if s.shape[0] < 1 or s.shape[1] < 2:
        fail(name, "(N, C) scores with N >= 1 examples and C >= 2 classes", describe(s))
    return s


def _examples(name: str, value) -> np.ndarray:
    """``(N, ...)`` inputs flattened to ``(N, D)`` float64."""
    x = check_array(name, value, min_ndim=2, layout="(N, D) or (N, H, W, ...)")
    return _float(name, x.reshape(x.shape[0], int(np.prod(x.shape[1:]))), 2)


# ----------------------------------------------------------------------------- losses


def svm_loss(scores, y, delta: float = 1.0):
    """Multiclass SVM (hinge) loss of a linear classifier, per example and averaged.

    ``L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + delta)``.

    Args:
        scores: ``(N, C)`` class scores, one row per example (transpose the course's table,
            which has one column per image).
        y: ``(N,)`` correct class index of each row, in ``0..C-1``; integer-valued floats
            (``2.0``) are accepted, any other float is refused.
        delta: the margin, > 0 (the course uses 1).

    Returns:
        ``(losses, mean)``: ``(N,)`` float64 losses and their mean (a Python float).

    Raises:
        ValueError: for a wrong shape, non-finite scores, bad labels or ``delta <= 0``
            (`cvutils.checks.ArgumentTypeError`, also a ``TypeError``, for a wrong kind).

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        The course's cat / car / frog example (one row per image: cat, car, frog):

        >>> scores = [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]
        >>> losses, mean = svm_loss(scores, [0, 1, 2])
        >>> losses.round(2).tolist(), round(mean, 2)
        ([2.9, 0.0, 12.9], 5.27)
    """
    s = _scores_2d(scores)
    labels = check_labels("y", y, n_classes=s.shape[1], n=s.shape[0])
    delta = check_real("delta", delta, low=0.0, low_open=True)
    rows = np.arange(s.shape[0])
    margins = np.maximum(0.0, s - s[rows, labels][:, None] + float(delta))
    margins[rows, labels] = 0.0
    losses = margins.sum(axis=1)
    return losses, float(losses.mean())


def softmax(scores, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax: ``exp(s - max s) / sum exp(s - max s)`` along ``axis``.

    Args:
        scores: array of any shape ``(..., C, ...)``; finite values.
        axis: the class axis.

    Returns:
        float64 array of the same shape whose entries along ``axis`` are >= 0 and sum to 1.

    Raises:
        ValueError: for an empty or non-finite input, or an axis out of range.

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        >>> softmax([1.0, 1.0]).tolist()
        [0.5, 0.5]
    """
    s = _float("scores", scores, None, min_ndim=1)
    axis = check_int("axis", axis, minimum=-s.ndim, maximum=s.ndim - 1)
    if s.shape[axis] < 1:
        fail("scores", f"an array with at least one class along axis {axis}", describe(s))
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_cross_entropy_losses(scores, y, base: float = np.e):
    """Softmax cross-entropy ``-log_base(softmax(s)_{y_i})``, per example and averaged.

    With the default natural logarithm this is what
    ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)`` computes (its mean).
    ``base=10`` gives the number printed in the course's worked example; the two differ by
    the constant factor ``ln(10)``: ``-ln p = ln(10) * (-log10 p)``.

    Args:
        scores: ``(N, C)`` unnormalized scores (logits), one row per example.
        y: ``(N,)`` correct class indices in ``0..C-1``; integer-valued floats are accepted.
        base: base of the logarithm, > 0 and != 1.

    Returns:
        ``(losses, mean)``: ``(N,)`` float64 losses and their mean (a Python float).

    Raises:
        ValueError: for a wrong shape, bad labels or an invalid base.

    Taught in notebooks/01_classification_before_convnets.ipynb.
    """
    s = _scores_2d(scores)
    labels = check_labels("y", y, n_classes=s.shape[1], n=s.shape[0])
    base = check_real("base", base, low=0.0, low_open=True)
    if base == 1.0:
        fail("base", "a finite real number > 0 and != 1", repr(base))
    shifted = s - s.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # natural log-softmax
    losses = -log_probs[np.arange(s.shape[0]), labels] / np.log(float(base))
    return losses, float(losses.mean())


# ----------------------------------------------------------------------------- nearest neighbours


def pairwise_sq_distances(A, B) -> np.ndarray:
    """Squared Euclidean distances between the rows of two matrices, vectorized.

    Uses ``||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b`` (one matrix product); tiny negative
    values from rounding are clipped to 0. With integer-valued inputs (pixels) every term is
    an exactly representable integer, so the result is exact.

    Args:
        A: ``(N, D)`` array.
        B: ``(M, D)`` array.

    Returns:
        ``(N, M)`` float64 array ``D[i, j] = ||A[i] - B[j]||^2``.

    Raises:
        ValueError: if either is not 2-D or their feature sizes differ.

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        >>> pairwise_sq_distances([[0, 0], [1, 1]], [[3, 4]]).tolist()
        [[25.0], [13.0]]
    """
    a = _float("A", A, 2, layout="(N, D)")
    b = _float("B", B, 2, layout="(M, D)")
    if a.shape[1] != b.shape[1]:
        fail("B", f"an array with {a.shape[1]} columns like A {a.shape}", describe(b))
    d = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0)


def _k_smallest_stable(d: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` smallest entries of each row.

    The result equals ``np.argsort(d, kind="stable")[:, :k]``.

    Linear time per row instead of a full sort: the k-th smallest value is found with
    `numpy.partition`; every entry up to it (ties included) is a candidate, and only the
    candidates are sorted by (value, column).
    """
    m, n = d.shape
    if k >= n:
        return np.argsort(d, axis=1, kind="stable")[:, :k]
    kth = np.partition(d, k - 1, axis=1)[:, k - 1]
    rows, cols = np.nonzero(d <= kth[:, None])  # >= k candidates per row, row-major order
    order = np.lexsort((cols, d[rows, cols], rows))  # by row, then value, then column
    rows, cols = rows[order], cols[order]
    starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=m))[:-1]])
    rank = np.arange(len(rows)) - starts[rows]
    keep = rank < k
    return cols[keep].reshape(m, k)


class KNNClassifier:
    """k-nearest-neighbour classifier on flattened inputs (e.g. raw pixels), from scratch.

    ``fit`` only memorizes the training set; ``predict`` finds, for each query, the ``k``
    training rows with the smallest Euclidean distance and takes a majority vote.

    Tie rules (the same as ``sklearn.neighbors.KNeighborsClassifier`` with uniform weights
    and the brute-force algorithm, as long as no two training points are at exactly the
    same distance at the k-th place):

    * distance ties: the training row that comes first in the training set wins (stable
      sort);
    * vote ties: the smallest class label among the tied ones wins.

    Args:
        k: number of neighbours, >= 1.
        batch_size: queries per distance block (memory ``batch_size * n_train`` floats).

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        >>> knn = KNNClassifier(k=1).fit([[0.0], [10.0]], [0, 1])
        >>> knn.predict([[1.0], [9.0]]).tolist()
        [0, 1]
    """

    def __init__(self, k: int = 1, batch_size: int = 512):
        self.k = check_int("k", k, 1, MAX_COUNT)
        self.batch_size = check_int("batch_size", batch_size, 1, MAX_COUNT)
        self._x = None
        self._y = None
        self.classes_ = None

    def fit(self, X, y) -> KNNClassifier:
        """Stores the training set.

        Args:
            X: ``(N, ...)`` training inputs; each is flattened to ``D`` features.
            y: ``(N,)`` non-negative integer labels; integer-valued floats are accepted.

        Returns:
            ``self``.

        Raises:
            ValueError: for mismatched lengths, fewer than ``k`` examples or non-integer labels.

        Taught in notebooks/01_classification_before_convnets.ipynb.
        """
        x = _examples("X", X)
        labels = check_labels("y", y)
        check_same_length("X", x, "y", labels)  # a message that names both
        if x.shape[0] < self.k:
            fail("X", f"at least k={self.k} training examples", f"{x.shape[0]}")
        self._x, self._y = x, labels
        self._sq_norms = (x * x).sum(axis=1)
        self.classes_, self._y_index = np.unique(self._y, return_inverse=True)
        return self

    def kneighbors(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Distances and training indices of the ``k`` nearest neighbours of each query.

        Args:
            X: ``(M, ...)`` queries with the same number of features as the training inputs.

        Returns:
            ``(distances, indices)``, both ``(M, k)``, nearest first; Euclidean distances.

        Raises:
            ValueError: if the classifier is not fitted or ``X`` has the wrong features.

        Taught in notebooks/01_classification_before_convnets.ipynb.
        """
        if self._x is None:
            fail("self", "a fitted KNNClassifier (call fit(X, y) first)", "an unfitted one")
        q = _examples("X", X)
        if q.shape[1] != self._x.shape[1]:
            fail(
                "X",
                f"{self._x.shape[1]} features per example like the training set",
                f"{q.shape[1]}",
            )
        dist = np.empty((len(q), self.k))
        idx = np.empty((len(q), self.k), dtype=np.int64)
        for start in range(0, len(q), self.batch_size):
            block = q[start : start + self.batch_size]
            d = (
                (block * block).sum(axis=1)[:, None]
                + self._sq_norms[None, :]
                - 2.0 * (block @ self._x.T)
            )
            np.maximum(d, 0.0, out=d)
            order = _k_smallest_stable(d, self.k)
            idx[start : start + len(block)] = order
            dist[start : start + len(block)] = np.sqrt(np.take_along_axis(d, order, axis=1))
        return dist, idx

    def predict(self, X) -> np.ndarray:
        """Majority vote of the ``k`` nearest training labels; ``(M,)`` int64 labels.

        Taught in notebooks/01_classification_before_convnets.ipynb.
        """
        _, idx = self.kneighbors(X)
        votes = self._y_index[idx]  # (M, k) positions in self.classes_ (sorted labels)
        counts = np.zeros((len(idx), len(self.classes_)), dtype=np.int64)
        np.add.at(counts, (np.arange(len(idx))[:, None], votes), 1)
        return self.classes_[np.argmax(counts, axis=1)]  # argmax: first (smallest) label on ties

    def score(self, X, y) -> float:
        """Accuracy of `predict` on ``(X, y)``: ``X`` ``(M, ...)``, ``y`` ``(M,)`` labels.

        Integer-valued float labels are accepted; an empty ``X`` is refused.
        Taught in notebooks/01_classification_before_convnets.ipynb.
        """
        q = _examples("X", X)
        if q.shape[0] == 0:
            fail("X", "at least one example", describe(q))
        labels = check_labels("y", y)
        check_same_length("X", q, "y", labels)  # a message that names both
        return float(np.mean(self.predict(q) == labels))


# ----------------------------------------------------------------------------- kernels, decisions


def histogram_intersection_kernel(X, Y) -> np.ndarray:
    """Histogram intersection kernel ``K[i, j] = sum_d min(X[i, d], Y[j, d])``.

    Pass it straight to scikit-learn: ``SVC(kernel=histogram_intersection_kernel)``. It is a
    valid (positive semi-definite) kernel for non-negative features such as histograms and
    HOG descriptors. Computed through ``min(a, b) = (a + b - |a - b|) / 2``, i.e.
    ``K = (sum X_i + sum Y_j - ||X_i - Y_j||_1) / 2`` with a compiled L1-distance routine.

    Args:
        X: ``(N, D)`` features.
        Y: ``(M, D)`` features.

    Returns:
        ``(N, M)`` float64 Gram matrix.

    Raises:
        ValueError: if either is not 2-D or their feature sizes differ.

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        >>> histogram_intersection_kernel([[1, 2, 0]], [[2, 1, 1]]).tolist()
        [[2.0]]
    """
    from scipy.spatial.distance import cdist

    x = _float("X", X, 2, layout="(N, D)")
    y = _float("Y", Y, 2, layout="(M, D)")
    if x.shape[1] != y.shape[1]:
        fail("Y", f"an array with {x.shape[1]} columns like X {x.shape}", describe(y))
    l1 = cdist(x, y, metric="cityblock")
    return 0.5 * (x.sum(axis=1)[:, None] + y.sum(axis=1)[None, :] - l1)


def one_vs_rest_decision(scores) -> np.ndarray | int:
    """One-vs-rest: each class has its own classifier; the highest score wins.

    Args:
        scores: ``(C,)`` scores of one example or ``(N, C)`` for many.

    Returns:
        The 0-based index of the winning class (an int for one example, ``(N,)`` otherwise);
        ties go to the smaller index. Add 1 for the course's 1-based class numbers.

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        >>> one_vs_rest_decision([0.2, 1.5, -0.3])
        1
    """
    s = _float("scores", scores, (1, 2), layout="(C,) or (N, C)")
    if s.shape[-1] < 2:
        fail("scores", "at least 2 classes on the last axis", describe(s))
    winner = np.argmax(s, axis=-1)
    return int(winner) if s.ndim == 1 else winner.astype(np.int64)


def one_vs_one_vote(votes, n_classes: int, first: int = 0) -> np.ndarray | int:
    """One-vs-one: ``C(C-1)/2`` pairwise classifiers each vote for a class; the majority wins.

    Args:
        votes: ``(C(C-1)/2,)`` winning class of every pairwise classifier for one example,
            or ``(N, C(C-1)/2)`` for many; labels numbered from ``first``.
        n_classes: the number of classes ``C`` (>= 2).
        first: the number of the first class: 0 for Python indices, 1 for the course's
            numbering (classes 1..C).

    Returns:
        The winning class in the same numbering as ``votes`` (an int, or ``(N,)``); a tie
        goes to the smallest class number.

    Raises:
        ValueError: if the number of votes is not ``C(C-1)/2`` or a vote is out of range.

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        Three classes numbered 1..3, pairwise winners of (1 vs 2, 1 vs 3, 2 vs 3):

        >>> one_vs_one_vote([1, 3, 3], n_classes=3, first=1)
        3
    """
    n_classes = check_int("n_classes", n_classes, 2, MAX_COUNT)
    first = check_int("first", first, minimum=None)
    v = check_array("votes", votes, ndim=(1, 2), dtype="int", layout="(P,) or (N, P)")
    n_pairs = n_classes * (n_classes - 1) // 2
    if v.shape[-1] != n_pairs:
        fail(
            "votes",
            f"n_classes*(n_classes-1)/2 = {n_pairs} votes per example for n_classes={n_classes}",
            f"{v.shape[-1]}",
        )
    idx = v.astype(np.int64) - first
    if idx.size and (idx.min() < 0 or idx.max() >= n_classes):
        fail(
            "votes",
            f"class labels in first..first+n_classes-1 = {first}..{first + n_classes - 1}",
            f"values in {v.min()}..{v.max()}",
        )
    rows = np.atleast_2d(idx)
    counts = np.zeros((rows.shape[0], n_classes), dtype=np.int64)
    np.add.at(counts, (np.arange(rows.shape[0])[:, None], rows), 1)
    winner = np.argmax(counts, axis=1) + first
    return int(winner[0]) if v.ndim == 1 else winner


# ----------------------------------------------------------------------------- curve fitting


def polynomial_features(x, M: int) -> np.ndarray:
    """Design matrix of a polynomial of order ``M``: columns ``x^0, x^1, ..., x^M``.

    Args:
        x: ``(N,)`` inputs.
        M: polynomial order, >= 0.

    Returns:
        ``(N, M + 1)`` float64 matrix ``Phi[n, j] = x_n ** j``.

    Raises:
        ValueError: for a non-1-D or non-finite ``x``, or ``M`` outside ``0..MAX_ORDER``.

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        >>> polynomial_features([2.0], 3).tolist()
        [[1.0, 2.0, 4.0, 8.0]]
    """
    xs = _float("x", x, 1)
    M = check_int("M", M, 0, MAX_ORDER)
    return xs[:, None] ** np.arange(M + 1)[None, :]


def fit_polynomial(x, t, M: int, ln_lambda: float | None = None) -> np.ndarray:
    """Least-squares polynomial fit, optionally with an L2 penalty (Bishop PRML eq. 1.2, 1.4).

    Minimizes ``E(w) = 1/2 sum_n (y(x_n, w) - t_n)^2 + lambda/2 ||w||^2`` with
    ``lambda = exp(ln_lambda)`` (all coefficients, ``w_0`` included, are penalized as in
    PRML fig. 1.7). The regularized solution ``w = (Phi^T Phi + lambda I)^{-1} Phi^T t`` is
    computed as the least-squares solution of the stacked system ``[Phi; sqrt(lambda) I] w =
    [t; 0]``, which is better conditioned than forming ``Phi^T Phi``.

    Args:
        x: ``(N,)`` inputs.
        t: ``(N,)`` targets.
        M: polynomial order, >= 0.
        ln_lambda: natural log of the penalty weight, in ``[-700, 700)`` (``exp`` stays
            finite); ``None`` for no penalty.

    Returns:
        ``(M + 1,)`` coefficients ``w_0 .. w_M`` (increasing powers; `numpy.polyfit`
        returns them in the reverse order).

    Raises:
        ValueError: for mismatched shapes, an empty ``x``, ``M`` outside ``0..MAX_ORDER`` or a
            non-finite ``ln_lambda``.

    Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        >>> fit_polynomial([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], M=1).round(6).tolist()
        [1.0, 2.0]
    """
    _float("x", x, 1, allow_empty=False)
    phi = polynomial_features(x, M)
    if not np.isfinite(phi).all():  # x**M overflows: least squares would not converge
        fail("x", f"values small enough that x**M stays finite (M={M})", describe(x))
    ts = _float("t", t, 1)
    check_same_length("x", phi, "t", ts)
    if ln_lambda is None:
        return np.linalg.lstsq(phi, ts, rcond=None)[0]
    ln_lambda = check_real("ln_lambda", ln_lambda, low=-700.0, high=700.0)
    root = np.sqrt(np.exp(ln_lambda))
    a = np.vstack([phi, root * np.eye(M + 1)])
    b = np.concatenate([ts, np.zeros(M + 1)])
    return np.linalg.lstsq(a, b, rcond=None)[0]


def polynomial_predict(w, x) -> np.ndarray:
    """Evaluates ``y(x, w) = sum_j w_j x^j``; ``w`` ``(M+1,)`` increasing powers, ``x`` ``(N,)``.

    Returns ``(N,)`` float64. Taught in notebooks/01_classification_before_convnets.ipynb.

    Examples:
        >>> polynomial_predict([1.0, 2.0], [0.0, 3.0]).tolist()
        [1.0, 7.0]
    """
    ws = _float("w", w, 1)
    if not 1 <= ws.shape[0] <= MAX_ORDER + 1:
        fail("w", f"1..{MAX_ORDER + 1} coefficients", describe(ws))
    return polynomial_features(x, ws.shape[0] - 1) @ ws


def rms_error(w, x, t) -> float:
    """Root-mean-square error ``E_RMS = sqrt(2 E(w) / N) = sqrt(mean((y(x, w) - t)^2))``.

    Args:
        w: ``(M + 1,)`` polynomial coefficients (increasing powers).
        x: ``(N,)`` inputs.
        t: ``(N,)`` targets.

    Returns:
        The RMS error (a Python float), on the same scale as ``t`` for any ``N``.

    Raises:
        ValueError: for bad ``w`` or ``x`` (see `polynomial_predict`), an empty ``x`` or a
            ``t`` whose length differs from ``x``'s.

    Taught in notebooks/01_classification_before_convnets.ipynb.
    """
    _float("x", x, 1, allow_empty=False)
    y = polynomial_predict(w, x)
    ts = _float("t", t, 1)
    check_same_length("x", y, "t", ts)
    return float(np.sqrt(np.mean((y - ts) ** 2)))
