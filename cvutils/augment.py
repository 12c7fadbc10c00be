"""Simple, exact image transforms used across notebooks (NumPy).

Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.
"""

from __future__ import annotations

import numpy as np

from cvutils.checks import check_array, check_real, describe, fail


def shift_images(images, dy, dx, fill=0):
    """Translates images by whole pixels; what moves out is lost, what moves in is ``fill``.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)`` array of finite real numbers.
        dy: rows to move down (negative: up); an int for all images or ``(N,)`` ints.
        dx: columns to move right (negative: left); an int or ``(N,)`` ints.
        fill: value of the uncovered pixels: a finite real number that the images' dtype
            holds exactly (an integer in range for integer images).

    Returns:
        A new array of the same shape and dtype as ``images`` (the input is not changed).

    Raises:
        ValueError: for a wrong rank, non-integer shifts, shifts of the wrong length or a
            ``fill`` that is None, NaN or not representable in the images' dtype.

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.

    Examples:
        >>> shift_images([[[1, 2, 3]]], 0, 1)[0].tolist()
        [[0, 1, 2]]
    """
    is_bool = getattr(images, "dtype", None) == np.bool_
    x = check_array("images", images, ndim=(3, 4), layout="(N, H, W) or (N, H, W, C)")
    if is_bool:
        x = x.astype(bool)
    n, h, w = x.shape[:3]
    fill = check_real("fill", fill)
    if x.dtype.kind in "iub":
        info = np.iinfo(x.dtype) if x.dtype.kind != "b" else None
        lo, hi = (0, 1) if info is None else (info.min, info.max)
        if fill != int(fill) or not lo <= fill <= hi:
            fail("fill", f"an integer in {lo}..{hi} for images of dtype {x.dtype}", repr(fill))
    shifts = []
    for name, value in (("dy", dy), ("dx", dx)):
        if isinstance(value, bool | np.bool_) or getattr(value, "dtype", None) == np.bool_:
            fail(name, "an int or an array of ints", describe(value), kind=True)
        v = check_array(name, value, ndim=(0, 1), dtype="int", layout="(an int or (N,) ints)")
        v = np.broadcast_to(v, (n,)) if v.ndim == 0 else v
        if v.shape != (n,):
            fail(name, f"an int or an array of shape ({n},)", describe(v))
        shifts.append(v.astype(np.int64))
    sy, sx = shifts
    rows = np.arange(h)[None, :] - sy[:, None]  # source row of each target row, (N, H)
    cols = np.arange(w)[None, :] - sx[:, None]  # (N, W)
    valid = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    out = x[
        np.arange(n)[:, None, None],
        np.clip(rows, 0, h - 1)[:, :, None],
        np.clip(cols, 0, w - 1)[:, None, :],
    ]
    if x.ndim == 4:
        valid = valid[..., None]
    fill_value = np.asarray(int(fill) if x.dtype.kind in "iub" else fill).astype(x.dtype)
    return np.where(valid, out, fill_value).astype(x.dtype, copy=False)


# ----------------------------------------------------------------------------------------
# Box-preserving augmentation for detection (TensorFlow, graph-safe; notebook 14)
# ----------------------------------------------------------------------------------------


def _detection_inputs(image, boxes, class_ids, seed):
    """Checks the common arguments of the detection augmentations; returns tensors."""
    import tensorflow as tf

    from cvutils.checks import check_tensor

    image = check_tensor("image", image)
    if image.shape.rank != 3:
        fail("image", "an (H, W, C) image tensor", f"shape {tuple(image.shape)}")
    if image.dtype == tf.bool:
        fail("image", "an image of numbers", "a bool tensor", kind=True)
    if any(d == 0 for d in image.shape):  # sizes a traced graph knows
        fail("image", "a non-empty (H, W, C) image (each size >= 1)", describe(image))
    boxes = check_tensor("boxes", boxes, dtype="float32")
    if boxes.shape.rank != 2 or boxes.shape[-1] != 4:
        fail("boxes", "an (N, 4) tensor of (x1, y1, x2, y2) pixel boxes", describe(boxes))
    if tf.executing_eagerly() and not bool(tf.reduce_all(tf.math.is_finite(boxes))):
        fail("boxes", "finite pixel boxes", "NaN or infinite values")  # checked when eager
    class_ids = check_tensor("class_ids", class_ids)
    if class_ids.dtype == tf.bool or not class_ids.dtype.is_integer:
        fail("class_ids", "an (N,) tensor of integer class ids", describe(class_ids), kind=True)
    class_ids = tf.cast(class_ids, tf.int64)
    if class_ids.shape.rank != 1:
        fail("class_ids", "an (N,) tensor of class ids (-1 as padding)", describe(class_ids))
    n_b, n_c = boxes.shape[0], class_ids.shape[0]
    if n_b is not None and n_c is not None and n_b != n_c:
        fail("class_ids", f"one class id per box ({n_b})", f"{n_c}")
    seed = check_tensor("seed", seed)
    if (
        seed.dtype == tf.bool
        or not seed.dtype.is_integer
        or not seed.shape.is_compatible_with((2,))
    ):
        fail("seed", "a shape-(2,) integer tensor (a stateless seed)", describe(seed))
    return image, boxes, class_ids, tf.cast(seed, tf.int64)


def random_flip_boxes(image, boxes, class_ids, seed, *, probability=0.5):
    """Mirrors an image left-right, and its boxes with it, with probability ``probability``.

    ``(H, W, C)`` image, ``(N, 4)`` boxes ``(x1, y1, x2, y2)`` in pixels (the `cvutils.boxes`
    ``"xyxy"`` format, pixel ``j`` spans ``[j, j + 1)``), ``(N,)`` class ids with ``-1`` as
    padding -> the same three. A flipped box is ``(W - x2, y1, W - x1, y2)``; padding rows
    stay zero with class ``-1``. Pure TensorFlow and stateless (the same ``seed`` gives the
    same draw), so it runs inside ``tf.data.Dataset.map`` and ``tf.function``.

    Args:
        image: ``(H, W, C)`` tensor or array (any real dtype; kept).
        boxes: ``(N, 4)`` pixel boxes ``(x1, y1, x2, y2)``.
        class_ids: ``(N,)`` integer class ids, ``-1`` for padding.
        seed: shape-``(2,)`` integer tensor, as for ``tf.random.stateless_uniform``.
        probability: the chance of a flip, in ``[0, 1]``.

    Returns:
        ``(image, boxes float32, class_ids int64)``.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> img, b, c = random_flip_boxes(np.zeros((8, 10, 1)), [[1, 2, 4, 6]], [0], [1, 2],
        ...                               probability=1.0)
        >>> b.numpy().tolist(), c.numpy().tolist()
        ([[6.0, 2.0, 9.0, 6.0]], [0])
    """
    import tensorflow as tf

    probability = check_real("probability", probability, low=0, high=1, high_open=False)
    image, boxes, class_ids, seed = _detection_inputs(image, boxes, class_ids, seed)
    width = tf.cast(tf.shape(image)[1], tf.float32)
    flip = tf.random.stateless_uniform((), seed) < probability
    flipped = tf.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], 1)
    valid = (class_ids >= 0)[:, None]
    new_boxes = tf.where(flip & valid, flipped, tf.where(valid, boxes, 0.0))
    new_image = tf.cond(flip, lambda: tf.reverse(image, [1]), lambda: tf.identity(image))
    return new_image, new_boxes, tf.where(class_ids >= 0, class_ids, -1)


def scale_translate_boxes(
    image, boxes, class_ids, scale, shift, *, min_visible=0.5, fill=0.0, interpolation="bilinear"
):
    """Zooms an image about its centre by ``scale``, then shifts it by ``shift`` pixels.

    A point ``(x, y)`` goes to ``(s (x - W/2) + W/2 + t_x, s (y - H/2) + H/2 + t_y)``; so do
    the corners of every box. Boxes are then clipped to the image; a box that keeps less
    than ``min_visible`` of its area (or none) is dropped: its row becomes zeros with class
    ``-1`` (rows are not reordered). Uncovered pixels get ``fill``. Graph-safe TensorFlow.

    Args:
        image: ``(H, W, C)`` tensor or array (any real dtype; kept).
        boxes: ``(N, 4)`` pixel boxes ``(x1, y1, x2, y2)``.
        class_ids: ``(N,)`` integer class ids, ``-1`` for padding.
        scale: the zoom factor ``s > 0`` (a float or a scalar tensor).
        shift: ``(t_x, t_y)`` in pixels (a pair or a ``(2,)`` tensor).
        min_visible: the fraction of a box's area that must stay in the image, in ``(0, 1]``.
        fill: the value of uncovered pixels.
        interpolation: ``"bilinear"`` or ``"nearest"``.

    Returns:
        ``(image, boxes float32, class_ids int64)``.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> img, b, c = scale_translate_boxes(np.zeros((10, 10, 1)), [[2, 2, 4, 4], [6, 0, 9, 3]],
        ...                                   [1, 2], 2.0, (1, 0))
        >>> b.numpy().tolist(), c.numpy().tolist()
        ([[0.0, 0.0, 4.0, 3.0], [0.0, 0.0, 0.0, 0.0]], [1, -1])
    """
    import tensorflow as tf

    from cvutils.checks import check_choice, check_tensor

    min_visible = check_real("min_visible", min_visible, low=0, low_open=True, high=1)
    fill = check_real("fill", fill)
    interpolation = check_choice("interpolation", interpolation, ("bilinear", "nearest"))
    image, boxes, class_ids, _ = _detection_inputs(image, boxes, class_ids, [0, 0])
    if not hasattr(scale, "dtype") or isinstance(scale, np.generic):  # a number, not a tensor
        check_real("scale", scale, low=0, low_open=True, high=1e6)
    elif getattr(scale.dtype, "name", str(scale.dtype)) == "bool":
        fail("scale", "a zoom factor > 0 (a number, not a flag)", describe(scale), kind=True)
    scale = check_tensor("scale", scale, dtype="float32")
    if scale.shape.rank != 0:
        fail("scale", "a scalar zoom factor > 0", describe(scale))
    if isinstance(shift, list | tuple):
        for k, v in enumerate(shift):
            check_real(f"shift[{k}]", v, low=-1e6, high=1e6)
    shift = check_tensor("shift", shift, dtype="float32")
    if shift.shape != (2,):
        fail("shift", "a pair (t_x, t_y) in pixels", describe(shift))
    shape = tf.shape(image)
    h, w = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
    tx, ty = shift[0], shift[1]
    # output pixel index i' (centre at i' + 0.5) samples the input at index
    # i = i' / s + ((0.5 - W/2 - t) / s + W/2 - 0.5)
    transform = tf.stack(
        [
            1 / scale,
            0.0,
            (0.5 - w / 2 - tx) / scale + w / 2 - 0.5,
            0.0,
            1 / scale,
            (0.5 - h / 2 - ty) / scale + h / 2 - 0.5,
            0.0,
            0.0,
        ]
    )
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(image, tf.float32)[None],
        transforms=transform[None],
        output_shape=shape[:2],
        fill_value=fill,
        interpolation=interpolation.upper(),
        fill_mode="CONSTANT",
    )[0]
    if image.dtype.is_integer:
        out = tf.round(out)
    new_image = tf.cast(out, image.dtype)
    centre = tf.stack([w / 2, h / 2, w / 2, h / 2])
    moved = scale * (boxes - centre) + centre + tf.stack([tx, ty, tx, ty])
    clipped = tf.clip_by_value(moved, 0.0, tf.stack([w, h, w, h]))

    def area(b):
        return tf.maximum(b[:, 2] - b[:, 0], 0.0) * tf.maximum(b[:, 3] - b[:, 1], 0.0)

    kept_area = area(clipped)
    keep = (class_ids >= 0) & (kept_area > 0) & (kept_area >= min_visible * area(moved))
    new_boxes = tf.where(keep[:, None], clipped, 0.0)
    return new_image, new_boxes, tf.where(keep, class_ids, -1)


def random_scale_translate(
    image, boxes, class_ids, seed, *, scale_range=(0.8, 1.2), max_shift=0.2, min_visible=0.5
):
    """`scale_translate_boxes` with a random zoom and shift (stateless, graph-safe).

    ``s ~ U(scale_range)``; ``t_x ~ U(-max_shift W, max_shift W)``, ``t_y`` likewise with
    ``H``. Uncovered pixels are 0 (black), never a reflection, which would paint copies of
    objects that have no box.

    Args:
        image: ``(H, W, C)`` tensor or array.
        boxes: ``(N, 4)`` pixel boxes ``(x1, y1, x2, y2)``.
        class_ids: ``(N,)`` integer class ids, ``-1`` for padding.
        seed: shape-``(2,)`` integer tensor.
        scale_range: ``(low, high)`` zoom factors, ``0 < low <= high <= 10``.
        max_shift: the largest shift as a fraction of the image's side, in ``[0, 1]``.
        min_visible: see `scale_translate_boxes`.

    Returns:
        ``(image, boxes float32, class_ids int64)``.

    Taught in notebooks/14_training_a_yolo_detector.ipynb.

    Examples:
        >>> out = random_scale_translate(np.zeros((16, 16, 3)), [[4, 4, 12, 12]], [0], [3, 4])
        >>> [tuple(t.shape) for t in out]
        [(16, 16, 3), (1, 4), (1,)]
    """
    import tensorflow as tf

    if isinstance(scale_range, str | bytes) or not isinstance(scale_range, list | tuple):
        fail("scale_range", "a pair (low, high)", describe(scale_range), kind=True)
    if len(scale_range) != 2:
        fail("scale_range", "a pair (low, high)", describe(scale_range))
    lo = check_real("scale_range[0]", scale_range[0], low=0, low_open=True, high=10)
    hi = check_real("scale_range[1]", scale_range[1], low=lo, high=10)
    max_shift = check_real("max_shift", max_shift, low=0, high=1)
    image, boxes, class_ids, seed = _detection_inputs(image, boxes, class_ids, seed)
    u = tf.random.stateless_uniform((3,), seed)
    hw = tf.cast(tf.shape(image)[1::-1][:2], tf.float32)  # (W, H)
    scale = lo + (hi - lo) * u[0]
    shift = (2 * u[1:] - 1) * max_shift * hw
    return scale_translate_boxes(image, boxes, class_ids, scale, shift, min_visible=min_visible)


PAD_MODES = ("reflect", "constant")


def pad_crop_flip(image, seed, *, pad=4, cutout=0, pad_mode="reflect"):
    """One image, randomly cropped, flipped and cut out: ``(H, W, C)`` -> ``(H, W, C)``.

    Pads by ``pad`` pixels on each side, crops a random ``H x W`` window, flips it left-right
    with probability 1/2 and, if ``cutout > 0``, sets a random ``cutout x cutout`` square to
    zero (it may stick out of the image, as in DeVries & Taylor's cutout). Pure TensorFlow
    and stateless: the same ``seed`` gives the same image, so it runs inside
    ``tf.data.Dataset.map`` on one image at a time (before ``.batch``: each image gets its own
    crop; a random layer applied after ``.batch`` crops a whole batch alike).

    Args:
        image: ``(H, W, C)`` float tensor or array.
        seed: shape-``(2,)`` integer tensor, as for ``tf.random.stateless_uniform``.
        pad: pixels of padding on each side, ``>= 0``.
        cutout: side of the square set to zero, ``0`` for none.
        pad_mode: ``"reflect"`` (mirror the border, needs ``pad < min(H, W)``) or
            ``"constant"`` (zeros, as the ResNet paper pads).

    Returns:
        A float32 tensor of the image's shape.

    Taught in notebooks/08_residual_networks.ipynb.
    """
    import tensorflow as tf

    from cvutils.checks import check_choice, check_int, check_tensor

    pad = check_int("pad", pad, 0, 1 << 12)
    cutout = check_int("cutout", cutout, 0, 1 << 12)
    pad_mode = check_choice("pad_mode", pad_mode, PAD_MODES)
    image = check_tensor("image", image, dtype="float32")
    if image.shape.rank != 3 or any(d == 0 for d in image.shape):
        fail("image", "a non-empty (H, W, C) image tensor", f"shape {tuple(image.shape)}")
    if pad_mode == "reflect" and None not in image.shape[:2] and pad >= min(image.shape[:2]):
        fail("pad", f"less than the image's sides {tuple(image.shape[:2])} to reflect", str(pad))
    seed = check_tensor("seed", seed)
    if seed.dtype == tf.bool or not seed.dtype.is_integer or not seed.shape.is_compatible_with(2):
        fail("seed", "a shape-(2,) integer tensor (a stateless seed)", describe(seed))
    crop_seed, flip_seed, cut_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], mode=pad_mode.upper())
    image = tf.image.stateless_random_crop(padded, tf.shape(image), seed=crop_seed)
    image = tf.image.stateless_random_flip_left_right(image, seed=flip_seed)
    if cutout == 0:
        return image
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    spans = tf.cast(tf.stack([height, width]) + cutout - 1, tf.float32)  # corner positions
    corner = tf.cast(tf.random.stateless_uniform([2], cut_seed) * spans, tf.int32) - cutout + 1
    top, left = corner[0], corner[1]
    rows, cols = tf.range(height)[:, None], tf.range(width)[None, :]
    inside = (rows >= top) & (rows < top + cutout) & (cols >= left) & (cols < left + cutout)
    return tf.where(inside[..., None], 0.0, image)


def training_batches(
    images,
    labels,
    batch_size,
    *,
    seed=0,
    pad=4,
    cutout=0,
    pad_mode="reflect",
    augment=True,
    repeat=False,
):
    """A shuffled ``tf.data`` pipeline of ``(m, H, W, C)`` batches, each image augmented alone.

    ``images`` ``(N, H, W, C)`` and ``labels`` ``(N, ...)`` -> batches of ``batch_size``
    (the last partial batch dropped). The images are cached, reshuffled every epoch, then each
    one gets its own `pad_crop_flip` (seeds from ``tf.data.Dataset.random``, new each epoch)
    before batching, and batches are prefetched. Reproducible for a given ``seed``.

    Args:
        images: ``(N, H, W, C)`` float array.
        labels: ``(N, ...)`` array (class ids or one-hot rows).
        batch_size: images per batch, ``1 <= batch_size <= N``.
        seed: seed of the shuffle and of the augmentation.
        pad, cutout, pad_mode: as in `pad_crop_flip`.
        augment: False: shuffled batches of the images as they are.
        repeat: repeat forever (for ``fit`` with ``steps_per_epoch``).

    Returns:
        A ``tf.data.Dataset`` of ``(images, labels)`` batches.

    Taught in notebooks/08_residual_networks.ipynb.
    """
    import tensorflow as tf

    from cvutils.checks import check_bool, check_int, check_same_length

    x = check_array("images", images, ndim=4, layout="(N, H, W, C)").astype("float32")
    if 0 in x.shape[1:]:
        fail("images", "(N, H, W, C) images with H, W, C >= 1", f"shape {x.shape}")
    y = check_array("labels", labels, min_ndim=1)
    n = check_same_length("images", x, "labels", y)
    batch_size = check_int("batch_size", batch_size, 1, max(n, 1))
    seed = check_int("seed", seed, 0, 2**31 - 1)
    augment = check_bool("augment", augment)
    repeat = check_bool("repeat", repeat)
    if augment:  # checks pad, cutout and pad_mode against these images, before any graph
        pad_crop_flip(x[0], [0, seed], pad=pad, cutout=cutout, pad_mode=pad_mode)
    data = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    data = data.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    if augment:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        data = tf.data.Dataset.zip((data, seeds)).map(
            lambda xy, s: (pad_crop_flip(xy[0], s, pad=pad, cutout=cutout, pad_mode=pad_mode),
                           xy[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )  # fmt: skip
    if repeat:
        data = data.repeat()
    return data.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
