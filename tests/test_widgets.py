"""Tests of cvutils.widgets: kernels, the numbers of the convolution grid, the static figure
and the ipywidgets explorer (built without a front end)."""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy import signal

from cvutils import conv, filters, widgets


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------ kernels and data


def test_make_kernel_course_kernels():
    np.testing.assert_array_equal(widgets.make_kernel("vertical edge", 3), [[1, 0, -1]] * 3)
    np.testing.assert_array_equal(widgets.make_kernel("vertical edge", 3), filters.vertical_edge())
    np.testing.assert_array_equal(
        widgets.make_kernel("horizontal edge", 3), filters.horizontal_edge()
    )
    np.testing.assert_array_equal(widgets.make_kernel("vertical edge", 4), [[1, 1, -1, -1]] * 4)
    np.testing.assert_array_equal(widgets.make_kernel("vertical edge", 5)[0], [1, 1, 0, -1, -1])


@pytest.mark.parametrize("f", [1, 2, 3, 5])
def test_make_kernel_blur_and_identity(f):
    blur = widgets.make_kernel("box blur", f)
    assert blur.shape == (f, f) and np.isclose(blur.sum(), 1.0)
    identity = widgets.make_kernel("identity", f)
    assert identity.sum() == 1.0 and identity.shape == (f, f)
    if f % 2:  # an odd identity kernel with "same" padding returns the image
        image = np.arange(36.0).reshape(6, 6)
        _, _, out = widgets.conv_grid_data(6, f, conv.same_padding(f), 1, image, identity)
        np.testing.assert_array_equal(out, image)


@pytest.mark.parametrize(
    "name, f, match", [("sharpen", 3, "name"), ("box blur", 0, "f"), ("identity", 2.0, "f")]
)
def test_make_kernel_bad(name, f, match):
    with pytest.raises(ValueError, match=match):
        widgets.make_kernel(name, f)


def test_course_edge_example():
    padded, kernel, out = widgets.conv_grid_data(6, 3)
    np.testing.assert_array_equal(padded, [[10, 10, 10, 0, 0, 0]] * 6)
    np.testing.assert_array_equal(out, [[0, 30, 30, 0]] * 4)


@pytest.mark.parametrize(
    "n, f, pad, stride",
    [
        (6, 3, 0, 1),
        (6, 3, 1, 1),
        (7, 3, 0, 2),
        (7, 3, 0, 3),
        (5, 3, 1, 2),
        (4, 4, 0, 1),
        (5, 5, 2, 3),
        (1, 3, 1, 1),
    ],
)
def test_grid_data_matches_scipy(n, f, pad, stride):
    rng = np.random.default_rng(n + 10 * f)
    image = rng.integers(-5, 6, size=(n, n)).astype(float)
    kernel = rng.integers(-2, 3, size=(f, f)).astype(float)
    padded, k, out = widgets.conv_grid_data(n, f, pad, stride, image, kernel)
    o = conv.conv_output_size(n, f, pad, stride)
    assert padded.shape == (n + 2 * pad,) * 2 and out.shape == (o, o)
    expected = signal.correlate2d(np.pad(image, pad), kernel, mode="valid")[::stride, ::stride]
    np.testing.assert_allclose(out, expected)


@pytest.mark.parametrize(
    "args, match",
    [
        (dict(n=0, f=1), "n must"),
        (dict(n=2.5, f=1), "n must"),
        (dict(n=5, f=0), "f must"),
        (dict(n=5, f=3, pad=-1), "pad must"),
        (dict(n=5, f=3, stride=0), "stride must"),
        (dict(n=5, f=8, pad=1), r"f must be an integer in 1\.\.7; got 8"),
        (
            dict(n=5, f=3, image=np.zeros((4, 4))),
            r"image must be an array of shape \(5, 5\) \(n, n\) = \(5, 5\)",
        ),
        (dict(n=5, f=3, kernel=np.zeros((2, 2))), r"kernel must be an array of shape \(3, 3\)"),
        (dict(n=5, f=3, kernel="sharpen"), "kernel must be one of"),
        (dict(n=5, f=3, image=np.full((5, 5), np.nan)), "image must be an array of finite"),
        (dict(n=5, f=3, kernel=np.full((3, 3), np.inf)), "kernel must be an array of finite"),
        (dict(n=5, f=3, image="abc"), "image must be a numeric array"),
        (dict(n=10**4, f=3), r"n must be an integer in 1\.\.1000"),
        (dict(n=5, f=3, pad=True), "pad must be an integer"),
    ],
)
def test_grid_data_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        widgets.conv_grid_data(**args)


# ------------------------------------------------------------------ static figure


def _texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize(
    "n, f, pad, stride", [(6, 3, 0, 1), (6, 3, 1, 1), (7, 3, 0, 2), (7, 3, 0, 3)]
)
def test_render_conv_grid(n, f, pad, stride):
    fig = widgets.render_conv_grid(n, f, pad, stride)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    ax_in, ax_k, ax_out = fig.axes
    padded, kernel, out = widgets.conv_grid_data(n, f, pad, stride)
    o = out.shape[0]
    # every cell carries its number
    assert _texts(ax_in) == [widgets._fmt(v) for v in padded.ravel()]
    assert _texts(ax_k) == [widgets._fmt(v) for v in kernel.ravel()]
    assert _texts(ax_out) == [widgets._fmt(v) for v in out.ravel()]
    np.testing.assert_array_equal(np.asarray(ax_out.images[0].get_array()), out)
    assert ax_out.get_title() == f"output {o}x{o}"
    title = fig._suptitle.get_text()
    assert f"= {o}$" in title and f"({n} + 2\\cdot{pad} - {f})/{stride}" in title
    # padding cells are masked (drawn grey), the image cells are not
    mask = np.ma.getmaskarray(ax_in.images[0].get_array())
    assert mask.sum() == (n + 2 * pad) ** 2 - n * n
    # hatched cells: the rows/columns that no window reaches when the stride does not fit
    hatched = [p for p in ax_in.patches if p.get_hatch()]
    size, reach = n + 2 * pad, (o - 1) * stride + f
    assert len(hatched) == size * size - reach * reach
    assert ("floored" in title) == ((size - f) % stride != 0)


def test_render_highlight_window():
    fig = widgets.render_conv_grid(7, 3, 0, 2, highlight=(1, 2))
    ax_in, _, ax_out = fig.axes
    window = next(p for p in ax_in.patches if not p.get_hatch())
    assert window.get_xy() == (2 * 2 - 0.5, 1 * 2 - 0.5) and window.get_width() == 3
    cell = ax_out.patches[0]
    assert cell.get_xy() == (2 - 0.5, 1 - 0.5) and cell.get_width() == 1


@pytest.mark.parametrize("highlight", [(3, 0), (0, -1), (0,), "00", (0.5, 0)])
def test_render_bad_highlight(highlight):
    with pytest.raises(ValueError, match="highlight"):
        widgets.render_conv_grid(7, 3, 0, 2, highlight=highlight)


# ------------------------------------------------------------------ explorer


def test_no_frontend_in_tests_gives_static_figure():
    assert widgets.has_frontend() is False
    fig = widgets.conv_explorer()
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    fig = widgets.conv_explorer(
        np.arange(100.0).reshape(10, 10), filters.sobel(), n=5, pad=1, stride=2
    )
    np.testing.assert_array_equal(np.asarray(fig.axes[1].images[0].get_array()), filters.sobel())
    assert fig.axes[2].get_title() == "output 3x3"


def test_explorer_widget_is_built_and_reacts():
    import ipywidgets

    explorer = widgets.conv_explorer(interactive=True)
    assert isinstance(explorer, widgets.ConvExplorer)
    assert isinstance(explorer.widget, ipywidgets.VBox)
    assert set(explorer.controls) == {"n", "f", "pad", "stride", "kernel", "row", "col"}
    assert explorer.settings() == dict(
        n=6, f=3, pad=0, stride=1, kernel="vertical edge", row=0, col=0
    )
    assert "<b>4</b>" in explorer.formula.value
    np.testing.assert_array_equal(
        explorer.figure.axes[2].images[0].get_array(), [[0, 30, 30, 0]] * 4
    )
    assert explorer.controls["row"].max == 3

    explorer.controls["n"].value = 7
    explorer.controls["stride"].value = 3
    assert "<b>2</b>" in explorer.formula.value and "not exact" in explorer.formula.value
    assert explorer.controls["row"].max == 1 and explorer.figure.axes[2].get_title() == "output 2x2"

    explorer.controls["col"].value = 1
    explorer.controls["kernel"].value = "horizontal edge"
    np.testing.assert_array_equal(
        explorer.figure.axes[1].images[0].get_array(), filters.horizontal_edge()
    )
    explorer.controls["stride"].value = 1  # the highlighted cell stays where it was
    assert explorer.settings()["col"] == 1 and explorer.controls["col"].max == 4

    explorer.controls["n"].value = 1  # impossible: a 3x3 filter on a 1x1 input
    assert "impossible" in explorer.formula.value and explorer.figure is None
    explorer.controls["pad"].value = 1
    assert "<b>1</b>" in explorer.formula.value and explorer.controls["row"].max == 0


def test_explorer_with_given_image_and_kernel():
    image = np.arange(64.0).reshape(8, 8)
    kernel = np.ones((2, 2))
    explorer = widgets.conv_explorer(image, kernel, n=5, interactive=True)
    c = explorer.controls
    assert c["f"].value == 2 and c["f"].disabled and c["kernel"].disabled and c["n"].max == 8
    expected = signal.correlate2d(image[:5, :5], kernel, mode="valid")
    np.testing.assert_allclose(explorer.figure.axes[2].images[0].get_array(), expected)
    c["n"].value = 8
    assert explorer.figure.axes[2].get_title() == "output 7x7"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=13), "n must be an integer in 1..12"),
        (dict(f=8), "f must be an integer in 1..7"),
        (dict(pad=4), "pad"),
        (dict(stride=0), "stride"),
        (dict(kernel="sharpen"), "kernel must be"),
        (dict(kernel=np.ones((2, 3))), "square"),
        (dict(image=np.ones(5)), "image must be an array of rank 2"),
        (dict(image=np.ones((4, 4)), n=5), "n must be an integer in 1..4"),
    ],
)
def test_explorer_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.conv_explorer(interactive=True, **kwargs)


def test_interactive_without_ipywidgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    assert widgets.has_frontend() is False
    with pytest.raises(ValueError, match="interactive must be False or None without ipywidgets"):
        widgets.conv_explorer(interactive=True)
    assert isinstance(widgets.conv_explorer(), Figure)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: widgets.default_image(0), r"n must be an integer in 1\.\.1000; got 0"),
        (lambda: widgets.default_image(True), r"n must be an integer"),
        (lambda: widgets.conv_explorer(interactive="yes"), r"interactive must be True or False"),
        (lambda: widgets.conv_explorer(kernel=[[1.0, np.nan]] * 2, interactive=False), "kernel"),
        (lambda: widgets.conv_explorer(image=[[np.inf]], interactive=False), "image must be"),
        (lambda: widgets.render_conv_grid(7, 3, 0, 2, highlight=(True, 0)), r"highlight\[0\]"),
    ],
)
def test_other_bad_inputs_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_make_kernel_uses_the_classic_edge_kernels():
    for f in (1, 2, 3, 6):
        np.testing.assert_array_equal(
            widgets.make_kernel("vertical edge", f), filters.vertical_edge(f)
        )
        np.testing.assert_array_equal(
            widgets.make_kernel("horizontal edge", f), filters.horizontal_edge(f)
        )
