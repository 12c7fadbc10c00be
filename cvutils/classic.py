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
"""

from __future__ import annotations

import numpy as np

from cvutils.checks import check_int

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


def _float_array(value, name: str, ndim: int | tuple[int, ...] | None) -> np.ndarray:
    """Converts to a finite float64 array of the given rank(s) (None: any rank >= 1).

    Raises ValueError otherwise.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must be a numeric array, got {type(value).__name__}: {err}"
        ) from err
    if ndim is None:
        if arr.ndim < 1:
            raise ValueError(f"{name} must have at least one axis, got a scalar {value!r}")
        ndims = (arr.ndim,)
    else:
        ndims = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers, got NaN or inf")
    return arr


def _scores_2d(scores, name: str = "scores") -> np.ndarray:
    s = _float_array(scores, name, 2)
    if s.shape[0] < 1 or s.shape[1] < 2:
        raise ValueError(
            f"{name} must be (N, C) with N >= 1 examples and C >= 2 classes, got shape {s.shape}"
        )
    return s


def _labels(y, n: int, n_classes: int, name: str = "y") -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"{name} must have shape ({n},) (one label per row of scores), got shape {arr.shape}"
        )
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer class indices, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(
            f"{name} must hold class indices in 0..{n_classes - 1}, "
            f"got values in {arr.min()}..{arr.max()}"
        )
    return arr.astype(np.int64)


# ----------------------------------------------------------------------------- losses


def svm_loss(scores, y, delta: float = 1.0):
    """Multiclass SVM (hinge) loss of a linear classifier, per example and averaged.

    ``L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + delta)``.

    Args:
        scores: ``(N, C)`` class scores, one row per example (transpose the course's table,
            which has one column per image).
        y: ``(N,)`` correct class index of each row, in ``0..C-1``.
        delta: the margin, > 0 (the course uses 1).

    Returns:
        ``(losses, mean)``: ``(N,)`` float64 losses and their mean (a Python float).

    Raises:
        ValueError: for a wrong shape, non-finite scores, bad labels or ``delta <= 0``.
    """
    s = _scores_2d(scores)
    labels = _labels(y, s.shape[0], s.shape[1])
    if isinstance(delta, bool) or not np.isscalar(delta) or not np.isfinite(delta) or delta <= 0:
        raise ValueError(f"delta must be a finite number > 0, got {delta!r}")
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
    """
    s = _float_array(scores, "scores", None)
    if not -s.ndim <= axis < s.ndim:
        raise ValueError(
            f"axis must be in [-{s.ndim}, {s.ndim - 1}] for scores of shape {s.shape}, got {axis}"
        )
    if s.shape[axis] < 1:
        raise ValueError(
            f"scores must have at least one class along axis {axis}, got shape {s.shape}"
        )
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
        y: ``(N,)`` correct class indices in ``0..C-1``.
        base: base of the logarithm, > 0 and != 1.

    Returns:
        ``(losses, mean)``: ``(N,)`` float64 losses and their mean (a Python float).

    Raises:
        ValueError: for a wrong shape, bad labels or an invalid base.
    """
    s = _scores_2d(scores)
    labels = _labels(y, s.shape[0], s.shape[1])
    if (
        isinstance(base, bool)
        or not np.isscalar(base)
        or not np.isfinite(base)
        or base <= 0
        or base == 1
    ):
        raise ValueError(f"base must be a finite number > 0 and != 1, got {base!r}")
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
    """
    a = _float_array(A, "A", 2)
    b = _float_array(B, "B", 2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"A and B must have the same number of columns, got A {a.shape} and B {b.shape}"
        )
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
    """

    def __init__(self, k: int = 1, batch_size: int = 512):
        self.k = check_int("k", k, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self._x = None
        self._y = None
        self.classes_ = None

    def fit(self, X, y) -> KNNClassifier:
        """Stores the training set.

        Args:
            X: ``(N, ...)`` training inputs; each is flattened to ``D`` features.
            y: ``(N,)`` integer labels.

        Returns:
            ``self``.

        Raises:
            ValueError: for mismatched lengths, fewer than ``k`` examples or non-integer labels.
        """
        x = np.asarray(X)
        if x.ndim < 2:
            raise ValueError(f"X must be (N, D) or (N, H, W, ...), got shape {x.shape}")
        x = _float_array(x.reshape(len(x), -1), "X", 2)
        labels = np.asarray(y)
        if labels.ndim != 1 or labels.shape[0] != x.shape[0]:
            raise ValueError(
                f"y must have shape ({x.shape[0]},) (one label per row of X), "
                f"got shape {labels.shape}"
            )
        if labels.dtype.kind not in "iu":
            raise ValueError(f"y must hold integer class labels, got dtype {labels.dtype}")
        if x.shape[0] < self.k:
            raise ValueError(f"X must have at least k={self.k} training examples, got {x.shape[0]}")
        self._x, self._y = x, labels.astype(np.int64)
        self._sq_norms = (x * x).sum(axis=1)
        self.classes_, self._y_index = np.unique(self._y, return_inverse=True)
        return self

    def kneighbors(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Distances and training indices of the ``k`` nearest neighbours of each query.

        Args:
            X: ``(M, ...)`` queries with the same number of features as the training inputs.

        Returns:
            ``(distances, indices)``, both ``(M, k)``, nearest first; Euclidean distances.
        """
        if self._x is None:
            raise ValueError("this KNNClassifier is not fitted yet; call fit(X, y) first")
        q = np.asarray(X)
        if q.ndim < 2:
            raise ValueError(f"X must be (M, D) or (M, H, W, ...), got shape {q.shape}")
        q = _float_array(q.reshape(len(q), -1), "X", 2)
        if q.shape[1] != self._x.shape[1]:
            raise ValueError(
                f"X must have {self._x.shape[1]} features per example like the training set, "
                f"got {q.shape[1]}"
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
        """Majority vote of the ``k`` nearest training labels; ``(M,)`` int64 labels."""
        _, idx = self.kneighbors(X)
        votes = self._y_index[idx]  # (M, k) positions in self.classes_ (sorted labels)
        counts = np.zeros((len(idx), len(self.classes_)), dtype=np.int64)
        np.add.at(counts, (np.arange(len(idx))[:, None], votes), 1)
        return self.classes_[np.argmax(counts, axis=1)]  # argmax: first (smallest) label on ties

    def score(self, X, y) -> float:
        """Accuracy of `predict` on ``(X, y)``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


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
    """
    from scipy.spatial.distance import cdist

    x = _float_array(X, "X", 2)
    y = _float_array(Y, "Y", 2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of columns, got X {x.shape} and Y {y.shape}"
        )
    l1 = cdist(x, y, metric="cityblock")
    return 0.5 * (x.sum(axis=1)[:, None] + y.sum(axis=1)[None, :] - l1)


def one_vs_rest_decision(scores) -> np.ndarray | int:
    """One-vs-rest: each class has its own classifier; the highest score wins.

    Args:
        scores: ``(C,)`` scores of one example or ``(N, C)`` for many.

    Returns:
        The 0-based index of the winning class (an int for one example, ``(N,)`` otherwise);
        ties go to the smaller index. Add 1 for the course's 1-based class numbers.
    """
    s = _float_array(scores, "scores", (1, 2))
    if s.shape[-1] < 2:
        raise ValueError(
            f"scores must have at least 2 classes on the last axis, got shape {s.shape}"
        )
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
    """
    n_classes = check_int("n_classes", n_classes, 2)
    if isinstance(first, bool) or not isinstance(first, (int, np.integer)):
        raise ValueError(f"first must be an int (0 or 1 usually), got {first!r}")
    v = np.asarray(votes)
    if v.ndim not in (1, 2) or v.dtype.kind not in "iu":
        raise ValueError(
            f"votes must be a 1-D or 2-D array of integer class labels, "
            f"got shape {v.shape} dtype {v.dtype}"
        )
    n_pairs = n_classes * (n_classes - 1) // 2
    if v.shape[-1] != n_pairs:
        raise ValueError(
            f"votes must hold n_classes*(n_classes-1)/2 = {n_pairs} votes per example "
            f"for n_classes={n_classes}, "
            f"got {v.shape[-1]}"
        )
    idx = v.astype(np.int64) - int(first)
    if idx.min() < 0 or idx.max() >= n_classes:
        raise ValueError(
            f"votes must be class labels in {first}..{first + n_classes - 1}, "
            f"got values in {v.min()}..{v.max()}"
        )
    rows = np.atleast_2d(idx)
    counts = np.zeros((rows.shape[0], n_classes), dtype=np.int64)
    np.add.at(counts, (np.arange(rows.shape[0])[:, None], rows), 1)
    winner = np.argmax(counts, axis=1) + int(first)
    return int(winner[0]) if v.ndim == 1 else winner


# ----------------------------------------------------------------------------- curve fitting


def polynomial_features(x, M: int) -> np.ndarray:
    """Design matrix of a polynomial of order ``M``: columns ``x^0, x^1, ..., x^M``.

    Args:
        x: ``(N,)`` inputs.
        M: polynomial order, >= 0.

    Returns:
        ``(N, M + 1)`` float64 matrix ``Phi[n, j] = x_n ** j``.
    """
    xs = _float_array(x, "x", 1)
    M = check_int("M", M, 0)
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
        ln_lambda: natural log of the penalty weight; ``None`` for no penalty.

    Returns:
        ``(M + 1,)`` coefficients ``w_0 .. w_M`` (increasing powers; `numpy.polyfit`
        returns them in the reverse order).

    Raises:
        ValueError: for mismatched shapes, ``M < 0`` or a non-finite ``ln_lambda``.
    """
    phi = polynomial_features(x, M)
    ts = _float_array(t, "t", 1)
    if ts.shape[0] != phi.shape[0]:
        raise ValueError(f"t must have shape ({phi.shape[0]},) like x, got shape {ts.shape}")
    if ln_lambda is None:
        return np.linalg.lstsq(phi, ts, rcond=None)[0]
    if isinstance(ln_lambda, bool) or not np.isscalar(ln_lambda) or not np.isfinite(ln_lambda):
        raise ValueError(f"ln_lambda must be a finite number or None, got {ln_lambda!r}")
    root = np.sqrt(np.exp(float(ln_lambda)))
    a = np.vstack([phi, root * np.eye(M + 1)])
    b = np.concatenate([ts, np.zeros(M + 1)])
    return np.linalg.lstsq(a, b, rcond=None)[0]


def polynomial_predict(w, x) -> np.ndarray:
    """Evaluates ``y(x, w) = sum_j w_j x^j``; ``w`` ``(M+1,)`` increasing powers, ``x`` ``(N,)``."""
    ws = _float_array(w, "w", 1)
    if ws.shape[0] < 1:
        raise ValueError("w must hold at least one coefficient, got shape (0,)")
    return polynomial_features(x, ws.shape[0] - 1) @ ws


def rms_error(w, x, t) -> float:
    """Root-mean-square error ``E_RMS = sqrt(2 E(w) / N) = sqrt(mean((y(x, w) - t)^2))``.

    Args:
        w: ``(M + 1,)`` polynomial coefficients (increasing powers).
        x: ``(N,)`` inputs.
        t: ``(N,)`` targets.

    Returns:
        The RMS error (a Python float), on the same scale as ``t`` for any ``N``.
    """
    y = polynomial_predict(w, x)
    ts = _float_array(t, "t", 1)
    if ts.shape != y.shape:
        raise ValueError(f"t must have shape {y.shape} like x, got shape {ts.shape}")
    return float(np.sqrt(np.mean((y - ts) ** 2)))
