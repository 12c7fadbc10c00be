"""Tests of cvutils.synthetic: determinism, masks vs boxes, keypoints, tf.data and COCO."""

from __future__ import annotations

import json

import numpy as np
import pytest
from refusals import assert_refused

from cvutils.boxes import convert_boxes
from cvutils.synthetic import SHAPES, ShapesData, make_shapes, read_coco, to_tf_dataset, write_coco
from cvutils.yolo import encode_targets, kmeans_anchors, mean_best_iou


@pytest.fixture(scope="module")
def data():
    return make_shapes(6, image_size=40, max_objects=4, classes=SHAPES, seed=3)


def test_same_seed_same_arrays_and_prefix_property(data):
    again = make_shapes(6, image_size=40, max_objects=4, classes=SHAPES, seed=3)
    prefix = make_shapes(2, image_size=40, max_objects=4, classes=SHAPES, seed=3)
    other = make_shapes(6, image_size=40, max_objects=4, classes=SHAPES, seed=4)
    for field in ("images", "boxes", "class_ids", "instance_masks", "semantic_masks"):
        np.testing.assert_array_equal(getattr(again, field), getattr(data, field))
        np.testing.assert_array_equal(getattr(prefix, field), getattr(data, field)[:2])
    np.testing.assert_array_equal(again.keypoints, data.keypoints)
    assert not np.array_equal(other.images, data.images)


def test_shapes_and_dtypes(data):
    assert data.images.shape == (6, 40, 40, 3) and data.images.dtype == np.uint8
    assert data.boxes.shape == (6, 4, 4) and data.instance_masks.shape == (6, 4, 40, 40)
    assert data.semantic_masks.shape == (6, 40, 40) and data.keypoints.shape == (6, 4, 4, 2)
    assert ((data.num_objects >= 1) & (data.num_objects <= 4)).all()
    for i in range(len(data)):
        k = data.num_objects[i]
        assert (data.class_ids[i, :k] >= 0).all() and (data.class_ids[i, k:] == -1).all()
        assert not data.instance_masks[i, k:].any() and np.isnan(data.keypoints[i, k:]).all()


def test_masks_consistent_with_boxes(data):
    centres = np.mgrid[0:40, 0:40] + 0.5  # (row, col) pixel centres
    for i in range(len(data)):
        expected_sem = np.zeros((40, 40), np.uint8)
        for j in range(data.num_objects[i]):
            x1, y1, x2, y2 = data.boxes[i, j]
            mask = data.instance_masks[i, j]
            assert mask.any()
            ys, xs = centres[0][mask], centres[1][mask]
            assert (xs >= x1).all() and (xs <= x2).all() and (ys >= y1).all() and (ys <= y2).all()
            # the mask fills its box up to a pixel (two at a triangle's sharp vertices)
            tol = 2.0 if data.class_names[data.class_ids[i, j]] == "triangle" else 1.0
            assert xs.min() - x1 <= tol and x2 - xs.max() <= tol
            assert ys.min() - y1 <= tol and y2 - ys.max() <= tol
            expected_sem[mask] = data.class_ids[i, j] + 1
        np.testing.assert_array_equal(data.semantic_masks[i], expected_sem)


def test_keypoints_inside_boxes(data):
    for i in range(len(data)):
        k = data.num_objects[i]
        kp, box = data.keypoints[i, :k], data.boxes[i, :k]
        assert (kp[..., 0] >= box[:, None, 0] - 1e-4).all()
        assert (kp[..., 0] <= box[:, None, 2] + 1e-4).all()
        assert (kp[..., 1] >= box[:, None, 1] - 1e-4).all()
        assert (kp[..., 1] <= box[:, None, 3] + 1e-4).all()


def test_box_format_is_named():
    a = make_shapes(2, image_size=24, seed=1)
    b = make_shapes(2, image_size=24, seed=1, box_format="center_xywh")
    assert b.box_format == "center_xywh"
    np.testing.assert_allclose(
        convert_boxes(b.boxes.reshape(-1, 4), "center_xywh", "xyxy"),
        a.boxes.reshape(-1, 4),
        atol=1e-4,
    )


def test_tf_dataset(data):
    ds = to_tf_dataset(data, batch_size=4, shuffle=True, seed=1)
    batches = list(ds)
    assert [int(x.shape[0]) for x, _ in batches] == [4, 2]
    x, y = batches[0]
    assert float(x.numpy().max()) <= 1.0 and set(y) == {"boxes", "class_ids", "num_objects"}
    targets = np.stack(
        [
            encode_targets(o["boxes"], o["class_ids"], [[1, 1]], (4, 4), 5, (40, 40))
            for o in map(data.objects, range(len(data)))
        ]
    )
    x, y = next(iter(to_tf_dataset(data, batch_size=6, targets=targets)))
    np.testing.assert_allclose(y.numpy(), targets)
    np.testing.assert_allclose(x.numpy(), data.images / 255, atol=1e-6)


def test_coco_round_trip(data, tmp_path):
    path = write_coco(data, tmp_path / "coco")
    assert not list((tmp_path / "coco").glob("*.tmp"))
    coco = json.loads(path.read_text())
    assert len(coco["images"]) == 6 and len(coco["annotations"]) == data.num_objects.sum()
    assert {c["name"] for c in coco["categories"]} == set(SHAPES)
    back = read_coco(path)
    for field in ("images", "class_ids", "num_objects", "instance_masks", "semantic_masks"):
        np.testing.assert_array_equal(getattr(back, field), getattr(data, field))
    np.testing.assert_allclose(back.boxes, data.boxes, atol=1e-4)
    np.testing.assert_allclose(back.keypoints, data.keypoints, atol=1e-5)
    assert back.class_names == data.class_names


def test_kmeans_anchors_beat_hand_picked_on_shapes():
    d = make_shapes(40, image_size=32, max_objects=3, classes=("rectangle", "ellipse"), seed=0)
    xyxy = np.concatenate([d.objects(i)["boxes"] for i in range(len(d))])
    wh = (xyxy[:, 2:] - xyxy[:, :2]) / 8  # in cells of a 4x4 grid
    anchors = kmeans_anchors(wh, 3, seed=0)
    hand = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert mean_best_iou(wh, anchors) > mean_best_iou(wh, hand)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_images=-1), "n_images"),
        (dict(image_size=4), "image_size"),
        (dict(classes=("circle", "hexagon")), "classes"),
        (dict(classes=()), "classes"),
        (dict(size_range=(0.5, 0.2)), "size_range"),
        (dict(max_overlap=-0.1), "max_overlap"),
        (dict(backgrounds=("nowhere",)), "backgrounds"),
        (dict(box_format="xywh"), "box_format"),
        (dict(min_objects=5, max_objects=2), "min_objects"),
    ],
)
def test_bad_input_raises_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_shapes(**(dict(n_images=1, image_size=16) | kwargs))


def test_empty_and_bad_io(tmp_path):
    empty = make_shapes(0, image_size=16)
    assert isinstance(empty, ShapesData) and len(empty) == 0
    with pytest.raises(ValueError, match="path"):
        read_coco(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="data"):
        write_coco({"images": []}, tmp_path)


# Regression tests for what the bad-input sweep found.
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(classes=3), "classes"),
        (dict(classes=("circle", None)), "classes[1]"),
        (dict(backgrounds=True), "backgrounds"),
        (dict(size_range=None), "size_range"),
        (dict(size_range=(0.2,)), "size_range"),
    ],
)
def test_make_shapes_refuses_malformed_options_by_name(kwargs, name):
    assert_refused(lambda: make_shapes(1, 16, **kwargs), name)


def test_read_coco_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "annotations.json"
    path.write_text("student_file,exercise\n")
    assert_refused(lambda: read_coco(path), "path")


# ------------------------------------------ background-only images (min_objects=0, notebook 11)


def test_min_objects_zero_gives_background_only_images(tmp_path):
    data = make_shapes(40, image_size=24, max_objects=1, min_objects=0, seed=2)
    empty = data.num_objects == 0
    assert 5 <= empty.sum() <= 35  # about half of 40 images ask for no shape
    assert set(np.unique(data.num_objects)) == {0, 1}
    assert (data.class_ids[empty] == -1).all() and (data.boxes[empty] == 0).all()
    assert np.isnan(data.keypoints[empty]).all() and not data.instance_masks[empty].any()
    assert (data.semantic_masks[empty] == 0).all()
    assert all(data.images[i].std() > 0 for i in np.flatnonzero(empty))  # a real photo crop
    full = ~empty
    assert (data.class_ids[full, 0] >= 0).all() and data.instance_masks[full, 0].any(
        axis=(1, 2)
    ).all()
    # image i does not depend on how many images are asked for
    prefix = make_shapes(7, image_size=24, max_objects=1, min_objects=0, seed=2)
    np.testing.assert_array_equal(prefix.images, data.images[:7])
    np.testing.assert_array_equal(prefix.num_objects, data.num_objects[:7])
    # an image without objects survives COCO (no annotation) and tf.data
    back = read_coco(write_coco(data, tmp_path / "coco"))
    np.testing.assert_array_equal(back.num_objects, data.num_objects)
    np.testing.assert_array_equal(back.semantic_masks, data.semantic_masks)
    batch = next(iter(to_tf_dataset(data, batch_size=40)))[1]
    np.testing.assert_array_equal(batch["num_objects"].numpy(), data.num_objects)


def test_negative_min_objects_is_refused():
    with pytest.raises(ValueError, match="min_objects"):
        make_shapes(1, image_size=16, min_objects=-1)


@pytest.mark.parametrize("size", [8, 24, 48, 64])
@pytest.mark.parametrize("name", ["brick", "astronaut", "camera"])
def test_the_background_shrink_is_scikit_images_resize(name, size):
    """`synthetic._shrink` computes the anti-aliased resize only where the zoom reads it; the
    numbers are scikit-image's (to float32 rounding; bit for bit on the wheels CI uses)."""
    from skimage.transform import resize

    from cvutils import synthetic

    image = synthetic._background(name)
    rng = np.random.default_rng(size)
    sides = [size + 1, size + 7, 3 * size, 3 * size + 1, min(image.shape[:2])]
    for side in sides:
        top = int(rng.integers(0, image.shape[0] - side + 1))
        left = int(rng.integers(0, image.shape[1] - side + 1))
        crop = image[top : top + side, left : left + side]
        expected = resize(crop, (size, size), anti_aliasing=True, preserve_range=True)
        got = synthetic._shrink(crop, size)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_mirror_reflects_about_the_edge_pixels(n):
    """scipy.ndimage's "mirror" is NumPy's "reflect": d c b | a b c d | c b a."""
    from cvutils import synthetic

    p = 3 * n + 2  # reflected more than once
    line = np.arange(n)
    np.testing.assert_array_equal(
        line[synthetic._mirror(np.arange(-p, n + p), n)], np.pad(line, p, mode="reflect")
    )
