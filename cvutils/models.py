"""The course's convolutional networks as Keras 3 models.

Every builder returns an uncompiled `keras.Model` with named layers and checks its
arguments first (an input too small for the network's downsampling is refused by name).

The number of classes is ``n_classes``, as everywhere in cvutils, except where the course
fixes the signature: ``classes`` in `vgg16`, `resnet50` and `mobilenet_v2`. The other
builders still take ``classes`` (``num_classes`` for `tiny_yolo`), their old name.

Classifiers (a softmax over the classes unless said):

* `lenet5` (LeNet-5 as in the course, or a ``modern=True`` variant), `alexnet`, `vgg16`
  (notebooks/07_classic_networks.ipynb);
* `resnet50` (the course's ResNet-50), `resnet_cifar` (ResNet-20/32/56 and their plain
  twins) and `resnet9` (the CIFAR-10 speed-run's ResNet-9, logits)
  (notebooks/08_residual_networks.ipynb);
* `mobilenet_v1`, `mobilenet_v2` (notebooks/09_network_in_network_inception_mobilenet.ipynb).

Where Keras ships the same network in `keras.applications`, the parameter counts are equal.

Detection, landmarks, segmentation, faces and style:

* `localization_net` (classification with localization, the course's ``y_hat``) and
  `landmark_net` (keypoint regression) (notebooks/11_localization_and_landmarks.ipynb);
* `tiny_yolo`, a small YOLO-style detector with raw outputs for `cvutils.yolo`
  (notebooks/13_yolo_building_blocks.ipynb, notebooks/14_training_a_yolo_detector.ipynb);
* `unet_model`, the course's U-Net, assembled from `cvutils.blocks.conv_block` and
  `cvutils.blocks.upsampling_block` (notebooks/15_semantic_segmentation_unet.ipynb);
* `face_encoder`, a Siamese encoder with L2-normalised embeddings
  (notebooks/16_face_recognition.ipynb);
* `vgg19_features`, a frozen VGG-19 trunk that returns the activations of the named layers,
  by default `VGG19_STYLE_TRANSFER_LAYERS` (notebooks/18_neural_style_transfer.ipynb).

Inspection: `layer_table`, `format_table` and `multiply_count` live in
`cvutils.layer_tables`; this module re-exports them under the same names.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from cvutils import blocks
from cvutils.checks import (
    MAX_COUNT,
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_renamed,
    check_size,
    describe,
    fail,
)
from cvutils.checks import check_shape as _check_shape
from cvutils.layer_tables import format_table, layer_table, multiply_count

__all__ = [
    "VGG19_STYLE_TRANSFER_LAYERS",
    "alexnet",
    "face_encoder",
    "format_table",
    "landmark_net",
    "layer_table",
    "lenet5",
    "localization_net",
    "mobilenet_v1",
    "mobilenet_v2",
    "multiply_count",
    "resnet9",
    "resnet50",
    "resnet_cifar",
    "tiny_yolo",
    "unet_model",
    "vgg16",
    "vgg19_features",
]


# --------------------------------------------------------------------------------------
# Argument checks shared by the builders
# --------------------------------------------------------------------------------------

#: A spatial step of a network: (window f, stride s, padding) with padding "valid", "same"
#: or an integer number of zeros on each side.
Step = tuple[int, int, Any]


def _side_after(n: int, steps: Sequence[Step]) -> int:
    """Size of one spatial side after ``steps``; 0 when a window no longer fits."""
    for f, s, pad in steps:
        if pad == "same":
            n = -(-n // s)
        else:
            if n + 2 * pad < f:
                return 0
            n = (n + 2 * pad - f) // s + 1
    return n


def _input_shape(
    input_shape: Any,
    steps: Sequence[Step] = (),
    what: str = "",
    final: int = 1,
    *,
    multiple: int = 1,
    name: str = "input_shape",
) -> tuple[int, int, int]:
    """Checks ``(n_H, n_W, n_C)`` and that both sides survive the network's downsampling.

    ``steps`` are the network's spatial steps, ``final`` the side that must be left after
    them, ``multiple`` what both sides must be multiples of (a network that pools by 2 ``k``
    times and upsamples back, or that cuts the image into cells); ``name`` is the argument's
    name in the builder's signature (the course's U-Net calls it ``input_size``).
    """
    shape = _check_shape(name, input_shape, ndim=3)
    if any(_side_after(n, steps) < final for n in shape[:2]):
        need = next(n for n in range(1, 100_000) if _side_after(n, steps) >= final)
        need = -(-need // multiple) * multiple
        fail(
            name,
            f"at least {need}x{need} (height x width) for {what}, which downsamples it to "
            f"{_side_after(need, steps)}x{_side_after(need, steps)}",
            repr(shape),
        )
    if shape[0] % multiple or shape[1] % multiple:
        fail(name, f"(H, W, C) with H and W multiples of {multiple} for {what}", repr(shape))
    return shape


def _classes(classes: Any) -> int:
    """The course's ``classes`` argument (vgg16, resnet50, mobilenet_v2), checked."""
    return check_int("classes", classes, 1, MAX_COUNT)


def _n_classes(n_classes: Any, default: int, classes: Any) -> int:
    """``n_classes``, or ``classes`` (its old name in the builders the course does not fix)."""
    n_classes = check_renamed("n_classes", n_classes, default, "classes", classes)
    return check_int("n_classes", n_classes, 1, MAX_COUNT)


def _dense_size(names: str, x: Any, *widths: int) -> None:
    """Refuses dense layers (a chain ``x -> widths[0] -> widths[1] ...``) whose weights would
    exceed `cvutils.checks.MAX_PARAMS`, naming the arguments that set the widths."""
    sizes = [int(x.shape[-1]), *widths]
    check_size(names, sum((a + 1) * b for a, b in itertools.pairwise(sizes)), detail=" in the head")


def _head(x: Any, classes: int, name: str = "predictions", arg: str = "classes") -> Any:
    """The softmax layer over ``classes``; ``arg`` names the builder's argument in errors."""
    _dense_size(arg, x, classes)
    return layers.Dense(classes, activation="softmax", name=name)(x)


# --------------------------------------------------------------------------------------
# Classic networks: LeNet-5, AlexNet, VGG-16
# --------------------------------------------------------------------------------------

_LENET_STEPS: tuple[Step, ...] = ((5, 1, 0), (2, 2, 0), (5, 1, 0), (2, 2, 0))


def lenet5(
    input_shape: tuple[int, int, int] = (32, 32, 1),
    n_classes: int = 10,
    modern: bool = False,
    *,
    classes: int | None = None,
) -> keras.Model:
    """LeNet-5 (LeCun et al., 1998) as in the course, or a modern variant.

    Course version (``modern=False``), shapes for the default ``(32, 32, 1)`` input::

        C1 Conv 5x5, 6 filters, tanh   (28, 28, 6)     156 parameters
        S2 AveragePooling 2x2          (14, 14, 6)
        C3 Conv 5x5, 16 filters, tanh  (10, 10, 16)  2,416 = 16*6*5*5 weights + 16 biases
        S4 AveragePooling 2x2          (5, 5, 16)
        Flatten                        (400,)
        F5 Dense 120, tanh                          48,120
        F6 Dense 84, tanh                           10,164
        Dense ``n_classes``, softmax                     850   -> 61,706 parameters in all

    ``modern=True``: ReLU instead of tanh, max instead of average pooling, batch norm after
    each convolution (which then has no bias) and dropout 0.5 before each dense layer.

    Taught in notebooks/07_classic_networks.ipynb.

    Args:
        input_shape: ``(n_H, n_W, n_C)``, at least 16x16 (default ``(32, 32, 1)``).
        n_classes: number of classes, an integer >= 1 (``n_classes``, its old name, still works).
        modern: build the modern variant.

    Returns:
        An uncompiled `keras.Model` ``(m, n_H, n_W, n_C)`` -> ``(m, n_classes)``.

    Raises:
        ValueError: ``input_shape`` is not three positive integers or is smaller than
            16x16, ``n_classes`` < 1, or ``modern`` is not a bool.

    Example:
        >>> lenet5().count_params()
        61706
    """
    shape = _input_shape(input_shape, _LENET_STEPS, "LeNet-5")
    n_classes, modern = _n_classes(n_classes, 10, classes), check_bool("modern", modern)
    inputs = keras.Input(shape, name="input")
    x = inputs
    if not modern:
        x = layers.Conv2D(6, 5, activation="tanh", name="C1")(x)
        x = layers.AveragePooling2D(2, name="S2")(x)
        x = layers.Conv2D(16, 5, activation="tanh", name="C3")(x)
        x = layers.AveragePooling2D(2, name="S4")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(120, activation="tanh", name="F5")(x)
        x = layers.Dense(84, activation="tanh", name="F6")(x)
        return keras.Model(inputs, _head(x, n_classes, arg="n_classes"), name="lenet5")
    for i, filters in ((1, 6), (3, 16)):
        x = layers.Conv2D(filters, 5, use_bias=False, name=f"C{i}")(x)
        x = layers.BatchNormalization(name=f"C{i}_bn")(x)
        x = layers.ReLU(name=f"C{i}_relu")(x)
        x = layers.MaxPooling2D(2, name=f"S{i + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    for name, units in (("F5", 120), ("F6", 84)):
        x = layers.Dropout(0.5, name=f"{name}_dropout")(x)
        x = layers.Dense(units, activation="relu", name=name)(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    return keras.Model(inputs, _head(x, n_classes, arg="n_classes"), name="lenet5_modern")


_ALEXNET_STEPS: tuple[Step, ...] = ((11, 4, 0), (3, 2, 0), (3, 2, 0), (3, 2, 0))


def alexnet(
    input_shape: tuple[int, int, int] = (227, 227, 3),
    n_classes: int = 1000,
    *,
    classes: int | None = None,
) -> keras.Model:
    """AlexNet (Krizhevsky et al., 2012) as in the course's layer table, on one device.

    Shapes for the default ``(227, 227, 3)`` input::

        conv1 Conv 11x11 stride 4, 96, ReLU    (55, 55, 96)       34,944 parameters
        pool1 MaxPool 3x3 stride 2             (27, 27, 96)
        conv2 Conv 5x5 same, 256, ReLU         (27, 27, 256)     614,656
        pool2 MaxPool 3x3 stride 2             (13, 13, 256)
        conv3 Conv 3x3 same, 384, ReLU         (13, 13, 384)     885,120
        conv4 Conv 3x3 same, 384, ReLU         (13, 13, 384)   1,327,488
        conv5 Conv 3x3 same, 256, ReLU         (13, 13, 256)     884,992
        pool5 MaxPool 3x3 stride 2             (6, 6, 256)
        flatten                                (9216,)
        fc6 Dense 4096, ReLU (dropout 0.5 after)              37,752,832
        fc7 Dense 4096, ReLU (dropout 0.5 after)              16,781,312
        predictions Dense ``n_classes``, softmax                 4,097,000  -> 62,378,344

    The original's local response normalisation (which later work found unnecessary) and
    its split over two GPUs are left out.

    Taught in notebooks/07_classic_networks.ipynb.

    Args:
        input_shape: ``(n_H, n_W, n_C)``, at least 67x67.
        n_classes: number of classes, an integer >= 1 (``n_classes``, its old name, still works).

    Returns:
        An uncompiled `keras.Model` ``(m, n_H, n_W, n_C)`` -> ``(m, n_classes)``.

    Raises:
        ValueError: ``input_shape`` too small or not three positive integers; ``n_classes`` < 1.
    """
    shape = _input_shape(input_shape, _ALEXNET_STEPS, "AlexNet")
    n_classes = _n_classes(n_classes, 1000, classes)
    inputs = keras.Input(shape, name="input")
    x = layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv4")(x)
    x = layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc6")(x)
    x = layers.Dropout(0.5, name="dropout6")(x)
    x = layers.Dense(4096, activation="relu", name="fc7")(x)
    x = layers.Dropout(0.5, name="dropout7")(x)
    return keras.Model(inputs, _head(x, n_classes, arg="n_classes"), name="alexnet")


_VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
#: VGG's downsampling (VGG-16 and VGG-19): five 2x2 max-pools (the 3x3 convolutions keep the size).
_VGG_STEPS: tuple[Step, ...] = ((2, 2, 0),) * 5


def vgg16(input_shape: tuple[int, int, int] = (224, 224, 3), classes: int = 1000) -> keras.Model:
    """VGG-16 (Simonyan and Zisserman, 2014): 13 "same" 3x3 convolutions and 3 dense layers.

    Five blocks of 3x3 convolutions (64, 64 | 128, 128 | 256 x 3 | 512 x 3 | 512 x 3
    filters, ReLU), each followed by 2x2 max pooling: ``(224, 224, 3)`` -> ``(7, 7, 512)``;
    then Flatten (25,088) -> Dense 4096 -> Dense 4096 -> Dense ``classes`` (softmax).
    Layer names and parameters (138,357,544 for 224x224x3 and 1000 classes) are those of
    `keras.applications.VGG16`.

    Taught in notebooks/07_classic_networks.ipynb.

    Args:
        input_shape: ``(n_H, n_W, n_C)``, at least 32x32.
        classes: number of classes, an integer >= 1.

    Returns:
        An uncompiled `keras.Model` ``(m, n_H, n_W, n_C)`` -> ``(m, classes)``.

    Raises:
        ValueError: ``input_shape`` too small or not three positive integers; ``classes`` < 1.
    """
    shape = _input_shape(input_shape, _VGG_STEPS, "VGG-16 (five 2x2 max-pools)")
    classes = _classes(classes)
    inputs = keras.Input(shape, name="input")
    x = inputs
    for b, (filters, convs) in enumerate(_VGG16_BLOCKS, start=1):
        for c in range(1, convs + 1):
            x = layers.Conv2D(
                filters, 3, padding="same", activation="relu", name=f"block{b}_conv{c}"
            )(x)
        x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc1")(x)
    x = layers.Dense(4096, activation="relu", name="fc2")(x)
    return keras.Model(inputs, _head(x, classes), name="vgg16")


# --------------------------------------------------------------------------------------
# Residual networks
# --------------------------------------------------------------------------------------

#: ResNet-50 stages: (filters, number of blocks, stride of the first block).
_RESNET50_STAGES = (([64, 64, 256], 3, 1), ([128, 128, 512], 4, 2), ([256, 256, 1024], 6, 2))
_RESNET50_STAGES += (([512, 512, 2048], 3, 2),)
_RESNET50_STEPS: tuple[Step, ...] = ((7, 2, 3), (3, 2, 0), (1, 2, 0), (1, 2, 0), (1, 2, 0))


def resnet50(
    input_shape: tuple[int, int, int] = (64, 64, 3), classes: int = 6, pooling: str = "course"
) -> keras.Model:
    """ResNet-50 (He et al., 2015) as built in the course.

    ``(m, 64, 64, 3)`` by default (the course's SIGNS images, 6 classes)::

        ZeroPadding 3 -> Conv 7x7 stride 2 (64) -> BN -> ReLU -> MaxPool 3x3 stride 2
        stage 2: convolutional_block(f=3, [64, 64, 256], s=1)    + 2 identity blocks
        stage 3: convolutional_block(f=3, [128, 128, 512], s=2)  + 3 identity blocks
        stage 4: convolutional_block(f=3, [256, 256, 1024], s=2) + 5 identity blocks
        stage 5: convolutional_block(f=3, [512, 512, 2048], s=2) + 2 identity blocks
        head: AveragePooling 2x2 -> Flatten -> Dense(classes, softmax)     (pooling="course")
              GlobalAveragePooling -> Dense(classes, softmax)              (pooling="global")

    At 64x64x3 with 6 classes it has 23,600,006 parameters (23,546,886 trainable; the rest
    are the batch norms' moving averages). With ``pooling="global"``, 224x224x3 and 1000
    classes it has the 25,636,712 parameters of `keras.applications.ResNet50`.

    The blocks are built with ``training=None`` so that the batch norms follow Keras
    (batch statistics in ``fit``, moving averages in ``predict`` and ``model(x)``), and
    the course's seeded initialisers.

    Taught in notebooks/08_residual_networks.ipynb.

    Args:
        input_shape: ``(n_H, n_W, n_C)``; at least 37x37 for ``"course"`` (stage 5 must be
            2x2 or more for the 2x2 pooling), 1x1 for ``"global"``.
        classes: number of classes, an integer >= 1.
        pooling: ``"course"`` or ``"global"`` (see above).

    Returns:
        An uncompiled `keras.Model` ``(m, n_H, n_W, n_C)`` -> ``(m, classes)``.

    Raises:
        ValueError: ``input_shape`` too small or not three positive integers, ``classes``
            < 1 or an unknown ``pooling``.
    """
    pooling = check_choice("pooling", pooling, ("course", "global"))
    final = 2 if pooling == "course" else 1
    shape = _input_shape(input_shape, _RESNET50_STEPS, f'ResNet-50 (pooling="{pooling}")', final)
    classes = _classes(classes)
    glorot = keras.initializers.glorot_uniform
    inputs = keras.Input(shape, name="input")
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, kernel_initializer=glorot(seed=0), name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, n_blocks, s) in enumerate(_RESNET50_STAGES, start=2):
        x = blocks.convolutional_block(
            x, 3, filters, s=s, training=None, name=f"conv{stage}_block1"
        )
        for i in range(2, n_blocks + 1):
            x = blocks.identity_block(x, 3, filters, training=None, name=f"conv{stage}_block{i}")
    if pooling == "course":
        x = layers.AveragePooling2D(2, name="avg_pool")(x)
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    _dense_size("classes", x, classes)
    outputs = layers.Dense(
        classes, activation="softmax", kernel_initializer=glorot(seed=0), name="predictions"
    )(x)
    return keras.Model(inputs, outputs, name="resnet50")


def resnet_cifar(
    depth: int,
    n_classes: int = 10,
    plain: bool = False,
    input_shape: tuple[int, int, int] = (32, 32, 3),
    *,
    classes: int | None = None,
) -> keras.Model:
    """ResNet-``depth`` for CIFAR-10 (He et al., 2015, Sec. 4.2), or its plain twin.

    ``depth = 6n + 2`` layers with weights::

        Conv 3x3 (16) -> BN -> ReLU                                   (32, 32, 16)
        n basic_residual_blocks with 16 filters                       (32, 32, 16)
        n basic_residual_blocks with 32 filters (the first stride 2)  (16, 16, 32)
        n basic_residual_blocks with 64 filters (the first stride 2)  (8, 8, 64)
        GlobalAveragePooling -> Dense(n_classes, softmax)

    The shortcuts are parameter-free ("option A": identity, or subsample and zero-pad the
    channels), so ``plain=True`` (no shortcuts) has exactly the same parameters:
    ResNet-20, 32, 56 have 269,722, 464,154 and 853,018 trainable parameters (0.27M, 0.46M,
    0.85M in the paper), plus the batch norms' moving averages.

    Taught in notebooks/08_residual_networks.ipynb.

    Args:
        depth: ``6n + 2`` with ``n >= 1``: 8, 14, 20, 32, 44, 56, 110, ...
        n_classes: number of classes, an integer >= 1 (``n_classes``, its old name, still works).
        plain: drop every shortcut (the paper's "plain" network).
        input_shape: ``(n_H, n_W, n_C)`` (default ``(32, 32, 3)``).

    Returns:
        An uncompiled `keras.Model` named ``resnet{depth}`` or ``plain{depth}``.

    Raises:
        ValueError: ``depth`` is not ``6n + 2`` (n >= 1), ``n_classes`` < 1, ``plain`` is
            not a bool, or a bad ``input_shape``.

    Example:
        >>> model = resnet_cifar(20)
        >>> model.name, model.output.shape
        ('resnet20', (None, 10))
    """
    depth = check_int("depth", depth, 8, 6 * MAX_COUNT + 2)
    if (depth - 2) % 6:
        fail("depth", "6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...)", str(depth))
    n_classes, plain = _n_classes(n_classes, 10, classes), check_bool("plain", plain)
    shape = _input_shape(input_shape)
    n = (depth - 2) // 6
    inputs = keras.Input(shape, name="input")
    x = layers.Conv2D(16, 3, padding="same", use_bias=False, kernel_initializer="he_normal")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    for stage, filters in enumerate((16, 32, 64), start=1):
        for i in range(1, n + 1):
            stride = 2 if (stage > 1 and i == 1) else 1
            x = blocks.basic_residual_block(
                x, filters, stride=stride, plain=plain, name=f"stage{stage}_block{i}"
            )
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    name = f"{'plain' if plain else 'resnet'}{depth}"
    return keras.Model(inputs, _head(x, n_classes, arg="n_classes"), name=name)


# --------------------------------------------------------------------------------------
# MobileNets
# --------------------------------------------------------------------------------------


def _make_divisible(v: float, divisor: int = 8) -> int:
    """The channel rounding of the MobileNet reference code: nearest multiple of ``divisor``,
    at least ``divisor``, and never more than 10% below ``v``."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


#: MobileNet v1 depthwise separable layers: (pointwise filters, stride).
_MOBILENET_V1 = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2))
_MOBILENET_V1 += ((512, 1),) * 5 + ((1024, 2), (1024, 1))


def mobilenet_v1(
    input_shape: tuple[int, int, int] = (224, 224, 3),
    alpha: float = 1.0,
    n_classes: int = 1000,
    dropout: float = 1e-3,
    *,
    classes: int | None = None,
) -> keras.Model:
    """MobileNet v1 (Howard et al., 2017): a 3x3 convolution and 13 depthwise separable ones.

    ``(224, 224, 3)`` -> Conv 3x3 stride 2 (32 alpha) -> BN -> ReLU6 -> 13 x
    `cvutils.blocks.depthwise_separable` (64 ... 1024 alpha filters, five of stride 2)
    ``(7, 7, 1024 alpha)`` -> GlobalAveragePooling -> Dropout -> Dense(n_classes, softmax).
    Filters are ``int(filters * alpha)``; the parameter count equals
    `keras.applications.MobileNet` (4,253,864 at ``alpha=1``, 1000 classes), whose
    classifier is a 1x1 convolution on the pooled vector, the same as this dense layer.

    Taught in notebooks/09_network_in_network_inception_mobilenet.ipynb.

    Args:
        input_shape: ``(n_H, n_W, n_C)``.
        alpha: width multiplier, a real number > 0 (the paper uses 1, 0.75, 0.5, 0.25).
        n_classes: number of classes, an integer >= 1 (``n_classes``, its old name, still works).
        dropout: dropout rate before the classifier, in [0, 1).

    Returns:
        An uncompiled `keras.Model` ``(m, n_H, n_W, n_C)`` -> ``(m, n_classes)``.

    Raises:
        ValueError: ``alpha <= 0`` or so small that a layer gets no filter, ``n_classes`` < 1,
            ``dropout`` outside [0, 1), or a bad ``input_shape``.
    """
    shape = _input_shape(input_shape)
    alpha = check_real("alpha", alpha, low=0, low_open=True, high=None)
    n_classes = _n_classes(n_classes, 1000, classes)
    dropout = check_real("dropout", dropout, low=0, high=1)
    if int(32 * alpha) < 1:
        fail("alpha", "large enough for at least one filter per layer (>= 1/32)", repr(alpha))
    widths = [int(32 * alpha)] + [int(f * alpha) for f, _ in _MOBILENET_V1]
    check_size(
        "alpha",
        9 * shape[2] * widths[0]
        + sum(9 * a + a * b for a, b in itertools.pairwise(widths))
        + widths[-1] * n_classes,
    )
    inputs = keras.Input(shape, name="input")
    x = layers.Conv2D(int(32 * alpha), 3, strides=2, padding="same", use_bias=False, name="conv1")(
        inputs
    )
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for i, (filters, stride) in enumerate(_MOBILENET_V1, start=1):
        x = blocks.depthwise_separable(x, int(filters * alpha), stride=stride, name=f"conv{i}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, _head(x, n_classes, arg="n_classes"), name="mobilenet_v1")


#: MobileNet v2 bottleneck sequences: (expansion t, filters c, repeats n, first stride s).
_MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2))
_MOBILENET_V2 += ((6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenet_v2(
    input_shape: tuple[int, int, int] = (224, 224, 3), alpha: float = 1.0, classes: int = 1000
) -> keras.Model:
    """MobileNet v2 (Sandler et al., 2018): inverted residuals with linear bottlenecks.

    ``(224, 224, 3)`` -> Conv 3x3 stride 2 (32) -> BN -> ReLU6 -> 17
    `cvutils.blocks.inverted_residual` blocks (table 2 of the paper: t, c, n, s =
    1,16,1,1 | 6,24,2,2 | 6,32,3,2 | 6,64,4,2 | 6,96,3,1 | 6,160,3,2 | 6,320,1,1)
    ``(7, 7, 320)`` -> Conv 1x1 (1280) -> BN -> ReLU6 -> GlobalAveragePooling ->
    Dense(classes, softmax). Channels are scaled by ``alpha`` and rounded to multiples of 8
    as in `keras.applications.MobileNetV2`, whose parameter count it equals (3,538,984 at
    ``alpha=1``, 1000 classes).

    Taught in notebooks/09_network_in_network_inception_mobilenet.ipynb.

    Args:
        input_shape: ``(n_H, n_W, n_C)``.
        alpha: width multiplier, a real number > 0.
        classes: number of classes, an integer >= 1.

    Returns:
        An uncompiled `keras.Model` ``(m, n_H, n_W, n_C)`` -> ``(m, classes)``.

    Raises:
        ValueError: ``alpha <= 0``, ``classes`` < 1 or a bad ``input_shape``.

    Example:
        >>> mobilenet_v2((32, 32, 3), alpha=0.35, classes=3).output.shape
        (None, 3)
    """
    shape = _input_shape(input_shape)
    alpha = check_real("alpha", alpha, low=0, low_open=True, high=None)
    classes = _classes(classes)
    widths = [_make_divisible(32 * alpha)]
    for _, c, repeats, _ in _MOBILENET_V2:
        widths += [_make_divisible(int(c * alpha))] * repeats
    last = _make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    check_size(
        "alpha",
        9 * shape[2] * widths[0]
        + sum(6 * a * (a + 9 + b) for a, b in itertools.pairwise(widths))
        + widths[-1] * last
        + last * classes,
    )
    inputs = keras.Input(shape, name="input")
    x = layers.Conv2D(
        _make_divisible(32 * alpha), 3, strides=2, padding="same", use_bias=False, name="Conv1"
    )(inputs)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    block = 0
    for t, c, repeats, s in _MOBILENET_V2:
        for i in range(repeats):
            filters = _make_divisible(int(c * alpha))
            x = blocks.inverted_residual(x, t, filters, s if i == 0 else 1, name=f"block_{block}")
            block += 1
    last = _make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, _head(x, classes), name="mobilenet_v2")


# --------------------------------------------------------------------------------------
# Week 3: a tiny YOLO detector (notebooks/13_yolo_building_blocks.ipynb)
# --------------------------------------------------------------------------------------


def tiny_yolo(
    input_shape: tuple[int, int, int] = (64, 64, 3),
    num_anchors: int = 2,
    n_classes: int = 3,
    filters: Sequence[int] = (8, 16, 32, 64),
    head_filters: int = 64,
    name: str = "tiny_yolo",
    *,
    num_classes: int | None = None,
) -> keras.Model:
    """A tiny YOLO-style detector: ``(batch, H, W, C)`` -> raw ``(batch, S_h, S_w, A * (5 + K))``.

    One stage per entry of ``filters``: a 3x3 "same" convolution without bias, batch
    normalization (momentum 0.9, so that the moving statistics keep up in short runs),
    LeakyReLU(0.1) and 2x2 max pooling; then a 3x3 convolution of ``head_filters`` with
    batch normalization and LeakyReLU, and a 1x1 convolution ``yolo_output`` (float32) with
    ``num_anchors * (5 + n_classes)`` channels. The grid is ``S = H / 2**len(filters)``
    (64x64 inputs and four stages: a 4x4 grid of 16-pixel cells). The output is the raw
    ``[t_x, t_y, t_w, t_h, t_o, class logits]`` per anchor that `cvutils.yolo.yolo_head`
    decodes and `cvutils.yolo.YoloLoss` trains.

    Args:
        input_shape: ``(H, W, C)``; ``H`` and ``W`` must be multiples of ``2**len(filters)``.
        num_anchors: anchors per cell ``A``.
        n_classes: classes ``K`` (``num_classes``, its old name, still works).
        filters: the filters of each stage (each halves the height and width).
        head_filters: the filters of the 3x3 convolution before the output.
        name: the model's name.

    Returns:
        An uncompiled `keras.Model`.

    Taught in notebooks/13_yolo_building_blocks.ipynb (trained briefly) and
    notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> model = tiny_yolo()
        >>> model.output_shape, model.count_params()
        ((None, 4, 4, 16), 63048)
    """
    num_anchors = check_int("num_anchors", num_anchors, minimum=1, maximum=MAX_COUNT)
    n_classes = check_renamed("n_classes", n_classes, 3, "num_classes", num_classes)
    n_classes = check_int("n_classes", n_classes, minimum=1, maximum=MAX_COUNT)
    if isinstance(filters, str) or not isinstance(filters, Sequence) or not filters:
        fail("filters", "a non-empty sequence of positive ints", repr(filters), kind=True)
    filters = [check_int(f"filters[{i}]", f, 1, MAX_COUNT) for i, f in enumerate(filters)]
    head_filters = check_int("head_filters", head_filters, 1, MAX_COUNT)
    stride = 2 ** len(filters)
    height, width, channels = _input_shape(
        input_shape,
        ((2, 2, 0),) * len(filters),
        f"tiny_yolo (grid cells of 2**len(filters) = {stride} pixels)",
        multiple=stride,
    )
    widths = [channels, *filters, head_filters]
    check_size(
        "filters, head_filters, num_anchors and n_classes",
        sum(9 * a * b + 4 * b for a, b in itertools.pairwise(widths))
        + (head_filters + 1) * num_anchors * (5 + n_classes),
    )
    inputs = keras.Input((height, width, channels), name="image")
    x = inputs
    for i, n_c in enumerate([*filters, head_filters]):
        x = layers.Conv2D(n_c, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.1, name=f"leaky{i}")(x)
        if i < len(filters):
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    outputs = layers.Conv2D(num_anchors * (5 + n_classes), 1, dtype="float32", name="yolo_output")(
        x
    )
    return keras.Model(inputs, outputs, name=name)


# --------------------------------------------------------------------------------------
# Week 3: classification with localization, and landmarks
# (notebooks/11_localization_and_landmarks.ipynb)
# --------------------------------------------------------------------------------------


def _small_trunk(
    input_shape: Any, filters: Any, dropout: Any, what: str
) -> tuple[Any, Any, tuple[int, ...]]:
    """Checks the arguments and builds ``Input -> [Conv 3x3 - BN - ReLU - MaxPool 2] * n ->
    Flatten -> Dropout``; returns (inputs, features, filters)."""
    if isinstance(filters, str | bytes) or not isinstance(filters, Sequence) or not filters:
        fail("filters", "a non-empty sequence of filter counts", repr(filters), kind=True)
    filters = tuple(check_int(f"filters[{i}]", f, 1, 4096) for i, f in enumerate(filters))
    dropout = check_real("dropout", dropout, low=0.0, high=1.0)
    shape = _input_shape(input_shape, ((2, 2, 0),) * len(filters), what)
    inputs = keras.Input(shape, name="image")
    x = inputs
    for i, n_c in enumerate(filters):
        x = layers.Conv2D(n_c, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        x = layers.MaxPool2D(2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    return inputs, layers.Dropout(dropout, name="dropout")(x), filters


def localization_net(
    input_shape: tuple[int, int, int] = (48, 48, 3),
    n_classes: int = 3,
    filters: Sequence[int] = (8, 16, 32, 64),
    dense: int = 128,
    dropout: float = 0.3,
) -> keras.Model:
    """Classification with localization: a small ConvNet with a class head and a box head.

    ``(m, n_H, n_W, n_C)`` images -> ``(m, 5 + n_classes)`` predictions in the course's order
    ``y_hat = [p_c, b_x, b_y, b_h, b_w, c_1, ..., c_C]``: ``p_c`` (sigmoid) is the probability
    that an object is there, ``(b_x, b_y)`` its midpoint and ``(b_h, b_w)`` its height and
    width relative to the image (sigmoids, in ``(0, 1)``), ``c_k`` the class probabilities
    (softmax). Train it with `cvutils.yolo.LocalizationLoss` on targets made by
    ``cvutils.yolo.encode_targets(boxes, class_ids, [[1, 1]], (1, 1), n_classes, image_shape)``
    (a 1x1 grid with one anchor is exactly the localization target).

    The trunk is ``[Conv2D 3x3 "same" (no bias) - BatchNorm - ReLU - MaxPool 2x2]`` per entry
    of ``filters``, then ``Flatten`` and ``Dropout``; flattening keeps *where* each feature
    is, which the box head needs. Two heads share it (the Functional API): the class head
    ``Dense(dense, relu)`` -> ``p_c`` and ``classes``, the box head ``Dense(dense, relu)`` ->
    ``box``; ``Concatenate`` puts them in the course's order (layer ``y_hat``). The output
    layers compute in float32, also under a ``mixed_float16`` policy.

    Args:
        input_shape: ``(n_H, n_W, n_C)``; each side at least ``2 ** len(filters)``.
        n_classes: ``C``, the number of object classes (background is ``p_c = 0``, not a class).
        filters: the filters of each convolution block.
        dense: the units of each head's hidden layer.
        dropout: the dropout rate on the flattened features, in ``[0, 1)``.

    Returns:
        An uncompiled `keras.Model` named ``localization_net``.

    Raises:
        ValueError: for a bad argument (an input too small for the poolings, ...).

    Taught in notebooks/11_localization_and_landmarks.ipynb.

    Examples:
        >>> model = localization_net((32, 32, 3), n_classes=3, filters=(8, 16), dense=16)
        >>> model.output_shape
        (None, 8)
    """
    n_classes = check_int("n_classes", n_classes, 1, MAX_COUNT)
    dense = check_int("dense", dense, 1, MAX_COUNT)
    inputs, x, _ = _small_trunk(input_shape, filters, dropout, "localization_net")
    _dense_size("dense and n_classes", x, dense, n_classes + 1 + 4)
    c = layers.Dense(dense, activation="relu", name="class_head")(x)
    p_c = layers.Dense(1, activation="sigmoid", dtype="float32", name="p_c")(c)
    classes = layers.Dense(n_classes, activation="softmax", dtype="float32", name="classes")(c)
    b = layers.Dense(dense, activation="relu", name="box_head")(x)
    box = layers.Dense(4, activation="sigmoid", dtype="float32", name="box")(b)
    y_hat = layers.Concatenate(dtype="float32", name="y_hat")([p_c, box, classes])
    return keras.Model(inputs, y_hat, name="localization_net")


def landmark_net(
    input_shape: tuple[int, int, int] = (48, 48, 3),
    n_keypoints: int = 3,
    filters: Sequence[int] = (8, 16, 32, 64),
    dense: int = 128,
    dropout: float = 0.0,
) -> keras.Model:
    """Landmark detection: a small ConvNet that regresses ``K`` keypoints.

    ``(m, n_H, n_W, n_C)`` images -> ``(m, K, 2)`` keypoints ``(x, y)`` relative to the image
    width and height (sigmoids, in ``(0, 1)``; multiply by the image size for pixels). Output
    ``k`` always means landmark ``k``, so the training targets must list the landmarks in the
    same order in every image. Train with a mean squared error.

    The trunk is the one of `localization_net`; one head ``Dense(dense, relu)`` ->
    ``Dense(2 K, sigmoid)`` -> ``Reshape((K, 2))`` (layer ``keypoints``).

    Args:
        input_shape: ``(n_H, n_W, n_C)``; each side at least ``2 ** len(filters)``.
        n_keypoints: ``K``.
        filters: the filters of each convolution block.
        dense: the units of the hidden layer.
        dropout: the dropout rate on the flattened features, in ``[0, 1)``.

    Returns:
        An uncompiled `keras.Model` named ``landmark_net``.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/11_localization_and_landmarks.ipynb.

    Examples:
        >>> landmark_net((32, 32, 3), n_keypoints=3, filters=(8, 16), dense=16).output_shape
        (None, 3, 2)
    """
    n_keypoints = check_int("n_keypoints", n_keypoints, 1, MAX_COUNT)
    dense = check_int("dense", dense, 1, MAX_COUNT)
    inputs, x, _ = _small_trunk(input_shape, filters, dropout, "landmark_net")
    _dense_size("dense and n_keypoints", x, dense, 2 * n_keypoints)
    x = layers.Dense(dense, activation="relu", name="head")(x)
    x = layers.Dense(2 * n_keypoints, activation="sigmoid", dtype="float32", name="coordinates")(x)
    keypoints = layers.Reshape((n_keypoints, 2), dtype="float32", name="keypoints")(x)
    return keras.Model(inputs, keypoints, name="landmark_net")


# --------------------------------------------------------------------------------------
# Neural style transfer: VGG-19 feature extractor (notebook 18)
# --------------------------------------------------------------------------------------

#: The course's VGG-19 layers for style transfer: the five style layers, then the content layer.
VGG19_STYLE_TRANSFER_LAYERS = (
    "block1_conv1",
    "block2_conv1",
    "block3_conv1",
    "block4_conv1",
    "block5_conv1",
    "block5_conv4",
)

#: The ImageNet mean of VGG's training images, RGB, in 0..255 (what ``preprocess_input`` removes).
_VGG_MEAN_RGB = (123.68, 116.779, 103.939)


def vgg19_features(
    layer_names: Sequence[str] = VGG19_STYLE_TRANSFER_LAYERS,
    input_shape: tuple[int, int, int] = (400, 400, 3),
    weights: str | None = None,
    seed: int = 0,
) -> keras.Model:
    """A frozen VGG-19 trunk that maps images to the activations of the named layers.

    ``(m, n_H, n_W, 3)`` RGB images in ``[0, 1]`` -> a list of ``(m, n_H_l, n_W_l, n_C_l)``
    activations, one per name of ``layer_names``, in that order (the course's order: the style
    layers, then the content layer). The first layer, ``preprocess``, does what
    ``keras.applications.vgg19.preprocess_input`` does to ``255 * image`` (subtracts the
    ImageNet mean); the channel flip RGB -> BGR of that function is folded into the kernel of
    ``block1_conv1`` (the convolution is linear in its input channels), so the outputs equal
    those of ``keras.applications.VGG19`` on preprocessed images. The layers after the deepest
    named one are left out (``["block5_pool"]`` keeps the whole trunk).

    Args:
        layer_names: names of layers of ``keras.applications.VGG19(include_top=False)``
            (``block1_conv1`` ... ``block5_pool``), each at most once.
        input_shape: ``(n_H, n_W, 3)``, each side at least 32.
        weights: ``"imagenet"`` (downloaded once by Keras, which checks its hash; needs the
            network the first time), the path of Keras's ImageNet weight file of VGG-19
            without its top (``str(datasets.imagenet_weights("vgg19", include_top=False))``:
            fetched and checked by cvutils, from ``CVUTILS_MIRROR`` when set) or None: random
            weights, drawn with He-normal initialisation (zero biases) from ``seed``, so that
            the activations keep their scale through the 16 ReLU layers.
        seed: the seed of the random weights (ignored with ImageNet weights).

    Returns:
        A non-trainable `keras.Model` named ``vgg19_features`` with one output per layer name.

    Raises:
        ValueError: for a bad argument.
        RuntimeError: the ImageNet weights could not be downloaded (offline): run in fast mode
            or use ``weights=None``.

    Taught in notebooks/18_neural_style_transfer.ipynb.

    Examples:
        >>> model = vgg19_features(["block1_conv1", "block3_conv1"], (32, 32, 3))
        >>> [tuple(o.shape) for o in model.outputs]
        [(None, 32, 32, 64), (None, 8, 8, 256)]
    """
    input_shape = _input_shape(input_shape, _VGG_STEPS, "VGG-19 (five 2x2 max-pools)")
    if input_shape[-1] != 3:
        fail("input_shape", "(n_H, n_W, 3): VGG-19 takes RGB images", str(input_shape))
    if weights is not None:
        if isinstance(weights, os.PathLike):
            weights = os.fspath(weights)
        expected = "None, 'imagenet' or the path of an existing weights file"
        if not isinstance(weights, str):
            fail("weights", expected, describe(weights), kind=True)
        if weights != "imagenet" and not os.path.isfile(weights):
            fail("weights", expected, repr(weights))
    seed = check_int("seed", seed, 0, 2**31 - 1)
    if isinstance(layer_names, str) or not isinstance(layer_names, Sequence):
        fail("layer_names", "a list of layer names", describe(layer_names), kind=True)
    if not layer_names:
        fail("layer_names", "a non-empty list of layer names", "an empty list")
    try:
        vgg = keras.applications.VGG19(include_top=False, weights=weights, input_shape=input_shape)
    except Exception as err:  # the download of the weights failed
        raise RuntimeError(
            "The ImageNet weights of VGG-19 could not be downloaded "
            f"({type(err).__name__}). Connect to the network once, or run in fast mode "
            "(CVUTILS_MODE=fast), which uses random weights."
        ) from err
    order = [layer.name for layer in vgg.layers[1:]]
    depth = []
    for i, name in enumerate(layer_names):
        check_choice(f"layer_names[{i}]", name, order)
        depth.append(order.index(name))
    if len(set(layer_names)) != len(layer_names):
        fail("layer_names", "distinct layer names", describe(list(layer_names)))
    inputs = keras.Input(input_shape, name="image")
    x = layers.Rescaling(255.0, offset=[-m for m in _VGG_MEAN_RGB], name="preprocess")(inputs)
    outputs = {}
    for layer in vgg.layers[1 : max(depth) + 2]:
        x = outputs[layer.name] = layer(x)
    model = keras.Model(inputs, [outputs[n] for n in layer_names], name="vgg19_features")
    convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    for i, layer in enumerate(convs):
        kernel, bias = layer.get_weights()
        if weights is None:
            kernel = keras.ops.convert_to_numpy(
                keras.initializers.HeNormal(seed=seed + i)(kernel.shape)
            )
            bias = bias * 0.0
        elif i == 0:
            kernel = kernel[:, :, ::-1, :]  # BGR -> RGB
        layer.set_weights([kernel, bias])
    model.trainable = False
    return model


# --------------------------------------------------------------------------------------
# Week 4: face recognition, a Siamese encoder with an L2-normalised embedding
# (notebooks/16_face_recognition.ipynb)
# --------------------------------------------------------------------------------------


def face_encoder(
    input_shape: tuple[int, int, int] = (96, 96, 3),
    embedding_dim: int = 128,
    filters: Sequence[int] = (32, 64, 128),
    dropout: float = 0.0,
) -> keras.Model:
    """The encoder ``f`` of a Siamese network: images -> L2-normalised embeddings.

    ``(m, n_H, n_W, n_C)`` images -> ``(m, embedding_dim)`` embeddings with
    ``||f(x)||_2 = 1``, so that the squared distance of two embeddings lies in ``[0, 4]``.
    One encoder (one set of weights) embeds every image of a pair or triplet: that is the
    "Siamese" network. Train it with a triplet loss (`cvutils.losses.TripletLoss`,
    `TripletSemiHardLoss`, `TripletHardLoss`).

    The trunk is the one of `localization_net` (``[Conv 3x3 - BN - ReLU - MaxPool 2]`` per
    entry of ``filters``, then ``Flatten -> Dropout``), followed by ``Dense(embedding_dim)``
    (layer ``embedding``) and Keras's `UnitNormalization` (layer ``l2_normalize``, float32),
    which saves and loads in a ``.keras`` file like any built-in layer.

    Args:
        input_shape: ``(n_H, n_W, n_C)``; each side at least ``2 ** len(filters)``.
        embedding_dim: the size ``d`` of the embedding (the course uses 128).
        filters: the filters of each convolution block.
        dropout: the dropout rate on the flattened features, in ``[0, 1)``.

    Returns:
        An uncompiled `keras.Model` named ``face_encoder``.

    Raises:
        ValueError: for a bad argument.

    Taught in notebooks/16_face_recognition.ipynb.

    Examples:
        >>> model = face_encoder((25, 25, 1), embedding_dim=16, filters=(4, 8))
        >>> model.output_shape
        (None, 16)
    """
    embedding_dim = check_int("embedding_dim", embedding_dim, 1, MAX_COUNT)
    inputs, x, _ = _small_trunk(input_shape, filters, dropout, "face_encoder")
    _dense_size("embedding_dim", x, embedding_dim)
    x = layers.Dense(embedding_dim, name="embedding")(x)
    x = layers.UnitNormalization(axis=-1, dtype="float32", name="l2_normalize")(x)
    return keras.Model(inputs, x, name="face_encoder")


# --------------------------------------------------------------------------------------
# U-Net (notebook 15: semantic segmentation)
# --------------------------------------------------------------------------------------


def unet_model(
    input_size: tuple[int, int, int] = (96, 128, 3),
    n_filters: int = 32,
    n_classes: int = 23,
    *,
    batch_norm: bool = False,
) -> keras.Model:
    """The course's U-Net for semantic segmentation: ``(m, H, W, C)`` -> ``(m, H, W, n_classes)``.

    Four contracting `cvutils.blocks.conv_block` s with ``n, 2n, 4n, 8n`` filters (dropout 0.3
    on the fourth), a bottleneck ``conv_block`` with ``16n`` filters (dropout 0.3, no
    pooling), four `cvutils.blocks.upsampling_block` s with ``8n, 4n, 2n, n`` filters, each
    joined to the skip connection of the same size, then a 3x3 convolution with ``n`` filters
    (relu, same, he_normal) and a 1x1 convolution with ``n_classes`` filters. The output is
    one *logit* per class and pixel (no softmax): train with
    ``SparseCategoricalCrossentropy(from_logits=True)`` and read labels with
    `cvutils.segmentation.create_mask`. The default has 8,640,471 parameters, as in the course.

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        input_size: ``(H, W, C)``; ``H`` and ``W`` multiples of 16 (four poolings by 2).
        n_filters: ``n``, the filters of the first block, an integer >= 1.
        n_classes: the number of classes, an integer >= 1.
        batch_norm: not in the course: every 3x3 convolution of the blocks and the head
            becomes Conv 3x3 (no bias) -> BatchNormalization -> ReLU (``batch_norm`` of
            `cvutils.blocks.conv_block`); ``False``, the default, is the course's network.

    Returns:
        An uncompiled `keras.Model` named ``unet``.

    Raises:
        ValueError: for a bad argument (a side that is not a multiple of 16, ...).

    Examples:
        >>> unet_model((32, 48, 3), n_filters=2, n_classes=4).output_shape
        (None, 32, 48, 4)
    """
    shape = _input_shape(
        input_size,
        ((2, 2, 0),) * 4,
        "the U-Net (four 2x2 max-pools)",
        multiple=16,
        name="input_size",
    )
    n = check_int("n_filters", n_filters, 1, 4096)
    n_classes = check_int("n_classes", n_classes, 1, MAX_COUNT)
    bn = check_bool("batch_norm", batch_norm)
    inputs = keras.Input(shape)
    cblock1 = blocks.conv_block(inputs, n, batch_norm=bn)
    cblock2 = blocks.conv_block(cblock1[0], 2 * n, batch_norm=bn)
    cblock3 = blocks.conv_block(cblock2[0], 4 * n, batch_norm=bn)
    cblock4 = blocks.conv_block(cblock3[0], 8 * n, dropout_prob=0.3, batch_norm=bn)
    cblock5 = blocks.conv_block(
        cblock4[0], 16 * n, dropout_prob=0.3, max_pooling=False, batch_norm=bn
    )
    ublock6 = blocks.upsampling_block(cblock5[0], cblock4[1], 8 * n, batch_norm=bn)
    ublock7 = blocks.upsampling_block(ublock6, cblock3[1], 4 * n, batch_norm=bn)
    ublock8 = blocks.upsampling_block(ublock7, cblock2[1], 2 * n, batch_norm=bn)
    ublock9 = blocks.upsampling_block(ublock8, cblock1[1], n, batch_norm=bn)
    conv9 = blocks._unet_conv(ublock9, n, bn)
    check_size("n_filters and n_classes", (n + 1) * n_classes, detail=" in the output layer")
    conv10 = layers.Conv2D(n_classes, 1, padding="same")(conv9)
    return keras.Model(inputs=inputs, outputs=conv10, name="unet")


# --------------------------------------------------------------------------------------
# ResNet-9, the network of the CIFAR-10 speed-runs (notebook 08, "Training fast")
# --------------------------------------------------------------------------------------


#: ResNet-9's downsampling: three 2x2 max-pools (the 3x3 convolutions keep the size).
_RESNET9_STEPS: tuple[Step, ...] = ((2, 2, 0), (2, 2, 0), (2, 2, 0))


def _conv_bn_relu(x: Any, filters: int, name: str) -> Any:
    """Conv 3x3 "same" without bias -> BatchNormalization -> ReLU, layers named ``name_*``."""
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def resnet9(
    input_shape: tuple[int, int, int] = (32, 32, 3),
    n_classes: int = 10,
    width: int = 64,
    *,
    classes: int | None = None,
) -> keras.Model:
    """ResNet-9 of David Page's CIFAR-10 speed-runs ("How to train your ResNet", 2018).

    ``(m, n_H, n_W, n_C)`` images -> ``(m, n_classes)`` **logits** (no softmax), with ``w`` the
    ``width``::

        prep:   conv-BN-ReLU (w)                                         (32, 32, w)
        layer1: conv-BN-ReLU (2w) -> MaxPool 2 -> + residual(2 x conv-BN-ReLU (2w))
                                                                          (16, 16, 2w)
        layer2: conv-BN-ReLU (4w) -> MaxPool 2                            (8, 8, 4w)
        layer3: conv-BN-ReLU (8w) -> MaxPool 2 -> + residual(2 x conv-BN-ReLU (8w))
                                                                          (4, 4, 8w)
        head:   GlobalMaxPool -> Dense(n_classes) -> x 0.125 (Rescaling)    (classes,)

    Every convolution is 3x3, "same", without bias (the batch norm that follows has one); a
    residual adds ``x + conv_bn_relu(conv_bn_relu(x))``. The batch norms use Page's (PyTorch's)
    settings, moving-average momentum 0.9 and epsilon 1e-5: Keras's default momentum 0.99 would
    need thousands of steps to forget the initial moving statistics, more than a short run has.
    The head's ``Dense`` and ``Rescaling(0.125)`` layers compute in float32
    (``dtype="float32"``), so that under the ``mixed_float16`` policy the logits, the softmax
    of the loss and its gradient stay in float32 while the convolutions run in float16. Train
    with a cross-entropy with ``from_logits=True``. The 0.125 scale is Page's: it keeps the
    initial logits small, so the first large learning rates do not saturate the softmax.

    With ``width=64`` it has ``3*3*(3*64 + 64*128 + 2*128*128 + 128*256 + 256*512 +
    2*512*512) = 6,563,520`` convolution weights, ``4*(64 + 3*128 + 256 + 3*512) = 8,960``
    batch-norm values (half of them trainable) and ``512*10 + 10`` dense weights: 6,577,610.

    Taught in notebooks/08_residual_networks.ipynb.

    Args:
        input_shape: ``(n_H, n_W, n_C)``; each side at least 8, so that the three 2x2
            max-pools leave at least one pixel.
        n_classes: number of classes, an integer >= 1 (``n_classes``, its old name, still works).
        width: ``w``, the filters of the first convolution, an integer in ``1..4096``.

    Returns:
        An uncompiled `keras.Model` named ``resnet9``.

    Raises:
        ValueError: for a bad argument (an input smaller than 8x8, ``width`` < 1, ...).

    Examples:
        >>> model = resnet9((8, 8, 3), n_classes=4, width=2)
        >>> model.output_shape
        (None, 4)
    """
    shape = _input_shape(input_shape, _RESNET9_STEPS, "ResNet-9 (three 2x2 max-pools)")
    n_classes = _n_classes(n_classes, 10, classes)
    w = check_int("width", width, 1, 4096)
    inputs = keras.Input(shape, name="input")
    x = _conv_bn_relu(inputs, w, "prep")
    stages = (("layer1", 2 * w, True), ("layer2", 4 * w, False), ("layer3", 8 * w, True))
    for name, filters, residual in stages:
        x = _conv_bn_relu(x, filters, name)
        x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
        if residual:
            r = _conv_bn_relu(x, filters, f"{name}_res1")
            r = _conv_bn_relu(r, filters, f"{name}_res2")
            x = layers.Add(name=f"{name}_add")([x, r])
    x = layers.GlobalMaxPooling2D(name="pool")(x)
    _dense_size("n_classes", x, n_classes)
    x = layers.Dense(n_classes, dtype="float32", name="logits")(x)
    x = layers.Rescaling(0.125, dtype="float32", name="scale")(x)
    return keras.Model(inputs, x, name="resnet9")
