"""Data augmentation as Keras 3 layers and helpers: PCA colour noise, ten crops, and the
course's ``ImageDataGenerator`` settings as preprocessing layers.

* `rgb_pca` and `PCAColorAugmentation`: AlexNet's colour augmentation (Krizhevsky et al.,
  2012). The 3x3 covariance of the RGB values of every training pixel has eigenvalues
  ``lambda_i`` and eigenvectors ``p_i``; in training each image gets the same colour offset
  ``sum_i alpha_i lambda_i p_i`` added to every pixel, with ``alpha_i ~ N(0, sigma)`` drawn
  afresh per image. At inference the layer is the identity.
* `ten_crop`: the four corner crops, the centre crop and their horizontal mirrors, for
  test-time augmentation (average the predictions over the ten crops).
* `image_data_generator_layers`: the arguments of Keras 2's removed ``ImageDataGenerator``
  translated into Keras 3 preprocessing layers, one layer per argument.

Every layer here is registered with ``@keras.saving.register_keras_serializable(package="cvutils")``
and has a ``get_config``, so a model that uses it saves to ``.keras`` and loads back with
``keras.models.load_model`` (import ``cvutils.augment_layers`` first).

Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from cvutils.checks import (
    MAX_COUNT,
    ArgumentTypeError,
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_tensor,
    describe,
    fail,
)

__all__ = [
    "PCAColorAugmentation",
    "image_data_generator_layers",
    "rgb_pca",
    "ten_crop",
]

#: The order of the ten crops returned by `ten_crop`.
TEN_CROP_NAMES = (
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
    "centre",
    "top-left mirrored",
    "top-right mirrored",
    "bottom-left mirrored",
    "bottom-right mirrored",
    "centre mirrored",
)

_FILL_MODES = ("constant", "nearest", "reflect", "wrap")


# ----------------------------------------------------------------------------- PCA colour


def rgb_pca(images) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of the RGB covariance of all pixels of ``images``.

    ``(N, H, W, 3)`` (or ``(H, W, 3)``, or any ``(..., 3)``) -> ``(eigenvalues (3,),
    eigenvectors (3, 3))``. The covariance is ``np.cov`` of the ``(N*H*W, 3)`` pixel table
    (divided by the number of pixels minus one), in the units of ``images`` (keep the scale
    the model sees, e.g. ``[0, 1]`` or ``[0, 255]``). Eigenvalues are sorted in decreasing
    order and clipped at 0; column ``i`` of ``eigenvectors`` is the unit eigenvector
    ``p_i``, its sign chosen so that its largest-magnitude entry is positive.

    Args:
        images: an array of real numbers whose last axis holds the 3 colour channels, with at
            least 2 pixels.

    Returns:
        ``(eigenvalues, eigenvectors)``, float64.

    Raises:
        ValueError: for an array that is not ``(..., 3)``, has fewer than two pixels, or
            holds NaN or inf.

    Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.

    Examples:
        >>> grey = np.linspace(0, 1, 8).reshape(2, 2, 2, 1).repeat(3, axis=-1)
        >>> lam, p = rgb_pca(grey)
        >>> np.round(p[:, 0] * np.sqrt(3), 6).tolist()  # grey: all variance along (1, 1, 1)
        [1.0, 1.0, 1.0]
        >>> bool(lam[1] < 1e-12 and lam[2] < 1e-12)
        True
    """
    x = check_array("images", images, min_ndim=1, dtype="float", layout="(..., 3)")
    if x.shape[-1] != 3:
        fail("images", "an array of RGB pixels (..., 3)", describe(x))
    pixels = x.reshape(-1, 3).astype(np.float64)
    if len(pixels) < 2:
        fail("images", "at least 2 pixels", f"{len(pixels)}")
    cov = np.cov(pixels, rowvar=False)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    signs = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(3)])
    return values, vectors * np.where(signs == 0, 1.0, signs)


@keras.saving.register_keras_serializable(package="cvutils")
class PCAColorAugmentation(keras.layers.Layer):
    """AlexNet's PCA colour augmentation: ``(batch, H, W, 3) -> (batch, H, W, 3)``.

    In training every image gets one colour offset added to all of its pixels,
    ``delta = P @ (alpha * lambda)`` = ``sum_i alpha_i lambda_i p_i``, with ``alpha`` of
    shape ``(batch, 3)`` drawn from ``N(0, sigma)``, ``lambda`` the eigenvalues and ``P``
    the eigenvectors (columns) of the RGB covariance of the training set (`rgb_pca`). The
    offset moves colours along the directions in which natural colours vary (mostly
    brightness, then the balance of warm and cold), by amounts proportional to how much
    they vary. At inference (``training`` False or None) the layer returns its input.

    Build it from data with `PCAColorAugmentation.from_images`. The layer has no weights;
    its random state is a `keras.random.SeedGenerator`.

    Args:
        eigenvalues: the 3 eigenvalues ``lambda_i`` (>= 0), in the units of the images.
        eigenvectors: ``(3, 3)``, column ``i`` the eigenvector ``p_i`` (a nested list or
            array).
        sigma: standard deviation of ``alpha`` (0.1 in AlexNet), in ``[0, 10]``.
        seed: seed of the random draws (None: a random one).
        **kwargs: `keras.layers.Layer` arguments (``name``, ``dtype``).

    Raises:
        ValueError: for eigenvalues that are not 3 finite numbers >= 0, eigenvectors that
            are not a finite ``(3, 3)`` array, or a bad ``sigma`` or ``seed``.

    Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.

    Examples:
        >>> layer = PCAColorAugmentation([2.0, 1.0, 0.0], np.eye(3).tolist(), seed=0)
        >>> x = np.zeros((2, 4, 4, 3), "float32")
        >>> bool(np.all(np.asarray(layer(x)) == 0))  # inference: identity
        True
        >>> y = np.asarray(layer(x, training=True))
        >>> bool(np.all(y[..., 2] == 0))  # no offset along a direction of zero variance
        True
    """

    def __init__(self, eigenvalues, eigenvectors, sigma=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        lam = check_array("eigenvalues", eigenvalues, shape=(3,), dtype="float")
        if np.any(lam < 0):
            fail("eigenvalues", "3 numbers >= 0", f"{lam.tolist()}")
        vec = check_array("eigenvectors", eigenvectors, shape=(3, 3), dtype="float")
        self.eigenvalues = [float(v) for v in lam]
        self.eigenvectors = [[float(v) for v in row] for row in vec]
        self.sigma = check_real("sigma", sigma, low=0.0, high=10.0, high_open=False)
        self.seed = None if seed is None else check_int("seed", seed, 0, 2**31 - 1)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.supports_masking = False

    @classmethod
    def from_images(cls, images, sigma=0.1, seed=None, **kwargs):
        """The layer for the colour statistics of ``images`` ``(N, H, W, 3)`` (see `rgb_pca`).

        Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.
        """
        values, vectors = rgb_pca(images)
        return cls(values.tolist(), vectors.tolist(), sigma=sigma, seed=seed, **kwargs)

    def colour_offsets(self, batch_size):
        """Draws ``(batch_size, 3)`` offsets ``sum_i alpha_i lambda_i p_i`` (one per image)."""
        if not (ops.is_tensor(batch_size) or isinstance(batch_size, keras.KerasTensor)):
            batch_size = check_int("batch_size", batch_size, minimum=0, maximum=MAX_COUNT)
        alpha = keras.random.normal(
            (batch_size, 3), stddev=self.sigma, dtype=self.compute_dtype, seed=self.seed_generator
        )
        lam = ops.convert_to_tensor(self.eigenvalues, dtype=self.compute_dtype)
        vec = ops.convert_to_tensor(self.eigenvectors, dtype=self.compute_dtype)
        return ops.matmul(alpha * lam, ops.transpose(vec))

    def __call__(self, inputs, *args, **kwargs):
        # Keras converts the inputs before `call` with an error that names nothing
        inputs = check_tensor("inputs", inputs)
        self._check_rgb(inputs.shape)
        return super().__call__(inputs, *args, **kwargs)

    @staticmethod
    def _check_rgb(shape) -> None:
        """Refuses, in training and at inference alike, images that are not RGB ``(..., 3)``."""
        if len(shape) < 1 or (shape[-1] is not None and int(shape[-1]) != 3):
            fail("inputs", "RGB images (batch, H, W, 3)", f"shape {tuple(shape)}")

    def call(self, inputs, training=None):
        inputs = ops.cast(check_tensor("inputs", inputs), self.compute_dtype)
        if not training:
            return inputs
        offsets = self.colour_offsets(ops.shape(inputs)[0])
        return inputs + offsets[:, None, None, :]

    def compute_output_shape(self, input_shape):
        self._check_rgb(tuple(input_shape))
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            eigenvalues=list(self.eigenvalues),
            eigenvectors=[list(row) for row in self.eigenvectors],
            sigma=self.sigma,
            seed=self.seed,
        )
        return config


# ----------------------------------------------------------------------------- ten crops


def _crop_size(crop_size) -> tuple[int, int]:
    if isinstance(crop_size, tuple | list):
        if len(crop_size) != 2:
            fail("crop_size", "an int or a pair (height, width)", describe(crop_size))
        return tuple(check_int(f"crop_size[{i}]", c, 1) for i, c in enumerate(crop_size))
    if isinstance(crop_size, bool | np.bool_) or not isinstance(crop_size, int | np.integer):
        raise ArgumentTypeError(
            f"crop_size must be an int or a pair (height, width); got {describe(crop_size)}."
        )
    size = check_int("crop_size", crop_size, 1)
    return size, size


def ten_crop(images, crop_size) -> np.ndarray:
    """The ten crops of test-time augmentation: ``(N, H, W[, C]) -> (N, 10, h, w[, C])``.

    Crop ``k`` of each image is, in the order of `TEN_CROP_NAMES`: the top-left, top-right,
    bottom-left and bottom-right corners, the centre, then the same five of the image
    mirrored left to right (each crop flipped horizontally). The centre crop starts at row
    ``(H - h) // 2`` and column ``(W - w) // 2``, as `keras.layers.CenterCrop` does. To use
    it, reshape to ``(N * 10, h, w, C)``, predict, reshape to ``(N, 10, classes)`` and
    average over axis 1.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)`` array of real numbers.
        crop_size: ``h`` for square crops, or ``(h, w)``, at most the image size.

    Returns:
        A new array of the dtype of ``images`` (the input is not changed).

    Raises:
        ValueError: for a wrong rank or a crop larger than the images.

    Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.

    Examples:
        >>> x = np.arange(9).reshape(1, 3, 3)
        >>> crops = ten_crop(x, 2)
        >>> crops.shape
        (1, 10, 2, 2)
        >>> crops[0, 0].tolist(), crops[0, 5].tolist()  # top-left and its mirror
        ([[0, 1], [3, 4]], [[1, 0], [4, 3]])
    """
    x = check_array("images", images, ndim=(3, 4), layout="(N, H, W) or (N, H, W, C)")
    if 0 in x.shape[1:]:
        fail("images", "images of at least one pixel (N, H, W[, C] >= 1)", describe(x))
    h, w = _crop_size(crop_size)
    n_h, n_w = x.shape[1:3]
    if h > n_h or w > n_w:
        fail("crop_size", f"at most the image size ({n_h}, {n_w})", f"({h}, {w})")
    top, left = (n_h - h) // 2, (n_w - w) // 2
    corners = [(0, 0), (0, n_w - w), (n_h - h, 0), (n_h - h, n_w - w), (top, left)]
    crops = [x[:, r : r + h, c : c + w] for r, c in corners]
    crops += [crop[:, :, ::-1] for crop in crops]
    return np.stack(crops, axis=1).copy()


# ----------------------------------------------------------------------------- ImageDataGenerator


def image_data_generator_layers(
    rotation_range=0.0,
    width_shift_range=0.0,
    height_shift_range=0.0,
    shear_range=0.0,
    zoom_range=0.0,
    horizontal_flip=False,
    fill_mode="nearest",
    seed=None,
) -> keras.Sequential:
    """Keras 2's ``ImageDataGenerator`` arguments as Keras 3 preprocessing layers.

    ``(batch, H, W, C) -> (batch, H, W, C)``, random per image in training, the identity at
    inference. One layer per argument that is not 0 / False, in this order (the names are
    those of ``ImageDataGenerator``; every geometric layer gets ``fill_mode``):

    ========================  ==============================================================
    ``rotation_range=d``      ``RandomRotation(d / 360)``: ``factor`` is a fraction of a turn
    ``width_shift_range=a``,  ``RandomTranslation(b, a)``: fractions of the height and width
    ``height_shift_range=b``
    ``shear_range=s``         ``RandomShear(x_factor=tan(s degrees))``: ImageDataGenerator's
                              shear is an *angle in degrees*; Keras's factor is the shift per
                              row, ``tan`` of that angle
    ``zoom_range=z``          ``RandomZoom(z, z)``: each axis scaled by a factor in
                              ``[1 - z, 1 + z]``, independently, as ImageDataGenerator does
    ``horizontal_flip=True``  ``RandomFlip("horizontal")``
    ========================  ==============================================================

    Layer ``i`` of the result gets the seed ``seed + i`` (None: random seeds).

    Args:
        rotation_range: degrees, in ``[0, 180]``.
        width_shift_range, height_shift_range: fractions of the image, in ``[0, 1)``
            (ImageDataGenerator's pixel counts >= 1 are not supported).
        shear_range: shear angle in degrees, in ``[0, 45]``.
        zoom_range: in ``[0, 1)``.
        horizontal_flip: flip half of the images left to right.
        fill_mode: ``"constant"``, ``"nearest"``, ``"reflect"`` or ``"wrap"``.
        seed: an int >= 0, or None.

    Returns:
        An unbuilt `keras.Sequential` named ``"image_data_generator"`` (a single
        `keras.layers.Identity` when every argument is 0 / False: Keras cannot call an empty
        Sequential).

    Raises:
        ValueError: for an argument out of range.

    Taught in notebooks/10_transfer_learning_and_augmentation.ipynb.

    Examples:
        >>> aug = image_data_generator_layers(rotation_range=40, horizontal_flip=True, seed=0)
        >>> [type(layer).__name__ for layer in aug.layers]
        ['RandomRotation', 'RandomFlip']
        >>> round(aug.layers[0].factor[1], 4)  # 40 degrees are 0.1111 of a turn
        0.1111
    """
    rotation = check_real("rotation_range", rotation_range, low=0.0, high=180.0, high_open=False)
    width = check_real("width_shift_range", width_shift_range, low=0.0, high=1.0)
    height = check_real("height_shift_range", height_shift_range, low=0.0, high=1.0)
    shear = check_real("shear_range", shear_range, low=0.0, high=45.0, high_open=False)
    zoom = check_real("zoom_range", zoom_range, low=0.0, high=1.0)
    flip = check_bool("horizontal_flip", horizontal_flip)
    fill_mode = check_choice("fill_mode", fill_mode, _FILL_MODES)
    if seed is not None:
        seed = check_int("seed", seed, 0, 2**31 - 1000)
    layers = keras.layers
    chosen = []
    if rotation:
        chosen.append(
            lambda s: layers.RandomRotation(rotation / 360.0, fill_mode=fill_mode, seed=s)
        )
    if width or height:
        chosen.append(
            lambda s: layers.RandomTranslation(height, width, fill_mode=fill_mode, seed=s)
        )
    if shear:
        factor = math.tan(math.radians(shear))
        chosen.append(lambda s: layers.RandomShear(x_factor=factor, fill_mode=fill_mode, seed=s))
    if zoom:
        chosen.append(lambda s: layers.RandomZoom(zoom, zoom, fill_mode=fill_mode, seed=s))
    if flip:
        chosen.append(lambda s: layers.RandomFlip("horizontal", seed=s))
    built = [make(None if seed is None else seed + i) for i, make in enumerate(chosen)]
    return keras.Sequential(built or [layers.Identity()], name="image_data_generator")
