"""Bad-input specs of `cvutils.widgets`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from bad_input.registry import _mod, exempt, spec

exempt("widgets.has_frontend", "takes no argument")


# --- widgets
@spec("widgets.make_kernel")
def _():
    return _mod("widgets").make_kernel, dict(name="vertical edge", f=3)


@spec("widgets.default_image")
def _():
    return _mod("widgets").default_image, dict(n=6)


@spec("widgets.conv_grid_data")
def _():
    return _mod("widgets").conv_grid_data, dict(n=6, f=3, pad=1, stride=2, image=None, kernel=None)


@spec("widgets.render_conv_grid")
def _():
    return _mod("widgets").render_conv_grid, dict(
        n=6, f=3, pad=1, stride=2, image=None, kernel=None, highlight=(0, 0)
    )


@spec("widgets.ConvExplorer")
def _():
    return _mod("widgets").ConvExplorer, dict(image=None, kernel=None, n=6, f=3, pad=0, stride=1)


@spec("widgets.conv_explorer")
def _():
    return _mod("widgets").conv_explorer, dict(n=6, f=3, pad=0, stride=1, interactive=False)


@spec("widgets.ConvExplorer.settings")
def _():
    return _mod("widgets").ConvExplorer().settings, {}


@spec("widgets.ConvExplorer.update")
def _():
    return _mod("widgets").ConvExplorer().update, {}
