import numpy as np
import pytest
from refusals import assert_refused

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


IM = np.zeros((2, 3, 3))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(images=[]), "images"),
        (dict(images=None), "images"),
        (dict(images=np.zeros((2, 3))), "images"),
        (dict(images=[np.zeros(3)]), "images[0]"),
        (dict(images=[np.zeros((3, 3, 5))]), "images[0]"),
        (dict(images=[np.zeros((3, 3)), "abc"]), "images[1]"),
        (dict(images=np.zeros((2000, 2, 2))), "images"),
        (dict(images=IM, titles=["a"]), "titles"),
        (dict(images=IM, titles="ab"), "titles"),
        (dict(images=IM, ncols=0), "ncols"),
        (dict(images=IM, ncols=2.0), "ncols"),
        (dict(images=IM, cmap=3), "cmap"),
        (dict(images=IM, size=0), "size"),
        (dict(images=IM, size=np.inf), "size"),
        (dict(images=IM, suptitle=1), "suptitle"),
    ],
)
def test_image_grid_bad_input(kwargs, name):
    assert_refused(lambda: plotting.image_grid(**kwargs), name)


def test_show_matrix_writes_every_number():
    m = np.array([[-5, -4], [0, 8]])
    fig = plotting.show_matrix(m, title="out")
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == sorted(["-5", "-4", "0", "8"])
    assert_refused(lambda: plotting.show_matrix(np.zeros(3)), "matrix")


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(matrix=np.zeros((0, 2))), "matrix"),
        (dict(matrix=[[np.nan]]), "matrix"),
        (dict(matrix=np.zeros((100, 100))), "matrix"),
        (dict(matrix=np.eye(2), fmt="{:d}"), "fmt"),
        (dict(matrix=np.eye(2), fmt=None), "fmt"),
        (dict(matrix=np.eye(2), title=3), "title"),
        (dict(matrix=np.eye(2), cmap=None), "cmap"),
        (dict(matrix=np.eye(2), ax="left"), "ax"),
    ],
)
def test_show_matrix_bad_input(kwargs, name):
    assert_refused(lambda: plotting.show_matrix(**kwargs), name)


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
    np.testing.assert_array_equal(
        plotting.confusion_matrix([0.0, 1.0], [1, 1], n_classes=2), [[0, 1], [0, 1]]
    )


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: plotting.confusion_matrix([0, 1, 3], [0, 1, 2], n_classes=3), "y_true"),
        (lambda: plotting.confusion_matrix([0, 1, 2], [0, -1, 2]), "y_pred"),
        (lambda: plotting.confusion_matrix([0, 1], [0]), "y_pred"),
        (lambda: plotting.confusion_matrix([0, 1.5], [0, 1]), "y_true"),
        (lambda: plotting.confusion_matrix(None, [0]), "y_true"),
        (lambda: plotting.confusion_matrix([0], [0], n_classes=0), "n_classes"),
        (lambda: plotting.confusion_matrix([0], [0], n_classes=True), "n_classes"),
        (lambda: plotting.confusion_matrix([0], [10**6]), "y_true and y_pred"),
        (lambda: plotting.plot_confusion_matrix([0, 2], [0, 1], class_names=["a", "b"]), "y_true"),
        (lambda: plotting.plot_confusion_matrix([0], [0], class_names="ab"), "class_names"),
        (lambda: plotting.plot_confusion_matrix([0], [0], class_names=[]), "class_names"),
        (lambda: plotting.plot_confusion_matrix([0], [0], class_names=[1]), "class_names[0]"),
        (lambda: plotting.plot_confusion_matrix([0], [0], normalize="no"), "normalize"),
        (lambda: plotting.plot_confusion_matrix([0], [0], normalize=None), "normalize"),
        (lambda: plotting.plot_history({}), "history"),
        (lambda: plotting.plot_history(None), "history"),
        (lambda: plotting.plot_history({"loss": [1.0]}, metrics=["accuracy"]), "metrics"),
        (lambda: plotting.plot_history({"loss": [1.0]}, metrics=[]), "metrics"),
        (lambda: plotting.plot_history({"loss": [1.0]}, metrics="loss"), "metrics"),
        (lambda: plotting.plot_history({"loss": [[1.0]]}), "history['loss']"),
        (lambda: plotting.plot_history({"loss": ["a"]}), "history['loss']"),
        (lambda: plotting.plot_misclassified(np.zeros((2, 4, 4)), [0, 1, 1], [0, 0, 0]), "images"),
        (lambda: plotting.plot_misclassified(np.zeros((3, 4, 4)), [0, 1, 1], [0, 0]), "y_pred"),
        (lambda: plotting.plot_misclassified(None, [0], [1]), "images"),
        (lambda: plotting.plot_misclassified(IM, [0, 2], [1, 0], class_names=["a", "b"]), "y_true"),
        (lambda: plotting.plot_misclassified(IM, [0, 1], [1, 0], class_names="ab"), "class_names"),
        (lambda: plotting.plot_misclassified(IM, [0, 1], [1, 0], max_images=0), "max_images"),
        (lambda: plotting.plot_misclassified(IM, [0, 1], [1, 0], max_images=None), "max_images"),
        (lambda: plotting.plot_misclassified(IM, [0, -1], [1, 0]), "y_true"),
    ],
)
def test_bad_labels_and_arguments_are_refused(call, name):
    assert_refused(call, name)


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
    with pytest.raises(ValueError, match="metrics must be names in the history"):
        plotting.plot_history({"loss": [1.0]}, metrics=["accuracy"])
    imgs = np.zeros((5, 4, 4))
    fig = plotting.plot_misclassified(imgs, [0, 1, 2, 3, 4], [0, 2, 2, 0, 4])
    assert [a.get_title() for a in fig.axes if a.images] == ["1 -> 2", "3 -> 0"]
    assert plotting.plot_misclassified(imgs, [1] * 5, [1] * 5) is None
    fig = plotting.plot_misclassified(list(imgs), [0.0, 1.0, 1, 1, 1], [1, 1, 1, 1, 1], ["a", "b"])
    assert [a.get_title() for a in fig.axes if a.images] == ["a -> b"]


# Found by tests/test_bad_input.py: 0-d arrays and short class_names escaped as TypeError or
# a message that did not mention class_names.
def test_zero_d_titles_and_class_names_are_refused():
    assert_refused(lambda: plotting.image_grid(np.ones((2, 3, 3)), titles=np.array("a")), "titles")
    assert_refused(
        lambda: plotting.plot_confusion_matrix([0, 1], [1, 0], class_names=np.array("a")),
        "class_names",
    )


def test_labels_beyond_class_names_mention_class_names():
    err = assert_refused(
        lambda: plotting.plot_confusion_matrix([0, 1, 2], [0, 1, 1], class_names=["a", "b"]),
        "y_true",
    )
    assert "class_names" in str(err)
