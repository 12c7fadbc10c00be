"""Keras 3 building blocks that the course uses and Keras does not ship.

`LocallyConnected2D`
    A convolution-shaped layer *without* parameter sharing: every output position has its
    own filter. Keras 2 had ``keras.layers.LocallyConnected2D``; Keras 3 removed it. The
    course uses it to show what parameter sharing buys (and costs).

Every layer here is registered with ``@keras.saving.register_keras_serializable(package="cvutils")``
and has a ``get_config``, so a model that uses it saves to ``.keras`` and loads back with
``keras.models.load_model`` (import ``cvutils.blocks`` first).
"""

from __future__ import annotations

import numbers
from typing import Any

import keras
from keras import ops

__all__ = ["LocallyConnected2D"]


def _pair(name: str, value: Any) -> tuple[int, int]:
    """Returns ``value`` as a pair of positive ints; an int ``k`` means ``(k, k)``."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or any(
        isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in items
    ):
        raise ValueError(
            f"{name} must be a positive int or a pair of positive ints (height, width); "
            f"got {value!r}."
        )
    return int(items[0]), int(items[1])


@keras.saving.register_keras_serializable(package="cvutils")
class LocallyConnected2D(keras.layers.Layer):
    """2D locally connected layer: a "valid" convolution whose weights are not shared.

    A `keras.layers.Conv2D` slides *one* ``(k_h, k_w, c_in, filters)`` kernel over every
    position. This layer has a separate kernel for each of the ``out_h * out_w`` output
    positions, so it has ``out_h * out_w`` times the parameters of the convolution:

        params = out_h * out_w * (k_h * k_w * c_in * filters + filters)

    with ``out_h = floor((h - k_h) / s_h) + 1`` and ``out_w`` likewise (no padding).

    Input ``(batch, h, w, c_in)`` (channels last, ``h`` and ``w`` known when it is built)
    -> output ``(batch, out_h, out_w, filters)``.

    Weights:
        kernel: ``(out_h * out_w, k_h * k_w * c_in, filters)``; row ``p = i * out_w + j``
            is the filter at output position ``(i, j)``, flattened in the order
            ``(k_h, k_w, c_in)`` of a `Conv2D` kernel reshaped to ``(k_h * k_w * c_in, filters)``.
        bias: ``(out_h, out_w, filters)`` (one bias per position and filter).

    Args:
        filters: number of output channels, a positive int.
        kernel_size: ``k`` or ``(k_h, k_w)``, positive ints.
        strides: ``s`` or ``(s_h, s_w)``, positive ints (default 1).
        activation: any `keras.activations.get` identifier (default: none, linear).
        use_bias: add the per-position bias (default True).
        kernel_initializer, bias_initializer: Keras initializer identifiers.
        **kwargs: passed to `keras.layers.Layer` (``name``, ``dtype``, ...).

    Raises:
        ValueError: for a bad ``filters``, ``kernel_size`` or ``strides`` (at construction),
            and when built on an input that is not rank 4, has unknown height/width/channels,
            or is smaller than the kernel.

    Example:
        >>> layer = LocallyConnected2D(6, 5)
        >>> y = layer(np.zeros((1, 32, 32, 3), "float32"))   # (1, 28, 28, 6)
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
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters < 1:
            raise ValueError(f"filters must be a positive int; got {filters!r}.")
        if not isinstance(use_bias, bool):
            raise ValueError(f"use_bias must be True or False; got {use_bias!r}.")
        self.filters = int(filters)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.strides = _pair("strides", strides)
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    # ------------------------------------------------------------------ shapes

    def _output_hw(self, input_shape: tuple) -> tuple[int, int, int]:
        """Validates a ``(batch, h, w, c)`` shape; returns ``(out_h, out_w, c_in)``."""
        shape = tuple(input_shape)
        if len(shape) != 4:
            raise ValueError(
                f"inputs of LocallyConnected2D must have rank 4 (batch, height, width, channels); "
                f"got shape {shape}."
            )
        _, h, w, c = shape
        if h is None or w is None or c is None:
            raise ValueError(
                f"LocallyConnected2D needs known height, width and channels (each position "
                f"has its own weights); got input shape {shape}."
            )
        (k_h, k_w), (s_h, s_w) = self.kernel_size, self.strides
        if k_h > h or k_w > w:
            raise ValueError(
                f"kernel_size={self.kernel_size} is larger than the input's height x width "
                f"{h}x{w} (input shape {shape}); expected kernel_size <= ({h}, {w})."
            )
        return (h - k_h) // s_h + 1, (w - k_w) // s_w + 1, int(c)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, h, w, c_in)`` -> ``(batch, out_h, out_w, filters)``."""
        out_h, out_w, _ = self._output_hw(input_shape)
        return (input_shape[0], out_h, out_w, self.filters)

    def build(self, input_shape: tuple) -> None:
        out_h, out_w, c_in = self._output_hw(input_shape)
        k_h, k_w = self.kernel_size
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
        self.input_spec = keras.layers.InputSpec(
            ndim=4, axes={1: input_shape[1], 2: input_shape[2], 3: c_in}
        )

    # ------------------------------------------------------------------ forward

    def call(self, inputs):
        """``(batch, h, w, c_in)`` -> ``(batch, out_h, out_w, filters)``."""
        out_h, out_w = self.out_hw
        # (batch, out_h, out_w, k_h * k_w * c_in), each patch flattened as (k_h, k_w, c_in)
        patches = ops.image.extract_patches(
            inputs,
            self.kernel_size,
            strides=self.strides,
            padding="valid",
            data_format="channels_last",
        )
        patches = ops.reshape(patches, (-1, out_h * out_w, patches.shape[-1]))
        # One matrix product per position p: (batch, K) @ (K, filters).
        outputs = ops.einsum("bpk,pkf->bpf", patches, self.kernel)
        outputs = ops.reshape(outputs, (-1, out_h, out_w, self.filters))
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
