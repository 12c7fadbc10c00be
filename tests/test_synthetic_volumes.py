"""Tests of the 1D and 3D generators of `cvutils.synthetic` (notebook 19).

The shapes are checked from their voxels alone, against geometry worked by hand: a ball fills
its circumscribed sphere, a cube fills 8 / (4 pi sqrt(3)) = 0.37 of it (a little more once
voxelized), a torus much less and is empty at its centre; a moving square's centroid moves
one pixel per frame in its direction; an ECG's R peaks lie one period apart.
"""

from __future__ import annotations

import numpy as np
import pytest

from cvutils import synthetic


def _clean(n=30, size=16, seed=3, classes=synthetic.VOLUME_CLASSES):
    return synthetic.make_volumes(n, size=size, classes=classes, noise=0.0, seed=seed)


@pytest.mark.parametrize("n, size", [(0, 8), (1, 8), (7, 12), (12, 16)])
def test_volumes_shapes_dtypes_and_balanced_labels(n, size):
    v, y = synthetic.make_volumes(n, size=size, seed=1)
    assert v.shape == (n, size, size, size, 1) and v.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=3)
    assert counts.max() - counts.min() <= (1 if n else 0) and counts.sum() == n


def test_volumes_are_deterministic_and_depend_on_the_seed():
    a, ya = synthetic.make_volumes(6, seed=5)
    b, yb = synthetic.make_volumes(6, seed=5)
    c, _ = synthetic.make_volumes(6, seed=6)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)


def _centre_and_fill(mask):
    """The centroid of the on voxels and their share of the sphere through the farthest one."""
    idx = np.argwhere(mask) + 0.5
    centre = idx.mean(axis=0)
    radius = np.sqrt(((idx - centre) ** 2).sum(axis=1)).max()
    return centre, len(idx) / (4 / 3 * np.pi * radius**3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_class_really_has_its_shape(seed):
    v, y = _clean(size=24, seed=seed)
    for volume, label in zip(v[..., 0], y, strict=True):
        mask = volume > 0.5
        assert set(np.unique(volume)) <= {0.0, 1.0} and mask.sum() >= 8
        # wholly inside: no voxel on the border
        for axis in range(3):
            assert not mask.take([0, -1], axis=axis).any()
        centre, fill = _centre_and_fill(mask)
        at_centre = mask[tuple(np.floor(centre).astype(int))]
        kind = synthetic.VOLUME_CLASSES[label]
        if kind == "sphere":  # a ball fills its circumscribed sphere (voxelized: 0.97-1.01)
            assert fill > 0.85 and at_centre
        elif kind == "cube":  # 8 a^3 / (4/3 pi (sqrt(3) a)^3) = 0.37 (voxelized: 0.39-0.54)
            assert 0.3 < fill < 0.65 and at_centre
        else:  # a torus: thin (voxelized: 0.16-0.29), with a hole at its centre
            assert fill < 0.32 and not at_centre


def test_sphere_voxels_lie_within_the_radius_of_a_ball():
    v, y = _clean(n=12, classes=("sphere",), seed=4)
    for volume in v[..., 0]:
        idx = np.argwhere(volume > 0.5) + 0.5
        centre = idx.mean(axis=0)
        dist = np.sqrt(((idx - centre) ** 2).sum(axis=1))
        radius = dist.max()
        assert 0.2 * 16 - 1 <= radius <= 0.32 * 16 + 0.5
        # every voxel centre within the radius is on: a solid ball, not a shell
        grid = np.argwhere(np.ones((16, 16, 16))) + 0.5
        inside = np.sqrt(((grid - centre) ** 2).sum(axis=1)) <= radius - 1.0
        assert volume.reshape(-1)[inside].min() == 1.0


def test_volume_noise_has_the_asked_standard_deviation():
    clean, y = _clean(n=9, seed=7)
    noisy, y2 = synthetic.make_volumes(9, size=16, noise=0.3, seed=7)
    np.testing.assert_array_equal(y, y2)
    assert abs(float(np.std(noisy - clean)) - 0.3) < 0.01


def test_volume_i_does_not_depend_on_n_for_the_same_label():
    a, ya = synthetic.make_volumes(5, seed=2, noise=0.0)
    b, yb = synthetic.make_volumes(9, seed=2, noise=0.0)
    for i in range(5):
        if ya[i] == yb[i]:
            np.testing.assert_array_equal(a[i], b[i])


@pytest.mark.parametrize("frames, size, square", [(2, 4, 3), (5, 10, 3), (8, 16, 4)])
def test_moving_square_moves_one_pixel_per_frame(frames, size, square):
    v, y = synthetic.make_moving_shapes(
        20, frames, size, square=square, noise=0.0, seed=1, boundary="inside"
    )
    assert v.shape == (20, frames, size, size, 1) and v.dtype == np.float32
    assert np.bincount(y, minlength=4).tolist() == [5, 5, 5, 5]
    names = tuple(synthetic.MOTIONS)
    for video, label in zip(v[..., 0], y, strict=True):
        centroids = []
        for frame in video:
            assert frame.sum() == square**2  # wholly inside every frame
            rows, cols = np.nonzero(frame)
            assert np.ptp(rows) == np.ptp(cols) == square - 1  # a square
            centroids.append((rows.mean(), cols.mean()))
        steps = np.diff(np.array(centroids), axis=0)
        np.testing.assert_allclose(steps, np.tile(synthetic.MOTIONS[names[label]], (frames - 1, 1)))


@pytest.mark.parametrize("frames, size, square", [(2, 4, 3), (8, 5, 3), (8, 16, 3)])
def test_wrapped_square_moves_one_pixel_per_frame_on_a_torus(frames, size, square):
    v, y = synthetic.make_moving_shapes(20, frames, size, square=square, noise=0.0, seed=2)
    names = tuple(synthetic.MOTIONS)
    for video, label in zip(v[..., 0], y, strict=True):
        assert set(np.unique(video).tolist()) <= {0.0, 1.0}
        # frame 0 holds one square, possibly wrapped round the edges (the frame is a torus)
        expected = np.zeros((size, size))
        expected[:square, :square] = 1.0
        assert any(
            np.array_equal(np.roll(video[0], (-r, -c), axis=(0, 1)), expected)
            for r in range(size)
            for c in range(size)
        )
        # frame t is frame 0 rolled by t steps of the label's direction
        dr, dc = synthetic.MOTIONS[names[label]]
        for t in range(frames):
            np.testing.assert_array_equal(video[t], np.roll(video[0], (t * dr, t * dc), (0, 1)))


def test_wrapped_start_does_not_depend_on_the_direction():
    # a frame's square position has one distribution in every class: the mean position of
    # the first frame's square is near the frame's centre for every direction (with
    # boundary="inside" a square moving right starts in the left part)
    def mean_start_column(boundary):
        v, y = synthetic.make_moving_shapes(
            800, 8, 16, square=1, noise=0.0, seed=4, boundary=boundary
        )
        cols = np.argwhere(v[:, 0, ..., 0] > 0)[:, 2]  # one pixel per video, in video order
        return {k: float(cols[y == k].mean()) for k in range(4)}

    right = tuple(synthetic.MOTIONS).index("right")
    wrapped, inside = mean_start_column("wrap"), mean_start_column("inside")
    assert all(abs(m - 7.5) < 1.0 for m in wrapped.values())
    assert inside[right] < 5.0  # starts in the left part: the leak that "wrap" removes


def test_moving_shapes_deterministic_noise_and_directions():
    a, ya = synthetic.make_moving_shapes(6, seed=3, noise=0.2)
    b, yb = synthetic.make_moving_shapes(6, seed=3, noise=0.2)
    np.testing.assert_array_equal(a, b)
    clean, _ = synthetic.make_moving_shapes(6, seed=3, noise=0.0)
    assert abs(float(np.std(a - clean)) - 0.2) < 0.02
    _, y = synthetic.make_moving_shapes(10, directions=("up", "down"), seed=0)
    assert np.bincount(y).tolist() == [5, 5]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(directions=("up", "up")), "directions"),
        (dict(directions=("sideways",)), "directions"),
        (dict(frames=1), "frames"),
        (dict(frames=8, size=9, square=3, boundary="inside"), "size"),
        (dict(boundary="bounce"), "boundary"),
    ],
)
def test_moving_shapes_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        synthetic.make_moving_shapes(2, **kwargs)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(size=7), "size"),
        (dict(classes=("cube", "cube")), "classes"),
        (dict(classes=("pyramid",)), "classes"),
        (dict(noise=-1.0), "noise"),
    ],
)
def test_volumes_refuse_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        synthetic.make_volumes(2, **kwargs)


@pytest.mark.parametrize("heart_rate, fs", [(60.0, 250.0), (75.0, 500.0), (120.0, 200.0)])
def test_ecg_like_r_peaks_are_one_period_apart(heart_rate, fs):
    t, x = synthetic.ecg_like(int(5 * fs), fs=fs, heart_rate=heart_rate)
    assert t.shape == x.shape == (int(5 * fs),)
    np.testing.assert_allclose(np.diff(t), 1 / fs)
    period = 60.0 / heart_rate
    # local maxima above 0.5 are the R peaks: at (k + 1/2) periods, height about 1
    peaks = np.flatnonzero((x[1:-1] > 0.5) & (x[1:-1] >= x[:-2]) & (x[1:-1] >= x[2:])) + 1
    expected = (np.arange(len(peaks)) + 0.5) * period
    np.testing.assert_allclose(t[peaks], expected, atol=1 / fs)
    assert len(peaks) == int(5 / period - 0.5) + 1
    np.testing.assert_allclose(x[peaks], 1.0, atol=0.02)
    assert x.min() < -0.1  # the S wave dips below the baseline


def test_ecg_like_noise_is_seeded_white_noise():
    _, clean = synthetic.ecg_like(4000)
    _, a = synthetic.ecg_like(4000, noise=0.1, seed=2)
    _, b = synthetic.ecg_like(4000, noise=0.1, seed=2)
    np.testing.assert_array_equal(a, b)
    assert abs(float(np.std(a - clean)) - 0.1) < 0.005
