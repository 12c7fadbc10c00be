"""Bad-input specs of `cvutils.models`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from typing import Any

from bad_input.registry import _mod, spec

# --- models: small inputs and few classes (a model is built by every accepted call)


@spec("models.lenet5", costly=True)
def _():
    return _mod("models").lenet5, dict(input_shape=(32, 32, 1), n_classes=3, modern=True)


@spec("models.alexnet", costly=True)
def _():
    return _mod("models").alexnet, dict(input_shape=(67, 67, 3), n_classes=3)


@spec("models.vgg16", costly=True)
def _():
    return _mod("models").vgg16, dict(input_shape=(32, 32, 3), classes=3)


@spec("models.resnet50", costly=True)
def _():
    return _mod("models").resnet50, dict(input_shape=(40, 40, 3), classes=3, pooling="course")


@spec("models.resnet_cifar", costly=True)
def _():
    return _mod("models").resnet_cifar, dict(
        depth=8, n_classes=3, plain=False, input_shape=(16, 16, 3)
    )


@spec("models.mobilenet_v1", costly=True)
def _():
    return _mod("models").mobilenet_v1, dict(
        input_shape=(32, 32, 3), alpha=0.25, n_classes=3, dropout=0.1
    )


@spec("models.mobilenet_v2", costly=True)
def _():
    return _mod("models").mobilenet_v2, dict(input_shape=(32, 32, 3), alpha=0.35, classes=3)


_TINY: dict[str, Any] = {}


def tiny_model():
    """conv 3x3 (4) -> max-pool -> flatten -> dense softmax (3) on (8, 8, 1), built once.

    The functions under test only read it (none trains it), so one instance serves all.
    """
    if "model" not in _TINY:
        import keras

        keras.utils.set_random_seed(0)
        inputs = keras.Input((8, 8, 1))
        x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
        x = keras.layers.MaxPooling2D(2, name="pool")(x)
        x = keras.layers.Flatten(name="flat")(x)
        outputs = keras.layers.Dense(3, activation="softmax", name="dense")(x)
        _TINY["model"] = keras.Model(inputs, outputs)
    return _TINY["model"]


@spec("models.tiny_yolo", costly=True)
def _():
    return _mod("models").tiny_yolo, dict(
        input_shape=(32, 32, 3),
        num_anchors=2,
        n_classes=2,
        filters=(4, 8),
        head_filters=8,
        name="ty",
    )


@spec("models.localization_net", costly=True)
def _():
    return _mod("models").localization_net, dict(
        input_shape=(16, 16, 3), n_classes=2, filters=(4, 8), dense=8, dropout=0.1
    )


@spec("models.landmark_net", costly=True)
def _():
    return _mod("models").landmark_net, dict(
        input_shape=(16, 16, 3), n_keypoints=2, filters=(4, 8), dense=8, dropout=0.0
    )


# --- notebook 18: neural style transfer
@spec("models.vgg19_features", costly=True)
def _():
    return _mod("models").vgg19_features, dict(
        layer_names=["block1_conv1", "block2_conv1"], input_shape=(32, 32, 3), weights=None, seed=0
    )


@spec("models.face_encoder", costly=True)
def _():
    return _mod("models").face_encoder, dict(
        input_shape=(16, 16, 1), embedding_dim=8, filters=(4, 8), dropout=0.0
    )


@spec("models.unet_model", costly=True)
def _():
    return _mod("models").unet_model, dict(
        input_size=(16, 16, 3), n_filters=1, n_classes=2, batch_norm=True
    )


# --- notebook 08: the ResNet-9 speed-run (models.resnet9, optim.one_cycle, optim.OneCycle)


@spec("models.resnet9", costly=True)
def _():
    return _mod("models").resnet9, dict(input_shape=(8, 8, 3), n_classes=3, width=2)
