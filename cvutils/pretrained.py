"""Pretrained ImageNet weights of the Keras applications the notebooks use, and the class names.

* `imagenet_weights`: the weight file of VGG16, VGG19 or MobileNetV2 (notebooks 10, 17, 18),
  for ``keras.applications.<App>(weights=str(path))``;
* `imagenet_class_names`: the 1000 class names by id (notebook 17).

Both fetch through `cvutils.downloads` with Keras's URLs and digests (``CVUTILS_MIRROR``
stands in when set) and raise `cvutils.datasets.OfflineError` in fast mode without touching
the network. `cvutils.datasets` re-exports them.
"""

from __future__ import annotations

from pathlib import Path

from cvutils.checks import check_bool, check_choice
from cvutils.datasets import (
    _download_or_offline,
    _refuse_in_fast_mode,
)

__all__ = ["IMAGENET_CLASS_INDEX", "IMAGENET_WEIGHTS", "imagenet_class_names", "imagenet_weights"]


# ----------------------------------------------------------------------------- ImageNet
# (notebooks 10, 17 and 18: Keras applications with ImageNet weights)

_KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications"
#: The ImageNet weight files of the Keras applications the notebooks use: ``(name,
#: include_top) -> (URL, MD5)``, exactly as keras/src/applications/*.py fetch them (Keras
#: pins MD5 digests for VGG; it pins none for MobileNetV2, and none could be found in an
#: authoritative source, so those files are fetched unverified and their SHA-256 printed).
IMAGENET_WEIGHTS = {
    ("vgg16", True): (
        f"{_KERAS_APPS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "64373286793e3c8b2b4e3219cbf3544b",
    ),
    ("vgg16", False): (
        f"{_KERAS_APPS}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    ("vgg19", True): (
        f"{_KERAS_APPS}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        "cbe5617147190e668d6c5d5026f83318",
    ),
    ("vgg19", False): (
        f"{_KERAS_APPS}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "253f8cb515780f3b799900260a226db6",
    ),
    ("mobilenet_v2", True): (
        f"{_KERAS_APPS}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
        None,
    ),
    ("mobilenet_v2", False): (
        f"{_KERAS_APPS}/mobilenet_v2/"
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5",
        None,
    ),
}
#: Keras's ImageNet class index (``{"0": ["n01440764", "tench"], ...}``) and the MD5 that
#: keras/src/applications/imagenet_utils.py pins for it.
IMAGENET_CLASS_INDEX = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
    "c2c37ea517e94d9795004a39431a14cb",
)
_IMAGENET_OFFLINE = (
    "there are no offline ImageNet weights; in fast mode the notebooks use randomly "
    "initialised networks (weights=None) instead."
)


def imagenet_weights(name: str, include_top: bool = True) -> Path:
    """The ImageNet weight file of the Keras application ``name``, fetched once and cached.

    Returns a `Path` to the legacy ``.h5`` file that ``keras.applications.<App>(weights=
    str(path), include_top=include_top, ...)`` loads: VGG16 and VGG19 (any input size
    without the top, 224 x 224 with it) and MobileNetV2 at ``alpha=1.0`` (160 x 160 without
    the top, 224 x 224 with it). It is fetched through `download` from Keras's URL (from
    ``CVUTILS_MIRROR`` when set) and checked against the MD5 Keras pins (`IMAGENET_WEIGHTS`;
    MobileNetV2's files have none).

    Args:
        name: ``"vgg16"``, ``"vgg19"`` or ``"mobilenet_v2"``.
        include_top: the file with the 1000-class classifier (True) or without it.

    Raises:
        ValueError: for a bad argument.
        OfflineError: fast mode (nothing is fetched), or the network is not reachable.
        RuntimeError: the file's checksum does not match.

    Used in notebooks/10_transfer_learning_and_augmentation.ipynb, 17 and 18.
    """
    name = check_choice("name", name, tuple(sorted({k[0] for k in IMAGENET_WEIGHTS})))
    include_top = check_bool("include_top", include_top)
    url, md5 = IMAGENET_WEIGHTS[(name, include_top)]
    _refuse_in_fast_mode(f"the ImageNet weights of {name}", _IMAGENET_OFFLINE)
    return _download_or_offline(
        url, None, None, _IMAGENET_OFFLINE, md5=md5, trust_unpinned=md5 is None, timeout=600.0
    )


def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet class names by class id, from Keras's ``imagenet_class_index.json``.

    Returns a tuple of 1000 ``str`` (id 281 is ``"tabby"``), read from the file that
    ``keras.applications.imagenet_utils.decode_predictions`` uses (`IMAGENET_CLASS_INDEX`),
    fetched once through `download` (MD5 checked, cached; from ``CVUTILS_MIRROR`` when set).

    Raises:
        OfflineError: fast mode (nothing is fetched), or the network is not reachable.
        RuntimeError: the file's checksum does not match, or it does not list 1000 classes.

    Taught in notebooks/17_what_convnets_learn.ipynb.
    """
    import json

    url, md5 = IMAGENET_CLASS_INDEX
    _refuse_in_fast_mode("Keras's ImageNet class index", _IMAGENET_OFFLINE)
    path = _download_or_offline(url, None, None, _IMAGENET_OFFLINE, md5=md5)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
        names = tuple(str(index[str(i)][1]) for i in range(1000))
    except (ValueError, KeyError, IndexError, TypeError) as err:
        raise RuntimeError(f"{path} does not map the ids 0..999 to [wnid, name]: {err}") from err
    if len(index) != 1000:
        raise RuntimeError(f"{path} lists {len(index)} classes, not 1000.")
    return names
