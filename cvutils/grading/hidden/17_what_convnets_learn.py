"""Hidden tests of notebooks/17_what_convnets_learn.ipynb (images and models unused there).

The references are NumPy, independent of the learner's TensorFlow calls and of
`cvutils.interpret`: the occluded copy by an explicit pixel loop; the gradients of saliency
and FGSM worked analytically from the weights of small dense networks built here (a linear
layer, or a hidden ReLU layer): for scores ``s = relu(x W1 + b1) W2 + b2`` the gradient of
``s_c`` is ``W1 (relu'(h) * W2[:, c])``, and for probabilities ``p = softmax(s)`` the gradient
of the cross-entropy of label ``y`` is the same back-propagation of ``p - onehot(y)``. The
cases use other image shapes, channel counts, classes, fills and epsilons than the public
checks: squares that leave the image, a fill outside [0, 1], three channels, epsilons that
clip at 0 and 1. The weights are seeded and no gradient is near zero (no ambiguous sign).
"""

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _occlude_reference(image, top, left, patch, fill=0.5):
    out = np.array(image, dtype=float, copy=True)
    height, width = out.shape[:2]
    for r in range(top, top + patch):
        for c in range(left, left + patch):
            if 0 <= r < height and 0 <= c < width:
                out[r, c, :] = fill
    return out


def _occlude_cases():
    r = np.random.default_rng(1701)
    return [
        ("occlude(5x5x1 at (0, 0), patch 2)", (r.uniform(size=(5, 5, 1)), 0, 0, 2), {}),
        ("occlude(8x6x3, fill=0.0)", (r.uniform(size=(8, 6, 3)), 2, 1, 4), {"fill": 0.0}),
        ("occlude(a square leaving the image)", (r.uniform(size=(7, 9, 2)), 5, 6, 4, 1.5), {}),
        ("occlude(patch 1)", (r.uniform(size=(4, 4, 1)), 3, 2, 1), {"fill": -1.0}),
        ("occlude(the whole image)", (r.uniform(size=(3, 3, 3)), 0, 0, 3), {}),
    ]


def _dense_net(shape, hidden, n_classes, seed, softmax):
    """A seeded Flatten -> [Dense(hidden, relu)] -> Dense(n_classes) model, float32."""
    import keras

    r = np.random.default_rng(seed)
    d = int(np.prod(shape))
    stack = [keras.Input(shape), keras.layers.Flatten()]
    weights = []
    if hidden:
        stack.append(keras.layers.Dense(hidden, activation="relu"))
        weights.append([r.normal(0, 0.5, (d, hidden)), r.normal(0, 0.1, hidden)])
        d = hidden
    stack.append(keras.layers.Dense(n_classes, activation="softmax" if softmax else None))
    weights.append([r.normal(0, 0.5, (d, n_classes)), r.normal(0, 0.1, n_classes)])
    model = keras.Sequential(stack)
    for layer, w in zip([la for la in model.layers if la.weights], weights, strict=True):
        layer.set_weights([v.astype("float32") for v in w])
    return model


def _dense_parts(model):
    """``[(W, b, is_relu), ...]`` of the model's dense layers, float64."""
    parts = []
    for layer in model.layers:
        if layer.weights:
            w, b = (np.asarray(v, dtype=float) for v in layer.get_weights())
            parts.append((w, b, layer.get_config()["activation"] == "relu"))
    return parts


def _forward_backward(model, x, upstream):
    """Scores ``(N, K)`` and ``d(sum upstream(scores) * scores)/dx`` by hand, float64.

    ``upstream(scores)`` gives ``(N, K)``, the derivative of the objective by the scores.
    """
    parts = _dense_parts(model)
    a = x.reshape(len(x), -1).astype(float)
    masks = []
    for w, b, relu in parts:
        h = a @ w + b
        masks.append(h > 0 if relu else np.ones_like(h, dtype=bool))
        a = np.maximum(h, 0) if relu else h
    g = upstream(a)
    for (w, _, _), mask in zip(parts[::-1], masks[::-1], strict=True):
        g = (g * mask) @ w.T
    return g.reshape(x.shape)


def _saliency_reference(model, image, label):
    x = np.asarray(image, dtype=float)[None]

    def pick(scores):
        g = np.zeros_like(scores)
        g[:, label] = 1.0
        return g

    return np.abs(_forward_backward(model, x, pick)[0]).max(axis=-1)


def _saliency_cases():
    r = np.random.default_rng(1702)
    return [
        (
            "saliency(linear scores, 6x5x1, class 2)",
            (_dense_net((6, 5, 1), 0, 4, 11, False), r.uniform(size=(6, 5, 1)), 2),
            {},
        ),
        (
            "saliency(a ReLU hidden layer, 7x7x3 image, class 0)",
            (_dense_net((7, 7, 3), 16, 5, 12, False), r.uniform(size=(7, 7, 3)), 0),
            {},
        ),
        (
            "saliency(a ReLU hidden layer, 4x9x2 image, the last class)",
            (_dense_net((4, 9, 2), 8, 3, 13, False), r.uniform(size=(4, 9, 2)), 2),
            {},
        ),
    ]


def _fgsm_reference(model, images, labels, epsilon):
    x = np.asarray(images, dtype=float)
    y = np.asarray(labels)

    def cross_entropy(scores):
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return p - np.eye(scores.shape[1])[y]

    # the model ends with a softmax: back-propagate p - onehot(y) from the scores before it
    grad = _forward_backward(model, x, cross_entropy)
    return np.clip(x + epsilon * np.sign(grad), 0.0, 1.0)


def _fgsm_cases():
    r = np.random.default_rng(1703)
    return [
        (
            "fgsm(linear softmax, 5 images 6x6x1, epsilon 0.05)",
            (
                _dense_net((6, 6, 1), 0, 3, 21, True),
                r.uniform(0.1, 0.9, (5, 6, 6, 1)),
                r.integers(0, 3, 5),
                0.05,
            ),
            {},
        ),
        (
            "fgsm(a ReLU hidden layer, 4 images 5x5x3, epsilon 0.3: clips at 0 and 1)",
            (
                _dense_net((5, 5, 3), 12, 4, 22, True),
                r.uniform(size=(4, 5, 5, 3)),
                np.array([0, 3, 1, 2]),
                0.3,
            ),
            {},
        ),
        (
            "fgsm(epsilon 0: the images back)",
            (
                _dense_net((3, 4, 1), 6, 2, 23, True),
                r.uniform(size=(3, 3, 4, 1)),
                np.array([1, 0, 1]),
                0.0,
            ),
            {},
        ),
    ]


TESTS = [
    HiddenTest(
        "occlude",
        1,
        _occlude_cases,
        _occlude_reference,
        ("cvutils.interpret.occlusion_map",),
        atol=1e-12,
    ),
    HiddenTest(
        "saliency",
        2,
        _saliency_cases,
        _saliency_reference,
        ("cvutils.interpret.saliency",),
        atol=1e-5,
        rtol=1e-4,
    ),
    HiddenTest(
        "fgsm",
        2,
        _fgsm_cases,
        _fgsm_reference,
        ("cvutils.interpret.fgsm", "cvutils.interpret.accuracy_under_attack"),
        atol=1e-5,
        rtol=1e-5,
    ),
]
