"""Tables that inspect a Keras model: per-layer shapes, activation memory, multiplies, parameters.

* `layer_table` lists each layer's output shape, activations, activation memory, multiplies
  and parameters (one dict per layer; a `pandas.DataFrame` on request);
* `format_table` prints such rows as an aligned text table with a total line;
* `multiply_count` adds up the multiplies of one forward pass of one example.

The multiplies are counted from the layer shapes as in the course's cost arithmetic
(convolutions, depthwise, separable and transposed convolutions, dense layers; biases, batch
norm, pooling and activations are free). `cvutils.models` re-exports the three functions
under the same names (``models.layer_table``, ...), as the notebooks call them.

Taught in notebooks/07_classic_networks.ipynb and
notebooks/09_network_in_network_inception_mobilenet.ipynb.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from cvutils.checks import check_bool, check_int, describe, fail

__all__ = ["format_table", "layer_table", "multiply_count"]


def _output_shapes(layer: Any) -> list[tuple]:
    """The per-example output shapes of every call of ``layer`` in its model."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    tensors = [t for node in nodes for t in keras.tree.flatten(node.output_tensors)]
    if not tensors:
        tensors = keras.tree.flatten(layer.output)
    return [tuple(t.shape[1:]) for t in tensors]


def _input_shapes(layer: Any) -> list[tuple]:
    nodes = getattr(layer, "_inbound_nodes", None) or []
    return [tuple(t.shape[1:]) for node in nodes for t in keras.tree.flatten(node.input_tensors)]


def _prod(values: Sequence[Any]) -> int | None:
    return None if any(v is None for v in values) else math.prod(int(v) for v in values)


def _layer_multiplies(layer: Any) -> int | None:
    """Weight multiplies of one layer for one example (None where a size is unknown)."""
    total = 0
    outs = _output_shapes(layer)
    if isinstance(layer, layers.Dense):
        sizes = [_prod(s[:-1]) for s in outs]
        weights = _prod(layer.kernel.shape)
    elif isinstance(
        layer, layers.Conv1DTranspose | layers.Conv2DTranspose | layers.Conv3DTranspose
    ):
        sizes = [_prod(s[:-1]) for s in _input_shapes(layer)]
        weights = _prod(layer.kernel.shape)
    elif isinstance(layer, layers.SeparableConv1D | layers.SeparableConv2D):
        sizes = [_prod(s[:-1]) for s in outs]
        weights = _prod(layer.depthwise_kernel.shape) + _prod(layer.pointwise_kernel.shape)
    elif isinstance(layer, layers.DepthwiseConv1D | layers.DepthwiseConv2D):
        sizes = [_prod(s[:-1]) for s in outs]
        weights = _prod(layer.kernel.shape)
    elif isinstance(layer, layers.Conv1D | layers.Conv2D | layers.Conv3D):
        sizes = [_prod(s[:-1]) for s in outs]
        weights = _prod(layer.kernel.shape)
    else:
        return 0
    for size in sizes:
        if size is None:
            return None
        total += size * weights
    return total


def _check_model(model: Any) -> keras.Model:
    if not isinstance(model, keras.Model):
        fail("model", "a keras.Model", repr(type(model).__name__), kind=True)
    try:
        model.inputs  # noqa: B018
        built = bool(model.inputs)
    except (AttributeError, ValueError):
        built = False
    if not built:
        fail("model", "a built model with known inputs (keras.Input)", f"{model.name!r}")
    return model


def _rows(model: keras.Model, bytes_per_value: int, prefix: str = "") -> list[dict]:
    rows = []
    if isinstance(model, keras.Sequential) and not prefix:
        shapes = [tuple(t.shape[1:]) for t in model.inputs]
        rows.append(_row(f"{model.name}_input", "InputLayer", shapes, 0, 0, bytes_per_value))
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # a nested model: its layers, prefixed
            rows.extend(_rows(layer, bytes_per_value, prefix=f"{prefix}{layer.name}/"))
            continue
        rows.append(
            _row(
                prefix + layer.name,
                type(layer).__name__,
                _output_shapes(layer),
                _layer_multiplies(layer),
                layer.count_params(),
                bytes_per_value,
            )
        )
    return rows


def _row(
    name: str, kind: str, shapes: list[tuple], mults: int | None, params: int, nbytes: int
) -> dict:
    counts = [_prod(s) for s in shapes]
    activations = None if any(c is None for c in counts) else sum(counts)
    return {
        "name": name,
        "type": kind,
        "output_shape": shapes[0] if len(shapes) == 1 else tuple(shapes),
        "activations": activations,
        "memory_bytes": None if activations is None else activations * nbytes,
        "multiplies": mults,
        "params": params,
    }


def layer_table(
    model: keras.Model,
    print_table: bool = False,
    as_frame: bool = False,
    bytes_per_value: int = 4,
) -> list[dict] | Any:
    """One row per layer: output shape, activations, activation memory, multiplies, parameters.

    Rows are dicts with the keys ``name``, ``type``, ``output_shape`` (per example, without
    the batch axis), ``activations`` (values in that output for one example),
    ``memory_bytes`` (``activations * bytes_per_value``, 4 for float32), ``multiplies``
    (see `multiply_count`) and ``params`` (`keras.layers.Layer.count_params`). The input
    layer has a row (its activations are the image); layers of a nested model appear as
    ``outer/inner``. Sums over the rows give a network's forward memory per image, e.g.
    about 15.2 million values (61 MB in float32) for VGG-16 without its Flatten row.

    Taught in notebooks/07_classic_networks.ipynb.

    Args:
        model: a built `keras.Model` (functional, or Sequential with a `keras.Input`).
        print_table: also print `format_table` of the rows.
        as_frame: return a `pandas.DataFrame` (pandas must be installed; it is not a
            dependency of cvutils).
        bytes_per_value: bytes per activation value, an integer >= 1 (4: float32).

    Returns:
        A list of dicts, one per layer in model order (a DataFrame with ``as_frame=True``).

    Raises:
        ValueError: ``model`` is not a built `keras.Model`, or a bad flag or byte size.
        ImportError: ``as_frame=True`` without pandas.

    Example:
        >>> from cvutils.models import lenet5
        >>> rows = layer_table(lenet5())
        >>> [(r["name"], r["output_shape"], r["params"]) for r in rows[1:4]]
        [('C1', (28, 28, 6), 156), ('S2', (14, 14, 6), 0), ('C3', (10, 10, 16), 2416)]
    """
    model = _check_model(model)
    print_table, as_frame = check_bool("print_table", print_table), check_bool("as_frame", as_frame)
    bytes_per_value = check_int("bytes_per_value", bytes_per_value, 1, 64)
    rows = _rows(model, bytes_per_value)
    if print_table:
        print(format_table(rows))
    if as_frame:
        import pandas as pd

        return pd.DataFrame(rows)
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace(" ", "")


def format_table(rows: Sequence[dict]) -> str:
    """A plain-text table of `layer_table` rows, with a total line.

    Taught in notebooks/07_classic_networks.ipynb.

    Args:
        rows: the dicts of `layer_table`.

    Returns:
        The table as one string (columns aligned, numbers with thousands separators, memory
        in MB).

    Example:
        >>> from cvutils.models import lenet5
        >>> format_table(layer_table(lenet5())).splitlines()[-1].split()
        ['total', '9,518', '0.04', '416,520', '61,706']
    """
    keys = {"name", "type", "output_shape", "activations", "memory_bytes", "multiplies", "params"}
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence):
        fail("rows", "the list of dicts returned by layer_table", describe(rows), kind=True)
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not keys <= set(r):
            fail(f"rows[{i}]", f"a dict of layer_table with keys {sorted(keys)}", describe(r))
    columns = [
        ("layer", lambda r: r["name"]),
        ("type", lambda r: r["type"]),
        ("output shape", lambda r: _fmt(r["output_shape"])),
        ("activations", lambda r: _fmt(r["activations"])),
        (
            "memory (MB)",
            lambda r: "?" if r["memory_bytes"] is None else f"{r['memory_bytes'] / 1e6:.2f}",
        ),
        ("multiplies", lambda r: _fmt(r["multiplies"])),
        ("params", lambda r: _fmt(r["params"])),
    ]
    body = [[get(r) for _, get in columns] for r in rows]

    def total(key: str) -> int | None:
        values = [r[key] for r in rows]
        return None if any(v is None for v in values) else sum(values)

    mem = total("memory_bytes")
    body.append(
        [
            "total",
            "",
            "",
            _fmt(total("activations")),
            "?" if mem is None else f"{mem / 1e6:.2f}",
            _fmt(total("multiplies")),
            _fmt(total("params")),
        ]
    )
    header = [h for h, _ in columns]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    left = {0, 1, 2}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(b) for b in body[:-1]), rule, line(body[-1])])


def multiply_count(model: keras.Model) -> int:
    """Multiplies of one forward pass for one example, counted from the layer shapes.

    For every convolution, ``(output positions) * (kernel size)``: a Conv2D with an
    ``(n_H, n_W, n_C')`` output and an ``f x f x n_C`` kernel costs
    ``n_H * n_W * n_C' * f * f * n_C``; a depthwise convolution ``n_H * n_W * n_C * f * f``;
    a separable one both parts; a transposed one ``(input positions) * (kernel size)``; a
    Dense layer ``inputs * units`` per position. Biases, batch norm, pooling, activations
    and additions are not counted, as in the course's cost arithmetic.

    Taught in notebooks/09_network_in_network_inception_mobilenet.ipynb.

    Args:
        model: a built `keras.Model`.

    Returns:
        The number of multiplies, an ``int``.

    Raises:
        ValueError: ``model`` is not a built model, or a layer's spatial size is unknown.

    Example:
        >>> x = keras.Input((28, 28, 192))
        >>> multiply_count(keras.Model(x, keras.layers.Conv2D(32, 5, padding="same")(x)))
        120422400
    """
    rows = _rows(_check_model(model), 4)
    unknown = [r["name"] for r in rows if r["multiplies"] is None]
    if unknown:
        fail("model", "a model with known spatial sizes", f"unknown sizes in {unknown}")
    return sum(r["multiplies"] for r in rows)
