"""Synthetic data whose shapes *are* the lesson: 2D shapes with boxes, masks and keypoints;
an ECG-like signal, 3D volumes and tiny videos.

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

1D and 3D data (notebooks/19_1d_and_3d_convolutions.ipynb): `ecg_like` (a heartbeat-like
signal of five Gaussian waves per beat, plus optional white noise), `make_volumes`
(labelled voxel volumes of spheres, cubes and tori, `VOLUME_CLASSES`, as in CT scans) and
`make_moving_shapes` (tiny videos of a square moving in one of the `MOTIONS`).

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cvutils.boxes import FORMATS, convert_boxes, pairwise_iou
from cvutils.checks import (
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_path,
    check_real,
    check_str,
    describe,
    fail,
)

__all__ = [
    "BACKGROUNDS",
    "CLASSES",
    "KEYPOINT_NAMES",
    "MOTIONS",
    "SHAPES",
    "VOLUME_CLASSES",
    "ShapesData",
    "ecg_like",
    "make_moving_shapes",
    "make_shapes",
    "make_volumes",
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
    if side > size:
        return _shrink(crop, size)
    return resize(crop, (size, size), anti_aliasing=False, preserve_range=True)


def _mirror(index: np.ndarray, n: int) -> np.ndarray:
    """Indices reflected into ``0..n-1`` about the edge pixels (``d c b | a b c d | c b``),
    scipy.ndimage's ``"mirror"`` mode."""
    if n == 1:
        return np.zeros_like(index)
    period = 2 * (n - 1)
    index = np.abs(index) % period
    return np.where(index > n - 1, period - index, index)


def _blur_at(values: np.ndarray, at: np.ndarray, axis: int, weights: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.correlate1d(values, weights, axis, mode="mirror")`` at the indices
    ``at`` of ``axis`` only: symmetric ``weights`` (odd length), the sums in float64 in
    scipy's order (centre first, then the pairs from the outermost in), rounded to
    ``values.dtype``."""
    n, r = values.shape[axis], len(weights) // 2
    taps = np.take(values, _mirror(at[None, :] + np.arange(-r, r + 1)[:, None], n), axis=axis)
    taps = np.moveaxis(taps, axis, 0)  # (2r + 1, ...values.shape with len(at) at axis)
    total = taps[r].astype(np.float64) * weights[r]
    for k in range(r, 0, -1):
        total += np.add(taps[r - k], taps[r + k], dtype=np.float64) * weights[r - k]
    return total.astype(values.dtype)


def _shrink(image: np.ndarray, size: int) -> np.ndarray:
    """``skimage.transform.resize(image, (size, size), anti_aliasing=True,
    preserve_range=True)`` of a square ``(side, side, C)`` float image with ``side > size``,
    at a fraction of the cost: the Gaussian anti-aliasing blur is computed only at the rows
    and columns that the bilinear zoom reads (2 per output pixel of ``side`` per axis), the
    same arithmetic in the same order as scikit-image and scipy, so the same numbers
    (tests/test_synthetic.py)."""
    from scipy import ndimage

    side = image.shape[0]
    factors = np.divide(image.shape, (size, size, image.shape[2]))
    sigma = max(0.0, (factors[0] - 1) / 2)  # scikit-image's anti-aliasing sigma
    radius = int(4.0 * float(sigma) + 0.5)  # scipy's truncate=4.0
    x = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / (sigma * sigma) * x**2)
    weights = (phi / phi.sum())[::-1]
    # where the zoom samples; both neighbours of a coordinate that rounds to an integer
    centres = (np.arange(size) + 0.5) * (side / size) - 0.5
    at = np.floor(np.concatenate([centres - 1e-6, centres + 1e-6])).astype(np.int64)
    need = np.unique(np.concatenate([_mirror(at, side), _mirror(at + 1, side)]))
    blurred = _blur_at(_blur_at(image, need, 0, weights), need, 1, weights)
    full = np.zeros(image.shape, image.dtype)  # the zoom reads only the rows and columns set
    full[np.ix_(need, need)] = blurred
    zoom = [1 / f for f in factors]
    out = ndimage.zoom(full, zoom, order=1, mode="mirror", cval=0.0, grid_mode=True)
    return np.clip(out, image.min(), image.max(), out=out)


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


def _check_names(name: str, value: Any, allowed: Sequence[str]) -> tuple[str, ...]:
    """A non-empty sequence of names from ``allowed``, as a tuple; refused by name otherwise."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        fail(name, f"a non-empty tuple of names from {tuple(allowed)}", describe(value), kind=True)
    return tuple(check_choice(f"{name}[{i}]", v, allowed) for i, v in enumerate(value))


def _check_size_range(size_range: Any) -> tuple[float, float]:
    """``(low, high)`` with ``0 < low <= high <= 1``, or the one error naming ``size_range``."""
    if isinstance(size_range, str | bytes) or not isinstance(size_range, Sequence):
        fail("size_range", "a pair (low, high)", describe(size_range), kind=True)
    if len(size_range) != 2:
        fail("size_range", "a pair (low, high)", describe(size_range))
    lo = check_real("size_range[0]", size_range[0], low=0, low_open=True, high=1, high_open=False)
    return lo, check_real("size_range[1]", size_range[1], low=lo, high=1, high_open=False)


def _saturated_colour(rng: np.random.Generator) -> np.ndarray:
    """A random RGB colour in ``[0, 1]`` with one channel near 0 or 1, so it stands out."""
    colour = rng.uniform(0, 1, 3)
    colour[rng.integers(3)] = rng.choice([0.05, 0.95])
    return colour


#: Positions `_place_shapes` tries for one shape before leaving it out.
_PLACEMENT_TRIES = 50


def _place_shapes(rng, classes, size, size_range, wanted, max_overlap) -> list[tuple]:
    """Up to ``wanted`` shapes whose boxes overlap each other by IoU <= ``max_overlap``.

    Each shape draws its class and colour, then up to `_PLACEMENT_TRIES` positions; one that
    finds no place is left out (the first always fits). Returns ``(class id, colour, xyxy
    box, keypoints, inside)`` per placed shape, ``inside`` the mask function of `_shape`.
    """
    placed: list[tuple] = []
    for _ in range(wanted):
        k = int(rng.integers(len(classes)))
        colour = _saturated_colour(rng)
        others = np.array([p[2] for p in placed]).reshape(-1, 4)
        for _ in range(_PLACEMENT_TRIES):
            box, kp, inside = _shape(rng, classes[k], size, *size_range)
            if not placed or pairwise_iou(box[None], others).max() <= max_overlap:
                placed.append((k, colour, box, kp, inside))
                break
    return placed


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
    classes = _check_names("classes", classes, SHAPES)
    if len(set(classes)) != len(classes):
        fail("classes", "distinct names", repr(classes))
    lo, hi = _check_size_range(size_range)
    max_overlap = check_real("max_overlap", max_overlap, low=0, high=1, high_open=False)
    from cvutils.datasets import list_images

    backgrounds = _check_names("backgrounds", backgrounds, list_images())
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
        rng = np.random.default_rng([seed, i])  # image i depends on (seed, i) alone
        canvas = _crop(rng, backgrounds[int(rng.integers(len(backgrounds)))], s)
        wanted = int(rng.integers(min_objects, max_objects + 1))
        placed = _place_shapes(rng, classes, s, (lo, hi), wanted, max_overlap)
        for j, (k, colour, box, kp, inside) in enumerate(placed):  # later shapes paint over
            mask = inside(px, py)
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
    shuffle = check_bool("shuffle", shuffle)
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
    try:
        coco = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        fail("path", "a COCO JSON file", f"{str(path)!r}, which is not JSON ({err})")
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


# ----------------------------------------------------------------------------- 1D and 3D data
# Notebook 19 (1D and 3D convolutions): an ECG-like signal, volumes of 3D shapes (as in CT
# scans) and tiny videos of a moving square.


#: The 3D shapes `make_volumes` can draw.
VOLUME_CLASSES = ("sphere", "cube", "torus")
#: The directions of `make_moving_shapes`, as (row, column) steps per frame.
MOTIONS = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}

#: One heartbeat as five Gaussian waves: (name, centre in beats after the R peak, width in
#: beats, amplitude): P, Q, R, S and T, roughly the textbook lead-II shape.
_ECG_WAVES = (
    ("P", -0.22, 0.030, 0.12),
    ("Q", -0.035, 0.012, -0.12),
    ("R", 0.0, 0.014, 1.0),
    ("S", 0.035, 0.012, -0.25),
    ("T", 0.30, 0.055, 0.30),
)


def ecg_like(
    n_samples: int = 1000,
    *,
    fs: float = 250.0,
    heart_rate: float = 72.0,
    noise: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """An ECG-like signal ``(n_samples,)``: a train of P-QRS-T heartbeats plus Gaussian noise.

    Each beat is a sum of five Gaussians (the P, Q, R, S and T waves) placed relative to its
    R peak; R peaks lie at ``t = (k + 0.5) * 60 / heart_rate`` seconds (k = 0, 1, ...) and have
    height about 1 (the neighbouring Q and S waves pull it down by about 0.01). The noise is
    white, with standard deviation ``noise``. It is not a real recording: it is the shape a
    smoothing filter is taught on.

    Args:
        n_samples: the number of samples, ``1..10**7``.
        fs: the sampling rate in Hz, in ``(0, 10**5]``.
        heart_rate: beats per minute, in ``[20, 300]``.
        noise: the standard deviation of the added white noise, >= 0.
        seed: the seed of the noise.

    Returns:
        ``(t, x)``: the times in seconds ``(n_samples,)`` and the signal ``(n_samples,)``,
        both float64.

    Taught in notebooks/19_1d_and_3d_convolutions.ipynb.

    Examples:
        >>> t, x = ecg_like(250, fs=250.0, heart_rate=60.0)
        >>> round(float(t[int(np.argmax(x))]), 3), round(float(x.max()), 2)
        (0.5, 0.99)
    """
    n_samples = check_int("n_samples", n_samples, minimum=1, maximum=10**7)
    fs = check_real("fs", fs, low=0.0, low_open=True, high=1e5, high_open=False)
    heart_rate = check_real("heart_rate", heart_rate, low=20.0, high=300.0, high_open=False)
    noise = check_real("noise", noise, low=0.0, high=1e6)
    seed = check_int("seed", seed, minimum=0)
    period = 60.0 / heart_rate
    t = np.arange(n_samples) / fs
    phase = t / period - 0.5  # in beats after the nearest R peak: R peaks at phase 0, 1, ...
    offset = phase - np.round(phase)
    x = np.zeros(n_samples)
    for _, centre, width, amplitude in _ECG_WAVES:
        for shift in (-1.0, 0.0, 1.0):  # waves reaching into the neighbouring beats
            x += amplitude * np.exp(-0.5 * ((offset - centre + shift) / width) ** 2)
    if noise > 0:
        x = x + noise * np.random.default_rng(seed).standard_normal(n_samples)
    return t, x


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random 3x3 rotation matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _solid(rng: np.random.Generator, kind: str, size: int, grid: np.ndarray) -> np.ndarray:
    """A boolean ``(size, size, size)`` mask of one randomly placed, sized and turned shape.

    ``grid`` holds the voxel centres ``(size, size, size, 3)``; a voxel is on when its centre
    lies inside the shape.
    """
    if kind == "sphere":
        radius = rng.uniform(0.2, 0.32) * size
        extent = radius
    elif kind == "cube":
        half = rng.uniform(0.14, 0.2) * size
        extent = half * np.sqrt(3)
    else:  # torus: a ring of major radius R and tube radius r, with a hole of R - r
        major = rng.uniform(0.22, 0.3) * size
        minor = max(1.0, rng.uniform(0.07, 0.1) * size)
        extent = major + minor
    margin = extent + 0.5  # the border voxels stay off
    centre = rng.uniform(margin, size - margin, 3) if size > 2 * margin else np.full(3, size / 2)
    local = (grid - centre) @ _random_rotation(rng)  # coordinates along the shape's own axes
    if kind == "sphere":
        return np.sum(local**2, axis=-1) <= radius**2
    if kind == "cube":
        return np.max(np.abs(local), axis=-1) <= half
    ring = np.sqrt(local[..., 0] ** 2 + local[..., 1] ** 2) - major
    return ring**2 + local[..., 2] ** 2 <= minor**2


def _balanced_labels(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``n`` labels in ``0..k-1``, each class ``n // k`` or ``n // k + 1`` times, shuffled."""
    return rng.permutation(np.arange(n) % k).astype(np.int64)


def make_volumes(
    n: int,
    size: int = 16,
    classes: tuple[str, ...] = VOLUME_CLASSES,
    *,
    noise: float = 0.2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Volumes ``(n, size, size, size, 1)`` of one 3D shape each, in noise, as in a CT scan.

    Each volume holds one solid shape of intensity 1 on a background of 0, plus white
    Gaussian noise of standard deviation ``noise``: a ``"sphere"`` (radius 0.2-0.32 of
    ``size``), a ``"cube"`` (side 0.28-0.4 of ``size``, turned at random) or a ``"torus"``
    (a ring of radius 0.22-0.3 and tube radius 0.07-0.1 of ``size``, at least one voxel,
    turned at random, with a hole at its centre). Positions are random with the whole shape
    inside the volume (its border voxels stay off). Volume ``i`` depends only on ``seed``,
    ``i`` and its label, and the labels are balanced (each class ``n // k`` or ``n // k + 1``
    times, shuffled).

    Args:
        n: the number of volumes, ``0..100_000``.
        size: the side ``D = H = W``, ``8..128``.
        classes: class names from `VOLUME_CLASSES`, distinct; label ``k`` is ``classes[k]``.
        noise: the standard deviation of the noise, in ``[0, 10]``.
        seed: the random seed.

    Returns:
        ``(volumes, labels)``: float32 ``(n, size, size, size, 1)`` and int64 ``(n,)``.

    Taught in notebooks/19_1d_and_3d_convolutions.ipynb.

    Examples:
        >>> v, y = make_volumes(6, size=12, noise=0.0, seed=1)
        >>> v.shape, v.dtype.name, np.bincount(y).tolist()
        ((6, 12, 12, 12, 1), 'float32', [2, 2, 2])
    """
    n = check_int("n", n, minimum=0, maximum=100_000)
    size = check_int("size", size, minimum=8, maximum=128)
    classes = _check_names("classes", classes, VOLUME_CLASSES)
    if len(set(classes)) != len(classes):
        fail("classes", "distinct names", repr(classes))
    noise = check_real("noise", noise, low=0.0, high=10.0, high_open=False)
    seed = check_int("seed", seed, minimum=0)
    labels = _balanced_labels(np.random.default_rng([seed, 2**31]), n, len(classes))
    grid = np.stack(np.meshgrid(*[np.arange(size) + 0.5] * 3, indexing="ij"), axis=-1)
    volumes = np.zeros((n, size, size, size, 1), np.float32)
    for i, label in enumerate(labels):
        rng = np.random.default_rng([seed, i])
        solid = _solid(rng, classes[label], size, grid).astype(np.float32)
        volumes[i, ..., 0] = solid + noise * rng.standard_normal(solid.shape)
    return volumes, labels


def make_moving_shapes(
    n: int,
    frames: int = 8,
    size: int = 16,
    *,
    square: int = 3,
    directions: tuple[str, ...] = tuple(MOTIONS),
    noise: float = 0.1,
    seed: int = 0,
    boundary: str = "wrap",
) -> tuple[np.ndarray, np.ndarray]:
    """Tiny videos ``(n, frames, size, size, 1)`` of a square moving one pixel per frame.

    Each video shows a bright ``square x square`` square (intensity 1) that moves one pixel
    per frame in one of ``directions`` (see `MOTIONS`), plus white Gaussian noise of standard
    deviation ``noise``. The label is the direction. With ``boundary="wrap"`` (the default)
    the square starts anywhere, uniformly, whatever its direction, and leaves one side of the
    frame to come back on the other (the frame is a torus): every single frame then has the
    same distribution in every class, so no single frame tells the direction, only time does
    (a video is a volume ``time x height x width``). With ``boundary="inside"`` it starts
    where it stays wholly inside every frame; then the start depends on the direction (a
    square moving right starts in the left part), and a single frame does carry a clue.
    Labels are balanced and shuffled; video ``i`` depends only on ``seed``, ``i``, its label
    and ``boundary``.

    Args:
        n: the number of videos, ``0..100_000``.
        frames: frames per video ``T``, ``2..64``.
        size: the side ``H = W`` of a frame, ``4..128``; with ``boundary="inside"`` at
            least ``square + frames - 1``.
        square: the side of the square, ``1..size``.
        directions: names from `MOTIONS`, distinct; label ``k`` is ``directions[k]``.
        noise: the standard deviation of the noise, in ``[0, 10]``.
        seed: the random seed.
        boundary: ``"wrap"`` (leave one side, come back on the other) or ``"inside"``
            (start where the square stays wholly inside every frame).

    Returns:
        ``(videos, labels)``: float32 ``(n, frames, size, size, 1)`` and int64 ``(n,)``.

    Taught in notebooks/19_1d_and_3d_convolutions.ipynb.

    Examples:
        >>> v, y = make_moving_shapes(4, frames=5, size=10, noise=0.0, seed=0)
        >>> v.shape, sorted(y.tolist()), float(v[0, 0].sum())
        ((4, 5, 10, 10, 1), [0, 1, 2, 3], 9.0)
    """
    n = check_int("n", n, minimum=0, maximum=100_000)
    frames = check_int("frames", frames, minimum=2, maximum=64)
    size = check_int("size", size, minimum=4, maximum=128)
    square = check_int("square", square, minimum=1, maximum=size)
    boundary = check_choice("boundary", boundary, ("wrap", "inside"))
    if boundary == "inside" and square + frames - 1 > size:
        fail(
            "size",
            f"at least square + frames - 1 = {square + frames - 1} with boundary='inside'",
            str(size),
        )
    directions = _check_names("directions", directions, tuple(MOTIONS))
    if len(set(directions)) != len(directions):
        fail("directions", "distinct names", repr(directions))
    noise = check_real("noise", noise, low=0.0, high=10.0, high_open=False)
    seed = check_int("seed", seed, minimum=0)
    labels = _balanced_labels(np.random.default_rng([seed, 2**31]), n, len(directions))
    videos = np.zeros((n, frames, size, size, 1), np.float32)
    travel = frames - 1
    for i, label in enumerate(labels):
        rng = np.random.default_rng([seed, i])
        step = np.array(MOTIONS[directions[label]])
        if boundary == "wrap":  # anywhere, whatever the direction
            start = rng.integers(0, size, 2)
        else:  # the range along each axis keeps the square inside at the first and last frame
            low = np.where(step < 0, travel, 0)
            high = size - square - np.where(step > 0, travel, 0)
            start = np.array([rng.integers(lo, hi + 1) for lo, hi in zip(low, high, strict=True)])
        for t in range(frames):
            rows, cols = (start[:, None] + t * step[:, None] + np.arange(square)) % size
            videos[i, t, rows[:, None], cols[None, :], 0] = 1.0
        videos[i] += noise * rng.standard_normal(videos[i].shape).astype(np.float32)
    return videos, labels
