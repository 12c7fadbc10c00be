"""Synthetic detection data whose shapes *are* the lesson: boxes, masks and keypoints.

`make_shapes` paints 1..N coloured shapes (circles, squares, triangles, and optionally
ellipses and rectangles) of random size, colour and position on crops of real photos and
textures shipped with scikit-image, and returns everything a detection, segmentation or
landmark lesson needs: images, boxes in a named format, class ids, instance and semantic
masks, and keypoints (a triangle's vertices and centroid, a square's corners, a circle's
top, right, bottom and left points). The same seed gives the same arrays, and image ``i``
does not depend on how many images are asked for.

`to_tf_dataset` feeds them to Keras through ``tf.data``; `write_coco` and `read_coco` store
them as COCO JSON (PNG images, uncompressed RLE masks, keypoints), so real COCO-style data
can be swapped in.

Conventions: pixel ``(row, col)`` covers ``[col, col + 1) x [row, row + 1)``; a mask pixel
is on when its centre lies inside the shape; boxes are the shape's exact extent in pixels
(so every mask pixel centre lies inside its box). Instance masks are whole shapes (also
where a later shape covers them); the semantic mask shows what is visible: ``0`` for the
background and ``class_id + 1`` for a shape.

Taught in notebooks/13_yolo_building_blocks.ipynb, notebooks/14_training_a_yolo_detector.ipynb,
notebooks/15_semantic_segmentation_unet.ipynb and notebooks/11_localization_and_landmarks.ipynb.

Examples:
    >>> data = make_shapes(2, image_size=32, max_objects=2, seed=0)
    >>> data.images.shape, data.boxes.shape, data.keypoints.shape
    ((2, 32, 32, 3), (2, 2, 4), (2, 2, 4, 2))
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cvutils.boxes import FORMATS, convert_boxes, pairwise_iou
from cvutils.checks import (
    check_array,
    check_choice,
    check_int,
    check_path,
    check_real,
    check_str,
    fail,
)

__all__ = [
    "BACKGROUNDS",
    "CLASSES",
    "KEYPOINT_NAMES",
    "SHAPES",
    "ShapesData",
    "make_shapes",
    "read_coco",
    "to_tf_dataset",
    "write_coco",
]

#: Every shape `make_shapes` can draw.
SHAPES = ("circle", "square", "triangle", "ellipse", "rectangle")
#: The default classes.
CLASSES = ("circle", "square", "triangle")
#: The default backgrounds (names of `cvutils.datasets.load_image`).
BACKGROUNDS = ("brick", "grass", "gravel", "camera", "astronaut", "coffee", "chelsea")
#: The four keypoints of each shape, in order.
KEYPOINT_NAMES = {
    "circle": ("top", "right", "bottom", "left"),
    "ellipse": ("top", "right", "bottom", "left"),
    "square": ("top_left", "top_right", "bottom_right", "bottom_left"),
    "rectangle": ("top_left", "top_right", "bottom_right", "bottom_left"),
    "triangle": ("vertex_1", "vertex_2", "vertex_3", "centroid"),
}


@dataclass(frozen=True)
class ShapesData:
    """A detection data set, padded to ``max_objects`` objects per image.

    Attributes:
        images: ``(n, H, W, 3)`` uint8 RGB.
        boxes: ``(n, max_objects, 4)`` float32 pixel boxes in ``box_format`` (0 as padding).
        class_ids: ``(n, max_objects)`` int64 in ``0..len(class_names)-1``, -1 as padding.
        num_objects: ``(n,)`` int64, the objects of each image (the first ones).
        instance_masks: ``(n, max_objects, H, W)`` bool, one whole shape each.
        semantic_masks: ``(n, H, W)`` uint8, 0 background, ``class_id + 1`` the visible shape.
        keypoints: ``(n, max_objects, 4, 2)`` float32 pixel ``(x, y)`` (NaN as padding).
        class_names: the name of each class id.
        box_format: the format of ``boxes`` (`cvutils.boxes.FORMATS`).

    Taught in notebooks/13_yolo_building_blocks.ipynb.
    """

    images: np.ndarray
    boxes: np.ndarray
    class_ids: np.ndarray
    num_objects: np.ndarray
    instance_masks: np.ndarray
    semantic_masks: np.ndarray
    keypoints: np.ndarray
    class_names: tuple[str, ...]
    box_format: str

    def __len__(self) -> int:
        return len(self.images)

    def objects(self, i: int) -> dict[str, np.ndarray]:
        """The unpadded objects of image ``i``: boxes, class_ids, instance_masks, keypoints."""
        i = check_int("i", i, minimum=0, maximum=len(self) - 1)
        k = int(self.num_objects[i])
        return {
            "boxes": self.boxes[i, :k],
            "class_ids": self.class_ids[i, :k],
            "instance_masks": self.instance_masks[i, :k],
            "keypoints": self.keypoints[i, :k],
        }


@functools.lru_cache(maxsize=16)
def _background(name: str) -> np.ndarray:
    from cvutils.datasets import load_image

    image, _ = load_image(name)
    image = image.astype(np.float32) / 255
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return image[..., :3]


def _crop(rng: np.random.Generator, name: str, size: int) -> np.ndarray:
    from skimage.transform import resize

    image = _background(name)
    h, w = image.shape[:2]
    side = int(rng.integers(min(size, h, w), min(h, w) + 1))
    top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = image[top : top + side, left : left + side]
    return resize(crop, (size, size), anti_aliasing=side > size, preserve_range=True)


def _shape(rng, kind: str, size: int, lo: float, hi: float):
    """One shape: (xyxy box, keypoints (4, 2), mask function of pixel centres)."""
    w = rng.uniform(lo, hi) * size
    aspect = {"triangle": (0.7, 1.4), "ellipse": (0.5, 2.0), "rectangle": (0.4, 2.5)}
    h = w * (rng.uniform(*aspect[kind]) if kind in aspect else 1.0)
    w, h = min(w, size), min(h, size)
    x0, y0 = rng.uniform(0, size - w), rng.uniform(0, size - h)
    x1, y1 = x0 + w, y0 + h
    cx, cy = x0 + w / 2, y0 + h / 2
    if kind in ("circle", "ellipse"):
        kp = [(cx, y0), (x1, cy), (cx, y1), (x0, cy)]

        def inside(px, py):
            return ((px - cx) / (w / 2)) ** 2 + ((py - cy) / (h / 2)) ** 2 <= 1

    elif kind in ("square", "rectangle"):
        kp = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]

        def inside(px, py):
            return (px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)

    else:  # triangle: one vertex on the top edge, one at bottom-left, one on the right edge
        v = np.array(
            [(x0 + rng.uniform(0.2, 0.8) * w, y0), (x0, y1), (x1, y0 + rng.uniform(0.5, 1) * h)]
        )
        kp = [*map(tuple, v), tuple(v.mean(axis=0))]

        def inside(px, py):
            signs = [
                (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0])
                for a, b in ((v[0], v[1]), (v[1], v[2]), (v[2], v[0]))
            ]
            return ((signs[0] >= 0) & (signs[1] >= 0) & (signs[2] >= 0)) | (
                (signs[0] <= 0) & (signs[1] <= 0) & (signs[2] <= 0)
            )

    return np.array([x0, y0, x1, y1]), np.array(kp), inside


def make_shapes(
    n_images: int,
    image_size: int = 64,
    max_objects: int = 3,
    *,
    min_objects: int = 1,
    classes: tuple[str, ...] = CLASSES,
    size_range: tuple[float, float] = (0.15, 0.45),
    max_overlap: float = 0.3,
    backgrounds: tuple[str, ...] = BACKGROUNDS,
    box_format: str = "xyxy",
    seed: int = 0,
) -> ShapesData:
    """Generates ``n_images`` images of coloured shapes on real backgrounds.

    Args:
        n_images: the number of images.
        image_size: the side ``H = W`` of each square image, >= 8.
        max_objects: the most shapes in an image.
        min_objects: the fewest shapes *asked for* in an image (a shape that finds no place
            overlapping the others by at most ``max_overlap`` after 50 tries is left out,
            but the first one always fits); 0 allows background-only images (no object,
            the course's ``p_c = 0``): each image asks for ``min_objects..max_objects``
            shapes, uniformly.
        classes: the class names, from `SHAPES`; class id ``k`` is ``classes[k]``.
        size_range: ``(low, high)`` widths as fractions of ``image_size``.
        max_overlap: the largest IoU between two shapes' boxes, in ``[0, 1]``.
        backgrounds: names of `cvutils.datasets.load_image` images to crop backgrounds from.
        box_format: the format of the returned boxes (`cvutils.boxes.FORMATS`).
        seed: the random seed.

    Returns:
        A `ShapesData`.

    Taught in notebooks/13_yolo_building_blocks.ipynb (background-only images in
    notebooks/11_localization_and_landmarks.ipynb).

    Examples:
        >>> a = make_shapes(3, image_size=24, seed=5)
        >>> b = make_shapes(3, image_size=24, seed=5)
        >>> bool((a.images == b.images).all()), bool(a.semantic_masks.max() <= 3)
        (True, True)
    """
    n_images = check_int("n_images", n_images, minimum=0, maximum=100_000)
    image_size = check_int("image_size", image_size, minimum=8, maximum=4096)
    max_objects = check_int("max_objects", max_objects, minimum=1, maximum=100)
    min_objects = check_int("min_objects", min_objects, minimum=0, maximum=max_objects)
    if isinstance(classes, str) or not classes:
        fail("classes", f"a non-empty tuple of names from {SHAPES}", repr(classes), kind=True)
    classes = tuple(check_choice("classes[]", c, SHAPES) for c in classes)
    if len(set(classes)) != len(classes):
        fail("classes", "distinct names", repr(classes))
    lo = check_real("size_range[0]", size_range[0], low=0, low_open=True, high=1, high_open=False)
    hi = check_real("size_range[1]", size_range[1], low=lo, high=1, high_open=False)
    max_overlap = check_real("max_overlap", max_overlap, low=0, high=1, high_open=False)
    if isinstance(backgrounds, str) or not backgrounds:
        fail("backgrounds", "a non-empty tuple of image names", repr(backgrounds), kind=True)
    from cvutils.datasets import list_images

    backgrounds = tuple(check_choice("backgrounds[]", b, list_images()) for b in backgrounds)
    check_choice("box_format", box_format, FORMATS)
    seed = check_int("seed", seed, minimum=0)

    s = image_size
    images = np.zeros((n_images, s, s, 3), np.uint8)
    boxes = np.zeros((n_images, max_objects, 4), np.float32)
    class_ids = np.full((n_images, max_objects), -1, np.int64)
    counts = np.zeros(n_images, np.int64)
    inst = np.zeros((n_images, max_objects, s, s), bool)
    sem = np.zeros((n_images, s, s), np.uint8)
    kps = np.full((n_images, max_objects, 4, 2), np.nan, np.float32)
    py, px = np.mgrid[0:s, 0:s] + 0.5
    for i in range(n_images):
        rng = np.random.default_rng([seed, i])
        canvas = _crop(rng, backgrounds[int(rng.integers(len(backgrounds)))], s)
        wanted = int(rng.integers(min_objects, max_objects + 1))
        placed: list[np.ndarray] = []
        for _ in range(wanted):
            k = int(rng.integers(len(classes)))
            colour = rng.uniform(0, 1, 3)
            colour[rng.integers(3)] = rng.choice([0.05, 0.95])  # saturated: stands out
            for _ in range(50):
                box, kp, inside = _shape(rng, classes[k], s, lo, hi)
                if not placed or pairwise_iou(box[None], np.array(placed)).max() <= max_overlap:
                    break
            else:
                continue
            mask = inside(px, py)
            j = len(placed)
            placed.append(box)
            canvas[mask] = colour
            sem[i][mask] = k + 1
            inst[i, j], kps[i, j], class_ids[i, j] = mask, kp, k
            boxes[i, j] = convert_boxes(box[None], "xyxy", box_format)[0]
        counts[i] = len(placed)
        images[i] = np.clip(np.round(canvas * 255), 0, 255).astype(np.uint8)
    return ShapesData(images, boxes, class_ids, counts, inst, sem, kps, classes, box_format)


def to_tf_dataset(
    data: ShapesData,
    batch_size: int = 32,
    *,
    shuffle: bool = False,
    seed: int = 0,
    targets: Any = None,
):
    """A ``tf.data.Dataset`` of ``(image, target)`` batches from a `ShapesData`.

    Args:
        data: the data set.
        batch_size: images per batch.
        shuffle: shuffle the images each epoch (reproducibly, with ``seed``).
        seed: the shuffle seed.
        targets: ``(n, ...)`` per-image targets (e.g. stacked `cvutils.yolo.encode_targets`);
            None gives a dict of ``boxes``, ``class_ids`` and ``num_objects``.

    Returns:
        A dataset of ``(images float32 in [0, 1] (b, H, W, 3), targets)``.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> ds = to_tf_dataset(make_shapes(3, image_size=16, seed=0), batch_size=2)
        >>> [tuple(x.shape) for x, _ in ds]
        [(2, 16, 16, 3), (1, 16, 16, 3)]
    """
    import tensorflow as tf

    if not isinstance(data, ShapesData):
        fail("data", "a ShapesData", type(data).__name__, kind=True)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if targets is None:
        y = {"boxes": data.boxes, "class_ids": data.class_ids, "num_objects": data.num_objects}
    else:
        y = check_array("targets", targets, min_ndim=1, dtype=np.float32)
        if len(y) != len(data):
            fail("targets", f"one target per image ({len(data)})", f"{len(y)}")
    ds = tf.data.Dataset.from_tensor_slices((data.images, y))
    if shuffle:
        ds = ds.shuffle(len(data), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).map(
        lambda x, t: (tf.cast(x, tf.float32) / 255.0, t), num_parallel_calls=tf.data.AUTOTUNE
    )


def _rle(mask: np.ndarray) -> dict:
    """COCO uncompressed RLE: run lengths of the column-major mask, starting with zeros."""
    flat = mask.flatten(order="F").astype(np.int8)
    size = [int(v) for v in mask.shape]
    if flat.size == 0:
        return {"counts": [], "size": size}
    edges = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate([[0], edges, [flat.size]])).tolist()
    return {"counts": ([0] if flat[0] else []) + [int(r) for r in runs], "size": size}


def _unrle(rle: dict) -> np.ndarray:
    h, w = rle["size"]
    values = np.arange(len(rle["counts"])) % 2
    flat = np.repeat(values, rle["counts"]).astype(bool)
    if flat.size != h * w:
        fail("segmentation", f"RLE counts summing to {h * w}", f"{flat.size}")
    return flat.reshape((h, w), order="F")


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_coco(data: ShapesData, directory: Any, *, name: str = "annotations.json") -> Path:
    """Writes a `ShapesData` as COCO: PNG images and one JSON file (written atomically).

    Boxes become COCO ``[x, y, width, height]``, masks uncompressed RLE (column-major),
    keypoints ``[x, y, 2, ...]``; category ids are ``class_id + 1``. Annotations keep the
    painting order, so `read_coco` rebuilds the semantic masks exactly.

    Args:
        data: the data set.
        directory: the folder to write to (created if needed).
        name: the JSON file's name.

    Returns:
        The path of the JSON file.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.
    """
    from PIL import Image

    from cvutils.checks import check_filename

    if not isinstance(data, ShapesData):
        fail("data", "a ShapesData", type(data).__name__, kind=True)
    directory = check_path("directory", directory, kind="dir")
    check_filename("name", name)
    directory.mkdir(parents=True, exist_ok=True)
    xyxy_all = convert_boxes(data.boxes.reshape(-1, 4), data.box_format, "xyxy").reshape(
        data.boxes.shape
    )
    coco: dict[str, Any] = {
        "info": {"description": "cvutils.synthetic shapes", "version": "1"},
        "images": [],
        "annotations": [],
        "categories": [
            {"id": k + 1, "name": c, "supercategory": "shape", "keypoints": list(KEYPOINT_NAMES[c])}
            for k, c in enumerate(data.class_names)
        ],
    }
    for i in range(len(data)):
        file_name = f"{i:06d}.png"
        buffer = Image.fromarray(data.images[i])
        _atomic_write(directory / file_name, lambda f, b=buffer: b.save(f, format="PNG"))
        h, w = data.images.shape[1:3]
        coco["images"].append({"id": i + 1, "file_name": file_name, "height": h, "width": w})
        for j in range(int(data.num_objects[i])):
            x1, y1, x2, y2 = (float(v) for v in xyxy_all[i, j])
            kp = np.concatenate([data.keypoints[i, j], np.full((4, 1), 2.0)], axis=1)
            coco["annotations"].append(
                {
                    "id": len(coco["annotations"]) + 1,
                    "image_id": i + 1,
                    "category_id": int(data.class_ids[i, j]) + 1,
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "area": int(data.instance_masks[i, j].sum()),
                    "iscrowd": 0,
                    "segmentation": _rle(data.instance_masks[i, j]),
                    "keypoints": [float(v) for v in kp.ravel()],
                    "num_keypoints": 4,
                }
            )
    path = directory / name
    _atomic_write(path, lambda f: f.write(json.dumps(coco).encode()))
    return path


def read_coco(path: Any, *, box_format: str = "xyxy") -> ShapesData:
    """Reads COCO JSON (and its images) written by `write_coco`, or real COCO-style data.

    Every image must have the same size. Annotations are taken in file order; the semantic
    mask paints them in that order. Annotations without keypoints get NaN keypoints, without
    a segmentation a box-shaped mask.

    Args:
        path: the JSON file; image ``file_name`` s are relative to its folder.
        box_format: the format of the returned boxes.

    Returns:
        A `ShapesData`.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.
    """
    from PIL import Image

    path = check_path("path", path, must_exist=True, kind="file")
    check_choice("box_format", box_format, FORMATS)
    coco = json.loads(path.read_text())
    for key in ("images", "annotations", "categories"):
        if key not in coco:
            fail("path", "a COCO JSON file with images, annotations and categories", f"no {key!r}")
    cats = sorted(coco["categories"], key=lambda c: c["id"])
    class_index = {c["id"]: k for k, c in enumerate(cats)}
    names = tuple(check_str("category name", c["name"]) for c in cats)
    images = [
        np.asarray(Image.open(path.parent / im["file_name"]).convert("RGB"))
        for im in coco["images"]
    ]
    if len({im.shape for im in images}) > 1:
        fail("path", "images of one size", str(sorted({im.shape for im in images})))
    index = {im["id"]: i for i, im in enumerate(coco["images"])}
    per_image: list[list[dict]] = [[] for _ in images]
    for ann in coco["annotations"]:
        per_image[index[ann["image_id"]]].append(ann)
    n = len(images)
    h, w = images[0].shape[:2] if n else (0, 0)
    m = max([len(a) for a in per_image] + [1])
    boxes = np.zeros((n, m, 4), np.float32)
    class_ids = np.full((n, m), -1, np.int64)
    inst = np.zeros((n, m, h, w), bool)
    sem = np.zeros((n, h, w), np.uint8)
    kps = np.full((n, m, 4, 2), np.nan, np.float32)
    for i, anns in enumerate(per_image):
        for j, ann in enumerate(anns):
            x, y, bw, bh = ann["bbox"]
            xyxy = np.array([[x, y, x + bw, y + bh]])
            boxes[i, j] = convert_boxes(xyxy, "xyxy", box_format)[0]
            class_ids[i, j] = class_index[ann["category_id"]]
            seg = ann.get("segmentation")
            if isinstance(seg, dict) and isinstance(seg.get("counts"), list):
                inst[i, j] = _unrle(seg)
            else:
                inst[i, j, int(y) : int(np.ceil(y + bh)), int(x) : int(np.ceil(x + bw))] = True
            sem[i][inst[i, j]] = class_ids[i, j] + 1
            if ann.get("keypoints"):
                kps[i, j] = np.asarray(ann["keypoints"], np.float32).reshape(-1, 3)[:4, :2]
    counts = np.array([len(a) for a in per_image], np.int64)
    stack = np.stack(images) if n else np.zeros((0, 0, 0, 3), np.uint8)
    return ShapesData(stack, boxes, class_ids, counts, inst, sem, kps, names, box_format)
