"""What ConvNets learn: filter and activation views, occlusion, saliency, adversarial examples.

Taught in notebooks/17_what_convnets_learn.ipynb. Every function takes a built Keras model
(``Sequential`` or functional, channels-last images) and NumPy arrays or tensors, and returns
NumPy arrays:

* `first_layer_filters` -- the first convolution's kernels, scaled to [0, 1] for display;
* `feature_maps` -- the activations of chosen layers for one image;
* `receptive_field` and `top_patches` -- the input patches that excite a unit most;
* `occlusion_map` -- the class probability while a grey square slides over the image;
* `saliency` -- ``|d score / d input|``, maximum over channels;
* `activation_maximization` -- an input that a unit likes, by gradient ascent;
* `fgsm` -- fast-gradient-sign adversarial examples;
* `accuracy_under_attack` -- a classifier's accuracy on FGSM images, per epsilon.

Bad arguments raise ``ValueError`` naming them (see `cvutils.checks`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import keras
import numpy as np

from cvutils.checks import (
    check_array,
    check_choice,
    check_int,
    check_labels,
    check_real,
    check_str,
    describe,
    fail,
)

#: Sane upper bounds on what a learner passes: pixel-scale values (a fill, a step size, an
#: FGSM epsilon) beyond 1e6 overflow a float32 model into inf and NaN; more than 100,000
#: gradient steps would not finish in a lesson.
MAX_PIXEL_SCALE = 1e6
MAX_STEPS = 100_000

__all__ = [
    "ReceptiveField",
    "accuracy_under_attack",
    "activation_maximization",
    "feature_maps",
    "fgsm",
    "first_layer_filters",
    "occlusion_map",
    "receptive_field",
    "saliency",
    "top_patches",
]

_BATCH = 256
#: At most this many input values go through one forward pass of `_predict`: 256 digits of
#: 28x28, but 27 photos of 224x224x3 (VGG-16 keeps about 60 MB of activations per photo;
#: 196 occluded photos in one batch peaked at 14 GB, more than many GPUs hold).
_BATCH_VALUES = 2**22


# ----------------------------------------------------------------------------- helpers


def _check_model(model: Any) -> keras.Model:
    if not isinstance(model, keras.Model):
        fail("model", "a keras.Model", describe(model), kind=True)
    if not model.built or not getattr(model, "inputs", None):
        fail("model", "a built Keras model with a known input (give it a keras.Input)", "none")
    return model


def _layer(model: keras.Model, layer_name: Any):
    check_str("layer_name", layer_name)
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        shown = ", ".join(repr(n) for n in names[:12]) + (", ..." if len(names) > 12 else "")
        fail("layer_name", f"the name of a layer of the model ({shown})", repr(layer_name))
    return model.get_layer(layer_name)


def _input_dtype(model: keras.Model) -> str:
    dtype = keras.backend.standardize_dtype(model.inputs[0].dtype)
    return dtype if "float" in dtype else keras.config.floatx()


def _images(name: str, x: Any, model: keras.Model, *, single: bool) -> np.ndarray:
    """``(H, W, C)`` or ``(N, H, W, C)`` -> a batch matching the model's input shape."""
    want = tuple(model.inputs[0].shape[1:])
    layout = "(H, W, C)" if single else "(N, H, W, C)"
    ranks = (len(want), len(want) + 1) if single else (len(want) + 1,)
    arr = check_array(name, x, ndim=ranks, dtype="float", layout=layout, allow_empty=False)
    if arr.ndim == len(want):
        arr = arr[None]
    if single and arr.shape[0] != 1:
        fail(name, f"one image {layout}", describe(arr))
    if any(w is not None and w != a for w, a in zip(want, arr.shape[1:], strict=True)):
        fail(name, f"images of the model's input shape {want}", describe(arr))
    return arr.astype(_input_dtype(model))


def _predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    step = max(1, min(_BATCH, _BATCH_VALUES // max(1, int(np.prod(x.shape[1:])))))
    outs = [
        keras.ops.convert_to_numpy(model(x[i : i + step], training=False))
        for i in range(0, len(x), step)
    ]
    return np.concatenate(outs, axis=0)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _class_index(name: str, label: Any, n_classes: int) -> int:
    return check_int(name, label, minimum=0, maximum=n_classes - 1)


def _submodel(model: keras.Model, layers) -> keras.Model:
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, [layer.output for layer in layers])


# ----------------------------------------------------------------------------- filters, maps


def first_layer_filters(model):
    """The first convolution's kernels ``(f, f, c, n)``, each filter min-max scaled to [0, 1].

    Each of the ``n`` filters is scaled on its own (a constant filter becomes 0.5), so that
    ``filters[..., i]`` can be shown as an ``(f, f, c)`` image with ``c = 3`` or 1.

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Raises:
        ValueError: ``model`` is not a Keras model or has no layer with a 4-D kernel.
    """
    model = _check_model(model)
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and len(kernel.shape) == 4:
            w = keras.ops.convert_to_numpy(kernel).astype(np.float64)
            lo = w.min(axis=(0, 1, 2), keepdims=True)
            span = w.max(axis=(0, 1, 2), keepdims=True) - lo
            safe = np.where(span > 0, span, 1.0)
            return np.where(span > 0, (w - lo) / safe, 0.5)
    fail("model", "a model with a convolutional layer (a 4-D kernel)", f"model {model.name!r}")


def feature_maps(model, image, layer_names=None):
    """Activations of the chosen layers for one image: ``{name: (H_l, W_l, C_l)}``.

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Args:
        model: a built Keras model.
        image: ``(H, W, C)`` or ``(1, H, W, C)``.
        layer_names: names of layers with 4-D outputs ``(batch, H_l, W_l, C_l)``; None: every
            such layer, in order.

    Returns:
        A dict from layer name to its ``(H_l, W_l, C_l)`` activations, in the given order.
    """
    model = _check_model(model)
    x = _images("image", image, model, single=True)
    if layer_names is None:
        layers = [layer for layer in model.layers if len(layer.output.shape) == 4]
        if not layers:
            fail("model", "a model with layers of 4-D output", f"model {model.name!r}")
    else:
        if isinstance(layer_names, str) or not isinstance(layer_names, list | tuple):
            fail("layer_names", "a list of layer names", describe(layer_names), kind=True)
        if not layer_names:
            fail("layer_names", "a non-empty list of layer names", "[]")
        layers = []
        for name in layer_names:
            names = [layer.name for layer in model.layers]
            if not isinstance(name, str) or name not in names:
                fail(
                    "layer_names", f"names of layers of the model ({', '.join(names)})", repr(name)
                )
            layer = model.get_layer(name)
            if len(layer.output.shape) != 4:
                fail("layer_names", "layers with 4-D outputs (batch, H, W, C)", f"{name!r}")
            layers.append(layer)
    outs = _submodel(model, layers)(x, training=False)
    if len(layers) == 1:
        outs = [outs]
    return {
        layer.name: keras.ops.convert_to_numpy(out)[0]
        for layer, out in zip(layers, outs, strict=True)
    }


# ----------------------------------------------------------------------------- receptive fields


class ReceptiveField(NamedTuple):
    """Where output position ``(i, j)`` of a layer looks in the input image.

    It sees rows ``start[0] + i * stride[0]`` to that ``+ size[0] - 1`` (and columns
    likewise); ``start`` may be negative where padding adds pixels outside the image.
    """

    size: tuple[int, int]
    stride: tuple[int, int]
    start: tuple[int, int]


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, list | tuple) else (int(v), int(v))


def _chain(model: keras.Model, layer) -> list:
    """The layers from the input to ``layer`` (inclusive), refusing branches."""
    chain = []
    current = layer
    while not isinstance(current, keras.layers.InputLayer):
        inp = current.input
        if isinstance(inp, list | tuple | dict):
            fail("layer_name", "a layer reached by a single chain of layers", repr(current.name))
        chain.append(current)
        current = inp._keras_history[0]
    return chain[::-1]


def receptive_field(model, layer_name):
    """Receptive field of a layer's units: its size, cumulative stride and start offset.

    Walks the chain of layers from the input: a convolution or pooling of (effective) kernel
    ``k``, stride ``s`` and padding ``p`` before the first row maps ``(size, jump, start)`` to
    ``(size + (k - 1) * jump, jump * s, start - p * jump)``; layers that keep the spatial
    size (activations, batch norm, dropout) change nothing. ``"same"`` padding is Keras's:
    ``p = max((ceil(n / s) - 1) * s + k - n, 0) // 2`` on an input of size ``n``.

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Returns:
        A `ReceptiveField` of ``(height, width)`` pairs.

    Raises:
        ValueError: unknown ``layer_name``, a branching path, or a layer on the way that
            changes the spatial size in an unknown way (upsampling, flatten, global pooling).

    Examples:
        >>> model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
        ...                           keras.layers.MaxPooling2D(2)])
        >>> receptive_field(model, model.layers[-1].name)
        ReceptiveField(size=(4, 4), stride=(2, 2), start=(0, 0))
    """
    model = _check_model(model)
    layer = _layer(model, layer_name)
    size, jump, start = [1, 1], [1, 1], [0, 0]
    for lay in _chain(model, layer):
        in_shape, out_shape = tuple(lay.input.shape), tuple(lay.output.shape)
        if hasattr(lay, "kernel_size") and hasattr(lay, "strides"):
            k, s = _pair(lay.kernel_size), _pair(lay.strides)
            d = _pair(getattr(lay, "dilation_rate", 1))
            k = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True))
        elif hasattr(lay, "pool_size") and hasattr(lay, "strides") and len(out_shape) == 4:
            k = _pair(lay.pool_size)
            s = _pair(lay.strides if lay.strides is not None else lay.pool_size)
        elif len(in_shape) == 4 and len(out_shape) == 4 and in_shape[1:3] == out_shape[1:3]:
            continue
        else:
            fail(
                "layer_name",
                "a layer reached through convolutions, pooling and size-keeping layers",
                f"{layer_name!r}, after {lay.name!r} ({type(lay).__name__})",
            )
        padding = getattr(lay, "padding", "valid")
        for ax in range(2):
            pad = 0
            if padding == "same":
                n = in_shape[1 + ax]
                out = -(-n // s[ax])
                pad = max((out - 1) * s[ax] + k[ax] - n, 0) // 2
            elif padding != "valid":
                fail("layer_name", "a path of 'valid' or 'same' padding", f"{padding!r}")
            size[ax] += (k[ax] - 1) * jump[ax]
            start[ax] -= pad * jump[ax]
            jump[ax] *= s[ax]
    return ReceptiveField(tuple(size), tuple(jump), tuple(start))


def top_patches(model, images, layer_name, unit, k=9, return_locations=False):
    """The ``k`` input patches that excite channel ``unit`` of a layer most, over all positions.

    The activations ``(N, H_l, W_l, C_l)`` of ``layer_name`` are computed on ``images``; the
    ``k`` largest values of channel ``unit`` (over images and positions) are found and each
    one's receptive field (see `receptive_field`) is cropped from its image; parts outside the
    image are zeros, so every patch is ``(size_h, size_w, C)``.

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Args:
        model: a built Keras model (a chain of layers up to ``layer_name``).
        images: ``(N, H, W, C)``.
        layer_name: a layer with 4-D output.
        unit: the channel, ``0 <= unit < C_l``.
        k: how many patches (at most ``N * H_l * W_l``), >= 1.
        return_locations: also return ``(k, 5)`` int rows ``(image, top, left, bottom, right)``,
            the crop in image coordinates (bottom/right exclusive, not clipped).

    Returns:
        ``(patches, activations)``: ``(k, size_h, size_w, C)`` and ``(k,)``, strongest first;
        ``(patches, activations, locations)`` with ``return_locations``.
    """
    model = _check_model(model)
    layer = _layer(model, layer_name)
    if len(layer.output.shape) != 4:
        fail("layer_name", "a layer with 4-D output (batch, H, W, C)", repr(layer_name))
    x = _images("images", images, model, single=False)
    unit = check_int("unit", unit, minimum=0, maximum=int(layer.output.shape[-1]) - 1)
    k = check_int("k", k, minimum=1)
    rf = receptive_field(model, layer_name)
    sub = _submodel(model, [layer])
    acts = np.concatenate(
        [
            keras.ops.convert_to_numpy(sub(x[i : i + _BATCH], training=False))[..., unit]
            for i in range(0, len(x), _BATCH)
        ]
    )
    flat = acts.reshape(-1)
    k = min(k, flat.size)
    order = np.argsort(-flat, kind="stable")[:k]
    n_img, rows, cols = np.unravel_index(order, acts.shape)
    H, W, C = x.shape[1:]
    patches = np.zeros((k, rf.size[0], rf.size[1], C), x.dtype)
    locations = np.zeros((k, 5), np.int64)
    for t, (n, i, j) in enumerate(zip(n_img, rows, cols, strict=True)):
        top, left = rf.start[0] + i * rf.stride[0], rf.start[1] + j * rf.stride[1]
        bottom, right = top + rf.size[0], left + rf.size[1]
        t0, l0, b0, r0 = max(top, 0), max(left, 0), min(bottom, H), min(right, W)
        patches[t, t0 - top : b0 - top, l0 - left : r0 - left] = x[n, t0:b0, l0:r0]
        locations[t] = (n, top, left, bottom, right)
    if return_locations:
        return patches, flat[order], locations
    return patches, flat[order]


# ----------------------------------------------------------------------------- attributions


def occlusion_map(
    model, image, label, patch=8, stride=4, fill=0.5, from_logits=False, anchor="corner"
):
    """Probability of ``label`` while a ``patch x patch`` square of ``fill`` covers the image.

    Low values mark the regions the prediction depends on (Zeiler and Fergus, 2014). With
    ``anchor="corner"``, entry ``(i, j)`` has the square's top-left corner at
    ``(i * stride, j * stride)`` (the square stays inside the image). With
    ``anchor="center"``, entry ``(i, j)`` has the square's centre on pixel
    ``(i * stride, j * stride)``: rows ``i * stride - patch // 2`` to
    ``i * stride - patch // 2 + patch - 1``, cut off at the image's border, so the map lies
    on the image's own pixel grid (at ``stride=1`` it is ``(H, W)`` and entry ``(h, w)`` is
    about pixel ``(h, w)``; an odd ``patch`` is centred exactly).

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Args:
        model: a classifier with output ``(batch, n_classes)``: probabilities, or logits with
            ``from_logits=True``.
        image: ``(H, W, C)`` or ``(1, H, W, C)``.
        label: the class, ``0 <= label < n_classes``.
        patch: the square's side, ``1 <= patch <= min(H, W)``.
        stride: the step between positions, >= 1.
        fill: the value painted in the square (0.5: grey on [0, 1] images; 0: erases the ink
            of white-on-black digits), |fill| <= 1e6.
        from_logits: apply a softmax to the model's output first.
        anchor: ``"corner"`` or ``"center"``, the point of the square that entry ``(i, j)``
            places at ``(i * stride, j * stride)``.

    Returns:
        ``anchor="corner"``: ``((H - patch) // stride + 1, (W - patch) // stride + 1)`` float
        array; ``anchor="center"``: ``((H - 1) // stride + 1, (W - 1) // stride + 1)``.
    """
    model = _check_model(model)
    x = _images("image", image, model, single=True)
    H, W = x.shape[1:3]
    patch = check_int("patch", patch, minimum=1, maximum=min(H, W))
    stride = check_int("stride", stride, minimum=1)
    fill = check_real("fill", fill, low=-MAX_PIXEL_SCALE, high=MAX_PIXEL_SCALE, high_open=False)
    anchor = check_choice("anchor", anchor, ("corner", "center"))
    if anchor == "corner":
        n_i, n_j, shift = (H - patch) // stride + 1, (W - patch) // stride + 1, 0
    else:
        n_i, n_j, shift = (H - 1) // stride + 1, (W - 1) // stride + 1, patch // 2
    batch = np.repeat(x, n_i * n_j, axis=0)
    for i in range(n_i):
        for j in range(n_j):
            r, c = max(i * stride - shift, 0), max(j * stride - shift, 0)
            r_end, c_end = i * stride - shift + patch, j * stride - shift + patch
            batch[i * n_j + j, r:r_end, c:c_end] = fill
    out = _predict(model, batch)
    label = _class_index("label", label, out.shape[-1])
    probs = _softmax(out) if from_logits else out
    return probs[:, label].reshape(n_i, n_j)


def saliency(model, image, label):
    """Saliency map ``(H, W)``: ``max_c |d score_label / d image[h, w, c]|``.

    The score is the model's output for class ``label`` (use a model without the final
    softmax for the raw class score of Simonyan et al., 2014).

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Args:
        model: a built Keras model with output ``(batch, n_classes)``.
        image: ``(H, W, C)`` or ``(1, H, W, C)``.
        label: the class, ``0 <= label < n_classes``.
    """
    import tensorflow as tf

    model = _check_model(model)
    x = tf.convert_to_tensor(_images("image", image, model, single=True))
    n_classes = int(model.outputs[0].shape[-1])
    label = _class_index("label", label, n_classes)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = model(x, training=False)[0, label]
    grad = tape.gradient(score, x)
    return np.abs(grad.numpy()[0]).max(axis=-1)


def activation_maximization(
    model, layer_name, unit, steps=100, lr=0.1, shape=None, seed=0, value_range=(0.0, 1.0)
):
    """An input that excites channel ``unit`` of a layer: gradient ascent from grey noise.

    Starts from ``0.5 + 0.05 * noise`` (seeded), then ``steps`` times moves the image by
    ``lr * g / rms(g)``, ``g`` the gradient of the unit's mean activation, and clips it to
    ``value_range``.

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Args:
        model: a built Keras model.
        layer_name: a layer with output ``(batch, H_l, W_l, C_l)`` or ``(batch, C_l)``.
        unit: the channel, ``0 <= unit < C_l``.
        steps: number of ascent steps, in 0..MAX_STEPS (100,000).
        lr: the step size, in (0, 1e6].
        shape: the image shape ``(H, W, C)``; None: the model's input shape.
        seed: the seed of the starting noise.
        value_range: ``(low, high)`` pixel bounds.

    Returns:
        ``(H, W, C)`` float array.
    """
    import tensorflow as tf

    model = _check_model(model)
    layer = _layer(model, layer_name)
    unit = check_int("unit", unit, minimum=0, maximum=int(layer.output.shape[-1]) - 1)
    steps = check_int("steps", steps, 0, MAX_STEPS)
    lr = check_real("lr", lr, low=0.0, low_open=True, high=MAX_PIXEL_SCALE, high_open=False)
    seed = check_int("seed", seed, minimum=0)
    if shape is None:
        shape = tuple(model.inputs[0].shape[1:])
        if any(d is None for d in shape):
            fail("shape", "given when the model's input size is unknown", "None")
    if isinstance(shape, str) or not isinstance(shape, list | tuple):
        fail("shape", "a tuple of positive integers (H, W, C)", describe(shape), kind=True)
    shape = tuple(check_int(f"shape[{i}]", d, minimum=1) for i, d in enumerate(shape))
    if not isinstance(value_range, list | tuple) or len(value_range) != 2:
        fail("value_range", "a pair (low, high)", describe(value_range), kind=True)
    low = check_real("value_range[0]", value_range[0])
    high = check_real("value_range[1]", value_range[1], low=low, low_open=True)
    sub = _submodel(model, [layer])
    rng = np.random.default_rng(seed)
    start = np.clip(0.5 * (low + high) + 0.05 * (high - low) * rng.normal(size=shape), low, high)
    x = tf.Variable(start[None].astype(_input_dtype(model)))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            out = sub(x, training=False)
            objective = tf.reduce_mean(out[..., unit])
        g = tape.gradient(objective, x)
        g = g / (tf.sqrt(tf.reduce_mean(tf.square(g))) + 1e-8)
        x.assign(tf.clip_by_value(x + lr * g, low, high))
    return x.numpy()[0]


def fgsm(model, images, labels, epsilon, from_logits=False, clip=(0.0, 1.0)):
    """Fast-gradient-sign adversarial examples: ``clip(x + epsilon * sign(d loss / d x))``.

    The loss is the sparse categorical cross-entropy of the model's output against the true
    ``labels`` (Goodfellow et al., 2015).

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Args:
        model: a classifier with output ``(batch, n_classes)``: probabilities, or logits with
            ``from_logits=True``.
        images: ``(N, H, W, C)`` (or ``(N, ...)`` matching the model's input).
        labels: ``(N,)`` class indices.
        epsilon: the size of the step, in [0, 1e6].
        clip: ``(low, high)`` valid pixel range, or None for no clipping.

    Returns:
        ``(N, H, W, C)`` adversarial images, in the model's input dtype.
    """

    model = _check_model(model)
    x = _images("images", images, model, single=False)
    n_classes = int(model.outputs[0].shape[-1])
    y = check_labels("labels", labels, n_classes=n_classes, n=len(x))
    epsilon = check_real("epsilon", epsilon, low=0.0, high=MAX_PIXEL_SCALE, high_open=False)
    clip = _check_clip(clip)
    adv = [
        _step(xb, epsilon, sign, clip).numpy()
        for xb, _, sign in _gradient_signs(model, x, y, from_logits)
    ]
    return np.concatenate(adv, axis=0)


def _check_clip(clip) -> tuple[float, float] | None:
    """None, or ``clip`` checked as a pair ``(low, high)`` with ``low < high``."""
    if clip is None:
        return None
    if not isinstance(clip, list | tuple) or len(clip) != 2:
        fail("clip", "a pair (low, high) or None", describe(clip), kind=True)
    low = check_real("clip[0]", clip[0])
    return low, check_real("clip[1]", clip[1], low=low, high_open=True)


def _gradient_signs(model: keras.Model, x: np.ndarray, y: np.ndarray, from_logits: bool):
    """Yields ``(images, labels, sign(d loss / d images))`` batch by batch (FGSM's step)."""
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction="sum")
    for i in range(0, len(x), _BATCH):
        xb = tf.convert_to_tensor(x[i : i + _BATCH])
        with tf.GradientTape() as tape:
            tape.watch(xb)
            loss = loss_fn(y[i : i + _BATCH], model(xb, training=False))
        yield xb, y[i : i + _BATCH], tf.sign(tape.gradient(loss, xb))


def _step(xb, epsilon: float, sign, clip: tuple[float, float] | None):
    """``clip(xb + epsilon * sign)`` (no clipping for ``clip=None``)."""
    import tensorflow as tf

    adv = xb + epsilon * sign
    return adv if clip is None else tf.clip_by_value(adv, *clip)


# ----------------------------------------------------------------------------- robustness curve
# (added for notebooks/17_what_convnets_learn.ipynb: FGSM accuracy against epsilon)


def accuracy_under_attack(model, images, labels, epsilons, from_logits=False, clip=(0.0, 1.0)):
    """Accuracy on FGSM images for each epsilon: ``(len(epsilons),)`` floats in [0, 1].

    The gradient sign ``sign(d loss / d x)`` of the clean images is computed once; for each
    ``epsilon`` the adversarial images are ``clip(x + epsilon * sign)`` (what `fgsm` returns)
    and the accuracy is the fraction whose arg-max class is the true label.

    Taught in notebooks/17_what_convnets_learn.ipynb.

    Args:
        model: a classifier with output ``(batch, n_classes)``: probabilities, or logits with
            ``from_logits=True`` (the arg-max is the same).
        images: ``(N, H, W, C)`` (or ``(N, ...)`` matching the model's input).
        labels: ``(N,)`` class indices.
        epsilons: a non-empty sequence of step sizes, each in [0, 1e6].
        from_logits: whether the model outputs logits (for the loss).
        clip: ``(low, high)`` valid pixel range, or None for no clipping.

    Returns:
        ``(len(epsilons),)`` float64 array; entry ``i`` is the accuracy at ``epsilons[i]``.

    Examples:
        >>> model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
        ...                           keras.layers.Dense(2, activation="softmax")])
        >>> model.layers[-1].set_weights([np.array([[1.0, -1.0]] * 4), np.zeros(2)])
        >>> x = np.full((2, 2, 2, 1), 0.5, "float32")
        >>> accuracy_under_attack(model, x, [0, 1], [0.0]).tolist()  # both images: class 0
        [0.5]
    """

    model = _check_model(model)
    x = _images("images", images, model, single=False)
    n_classes = int(model.outputs[0].shape[-1])
    y = check_labels("labels", labels, n_classes=n_classes, n=len(x))
    if isinstance(epsilons, str) or not isinstance(epsilons, list | tuple | np.ndarray):
        fail("epsilons", "a sequence of numbers", describe(epsilons), kind=True)
    if len(epsilons) == 0:
        fail("epsilons", "a non-empty sequence of numbers", describe(epsilons))
    eps = [
        check_real(f"epsilons[{i}]", e, low=0.0, high=MAX_PIXEL_SCALE, high_open=False)
        for i, e in enumerate(epsilons)
    ]
    clip = _check_clip(clip)
    correct = np.zeros(len(eps), np.int64)
    for xb, yb, sign in _gradient_signs(model, x, y, from_logits):
        for j, e in enumerate(eps):
            adv = _step(xb, e, sign, clip)
            pred = np.argmax(keras.ops.convert_to_numpy(model(adv, training=False)), axis=-1)
            correct[j] += int(np.sum(pred == yb))
    return correct / len(x)
