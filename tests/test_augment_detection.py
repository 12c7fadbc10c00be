"""Box-preserving detection augmentation (cvutils.augment, notebook 14) against NumPy."""

import numpy as np
import pytest
import tensorflow as tf
from refusals import assert_refused

from cvutils.augment import (
    random_flip_boxes,
    random_scale_translate,
    scale_translate_boxes,
    shift_images,
)
from cvutils.synthetic import make_shapes

DATA = make_shapes(6, image_size=32, max_objects=3, seed=7)


def _mask_box(mask):
    """The xyxy pixel box of a boolean mask (pixel j spans [j, j + 1))."""
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], float)


def _padded(i):
    return DATA.images[i], DATA.boxes[i], DATA.class_ids[i]


@pytest.mark.parametrize("i", range(3))
def test_flip_twice_is_identity_and_matches_numpy(i):
    image, boxes, ids = _padded(i)
    once = random_flip_boxes(image, boxes, ids, [0, 0], probability=1.0)
    np.testing.assert_array_equal(once[0].numpy(), image[:, ::-1])
    k = DATA.num_objects[i]
    expected = boxes[:k].copy()
    expected[:, [0, 2]] = 32 - boxes[:k, [2, 0]]
    np.testing.assert_allclose(once[1].numpy()[:k], expected)
    for j in range(k):  # the mask's box, flipped, is the box of the flipped mask (exactly)
        mask = DATA.instance_masks[i, j]
        flipped = random_flip_boxes(
            mask[..., None].astype(np.uint8), _mask_box(mask)[None], [0], [0, 0], probability=1.0
        )
        np.testing.assert_array_equal(flipped[0].numpy()[..., 0], mask[:, ::-1])
        np.testing.assert_allclose(flipped[1].numpy()[0], _mask_box(mask[:, ::-1]))
    assert (once[1].numpy()[k:] == 0).all() and (once[2].numpy()[k:] == -1).all()
    twice = random_flip_boxes(*once, [0, 0], probability=1.0)
    np.testing.assert_array_equal(twice[0].numpy(), image)
    np.testing.assert_allclose(twice[1].numpy(), boxes, rtol=1e-6)
    np.testing.assert_array_equal(twice[2].numpy(), ids)


def test_flip_probability_zero_and_half():
    image, boxes, ids = _padded(0)
    same = random_flip_boxes(image, boxes, ids, [5, 6], probability=0.0)
    np.testing.assert_array_equal(same[0].numpy(), image)
    flips = [
        bool((random_flip_boxes(image, boxes, ids, [s, 1])[0].numpy() != image).any())
        for s in range(40)
    ]
    assert 10 <= sum(flips) <= 30  # about half, and the same seed gives the same draw
    again = random_flip_boxes(image, boxes, ids, [3, 1])[0].numpy()
    np.testing.assert_array_equal(again, random_flip_boxes(image, boxes, ids, [3, 1])[0].numpy())


@pytest.mark.parametrize("shift", [(0, 0), (3, -2), (-5, 4), (7, 7)])
def test_integer_translation_moves_image_and_boxes_like_the_masks(shift):
    tx, ty = shift
    for i in range(len(DATA)):
        image, boxes, ids = _padded(i)
        out, b, c = scale_translate_boxes(
            image, boxes, ids, 1.0, shift, interpolation="nearest", min_visible=0.01
        )
        np.testing.assert_array_equal(out.numpy(), shift_images(image[None], ty, tx)[0])
        for j in range(DATA.num_objects[i]):
            mask = DATA.instance_masks[i, j]
            moved = shift_images(mask[None], ty, tx)[0]
            moved_box = boxes[j] + [tx, ty, tx, ty]
            if (moved_box[:2] >= 0).all() and (moved_box[2:] <= 32).all():
                np.testing.assert_allclose(b.numpy()[j], moved_box, atol=1e-4)
            # the mask's box, translated then clipped, holds the box of the translated mask
            # (equal to it unless clipping cut a triangle's corner off)
            _, mb, mc = scale_translate_boxes(
                mask[..., None].astype(np.uint8),
                _mask_box(mask)[None],
                [1],
                1.0,
                shift,
                min_visible=0.01,
            )
            if not moved.any():
                assert mc.numpy()[0] == -1
                continue
            got, ref = mb.numpy()[0], _mask_box(moved)
            assert (got[:2] <= ref[:2] + 1e-4).all() and (got[2:] >= ref[2:] - 1e-4).all()
            if (moved_box[:2] >= 0).all() and (moved_box[2:] <= 32).all():
                np.testing.assert_allclose(got, ref, atol=1e-4)


@pytest.mark.parametrize("scale", [0.7, 1.3])
def test_scaling_matches_the_scaled_mask(scale):
    for i in range(3):
        image, boxes, ids = _padded(i)
        k = DATA.num_objects[i]
        masks = DATA.instance_masks[i, :k].transpose(1, 2, 0).astype(np.uint8)
        mk, _, _ = scale_translate_boxes(
            masks, boxes[:k], ids[:k], scale, (0, 0), interpolation="nearest"
        )
        _, b, c = scale_translate_boxes(image, boxes, ids, scale, (0, 0), min_visible=0.01)
        for j in range(k):
            if c.numpy()[j] >= 0 and mk.numpy()[..., j].any():
                np.testing.assert_allclose(b.numpy()[j], _mask_box(mk.numpy()[..., j]), atol=1.5)
                centre = np.array([16, 16, 16, 16])
                expected = np.clip(scale * (boxes[j] - centre) + centre, 0, 32)
                np.testing.assert_allclose(b.numpy()[j], expected, rtol=1e-5, atol=1e-4)


def test_boxes_pushed_out_are_dropped_and_the_rest_clipped():
    image = np.zeros((20, 20, 3), np.uint8)
    boxes = np.array([[2, 2, 6, 6], [10, 10, 18, 14], [0, 0, 0, 0]], np.float32)
    ids = np.array([0, 2, -1])
    _, b, c = scale_translate_boxes(image, boxes, ids, 1.0, (-4, 0), min_visible=0.5)
    # box 0 keeps (0, 2, 2, 6): half of its area, kept; box 1 moves inside
    np.testing.assert_allclose(b.numpy(), [[0, 2, 2, 6], [6, 10, 14, 14], [0, 0, 0, 0]])
    np.testing.assert_array_equal(c.numpy(), [0, 2, -1])
    _, b, c = scale_translate_boxes(image, boxes, ids, 1.0, (-5, 0), min_visible=0.5)
    np.testing.assert_array_equal(c.numpy(), [-1, 2, -1])  # a quarter left: dropped
    np.testing.assert_allclose(b.numpy()[0], 0)


def test_random_scale_translate_in_a_tf_data_pipeline_keeps_boxes_inside():
    ds = tf.data.Dataset.from_tensor_slices((DATA.images, DATA.boxes, DATA.class_ids))
    ds = ds.enumerate().map(
        lambda n, t: random_scale_translate(*t, tf.stack([n, tf.constant(9, tf.int64)]))
    )
    for (image, b, c), i in zip(ds, range(len(DATA)), strict=True):
        assert image.shape == (32, 32, 3) and image.dtype == tf.uint8
        b, c = b.numpy(), c.numpy()
        assert ((b >= 0) & (b <= 32)).all()
        assert (b[c >= 0, 2] > b[c >= 0, 0]).all() and (b[c < 0] == 0).all()
        assert set(c[c >= 0]) <= set(DATA.class_ids[i][DATA.class_ids[i] >= 0])
    fn = tf.function(random_flip_boxes)
    out = fn(*_padded(1), tf.constant([1, 2]))
    eager = random_flip_boxes(*_padded(1), [1, 2])
    np.testing.assert_allclose(out[1].numpy(), eager[1].numpy())


def test_inputs_are_not_changed():
    image, boxes, ids = (a.copy() for a in _padded(2))
    random_scale_translate(image, boxes, ids, [1, 1])
    random_flip_boxes(image, boxes, ids, [1, 1], probability=1.0)
    np.testing.assert_array_equal(image, DATA.images[2])
    np.testing.assert_array_equal(boxes, DATA.boxes[2])


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: random_flip_boxes(np.zeros((4, 4)), np.zeros((1, 4)), [0], [0, 0]), "image"),
        (lambda: random_flip_boxes(np.zeros((4, 4, 1)), np.zeros((1, 3)), [0], [0, 0]), "boxes"),
        (
            lambda: random_flip_boxes(np.zeros((4, 4, 1)), np.zeros((2, 4)), [0], [0, 0]),
            "class_ids",
        ),
        (
            lambda: random_flip_boxes(np.zeros((4, 4, 1)), np.zeros((1, 4)), [0.5], [0, 0]),
            "class_ids",
        ),
        (lambda: random_flip_boxes(np.zeros((4, 4, 1)), np.zeros((1, 4)), [0], [0]), "seed"),
        (
            lambda: random_flip_boxes(
                np.zeros((4, 4, 1)), np.zeros((1, 4)), [0], [0, 0], probability=2
            ),
            "probability",
        ),
        (
            lambda: scale_translate_boxes(np.zeros((4, 4, 1)), np.zeros((1, 4)), [0], 0.0, (0, 0)),
            "scale",
        ),
        (
            lambda: scale_translate_boxes(np.zeros((4, 4, 1)), np.zeros((1, 4)), [0], 1.0, (0,)),
            "shift",
        ),
        (
            lambda: random_scale_translate(
                np.zeros((4, 4, 1)), np.zeros((1, 4)), [0], [0, 0], scale_range=(2, 1)
            ),
            "scale_range[1]",
        ),
        (
            lambda: random_flip_boxes(np.zeros((4, 4, 1)), [[0, 0, np.nan, 1]], [0], [0, 0]),
            "boxes",
        ),
    ],
)
def test_refusals(call, name):
    assert_refused(call, name)
