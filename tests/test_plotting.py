import numpy as np
import pytest

from cvutils import plotting


def test_image_grid_layout_and_titles():
    fig = plotting.image_grid(np.zeros((10, 8, 8)), titles=[str(i) for i in range(10)], ncols=4)
    axes = fig.get_axes()
    assert len(axes) == 12  # 3 rows x 4 columns
    assert [a.get_title() for a in axes[:10]] == [str(i) for i in range(10)]
    assert sum(bool(a.images) for a in axes) == 10


def test_image_grid_mixed_sizes_and_rgb():
    fig = plotting.image_grid([np.zeros((5, 5)), np.zeros((9, 7, 3), dtype=np.uint8)])
    assert len(fig.get_axes()) == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(images=[]), "at least one"),
        (dict(images=np.zeros((2, 3, 3)), titles=["a"]), "one entry per image"),
        (dict(images=np.zeros((2, 3, 3)), ncols=0), "ncols"),
    ],
)
def test_image_grid_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.image_grid(**kwargs)


def test_show_matrix_writes_every_number():
    m = np.array([[-5, -4], [0, 8]])
    fig = plotting.show_matrix(m, title="out")
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == sorted(["-5", "-4", "0", "8"])
    with pytest.raises(ValueError, match="2-D"):
        plotting.show_matrix(np.zeros(3))


def test_confusion_matrix_against_a_loop():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    expected = np.zeros((4, 4), int)
    for a, b in zip(y, p, strict=True):
        expected[a, b] += 1
    np.testing.assert_array_equal(plotting.confusion_matrix(y, p), expected)
    from sklearn.metrics import confusion_matrix

    np.testing.assert_array_equal(plotting.confusion_matrix(y, p), confusion_matrix(y, p))
    fig = plotting.plot_confusion_matrix(y, p, class_names=list("abcd"), normalize=True)
    assert len(fig.axes[0].texts) == 16
    with pytest.raises(ValueError, match="same length"):
        plotting.confusion_matrix([0, 1], [0])


def test_plot_history_and_misclassified():
    fig = plotting.plot_history(
        {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
    )
    assert [a.get_title() for a in fig.axes] == ["loss", "accuracy"]
    assert [(a.get_xlabel(), a.get_ylabel()) for a in fig.axes] == [
        ("epoch", "loss"),
        ("epoch", "accuracy"),
    ]
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="not in the history"):
        plotting.plot_history({"loss": [1.0]}, metrics=["accuracy"])
    imgs = np.zeros((5, 4, 4))
    fig = plotting.plot_misclassified(imgs, [0, 1, 2, 3, 4], [0, 2, 2, 0, 4])
    assert [a.get_title() for a in fig.axes if a.images] == ["1 -> 2", "3 -> 0"]
    assert plotting.plot_misclassified(imgs, [1] * 5, [1] * 5) is None
