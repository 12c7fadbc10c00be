"""Interactive explorers for the notebooks, each with a static fallback.

`conv_explorer` shows what padding and stride do to a convolution: sliders for the input
size ``n``, the filter size ``f``, the padding ``p`` and the stride ``s`` and a dropdown of
kernels draw the padded input grid, the filter and the output grid with every number,
and the output-size formula ``floor((n + 2p - f) / s) + 1``.

Where no notebook front end can show a widget (a plain Python session, a test, or when
``ipywidgets`` is missing), the same picture is drawn once as a static matplotlib figure
by `render_conv_grid`, which notebooks and tests can also call directly.

Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cvutils import conv, filters
from cvutils.checks import (
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_shape,
    describe,
    fail,
)

__all__ = [
    "KERNELS",
    "ConvExplorer",
    "conv_explorer",
    "conv_grid_data",
    "default_image",
    "has_frontend",
    "make_kernel",
    "render_conv_grid",
]

KERNELS = ("vertical edge", "horizontal edge", "box blur", "identity")

_PAD_COLOUR = "#d9d9d9"
#: The largest input side and filter size drawn or computed (a grid of 1000 x 1000 numbers
#: is already unreadable).
MAX_GRID = 1000


def make_kernel(name: str, f: int) -> np.ndarray:
    """An ``(f, f)`` float kernel by name, for any filter size.

    Args:
        name: one of `KERNELS`: ``"vertical edge"`` (``+1`` left of the centre column, ``0`` on
            it, ``-1`` right of it; the course's ``[[1, 0, -1]] * 3`` for ``f = 3``),
            ``"horizontal edge"`` (its transpose), ``"box blur"`` (all ``1 / f^2``) or
            ``"identity"`` (``1`` in the centre cell, or the top-left of the central 2x2
            block for even ``f``).
        f: filter size, an integer >= 1.

    Returns:
        ``(f, f)`` float64 array.

    Raises:
        ValueError: for an unknown name or a bad ``f``.

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.

    Example:
        >>> make_kernel("vertical edge", 3).tolist()
        [[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]]
    """
    name = check_choice("name", name, KERNELS)
    f = check_int("f", f, 1, MAX_GRID)
    if name == "box blur":
        return np.full((f, f), 1.0 / (f * f))
    if name == "identity":
        k = np.zeros((f, f))
        k[(f - 1) // 2, (f - 1) // 2] = 1.0
        return k
    if name == "vertical edge":
        return filters.vertical_edge(f)
    return filters.horizontal_edge(f)


def default_image(n: int) -> np.ndarray:
    """The course's vertical-edge picture at size ``n``: ``10`` in the left half, ``0`` right.

    ``default_image(6)`` is the 6x6 example of the edge-detection lecture.

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.

    Returns:
        ``(n, n)`` float64 array.

    Example:
        >>> default_image(4).tolist()[0]
        [10.0, 10.0, 0.0, 0.0]
    """
    n = check_int("n", n, 1, MAX_GRID)
    image = np.zeros((n, n))
    image[:, : (n + 1) // 2] = 10.0
    return image


def conv_grid_data(
    n: int, f: int, pad: int = 0, stride: int = 1, image: Any = None, kernel: Any = None
):
    """The numbers behind `render_conv_grid`.

    Args:
        n: input size (the input is ``n x n``), an integer >= 1.
        f: filter size, an integer >= 1 and at most ``n + 2 * pad``.
        pad: zero padding on each side, an integer >= 0.
        stride: step of the filter, an integer >= 1.
        image: ``(n, n)`` array, or None for `default_image(n)`.
        kernel: ``(f, f)`` array, a name from `KERNELS`, or None for ``"vertical edge"``.

    Returns:
        ``(padded, kernel, output)``: the ``(n + 2p, n + 2p)`` zero-padded input, the
        ``(f, f)`` kernel and the ``(o, o)`` cross-correlation with
        ``o = floor((n + 2p - f) / s) + 1`` (computed by `cvutils.filters.correlate2d`).

    Raises:
        ValueError: naming the argument, for bad sizes, an image that is not ``(n, n)``, a
            kernel that is not ``(f, f)`` or a filter larger than the padded input.

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.

    Example:
        >>> padded, kernel, output = conv_grid_data(6, 3, pad=1, stride=2)
        >>> padded.shape, kernel.shape, output.shape
        ((8, 8), (3, 3), (3, 3))
    """
    n = check_int("n", n, 1, MAX_GRID)
    f = check_int("f", f, 1, MAX_GRID)
    pad = check_int("pad", pad, 0, MAX_GRID)
    stride = check_int("stride", stride, 1, MAX_GRID)
    conv.conv_output_size(n, f, pad, stride)  # raises when f > n + 2 * pad
    if image is None:
        image = default_image(n)
    image = check_array(
        "image", image, shape=(n, n), dtype=np.float64, layout=f"(n, n) = ({n}, {n})"
    )
    if kernel is None:
        kernel = "vertical edge"
    if isinstance(kernel, str):
        kernel = make_kernel(check_choice("kernel", kernel, KERNELS), f)
    kernel = check_array(
        "kernel", kernel, shape=(f, f), dtype=np.float64, layout=f"(f, f) = ({f}, {f})"
    )
    padded = np.pad(image, pad)
    output = filters.correlate2d(image, kernel, mode="valid", pad=pad, stride=stride)
    return padded, kernel, output


def _fmt(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _draw_grid(ax, values, fontsize, pad_mask=None, cmap="bwr", dropped=None):
    """Draws ``values`` as cells with their numbers; padding cells grey, dropped cells hatched."""
    from matplotlib.patches import Rectangle

    h, w = values.shape
    vmax = float(np.max(np.abs(values))) or 1.0
    shown = np.ma.masked_array(values, mask=pad_mask) if pad_mask is not None else values
    ax.set_facecolor(_PAD_COLOUR)
    ax.imshow(
        shown, cmap=cmap, vmin=-2 * vmax, vmax=2 * vmax
    )  # light colours, numbers stay readable
    for (i, j), v in np.ndenumerate(values):
        is_pad = pad_mask is not None and pad_mask[i, j]
        ax.text(
            j,
            i,
            _fmt(v),
            ha="center",
            va="center",
            fontsize=fontsize,
            color="0.45" if is_pad else "black",
            style="italic" if is_pad else "normal",
        )
    if dropped is not None:
        for i, j in zip(*np.nonzero(dropped), strict=True):
            ax.add_patch(
                Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="0.3", lw=0)
            )
    ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
    ax.grid(which="minor", color="0.75", lw=1.0)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)


def render_conv_grid(
    n: int,
    f: int,
    pad: int = 0,
    stride: int = 1,
    image: Any = None,
    kernel: Any = None,
    *,
    highlight: tuple[int, int] = (0, 0),
):
    """Draws one convolution: padded input, filter and output grid, all numbers written.

    The padded input shows the zero padding in grey, the window of the highlighted output
    cell in red, and hatches the rows/columns no window reaches when the stride does not
    fit exactly (frameworks floor the output size and silently ignore them). The title
    works the output-size formula ``floor((n + 2p - f) / s) + 1`` for these numbers.

    Args:
        n, f, pad, stride, image, kernel: as in `conv_grid_data`.
        highlight: ``(row, col)`` of the output cell whose window is drawn, each in ``0..o-1``.

    Returns:
        The matplotlib `Figure` with three axes: input, filter, output (in that order).

    Raises:
        ValueError: as `conv_grid_data`, or for a ``highlight`` outside the output.

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    padded, kernel, output = conv_grid_data(n, f, pad, stride, image, kernel)
    o = output.shape[0]
    r, c = check_shape("highlight", highlight, ndim=2, minimum=0, maximum=o - 1)
    size = padded.shape[0]
    pad_mask = np.ones_like(padded, dtype=bool)
    pad_mask[pad : pad + n, pad : pad + n] = False
    reach = (o - 1) * stride + f  # rows/columns of the padded input that some window covers
    dropped = np.zeros_like(pad_mask)
    dropped[reach:, :] = True
    dropped[:, reach:] = True

    total = size + f + o
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(min(3.0 + 0.42 * total, 15.0), 0.42 * size + 1.6),
        gridspec_kw={"width_ratios": [size, f, o]},
    )
    fontsize = max(5.0, min(10.0, 70.0 / size))
    ax_in, ax_k, ax_out = axes
    _draw_grid(ax_in, padded, fontsize, pad_mask=pad_mask, dropped=dropped)
    ax_in.add_patch(
        Rectangle(
            (c * stride - 0.5, r * stride - 0.5),
            f,
            f,
            fill=False,
            edgecolor="red",
            lw=2.5,
            zorder=5,
        )
    )
    ax_in.set_title(
        f"input {n}x{n}" + (f", padded to {size}x{size} (p={pad})" if pad else ""), fontsize=9
    )
    _draw_grid(ax_k, kernel, fontsize)
    ax_k.set_title(f"filter {f}x{f}", fontsize=9)
    _draw_grid(ax_out, output, fontsize)
    ax_out.add_patch(
        Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", lw=2.5, zorder=5)
    )
    ax_out.set_title(f"output {o}x{o}", fontsize=9)
    rest = (size - f) % stride
    note = f"  (floored: {rest} row(s)/col(s) hatched, never reached)" if rest else ""
    fig.suptitle(
        rf"$\lfloor (n + 2p - f)/s \rfloor + 1 = "
        rf"\lfloor ({n} + 2\cdot{pad} - {f})/{stride} \rfloor + 1 = {o}$" + note,
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


# ------------------------------------------------------------------------------ widget


def _check_image(image: Any) -> np.ndarray:
    """A non-empty, finite 2-D float64 image to take the ``n x n`` input from."""
    return check_array("image", image, ndim=2, dtype=np.float64, allow_empty=False, layout="(H, W)")


def _check_kernel(kernel: Any) -> np.ndarray:
    """A square, non-empty, finite 2-D float64 kernel."""
    kernel = check_array("kernel", kernel, ndim=2, dtype=np.float64, allow_empty=False)
    if kernel.shape[0] != kernel.shape[1] or kernel.shape[0] > MAX_GRID:
        fail("kernel", f"a square array (f, f) with f <= {MAX_GRID}", describe(kernel))
    return kernel


def has_frontend() -> bool:
    """True when ipywidgets is installed and code runs in an IPython kernel (a notebook).

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.
    """
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


class ConvExplorer:
    """The interactive explorer built by `conv_explorer`; display it in a notebook.

    Attributes:
        widget: the `ipywidgets.VBox` with the controls and the picture.
        controls: dict of the control widgets: ``n``, ``f``, ``pad``, ``stride``, ``kernel``,
            ``row``, ``col`` (the highlighted output cell).
        formula: the `ipywidgets.HTML` line with the output-size formula (or why the
            settings are impossible).
        figure: the last matplotlib `Figure` drawn (None when the settings are impossible).

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.
    """

    def __init__(
        self,
        image: Any = None,
        kernel: Any = None,
        *,
        n: int = 6,
        f: int = 3,
        pad: int = 0,
        stride: int = 1,
    ):
        import ipywidgets as w

        self._image = None if image is None else _check_image(image)
        self._kernel = None if kernel is None or isinstance(kernel, str) else _check_kernel(kernel)
        if isinstance(kernel, str):
            check_choice("kernel", kernel, KERNELS)
        n_max = 12 if self._image is None else min(12, *self._image.shape)
        if self._kernel is not None:
            f = self._kernel.shape[0]
        limits = {
            "n": (1, n_max),
            "f": (1, max(7, f) if self._kernel is not None else 7),
            "pad": (0, 3),
            "stride": (1, 4),
        }
        for name, value in (("n", n), ("f", f), ("pad", pad), ("stride", stride)):
            low, high = limits[name]
            check_int(name, value, low, high)
        slider = dict(continuous_update=False, style={"description_width": "initial"})
        self.controls = {
            "n": w.IntSlider(value=n, min=1, max=n_max, description="input n", **slider),
            "f": w.IntSlider(
                value=f,
                min=1,
                max=7 if self._kernel is None else f,
                description="filter f",
                disabled=self._kernel is not None,
                **slider,
            ),
            "pad": w.IntSlider(value=pad, min=0, max=3, description="padding p", **slider),
            "stride": w.IntSlider(value=stride, min=1, max=4, description="stride s", **slider),
            "kernel": w.Dropdown(
                options=list(KERNELS) if self._kernel is None else ["given kernel"],
                value=(kernel if isinstance(kernel, str) else "vertical edge")
                if self._kernel is None
                else "given kernel",
                description="kernel",
                disabled=self._kernel is not None,
            ),
            "row": w.IntSlider(value=0, min=0, max=0, description="output row", **slider),
            "col": w.IntSlider(value=0, min=0, max=0, description="output col", **slider),
        }
        self.formula = w.HTML()
        self.figure = None
        self._out = w.Output()
        c = self.controls
        self.widget = w.VBox(
            [
                w.HBox([c["n"], c["f"], c["kernel"]]),
                w.HBox([c["pad"], c["stride"]]),
                w.HBox([c["row"], c["col"]]),
                self.formula,
                self._out,
            ]
        )
        for control in c.values():
            control.observe(self._on_change, names="value")
        self.update()

    def settings(self) -> dict:
        """The current ``n, f, pad, stride, kernel`` and highlighted ``row, col``."""
        return {k: v.value for k, v in self.controls.items()}

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> None:
        """Redraws the picture for the current control values."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        s = self.settings()
        n, f, pad, stride = s["n"], s["f"], s["pad"], s["stride"]
        if self.figure is not None:
            plt.close(self.figure)
            self.figure = None
        if f > n + 2 * pad:
            self.formula.value = (
                f"<b>impossible:</b> the filter f={f} is larger than the padded input "
                f"n + 2p = {n} + 2&middot;{pad} = {n + 2 * pad}; make p or n larger or f smaller."
            )
            self._out.clear_output()
            return
        o = conv.conv_output_size(n, f, pad, stride)
        for key in ("row", "col"):  # keep the highlighted cell inside the output
            control = self.controls[key]
            control.unobserve(self._on_change, names="value")
            control.max = o - 1  # clamps the value too
            control.observe(self._on_change, names="value")
        s = self.settings()
        rest = (n + 2 * pad - f) % stride
        self.formula.value = (
            f"output size = &lfloor;(n + 2p &minus; f) / s&rfloor; + 1 = "
            f"&lfloor;({n} + 2&middot;{pad} &minus; {f}) / {stride}&rfloor; + 1 = <b>{o}</b>"
            + (f" &nbsp; (not exact: {rest} row(s)/column(s) are never reached)" if rest else "")
        )
        image = None if self._image is None else self._image[:n, :n]
        kernel = self._kernel if self._kernel is not None else s["kernel"]
        self.figure = render_conv_grid(
            n, f, pad, stride, image, kernel, highlight=(s["row"], s["col"])
        )
        with self._out:
            self._out.clear_output(wait=True)
            display(self.figure)
        plt.close(self.figure)  # shown inside the widget only, not a second time below it

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def conv_explorer(
    image: Any = None,
    kernel: Any = None,
    *,
    n: int = 6,
    f: int = 3,
    pad: int = 0,
    stride: int = 1,
    interactive: bool | None = None,
):
    """Interactive convolution explorer: input, filter, padding, stride and output grid.

    Args:
        image: a 2-D array to take the ``n x n`` input from (its top-left corner), or None
            for `default_image` (the course's 10/0 vertical-edge picture).
        kernel: a square ``(f, f)`` array (then the filter size is fixed), a name from
            `KERNELS`, or None for the vertical edge detector (the dropdown changes it).
        n, f, pad, stride: the initial settings.
        interactive: ``True`` builds the widget (needs ``ipywidgets``), ``False`` draws the
            static figure, ``None`` (default) builds the widget when `has_frontend()` and
            draws the static figure otherwise.

    Returns:
        A `ConvExplorer` (display it, or leave it as the last expression of a cell), or a
        matplotlib `Figure` from `render_conv_grid` for the initial settings.

    Raises:
        ValueError: for bad settings, or ``interactive=True`` without ``ipywidgets``.

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.
    """
    interactive = has_frontend() if interactive is None else check_bool("interactive", interactive)
    if not interactive:
        if image is not None:
            image = _check_image(image)[:n, :n]
        if kernel is not None and not isinstance(kernel, str):
            kernel = _check_kernel(kernel)
            f = kernel.shape[0]
        return render_conv_grid(n, f, pad, stride, image, kernel)
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        fail(
            "interactive",
            "False or None without ipywidgets (pip install ipywidgets)",
            "True, but ipywidgets is not installed",
        )
    return ConvExplorer(image, kernel, n=n, f=f, pad=pad, stride=stride)
