"""Keras 3 building blocks that the course uses and Keras does not ship.

`LocallyConnected2D`
    A convolution-shaped layer *without* parameter sharing: every output position has its
    own filter. Keras 2 had ``keras.layers.LocallyConnected2D``; Keras 3 removed it. The
    course uses it to show what parameter sharing buys (and costs). Taught in
    notebooks/03_padding_strides_volumes_pooling.ipynb.

Every layer here is registered with ``@keras.saving.register_keras_serializable(package="cvutils")``
and has a ``get_config``, so a model that uses it saves to ``.keras`` and loads back with
``keras.models.load_model`` (import ``cvutils.blocks`` first).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_bool,
    check_int,
    check_shape,
    describe,
    fail,
)

__all__ = ["LocallyConnected2D"]

#: The most weights (kernel and bias elements) one `LocallyConnected2D` may create: 10**8
#: float32 values are 400 MB, far beyond what the course's examples need.
MAX_PARAMS = MAX_COUNT


def _pair(name: str, value: Any) -> tuple[int, int]:
    """Returns ``value`` as a pair of ints in ``1..MAX_COUNT``; an int ``k`` means ``(k, k)``."""
    if not isinstance(value, tuple | list):
        k = check_int(name, value, minimum=1, maximum=MAX_COUNT)
        return k, k
    h, w = check_shape(name, value, ndim=2, minimum=1, maximum=MAX_COUNT)
    return h, w


def _identifier(name: str, value: Any, getter: Any, expected: str) -> Any:
    """``getter(value)`` (`keras.activations.get`, `keras.initializers.get`) or the one error.

    Only names, config dicts, callables and None are identifiers: a number or an array is
    refused here (`keras.initializers.get` would take it for a constant tensor of its own
    shape and fail only when the layer is built).
    """
    if not (value is None or isinstance(value, str | dict) or callable(value)):
        fail(name, expected, describe(value), kind=True)
    try:
        return getter(value)
    except (ValueError, TypeError):
        fail(name, expected, describe(value), kind=not isinstance(value, str | dict))


def _check_inputs(inputs: Any) -> Any:
    """Refuses inputs that are not real-valued tensors or arrays, before Keras converts them.

    Tensors (eager or symbolic) pass through when their dtype is real (floating, integer or
    boolean); anything else goes through `cvutils.checks.check_array` (non-finite values are
    allowed: like every Keras layer, this one propagates them rather than check a graph).
    """
    if (
        hasattr(inputs, "shape")
        and hasattr(inputs, "dtype")
        and not isinstance(inputs, np.ndarray | np.generic)
    ):
        try:
            dtype = keras.backend.standardize_dtype(inputs.dtype)
        except ValueError:
            dtype = str(inputs.dtype)
        if dtype != "bool" and not dtype.startswith(("float", "bfloat", "int", "uint")):
            fail("inputs", "a tensor of real numbers", describe(inputs), kind=True)
        return inputs
    return check_array("inputs", inputs, finite=False)


@keras.saving.register_keras_serializable(package="cvutils")
class LocallyConnected2D(keras.layers.Layer):
    """2D locally connected layer: a "valid" convolution whose weights are not shared.

    Input ``(batch, h, w, c_in)`` (channels last, ``h``, ``w`` and ``c_in`` known when it is
    built) -> output ``(batch, out_h, out_w, filters)``, with ``out_h = floor((h - k_h) / s_h)
    + 1`` and ``out_w`` likewise (no padding).

    Taught in notebooks/03_padding_strides_volumes_pooling.ipynb.

    A `keras.layers.Conv2D` slides *one* ``(k_h, k_w, c_in, filters)`` kernel over every
    position. This layer has a separate kernel for each of the ``out_h * out_w`` output
    positions, so it has ``out_h * out_w`` times the parameters of the convolution:

        params = out_h * out_w * (k_h * k_w * c_in * filters + filters)

    Integer images (``uint8`` pixels) are cast to the layer's compute dtype; an empty batch
    gives an empty output.

    Weights:
        kernel: ``(out_h * out_w, k_h * k_w * c_in, filters)``; row ``p = i * out_w + j``
            is the filter at output position ``(i, j)``, flattened in the order
            ``(k_h, k_w, c_in)`` of a `Conv2D` kernel reshaped to ``(k_h * k_w * c_in, filters)``.
        bias: ``(out_h, out_w, filters)`` (one bias per position and filter).

    Args:
        filters: number of output channels, an int in ``1..MAX_COUNT``.
        kernel_size: ``k`` or ``(k_h, k_w)``, ints in ``1..MAX_COUNT``, at most the input's
            height and width.
        strides: ``s`` or ``(s_h, s_w)``, ints in ``1..MAX_COUNT`` (default 1).
        activation: any `keras.activations.get` identifier (default: none, linear).
        use_bias: add the per-position bias (default True).
        kernel_initializer, bias_initializer: Keras initializer identifiers.
        **kwargs: passed to `keras.layers.Layer` (``name``, ``dtype``, ...).

    Raises:
        ValueError: (`cvutils.checks.ArgumentTypeError` for a value of the wrong kind) for a
            bad argument at construction; when built on ``inputs`` that are not rank 4, have
            unknown height, width or channels, are smaller than ``kernel_size``, or would need
            more than ``MAX_PARAMS`` weights; when called on ``inputs`` whose height, width
            or channels differ from those it was built for, or that are not real-valued
            arrays or tensors (None, strings, complex or object arrays, ragged lists).

    Example:
        >>> import numpy as np
        >>> layer = LocallyConnected2D(6, 5)
        >>> y = layer(np.zeros((1, 32, 32, 3), "float32"))
        >>> tuple(y.shape)
        (1, 28, 28, 6)
        >>> layer.count_params()                             # 28 * 28 * (5*5*3*6 + 6)
        357504
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int | tuple[int, int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, minimum=1, maximum=MAX_COUNT)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.strides = _pair("strides", strides)
        self.use_bias = check_bool("use_bias", use_bias)
        self.activation = _identifier(
            "activation",
            activation,
            keras.activations.get,
            "a Keras activation (a name such as 'relu', a callable or None)",
        )
        initializer = "a Keras initializer (a name such as 'he_normal' or an Initializer)"
        self.kernel_initializer = _identifier(
            "kernel_initializer", kernel_initializer, keras.initializers.get, initializer
        )
        self.bias_initializer = _identifier(
            "bias_initializer", bias_initializer, keras.initializers.get, initializer
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Checks ``inputs`` (see `_check_inputs`), then calls the layer as Keras does."""
        if args:
            args = (_check_inputs(args[0]), *args[1:])
        elif "inputs" in kwargs:
            kwargs["inputs"] = _check_inputs(kwargs["inputs"])
        return super().__call__(*args, **kwargs)

    # ------------------------------------------------------------------ shapes

    def _output_hw(self, input_shape: tuple) -> tuple[int, int, int]:
        """Validates a ``(batch, h, w, c)`` shape; returns ``(out_h, out_w, c_in)``."""
        shape = tuple(input_shape)
        if len(shape) != 4:
            fail("inputs", "of rank 4 (batch, height, width, channels)", f"shape {shape}")
        _, h, w, c = shape
        if h is None or w is None or c is None:
            fail(
                "inputs",
                "of known height, width and channels (each position has its own weights)",
                f"shape {shape}",
            )
        (k_h, k_w), (s_h, s_w) = self.kernel_size, self.strides
        if k_h > h or k_w > w:
            fail(
                "kernel_size",
                f"at most the input's height x width {h}x{w} (input shape {shape})",
                repr(self.kernel_size),
            )
        out_h, out_w = (h - k_h) // s_h + 1, (w - k_w) // s_w + 1
        return out_h, out_w, int(c)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, h, w, c_in)`` -> ``(batch, out_h, out_w, filters)``."""
        out_h, out_w, _ = self._output_hw(input_shape)
        return (input_shape[0], out_h, out_w, self.filters)

    def build(self, input_shape: tuple) -> None:
        out_h, out_w, c_in = self._output_hw(input_shape)
        k_h, k_w = self.kernel_size
        n_params = out_h * out_w * (k_h * k_w * c_in * self.filters + self.filters)
        if n_params > MAX_PARAMS:
            fail(
                "filters and kernel_size",
                f"small enough for at most {MAX_PARAMS:,} weights on input shape "
                f"{tuple(input_shape)}",
                f"filters={self.filters}, kernel_size={self.kernel_size}, "
                f"strides={self.strides}: {n_params:,} weights",
            )
        self.input_hwc = tuple(int(d) for d in input_shape[1:])
        self.out_hw = (out_h, out_w)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(out_h * out_w, k_h * k_w * c_in, self.filters),
            initializer=self.kernel_initializer,
        )
        self.bias = (
            self.add_weight(
                name="bias", shape=(out_h, out_w, self.filters), initializer=self.bias_initializer
            )
            if self.use_bias
            else None
        )

    # ------------------------------------------------------------------ forward

    def call(self, inputs):
        """``(batch, h, w, c_in)`` -> ``(batch, out_h, out_w, filters)``."""
        shape = tuple(inputs.shape)  # a traced graph may not know every size: check the known
        if len(shape) != 4 or any(
            d is not None and d != e for d, e in zip(shape[1:], self.input_hwc, strict=True)
        ):
            h, w, c = self.input_hwc
            fail(
                "inputs",
                f"of shape (batch, {h}, {w}, {c}) (batch, height, width, channels), the shape "
                "this layer was built for",
                describe(inputs),
            )
        if keras.backend.standardize_dtype(inputs.dtype) != self.compute_dtype:
            inputs = ops.cast(inputs, self.compute_dtype)  # integer images
        out_h, out_w = self.out_hw
        # (batch, out_h, out_w, k_h * k_w * c_in), each patch flattened as (k_h, k_w, c_in)
        patches = ops.image.extract_patches(
            inputs,
            self.kernel_size,
            strides=self.strides,
            padding="valid",
            data_format="channels_last",
        )
        # One matrix product per position (i, j): (batch, K) @ (K, filters). No reshape of
        # the batch axis, so an empty batch gives an empty output.
        kernel = ops.reshape(self.kernel, (out_h, out_w, -1, self.filters))
        outputs = ops.einsum("bijk,ijkf->bijf", patches, kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            strides=self.strides,
            activation=keras.activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
        )
        return config
