"""Style transfer on a CPU: random multi-scale features, L-BFGS on pixels, texture measures.

The course's style transfer runs Adam on the pixels of an image through ImageNet VGG-19.
Without the trained weights (offline, fast mode) a random VGG-19 carries no texture in its
deep layers, and Adam needs far more steps than a CPU minute allows. What works instead
(taught in notebooks/18_neural_style_transfer.ipynb):

* `random_texture_features` -- one layer of random filters (several sizes, ReLU, reflect
  padding) applied to the image at several scales (each scale blurred, then halved): a
  `keras.Model` with one output per (scale, filter size), whose Gram matrices describe
  colours and textures at several sizes;
* `minimize_pixels` -- SciPy's L-BFGS-B on the pixels of an image, inside ``[0, 1]``, for
  any differentiable cost of the image (the cost is rescaled so that its first gradient has
  a chosen norm, which makes one set of tolerances fit every cost);
* `texture_statistics`, `texture_distance` and `edge_correlation` -- measures that the
  optimisation never sees: Gram matrices of a fixed Gabor filter bank on luminance (colour
  left out) and the correlation of blurred luminance edges, to tell whether a result took
  the style's texture and kept the content's layout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cvutils.checks import (
    check_array,
    check_callable,
    check_int,
    check_real,
    fail,
)

__all__ = [
    "PixelOptimization",
    "edge_correlation",
    "gabor_bank",
    "minimize_pixels",
    "random_texture_features",
    "texture_distance",
    "texture_statistics",
]

#: Luminance weights of RGB (ITU-R BT.601, as in `skimage.color.rgb2gray` for 8-bit video).
LUMA = (0.299, 0.587, 0.114)


# ----------------------------------------------------------------------------- features


def _binomial_blur(channels: int) -> np.ndarray:
    """``(5, 5, channels, 1)`` depthwise kernel of the 5-tap binomial blur (sums to 1)."""
    row = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
    kernel = np.outer(row, row) / row.sum() ** 2
    return np.tile(kernel[:, :, None, None], (1, 1, channels, 1)).astype("float32")


def _reflect_pad_layer(pad: int, name: str):
    import keras

    class _ReflectPad(keras.layers.Layer):
        """Pads the two spatial axes of NHWC images by reflection (no edge repeated)."""

        def call(self, x):
            return keras.ops.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")

        def compute_output_shape(self, shape):
            grow = [None if s is None else s + 2 * pad for s in shape[1:3]]
            return (shape[0], *grow, shape[3])

    return _ReflectPad(name=name)


def random_texture_features(
    kernel_sizes: Sequence[int] = (3, 5, 7, 11),
    filters: int = 128,
    scales: int = 3,
    seed: int = 0,
):
    """A frozen one-layer network of random filters applied at several scales.

    ``(m, n_H, n_W, 3)`` RGB images in ``[0, 1]`` -> a list of ``scales * len(kernel_sizes)``
    activations ``(m, n_H / 2^s, n_W / 2^s, filters)``, ordered scale by scale (full size
    first) and, within a scale, by filter size. Each output is
    ``relu(conv(reflect_pad(x_s - 0.5), W_k))`` with random ``k x k`` filters ``W_k`` drawn
    from a normal distribution of variance ``1 / (3 k^2)`` (no bias); ``x_0`` is the image and
    ``x_{s+1}`` is ``x_s`` blurred by the 5-tap binomial filter (reflect padding) and taken
    at every second pixel. The Gram matrix of one output counts which random patterns of one
    size occur together at one scale: colours, contrasts, orientations and their sizes.

    Args:
        kernel_sizes: odd filter sizes, each at least 1 and each at most once.
        filters: filters per size (>= 1).
        scales: number of scales (>= 1); the images' sides must be at least ``2^(scales-1) *
            (max(kernel_sizes) // 2 + 1)`` so that the reflect padding fits.
        seed: the seed of the random filters.

    Returns:
        A non-trainable `keras.Model` named ``random_texture_features``; its outputs are named
        ``scale{s}_k{k}``.

    Raises:
        ValueError, TypeError: for a bad argument.

    Examples:
        >>> model = random_texture_features((3, 5), filters=4, scales=2)
        >>> [tuple(o.shape) for o in model(np.zeros((1, 16, 16, 3), "float32"))]
        [(1, 16, 16, 4), (1, 16, 16, 4), (1, 8, 8, 4), (1, 8, 8, 4)]
    """
    if isinstance(kernel_sizes, str | bytes) or not isinstance(kernel_sizes, Sequence):
        fail("kernel_sizes", "a sequence of odd integers", repr(kernel_sizes), kind=True)
    if not kernel_sizes:
        fail("kernel_sizes", "a non-empty sequence of odd integers", "an empty sequence")
    sizes = [check_int(f"kernel_sizes[{i}]", k, 1, 63) for i, k in enumerate(kernel_sizes)]
    if any(k % 2 == 0 for k in sizes) or len(set(sizes)) != len(sizes):
        fail("kernel_sizes", "distinct odd integers", repr(tuple(sizes)))
    filters = check_int("filters", filters, 1, 4096)
    scales = check_int("scales", scales, 1, 8)
    seed = check_int("seed", seed, 0, 2**32 - 1)

    import keras

    rng = np.random.default_rng(seed)
    inputs = keras.Input((None, None, 3), name="image")
    x = keras.layers.Rescaling(1.0, offset=-0.5, name="centre")(inputs)
    outputs, convs = [], []
    for s in range(scales):
        if s:
            blur = keras.layers.DepthwiseConv2D(
                5, strides=2, use_bias=False, trainable=False, name=f"blur{s}"
            )
            x = blur(_reflect_pad_layer(2, f"blur{s}_pad")(x))
            blur.set_weights([_binomial_blur(3)])
        for k in sizes:
            conv = keras.layers.Conv2D(
                filters, k, use_bias=False, activation="relu", trainable=False,
                name=f"scale{s}_k{k}",
            )  # fmt: skip
            outputs.append(conv(_reflect_pad_layer(k // 2, f"scale{s}_k{k}_pad")(x)))
            convs.append((conv, k))
    # the same random filters at every scale: only the image's size changes
    kernels = {k: rng.normal(0.0, 1.0 / np.sqrt(3 * k * k), (k, k, 3, filters)) for k in sizes}
    for conv, k in convs:
        conv.set_weights([kernels[k].astype("float32")])
    model = keras.Model(inputs, outputs, name="random_texture_features")
    model.trainable = False
    return model


# ----------------------------------------------------------------------------- optimiser


@dataclass
class PixelOptimization:
    """What `minimize_pixels` returns.

    Attributes:
        image: ``(1, n_H, n_W, 3)`` float32, the optimised image in ``[0, 1]``.
        costs: the cost (unscaled) after each iteration, ``costs[0]`` at the start.
        evaluations: how many times the cost and its gradient were computed.
        iterations: L-BFGS iterations run.
        seconds: wall-clock time of the optimisation.
        snapshots: iteration -> ``(n_H, n_W, 3)`` image, for the requested iterations
            (0 is the start).
        message: SciPy's reason for stopping.
    """

    image: np.ndarray
    costs: list[float]
    evaluations: int
    iterations: int
    seconds: float
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)
    message: str = ""


def minimize_pixels(
    cost: Callable[[Any], Any],
    image,
    iterations: int = 60,
    grad_norm: float = 10.0,
    snapshots: Sequence[int] = (),
) -> PixelOptimization:
    """L-BFGS-B on the pixels of an image: ``argmin_G cost(G)`` with every pixel in ``[0, 1]``.

    ``cost`` maps a ``(1, n_H, n_W, 3)`` float32 tensor to a scalar tensor and must be
    differentiable by TensorFlow; it is traced once into a ``tf.function`` that returns the
    cost and its gradient. SciPy's L-BFGS-B (``scipy.optimize.minimize``) then works on the
    flattened pixels in float64, with the box constraints ``[0, 1]``, for at most
    ``iterations`` iterations (each one or more evaluations: the line search). The cost is
    multiplied by ``grad_norm / |grad cost(image)|``, so the first gradient has norm
    ``grad_norm`` whatever the cost's units; SciPy's stopping tolerances then mean the same
    for every cost.

    Args:
        cost: callable, image tensor -> scalar tensor.
        image: ``(1, n_H, n_W, 3)`` start image, values in ``[0, 1]``.
        iterations: the most L-BFGS iterations (>= 1).
        grad_norm: the norm of the rescaled first gradient (> 0).
        snapshots: iterations at which to keep a copy of the image (0: the start).

    Returns:
        A `PixelOptimization`.

    Raises:
        ValueError, TypeError: for a bad argument; ValueError if the cost or its first
            gradient is not finite, or the gradient is zero (nothing to optimise).

    Examples:
        >>> import tensorflow as tf
        >>> target = np.full((1, 4, 4, 3), 0.25, "float32")
        >>> run = minimize_pixels(lambda g: tf.reduce_sum((g - target) ** 2), np.zeros_like(target))
        >>> round(float(run.image.mean()), 3), run.costs[0] > run.costs[-1]
        (0.25, True)
    """
    cost = check_callable("cost", cost)
    x0 = check_array("image", image, ndim=4, dtype="float", layout="(1, n_H, n_W, 3)")
    if x0.shape[0] != 1 or x0.shape[3] != 3 or min(x0.shape[1:3]) < 1:
        fail("image", "of shape (1, n_H, n_W, 3)", f"shape {x0.shape}")
    if x0.min() < 0.0 or x0.max() > 1.0:
        fail("image", "values in [0, 1]", f"values in [{x0.min():g}, {x0.max():g}]")
    iterations = check_int("iterations", iterations, 1, 100_000)
    grad_norm = check_real("grad_norm", grad_norm, low=0.0, low_open=True, high=1e12)
    if isinstance(snapshots, str | bytes) or not isinstance(snapshots, Sequence):
        fail("snapshots", "a sequence of iteration numbers", repr(snapshots), kind=True)
    keep = {check_int(f"snapshots[{i}]", s, 0, iterations) for i, s in enumerate(snapshots)}

    import scipy.optimize
    import tensorflow as tf

    shape = x0.shape

    @tf.function
    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            J = tf.cast(cost(x), tf.float32)
        return J, tape.gradient(J, x)

    def evaluate(flat):
        J, g = value_and_grad(tf.constant(flat.reshape(shape), tf.float32))
        if g is None:
            fail("cost", "a cost that depends on the image", "a cost without a gradient")
        return float(J), g.numpy().astype("float64").ravel()

    start = time.perf_counter()
    J0, g0 = evaluate(x0.ravel())
    norm = float(np.linalg.norm(g0))
    if not (np.isfinite(J0) and np.isfinite(norm)):
        fail("cost", "finite with a finite gradient at the start image", f"cost {J0}")
    if norm == 0.0:
        fail("cost", "a cost with a non-zero gradient at the start image", "a zero gradient")
    scale = grad_norm / norm
    first = [(x0.ravel().copy(), J0, g0)]

    def fun(flat):
        if first and np.array_equal(flat, first[0][0]):  # SciPy's first call: reuse it
            _, J, g = first.pop()
            return J * scale, g * scale
        J, g = evaluate(flat)
        return J * scale, g * scale

    costs, kept = [J0], {}
    if 0 in keep:
        kept[0] = x0[0].astype("float32").copy()

    def callback(intermediate_result):
        costs.append(float(intermediate_result.fun) / scale)
        n = len(costs) - 1
        if n in keep:
            kept[n] = intermediate_result.x.reshape(shape)[0].astype("float32")

    result = scipy.optimize.minimize(
        fun,
        x0.ravel().astype("float64"),
        jac=True,
        method="L-BFGS-B",
        bounds=scipy.optimize.Bounds(0.0, 1.0),
        options=dict(maxiter=iterations),
        callback=callback,
    )
    out = np.clip(result.x.reshape(shape), 0.0, 1.0).astype("float32")
    return PixelOptimization(
        image=out,
        costs=costs,
        evaluations=int(result.nfev),
        iterations=int(result.nit),
        seconds=time.perf_counter() - start,
        snapshots=kept,
        message=str(result.message),
    )


# ----------------------------------------------------------------------------- measures


def _luminance(name: str, image) -> np.ndarray:
    """``(n_H, n_W)`` float64 luminance of a ``(1, n_H, n_W, 3)`` or ``(n_H, n_W, 3)`` image."""
    x = check_array(name, image, ndim=(3, 4), dtype="float", layout="(1, n_H, n_W, 3)")
    if x.ndim == 4:
        if x.shape[0] != 1:
            fail(name, "one image, (1, n_H, n_W, 3)", f"shape {x.shape}")
        x = x[0]
    if x.shape[-1] != 3 or min(x.shape[:2]) < 8:
        fail(name, "an RGB image of at least 8x8 pixels", f"shape {x.shape}")
    return x @ np.asarray(LUMA)


def gabor_bank(wavelengths: Sequence[float] = (3.0, 6.0, 12.0), orientations: int = 4):
    """Zero-mean Gabor filters: ``len(wavelengths) * orientations * 2`` square kernels.

    For each wavelength ``lam`` (pixels per cycle) and each of ``orientations`` angles in
    ``[0, pi)``, an even (cosine) and an odd (sine) filter under a Gaussian envelope of
    standard deviation ``lam / 2``, size ``2 ceil(1.25 lam) + 1``; each has zero mean (no
    response to flat regions) and unit L1 norm.

    Args:
        wavelengths: wavelengths in pixels, each in ``[2, 64]``.
        orientations: number of orientations (>= 1).

    Returns:
        A list of 2D float64 kernels.

    Examples:
        >>> bank = gabor_bank((4.0,), orientations=2)
        >>> len(bank), [k.shape for k in bank][0], abs(float(bank[0].sum())) < 1e-12
        (4, (11, 11), True)
    """
    if isinstance(wavelengths, str | bytes) or not isinstance(wavelengths, Sequence):
        fail("wavelengths", "a sequence of wavelengths in pixels", repr(wavelengths), kind=True)
    if not wavelengths:
        fail("wavelengths", "a non-empty sequence", "an empty sequence")
    lams = [check_real(f"wavelengths[{i}]", v, low=2.0, high=64.0, high_open=False)
            for i, v in enumerate(wavelengths)]  # fmt: skip
    orientations = check_int("orientations", orientations, 1, 64)
    bank = []
    for lam in lams:
        sigma = lam / 2.0
        r = int(np.ceil(1.25 * lam))
        y, x = np.mgrid[-r : r + 1, -r : r + 1].astype("float64")
        envelope = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
        for theta in np.arange(orientations) * np.pi / orientations:
            u = x * np.cos(theta) + y * np.sin(theta)
            for wave in (np.cos, np.sin):
                kernel = envelope * wave(2 * np.pi * u / lam)
                kernel -= envelope * kernel.sum() / envelope.sum()  # zero mean, same envelope
                bank.append(kernel / np.abs(kernel).sum())
    return bank


def texture_statistics(image, bank: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """``(n_F, n_F)`` Gram matrix of a filter bank's responses on an image's luminance.

    The luminance ``Y = 0.299 R + 0.587 G + 0.114 B`` is filtered by each kernel of ``bank``
    (reflect padding; default `gabor_bank()`), giving ``n_F`` response maps ``R_f``; the
    statistics are ``T_fg = mean over pixels of R_f R_g``: how strong each orientation and
    scale is, and which occur together, wherever they are. Colour is left out.

    Args:
        image: ``(1, n_H, n_W, 3)`` or ``(n_H, n_W, 3)`` RGB, at least 8x8.
        bank: 2D kernels (None: `gabor_bank()`).

    Returns:
        A symmetric positive semi-definite float64 matrix.

    Examples:
        >>> flat = np.full((16, 16, 3), 0.5)
        >>> float(np.abs(texture_statistics(flat)).max()) < 1e-12  # no texture, no response
        True
    """
    return _statistics("image", image, bank)


def _statistics(name: str, image, bank) -> np.ndarray:
    from scipy import ndimage

    Y = _luminance(name, image)
    if bank is None:
        bank = gabor_bank()
    if isinstance(bank, str | bytes) or not isinstance(bank, Sequence):
        fail("bank", "a non-empty list of 2D kernels", repr(bank)[:60], kind=True)
    if not bank:
        fail("bank", "a non-empty list of 2D kernels", "an empty list")
    kernels = [check_array(f"bank[{i}]", k, ndim=2, dtype="float") for i, k in enumerate(bank)]
    for i, k in enumerate(kernels):
        if k.size == 0 or max(k.shape) > 2 * min(Y.shape) - 1:
            fail(
                f"bank[{i}]",
                f"a kernel of at most {2 * min(Y.shape) - 1} pixels a side",
                f"shape {k.shape}",
            )
    R = np.stack([ndimage.convolve(Y, k, mode="reflect") for k in kernels], axis=-1)
    R = R.reshape(-1, len(kernels))
    return R.T @ R / len(R)


def texture_distance(image_a, image_b, bank: Sequence[np.ndarray] | None = None) -> float:
    """Frobenius distance between the `texture_statistics` of two images (same bank).

    The images may differ in size: the statistics are averages over pixels.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> a = rng.random((32, 32, 3))
        >>> texture_distance(a, a)
        0.0
    """
    A = _statistics("image_a", image_a, bank)
    B = _statistics("image_b", image_b, bank)
    return float(np.linalg.norm(A - B))


def edge_correlation(image_a, image_b, sigma: float = 2.0) -> float:
    """Pearson correlation of the blurred luminance edge strength of two images.

    Each image's luminance is smoothed (Gaussian, standard deviation 1 pixel), its gradient
    magnitude taken (Sobel) and blurred by a Gaussian of standard deviation ``sigma`` pixels;
    the result is the correlation of the two maps over all pixels: 1 when the edges sit in the
    same places with proportional strengths, about 0 for unrelated layouts.

    Args:
        image_a, image_b: RGB images of the same size, ``(1, n_H, n_W, 3)`` or
            ``(n_H, n_W, 3)``, at least 8x8.
        sigma: the blur of the edge maps in pixels (>= 0).

    Returns:
        A float in ``[-1, 1]``; NaN-free (0.0 when one map is constant).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> a = rng.random((32, 32, 3))
        >>> round(edge_correlation(a, a), 6)
        1.0
    """
    from scipy import ndimage

    Ya = _luminance("image_a", image_a)
    Yb = _luminance("image_b", image_b)
    if Ya.shape != Yb.shape:
        fail("image_b", f"the same size as image_a {Ya.shape}", f"size {Yb.shape}")
    sigma = check_real("sigma", sigma, low=0.0, high=100.0, high_open=False)

    def edges(Y):
        Y = ndimage.gaussian_filter(Y, 1.0, mode="reflect")
        magnitude = np.hypot(ndimage.sobel(Y, 0), ndimage.sobel(Y, 1))
        return ndimage.gaussian_filter(magnitude, sigma, mode="reflect").ravel()

    a, b = edges(Ya), edges(Yb)
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a @ a) * (b @ b)))
    return float(a @ b / denominator) if denominator > 1e-12 else 0.0
