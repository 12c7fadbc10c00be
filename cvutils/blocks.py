"""Keras 3 building blocks that the course uses and Keras does not ship.

`LocallyConnected2D`
    A convolution-shaped layer *without* parameter sharing: every output position has its
    own filter. Keras 2 had ``keras.layers.LocallyConnected2D``; Keras 3 removed it. The
    course uses it to show what parameter sharing buys (and costs). Taught in
    notebooks/03_padding_strides_volumes_pooling.ipynb.

Network blocks (functions of the functional API, a 4-D tensor in and out), assembled into
networks by `cvutils.models`:

* `identity_block`, `convolutional_block` (the course's ResNet-50 blocks) and
  `basic_residual_block` with its parameter-free `ZeroPadShortcut` (ResNet-20/32/56),
  taught in notebooks/08_residual_networks.ipynb;
* `inception_module`, `depthwise_separable`, `inverted_residual`, taught in
  notebooks/09_network_in_network_inception_mobilenet.ipynb;
* `conv_block` and `upsampling_block` (the course's U-Net blocks), taught in
  notebooks/15_semantic_segmentation_unet.ipynb; `cvutils.models.unet_model` assembles them
  (blocks hold the tensor-to-tensor pieces, models the networks, as for ResNet-50).

Every layer here is registered with ``@keras.saving.register_keras_serializable(package="cvutils")``
and has a ``get_config``, so a model that uses it saves to ``.keras`` and loads back with
``keras.models.load_model`` (import ``cvutils.blocks`` first).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from cvutils.checks import (
    MAX_COUNT,
    check_array,
    check_bool,
    check_callable,
    check_int,
    check_real,
    check_shape,
    check_size,
    check_str,
    describe,
    fail,
)

__all__ = [
    "LocallyConnected2D",
    "ZeroPadShortcut",
    "basic_residual_block",
    "conv_block",
    "convolutional_block",
    "depthwise_separable",
    "identity_block",
    "inception_module",
    "inverted_residual",
    "upsampling_block",
]


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


def _check_inputs(inputs: Any, name: str = "inputs") -> Any:
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
            fail(name, "a tensor of real numbers", describe(inputs), kind=True)
        return inputs
    return check_array(name, inputs, finite=False)


class _CheckedLayer(keras.layers.Layer):
    """A layer whose call refuses, by name and in the one message form (before Keras wraps
    the errors of ``call``), inputs that are not real arrays or tensors."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Checks ``inputs`` (see `_check_inputs`), then calls the layer as Keras does."""
        if args:
            args = (_check_inputs(args[0]), *args[1:])
        elif "inputs" in kwargs:
            kwargs["inputs"] = _check_inputs(kwargs["inputs"])
        return super().__call__(*args, **kwargs)


def _rank4(shape: Any) -> tuple:
    """A ``(batch, height, width, channels)`` shape of ints >= 0 or None (unknown), or the one
    error naming ``inputs`` (a NaN, float, negative or bool size is refused, never passed on)."""
    if isinstance(shape, str | bytes) or not hasattr(shape, "__iter__"):
        fail("inputs", "of a shape (batch, height, width, channels)", describe(shape), kind=True)
    shape = tuple(shape)
    if len(shape) != 4:
        fail("inputs", "of rank 4 (batch, height, width, channels)", f"shape {shape}")
    for d in shape:
        if d is not None and (
            isinstance(d, bool | np.bool_) or not isinstance(d, int | np.integer) or d < 0
        ):
            fail(
                "inputs",
                "of a shape of sizes that are integers >= 0 or None (batch, height, width, "
                "channels)",
                f"shape {shape}",
            )
    return tuple(None if d is None else int(d) for d in shape)


@keras.saving.register_keras_serializable(package="cvutils")
class LocallyConnected2D(_CheckedLayer):
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
            unknown height, width or channels, are smaller than ``kernel_size``, or would
            need more than `cvutils.checks.MAX_PARAMS` weights; when called on ``inputs`` whose
            height, width or channels differ from those it was built for, or that are not
            real-valued arrays or tensors (None, strings, complex or object arrays, ragged
            lists).

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

    # ------------------------------------------------------------------ shapes

    def _output_hw(self, input_shape: tuple) -> tuple[int, int, int]:
        """Validates a ``(batch, h, w, c)`` shape; returns ``(out_h, out_w, c_in)``."""
        shape = _rank4(input_shape)
        _, h, w, c = shape
        if h is None or w is None or not c:
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
        return (_rank4(input_shape)[0], out_h, out_w, self.filters)

    def build(self, input_shape: tuple) -> None:
        out_h, out_w, c_in = self._output_hw(input_shape)
        k_h, k_w = self.kernel_size
        n_params = out_h * out_w * (k_h * k_w * c_in * self.filters + self.filters)
        check_size(
            "filters and kernel_size",
            n_params,
            detail=f" on input shape {tuple(input_shape)} (filters={self.filters}, "
            f"kernel_size={self.kernel_size}, strides={self.strides})",
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

    def _patches(self, inputs):
        """``(batch, h, w, c)`` -> ``(batch, out_h, out_w, k_h * k_w * c)``, each patch
        flattened in the order ``(k_h, k_w, c)``.

        Strided slices, one per kernel offset, instead of ``keras.ops.image.extract_patches``:
        with oneDNN (TF_ENABLE_ONEDNN_OPTS=1) that convolution returns its *input* for an empty
        batch, and the layer would fail with a shape error instead of giving an empty output.
        """
        (k_h, k_w), (s_h, s_w) = self.kernel_size, self.strides
        out_h, out_w = self.out_hw
        span_h, span_w = s_h * (out_h - 1) + 1, s_w * (out_w - 1) + 1
        taps = [
            inputs[:, di : di + span_h : s_h, dj : dj + span_w : s_w, :]
            for di in range(k_h)
            for dj in range(k_w)
        ]
        return ops.concatenate(taps, axis=-1)  # (di, dj, c) order: a Conv2D kernel's

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
        patches = self._patches(inputs)
        # One matrix product per position (i, j): (batch, K) @ (K, filters).
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


# ======================================================================================
# Network blocks: residual, inception, depthwise separable, inverted residual.
# Functions of the Keras functional API: a 4-D tensor in, a 4-D tensor out. They are
# taught in notebooks/08_residual_networks.ipynb and
# notebooks/09_network_in_network_inception_mobilenet.ipynb, and `cvutils.models`
# assembles the course's networks from them.
# ======================================================================================


def _feature_map(name: str, x: Any) -> int:
    """Checks that ``x`` is a ``(batch, h, w, c)`` tensor with known channels; returns ``c``."""
    if x is not None:
        x = _check_inputs(x, name)  # no strings, complex or object arrays
    shape = getattr(x, "shape", None)
    if shape is None:
        fail(name, "a 4-D tensor (batch, n_H, n_W, n_C)", describe(x), kind=True)
    if len(shape) != 4 or shape[-1] is None:
        fail(name, "a 4-D tensor (batch, n_H, n_W, n_C) with known n_C", describe(x))
    if any(d is not None and int(d) == 0 for d in shape[1:]):
        fail(name, "a feature map of at least one pixel and one channel", describe(x))
    return int(shape[-1])


def _filters(name: str, filters: Any, n: int) -> tuple[int, ...]:
    """Checks a list of ``n`` filter counts (each an integer >= 1)."""
    if isinstance(filters, str | bytes) or not isinstance(filters, Sequence):
        fail(name, f"a list of {n} integers", describe(filters), kind=True)
    if len(filters) != n:
        fail(name, f"a list of {n} integers", f"{list(filters)!r} of length {len(filters)}")
    return tuple(check_int(f"{name}[{i}]", v, 1, MAX_COUNT) for i, v in enumerate(filters))


def _is_empty_batch(x: Any) -> bool:
    """Whether ``x`` is a concrete (NumPy or eager) 4-D batch of no example."""
    if isinstance(x, keras.KerasTensor) or not hasattr(x, "shape") or not hasattr(x, "dtype"):
        return False
    try:
        return len(x.shape) == 4 and x.shape[0] is not None and int(x.shape[0]) == 0
    except TypeError:
        return False


def _empty_batch_safe(block: Callable) -> Callable:
    """Makes a block applied eagerly to an empty batch give an empty batch of the right shape.

    With oneDNN (TF_ENABLE_ONEDNN_OPTS=1, the default on x86), TensorFlow's convolutions
    fail on a batch of no example, and its depthwise convolution returns its input unchanged
    (a silently wrong shape). The block is built and run on one zero example instead, and
    its outputs are cut to no example: the same layers, the same output shapes with and
    without oneDNN. Symbolic inputs (`keras.Input`) and non-empty batches are not touched.
    """

    @functools.wraps(block)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else next(iter(kwargs.values()), None)
        if not _is_empty_batch(first):
            return block(*args, **kwargs)

        def one(v: Any) -> Any:
            if not _is_empty_batch(v):
                return v
            return np.zeros((1, *(int(d) for d in v.shape[1:])), dtype=_dtype_name(v))

        out = block(*(one(a) for a in args), **{k: one(v) for k, v in kwargs.items()})
        return keras.tree.map_structure(lambda t: t[:0], out)

    return wrapper


def _dtype_name(x: Any) -> str:
    try:
        return keras.backend.standardize_dtype(x.dtype)
    except ValueError:
        return "float32"


def _block_size(names: str, count: int) -> None:
    """Refuses a block whose weights would exceed `cvutils.checks.MAX_PARAMS`, naming the
    arguments that set its widths, before Keras allocates anything."""
    check_size(names, count, detail=" in one block")


def _initializer(initializer: Any, seed: int = 0) -> Any:
    """Resolves the course's ``initializer`` argument to a Keras initializer.

    The course passes an initializer *class* (``random_uniform``, ``glorot_uniform``) or a
    factory such as ``lambda seed=0: constant(value=1)`` and calls it with ``seed=0``; a
    ready `keras.initializers.Initializer`, a name such as ``"he_normal"`` or a config dict
    are used as they are.
    """
    if isinstance(initializer, keras.initializers.Initializer | str | dict):
        return keras.initializers.get(initializer)
    check_callable("initializer", initializer)
    return initializer(seed=seed)


def _names(name: str | None) -> Callable[[str], str | None]:
    """``name="stage2_block1"`` -> a function giving ``"stage2_block1_<part>"`` (None: Keras)."""
    if name is not None:
        check_str("name", name)
    return lambda part: None if name is None else f"{name}_{part}"


def _conv_bn(
    x: Any,
    filters: int,
    kernel_size: int,
    strides: int,
    padding: str,
    init: Any,
    training: bool | None,
    n: Callable[[str], str | None],
    part: str,
    relu: bool = True,
    use_bias: bool = True,
    epsilon: float = 1e-3,
) -> Any:
    """Conv2D -> BatchNormalization(axis=3) [-> ReLU], the unit of the course's ResNet blocks."""
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=use_bias,
        kernel_initializer=init,
        name=n(f"{part}_conv"),
    )(x)
    x = keras.layers.BatchNormalization(axis=3, epsilon=epsilon, name=n(f"{part}_bn"))(
        x, training=training
    )
    return keras.layers.Activation("relu", name=n(f"{part}_relu"))(x) if relu else x


@_empty_batch_safe
def identity_block(
    X: Any,
    f: int,
    filters: Sequence[int],
    training: bool | None = True,
    initializer: Any = keras.initializers.random_uniform,
    name: str | None = None,
) -> Any:
    """The course's ResNet identity block: three convolutions and an identity shortcut.

    ``(m, n_H, n_W, n_C)`` -> ``(m, n_H, n_W, F3)`` with ``F3 == n_C``::

        X -> Conv 1x1 (F1, valid) -> BN -> ReLU -> Conv fxf (F2, same) -> BN -> ReLU
          -> Conv 1x1 (F3, valid) -> BN -> (+ X) -> ReLU

    Taught in notebooks/08_residual_networks.ipynb.

    Args:
        X: input tensor ``(m, n_H, n_W, n_C)`` (a symbolic `keras.Input` or an eager array).
        f: size of the middle convolution's window, an integer >= 1.
        filters: ``[F1, F2, F3]``, the filters of the three convolutions; ``F3`` must equal
            ``n_C`` so that the shortcut can be added.
        training: passed to every `BatchNormalization` call (the course's default True; a
            model built with None follows ``fit``/``predict``, as `cvutils.models` does).
        initializer: the course's convention: an initializer class or factory called with
            ``seed=0`` (default ``random_uniform``); or a Keras initializer, name or config.
        name: prefix of the layer names (``{name}_1_conv``, ..., ``{name}_add``); None lets
            Keras number them.

    Returns:
        The output tensor ``(m, n_H, n_W, F3)``.

    Raises:
        ValueError: ``X`` is not 4-D, ``f`` < 1, ``filters`` is not three positive integers,
            or ``filters[2]`` differs from the input's channels.

    Example:
        >>> X = keras.Input((8, 8, 16))
        >>> identity_block(X, 3, [4, 4, 16]).shape
        (None, 8, 8, 16)
    """
    n_C = _feature_map("X", X)
    f = check_int("f", f, 1, MAX_COUNT)
    F1, F2, F3 = _filters("filters", filters, 3)
    if F3 != n_C:
        fail("filters[2]", f"the channels of X ({n_C}) for the identity shortcut", str(F3))
    _block_size("f and filters", n_C * F1 + f * f * F1 * F2 + F2 * F3)
    init, n = _initializer(initializer), _names(name)
    shortcut = X
    X = _conv_bn(X, F1, 1, 1, "valid", init, training, n, "1")
    X = _conv_bn(X, F2, f, 1, "same", init, training, n, "2")
    X = _conv_bn(X, F3, 1, 1, "valid", init, training, n, "3", relu=False)
    X = keras.layers.Add(name=n("add"))([shortcut, X])
    return keras.layers.Activation("relu", name=n("out"))(X)


@_empty_batch_safe
def convolutional_block(
    X: Any,
    f: int,
    filters: Sequence[int],
    s: int = 2,
    training: bool | None = True,
    initializer: Any = keras.initializers.glorot_uniform,
    name: str | None = None,
) -> Any:
    """The course's ResNet convolutional block: a projection shortcut for a change of shape.

    ``(m, n_H, n_W, n_C)`` -> ``(m, ceil(n_H / s), ceil(n_W / s), F3)``::

        X -> Conv 1x1 stride s (F1) -> BN -> ReLU -> Conv fxf (F2, same) -> BN -> ReLU
          -> Conv 1x1 (F3) -> BN -> (+ shortcut) -> ReLU
        shortcut = BN(Conv 1x1 stride s (F3)(X))

    Taught in notebooks/08_residual_networks.ipynb.

    Args:
        X: input tensor ``(m, n_H, n_W, n_C)``.
        f: size of the middle convolution's window, an integer >= 1.
        filters: ``[F1, F2, F3]``, the filters of the three convolutions.
        s: stride of the first convolution and of the shortcut, an integer >= 1 (default 2).
        training: passed to every `BatchNormalization` call (see `identity_block`).
        initializer: the course's convention (default ``glorot_uniform``, called with
            ``seed=0``); or a Keras initializer, name or config.
        name: prefix of the layer names (``{name}_0_conv`` is the shortcut); None: Keras.

    Returns:
        The output tensor ``(m, ceil(n_H / s), ceil(n_W / s), F3)``.

    Raises:
        ValueError: ``X`` is not 4-D, ``f`` or ``s`` < 1, or ``filters`` is not three
            positive integers.

    Example:
        >>> X = keras.Input((15, 15, 64))
        >>> convolutional_block(X, 3, [64, 64, 256], s=2).shape
        (None, 8, 8, 256)
    """
    _feature_map("X", X)
    f = check_int("f", f, 1, MAX_COUNT)
    F1, F2, F3 = _filters("filters", filters, 3)
    s = check_int("s", s, 1, MAX_COUNT)
    n_C = int(X.shape[-1])
    _block_size("f and filters", n_C * F3 + n_C * F1 + f * f * F1 * F2 + F2 * F3)
    init, n = _initializer(initializer), _names(name)
    shortcut = _conv_bn(X, F3, 1, s, "valid", init, training, n, "0", relu=False)
    X = _conv_bn(X, F1, 1, s, "valid", init, training, n, "1")
    X = _conv_bn(X, F2, f, 1, "same", init, training, n, "2")
    X = _conv_bn(X, F3, 1, 1, "valid", init, training, n, "3", relu=False)
    X = keras.layers.Add(name=n("add"))([X, shortcut])
    return keras.layers.Activation("relu", name=n("out"))(X)


@keras.saving.register_keras_serializable(package="cvutils")
class ZeroPadShortcut(_CheckedLayer):
    """The parameter-free shortcut of ResNet on CIFAR ("option A" of He et al., 2016).

    ``(batch, h, w, c_in)`` -> ``(batch, ceil(h / s), ceil(w / s), filters)``: keeps every
    ``s``-th row and column, then pads the channels with zeros, ``(filters - c_in) // 2``
    before and the rest after. With ``s = 1`` and ``filters = c_in`` it is the identity.

    Taught in notebooks/08_residual_networks.ipynb.

    Args:
        filters: output channels, an integer >= the input's channels.
        strides: subsampling step, an integer >= 1.
        **kwargs: passed to `keras.layers.Layer`.

    Example:
        >>> tuple(ZeroPadShortcut(8, 2)(ops.ones((1, 4, 4, 4))).shape)
        (1, 2, 2, 8)
    """

    def __init__(self, filters: int, strides: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters = check_int("filters", filters, 1, MAX_COUNT)
        self.strides = check_int("strides", strides, 1, MAX_COUNT)

    def _pads(self, c_in: Any) -> tuple[int, int]:
        if c_in is None or c_in > self.filters:
            fail("filters", f"at least the input's channels ({c_in})", str(self.filters))
        before = (self.filters - c_in) // 2
        return before, self.filters - c_in - before

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        batch, h, w, c = _rank4(input_shape)
        self._pads(c)
        s = self.strides
        return (
            batch,
            None if h is None else -(-h // s),
            None if w is None else -(-w // s),
            self.filters,
        )

    def call(self, inputs):
        _, h, w, _ = _rank4(inputs.shape)
        s = self.strides
        if h is not None and w is not None:
            out_hw = -(-h // s) * -(-w // s)
            check_size("filters", out_hw * self.filters, what="output values per example")
        x = inputs[:, ::s, ::s, :]
        before, after = self._pads(inputs.shape[-1])
        return ops.pad(x, ((0, 0), (0, 0), (0, 0), (before, after)))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(filters=self.filters, strides=self.strides)
        return config


@_empty_batch_safe
def basic_residual_block(
    x: Any,
    filters: int,
    stride: int = 1,
    plain: bool = False,
    training: bool | None = None,
    name: str | None = None,
) -> Any:
    """The two-convolution block of ResNet-20/32/56 on CIFAR (He et al., 2016, Sec. 4.2).

    ``(m, n_H, n_W, n_C)`` -> ``(m, ceil(n_H / stride), ceil(n_W / stride), filters)``::

        x -> Conv 3x3 stride s -> BN -> ReLU -> Conv 3x3 -> BN -> (+ shortcut) -> ReLU

    The shortcut is the identity, or `ZeroPadShortcut` (subsample and zero-pad the
    channels, no parameters) where the shape changes, so a residual network and its plain
    twin (``plain=True``: no shortcut) have exactly the same parameters. Convolutions have no
    bias (the batch norm that follows has one), He-normal initialisation.

    Taught in notebooks/08_residual_networks.ipynb.

    Args:
        x: input tensor ``(m, n_H, n_W, n_C)`` with ``n_C <= filters``.
        filters: output channels, an integer >= 1.
        stride: stride of the first convolution, an integer >= 1.
        plain: drop the shortcut (the "plain" network of the paper).
        training: passed to the `BatchNormalization` calls.
        name: prefix of the layer names; None lets Keras number them.

    Returns:
        The output tensor.

    Raises:
        ValueError: ``x`` is not 4-D, ``filters`` or ``stride`` < 1, or ``filters`` is
            smaller than the input's channels.

    Example:
        >>> basic_residual_block(keras.Input((32, 32, 16)), 32, stride=2).shape
        (None, 16, 16, 32)
    """
    n_C = _feature_map("x", x)
    filters = check_int("filters", filters, 1, MAX_COUNT)
    stride = check_int("stride", stride, 1, MAX_COUNT)
    plain = check_bool("plain", plain)
    if filters < n_C:
        fail("filters", f"at least the channels of x ({n_C})", str(filters))
    _block_size("filters", 9 * n_C * filters + 9 * filters * filters)
    n, init = _names(name), "he_normal"
    y = _conv_bn(x, filters, 3, stride, "same", init, training, n, "1", use_bias=False)
    y = _conv_bn(y, filters, 3, 1, "same", init, training, n, "2", relu=False, use_bias=False)
    if not plain:
        shortcut = x
        if stride != 1 or filters != n_C:
            shortcut = ZeroPadShortcut(filters, stride, name=n("shortcut"))(x)
        y = keras.layers.Add(name=n("add"))([shortcut, y])
    return keras.layers.Activation("relu", name=n("out"))(y)


@_empty_batch_safe
def inception_module(
    x: Any,
    filters_1x1: int,
    filters_3x3_reduce: int | None,
    filters_3x3: int,
    filters_5x5_reduce: int | None,
    filters_5x5: int,
    filters_pool_proj: int | None,
    name: str | None = None,
) -> Any:
    """An Inception module (GoogLeNet): four branches concatenated along the channels.

    ``(m, n_H, n_W, n_C)`` -> ``(m, n_H, n_W, filters_1x1 + filters_3x3 + filters_5x5 + P)``
    with ``P = filters_pool_proj`` (or ``n_C`` when it is None)::

        branch 1: Conv 1x1 (filters_1x1)
        branch 2: [Conv 1x1 (filters_3x3_reduce)] -> Conv 3x3 (filters_3x3)
        branch 3: [Conv 1x1 (filters_5x5_reduce)] -> Conv 5x5 (filters_5x5)
        branch 4: MaxPool 3x3 stride 1 -> [Conv 1x1 (filters_pool_proj)]

    Every convolution is "same", with bias and ReLU. A ``None`` reduce or projection drops
    that 1x1 "bottleneck" convolution; with all three None it is the course's *naive*
    module, whose cost the bottlenecks cut about tenfold.

    Taught in notebooks/09_network_in_network_inception_mobilenet.ipynb.

    Args:
        x: input tensor ``(m, n_H, n_W, n_C)``.
        filters_1x1, filters_3x3, filters_5x5: integers >= 1.
        filters_3x3_reduce, filters_5x5_reduce, filters_pool_proj: integers >= 1 or None.
        name: prefix of the layer names (``{name}_3x3``, ``{name}_concat``, ...).

    Returns:
        The concatenated output tensor.

    Example:
        >>> inception_module(keras.Input((28, 28, 256)), 128, None, 192, None, 96, None).shape
        (None, 28, 28, 672)
    """
    _feature_map("x", x)
    counts = {
        "filters_1x1": filters_1x1,
        "filters_3x3_reduce": filters_3x3_reduce,
        "filters_3x3": filters_3x3,
        "filters_5x5_reduce": filters_5x5_reduce,
        "filters_5x5": filters_5x5,
        "filters_pool_proj": filters_pool_proj,
    }
    optional = {"filters_3x3_reduce", "filters_5x5_reduce", "filters_pool_proj"}
    k = {
        key: None if (v is None and key in optional) else check_int(key, v, 1, MAX_COUNT)
        for key, v in counts.items()
    }
    c = int(x.shape[-1])
    r3, r5, proj = (k[f] for f in ("filters_3x3_reduce", "filters_5x5_reduce", "filters_pool_proj"))
    _block_size(
        ", ".join(counts),
        c * k["filters_1x1"]
        + (c * r3 + 9 * r3 * k["filters_3x3"] if r3 else 9 * c * k["filters_3x3"])
        + (c * r5 + 25 * r5 * k["filters_5x5"] if r5 else 25 * c * k["filters_5x5"])
        + (c * proj if proj else 0),
    )
    n = _names(name)

    def conv(t: Any, filters: int, size: int, part: str) -> Any:
        return keras.layers.Conv2D(filters, size, padding="same", activation="relu", name=n(part))(
            t
        )

    b1 = conv(x, k["filters_1x1"], 1, "1x1")
    b2 = x if k["filters_3x3_reduce"] is None else conv(x, k["filters_3x3_reduce"], 1, "3x3_reduce")
    b2 = conv(b2, k["filters_3x3"], 3, "3x3")
    b3 = x if k["filters_5x5_reduce"] is None else conv(x, k["filters_5x5_reduce"], 1, "5x5_reduce")
    b3 = conv(b3, k["filters_5x5"], 5, "5x5")
    b4 = keras.layers.MaxPooling2D(3, strides=1, padding="same", name=n("pool"))(x)
    if k["filters_pool_proj"] is not None:
        b4 = conv(b4, k["filters_pool_proj"], 1, "pool_proj")
    return keras.layers.Concatenate(axis=-1, name=n("concat"))([b1, b2, b3, b4])


@_empty_batch_safe
def depthwise_separable(
    x: Any,
    filters: int,
    stride: int = 1,
    kernel_size: int = 3,
    depth_multiplier: int = 1,
    training: bool | None = None,
    name: str | None = None,
) -> Any:
    """A depthwise separable convolution as in MobileNet v1: depthwise, then pointwise.

    ``(m, n_H, n_W, n_C)`` -> ``(m, ceil(n_H / stride), ceil(n_W / stride), filters)``::

        x -> DepthwiseConv fxf stride s -> BN -> ReLU6 -> Conv 1x1 (filters) -> BN -> ReLU6

    Its cost is ``1 / filters + 1 / f**2`` of a normal fxf convolution with the same output
    (both convolutions have no bias; the batch norms have one).

    Taught in notebooks/09_network_in_network_inception_mobilenet.ipynb.

    Args:
        x: input tensor ``(m, n_H, n_W, n_C)``.
        filters: output channels of the pointwise convolution, an integer >= 1.
        stride: stride of the depthwise convolution, an integer >= 1.
        kernel_size: ``f``, the depthwise window, an integer >= 1 (default 3).
        depth_multiplier: depthwise outputs per input channel, an integer >= 1.
        training: passed to the `BatchNormalization` calls.
        name: prefix of the layer names (``{name}_dw``, ``{name}_pw``, ...).

    Returns:
        The output tensor.

    Example:
        >>> depthwise_separable(keras.Input((6, 6, 3)), 5, stride=2).shape
        (None, 3, 3, 5)
    """
    _feature_map("x", x)
    filters = check_int("filters", filters, 1, MAX_COUNT)
    stride = check_int("stride", stride, 1, MAX_COUNT)
    kernel_size = check_int("kernel_size", kernel_size, 1, MAX_COUNT)
    depth_multiplier = check_int("depth_multiplier", depth_multiplier, 1, MAX_COUNT)
    c = int(x.shape[-1])
    _block_size(
        "filters, kernel_size and depth_multiplier",
        c * depth_multiplier * (kernel_size**2 + filters),
    )
    n = _names(name)
    x = keras.layers.DepthwiseConv2D(
        kernel_size,
        strides=stride,
        padding="same",
        depth_multiplier=depth_multiplier,
        use_bias=False,
        name=n("dw"),
    )(x)
    x = keras.layers.BatchNormalization(name=n("dw_bn"))(x, training=training)
    x = keras.layers.ReLU(6.0, name=n("dw_relu"))(x)
    x = keras.layers.Conv2D(filters, 1, use_bias=False, name=n("pw"))(x)
    x = keras.layers.BatchNormalization(name=n("pw_bn"))(x, training=training)
    return keras.layers.ReLU(6.0, name=n("pw_relu"))(x)


@_empty_batch_safe
def inverted_residual(
    x: Any,
    expansion: int,
    filters: int,
    stride: int,
    training: bool | None = None,
    name: str | None = None,
) -> Any:
    """The MobileNet v2 bottleneck: expand, filter depthwise, project linearly.

    ``(m, n_H, n_W, n_C)`` -> ``(m, ceil(n_H / stride), ceil(n_W / stride), filters)``::

        x -> Conv 1x1 (expansion * n_C) -> BN -> ReLU6            (skipped when expansion == 1)
          -> DepthwiseConv 3x3 stride s -> BN -> ReLU6
          -> Conv 1x1 (filters) -> BN                              (linear: no activation)
          [+ x when stride == 1 and filters == n_C]

    Layers as in `keras.applications.MobileNetV2` (no convolution bias, batch norm with
    ``epsilon=1e-3, momentum=0.999``), so the parameter counts agree.

    Taught in notebooks/09_network_in_network_inception_mobilenet.ipynb.

    Args:
        x: input tensor ``(m, n_H, n_W, n_C)``.
        expansion: ``t``, the expansion factor, an integer >= 1.
        filters: output channels of the projection, an integer >= 1.
        stride: stride of the depthwise convolution, an integer >= 1.
        training: passed to the `BatchNormalization` calls.
        name: prefix of the layer names (``{name}_expand``, ``{name}_depthwise``, ...).

    Returns:
        The output tensor.

    Example:
        >>> inverted_residual(keras.Input((56, 56, 24)), 6, 24, 1).shape
        (None, 56, 56, 24)
    """
    n_C = _feature_map("x", x)
    expansion = check_int("expansion", expansion, 1, MAX_COUNT)
    filters = check_int("filters", filters, 1, MAX_COUNT)
    stride = check_int("stride", stride, 1, MAX_COUNT)
    wide = expansion * n_C
    _block_size("expansion and filters", n_C * wide + 9 * wide + wide * filters)
    n = _names(name)

    def bn(t: Any, part: str) -> Any:
        return keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name=n(part))(
            t, training=training
        )

    y = x
    if expansion != 1:
        y = keras.layers.Conv2D(expansion * n_C, 1, use_bias=False, name=n("expand"))(y)
        y = keras.layers.ReLU(6.0, name=n("expand_relu"))(bn(y, "expand_BN"))
    y = keras.layers.DepthwiseConv2D(
        3, strides=stride, padding="same", use_bias=False, name=n("depthwise")
    )(y)
    y = keras.layers.ReLU(6.0, name=n("depthwise_relu"))(bn(y, "depthwise_BN"))
    y = keras.layers.Conv2D(filters, 1, use_bias=False, name=n("project"))(y)
    y = bn(y, "project_BN")
    if stride == 1 and filters == n_C:
        y = keras.layers.Add(name=n("add"))([x, y])
    return y


# --------------------------------------------------------------------------------------
# U-Net blocks (notebook 15: semantic segmentation)
# --------------------------------------------------------------------------------------


def _unet_conv(x: Any, n_filters: int, batch_norm: bool = False) -> Any:
    """Conv2D 3x3, ReLU, "same" padding, He-normal initialization: the U-Net's convolution.

    With ``batch_norm``: Conv2D 3x3 (no bias: the normalization's offset replaces it) ->
    BatchNormalization -> ReLU.
    """
    if not batch_norm:
        return keras.layers.Conv2D(
            n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal"
        )(x)
    x = keras.layers.Conv2D(
        n_filters, 3, padding="same", use_bias=False, kernel_initializer="he_normal"
    )(x)
    return keras.layers.ReLU()(keras.layers.BatchNormalization()(x))


@_empty_batch_safe
def conv_block(
    inputs: Any,
    n_filters: int = 32,
    dropout_prob: float = 0,
    max_pooling: bool = True,
    *,
    batch_norm: bool = False,
) -> tuple[Any, Any]:
    """The U-Net's contracting (encoder) block, as in the course.

    ``(m, n_H, n_W, n_C)`` -> ``(next_layer, skip_connection)`` with ``skip_connection`` of
    shape ``(m, n_H, n_W, n_filters)`` and ``next_layer`` of shape ``(m, n_H // 2, n_W // 2,
    n_filters)`` (or the skip connection itself when ``max_pooling`` is False)::

        inputs -> Conv 3x3 (relu, same, he_normal) -> Conv 3x3 (relu, same, he_normal)
               [-> Dropout(dropout_prob) when dropout_prob > 0]   = skip_connection
               [-> MaxPooling2D(2) when max_pooling]               = next_layer

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        inputs: a 4-D tensor ``(m, n_H, n_W, n_C)`` with known channels.
        n_filters: the filters of both convolutions, an integer >= 1.
        dropout_prob: the dropout rate, in ``[0, 1)`` (0: no Dropout layer).
        max_pooling: halve the height and width for the next block.
        batch_norm: not in the course: each convolution becomes Conv 3x3 (no bias) ->
            BatchNormalization -> ReLU, which lets a small U-Net train fast and stably
            (``False``, the default, is the course's block).

    Returns:
        ``(next_layer, skip_connection)``.

    Raises:
        ValueError: for a bad argument.

    Example:
        >>> nxt, skip = conv_block(keras.Input((8, 12, 3)), n_filters=4)
        >>> nxt.shape, skip.shape
        ((None, 4, 6, 4), (None, 8, 12, 4))
    """
    _feature_map("inputs", inputs)
    n_filters = check_int("n_filters", n_filters, 1, MAX_COUNT)
    dropout_prob = check_real("dropout_prob", dropout_prob, low=0.0, high=1.0)
    max_pooling = check_bool("max_pooling", max_pooling)
    batch_norm = check_bool("batch_norm", batch_norm)
    c = int(inputs.shape[-1])
    _block_size("n_filters", 9 * c * n_filters + 9 * n_filters * n_filters)
    if max_pooling and any(d is not None and int(d) < 2 for d in inputs.shape[1:3]):
        fail(
            "inputs",
            "at least 2x2 (height x width) for the 2x2 max pooling (or max_pooling=False)",
            describe(inputs),
        )
    conv = _unet_conv(_unet_conv(inputs, n_filters, batch_norm), n_filters, batch_norm)
    if dropout_prob > 0:
        conv = keras.layers.Dropout(dropout_prob)(conv)
    next_layer = keras.layers.MaxPooling2D(pool_size=(2, 2))(conv) if max_pooling else conv
    return next_layer, conv


@_empty_batch_safe
def upsampling_block(
    expansive_input: Any,
    contractive_input: Any,
    n_filters: int = 32,
    *,
    batch_norm: bool = False,
) -> Any:
    """The U-Net's expanding (decoder) block, as in the course.

    ``(m, h, w, c)`` and a skip connection ``(m, 2h, 2w, c')`` -> ``(m, 2h, 2w, n_filters)``::

        expansive_input -> Conv2DTranspose(n_filters, 3, strides=2, same) -+
                                                   contractive_input ------+-> concatenate
        (axis 3) -> Conv 3x3 (relu, same, he_normal) -> Conv 3x3 (relu, same, he_normal)

    Taught in notebooks/15_semantic_segmentation_unet.ipynb.

    Args:
        expansive_input: the decoder's input, a 4-D tensor ``(m, h, w, c)``.
        contractive_input: the skip connection from the encoder, ``(m, 2h, 2w, c')``.
        n_filters: the filters of the transposed convolution and both convolutions.
        batch_norm: not in the course: both convolutions become Conv 3x3 (no bias) ->
            BatchNormalization -> ReLU (the transposed convolution stays as it is).

    Returns:
        The output tensor ``(m, 2h, 2w, n_filters)``.

    Raises:
        ValueError: for a bad argument, or a skip connection whose height and width are not
            twice the expansive input's.

    Example:
        >>> x = upsampling_block(keras.Input((4, 6, 8)), keras.Input((8, 12, 4)), n_filters=4)
        >>> x.shape
        (None, 8, 12, 4)
    """
    _feature_map("expansive_input", expansive_input)
    _feature_map("contractive_input", contractive_input)
    n_filters = check_int("n_filters", n_filters, 1, MAX_COUNT)
    batch_norm = check_bool("batch_norm", batch_norm)
    c_up, c_skip = int(expansive_input.shape[-1]), int(contractive_input.shape[-1])
    _block_size(
        "n_filters",
        9 * c_up * n_filters + 9 * (n_filters + c_skip) * n_filters + 9 * n_filters**2,
    )
    h, w = expansive_input.shape[1:3]
    hs, ws = contractive_input.shape[1:3]
    for name, up, skip in (("height", h, hs), ("width", w, ws)):
        if up is not None and skip is not None and 2 * int(up) != int(skip):
            fail(
                "contractive_input",
                f"a skip connection of twice the expansive input's {name} "
                f"(expansive_input.shape={tuple(expansive_input.shape)})",
                describe(contractive_input),
            )
    up = keras.layers.Conv2DTranspose(n_filters, 3, strides=(2, 2), padding="same")(expansive_input)
    merge = keras.layers.concatenate([up, contractive_input], axis=3)
    return _unet_conv(_unet_conv(merge, n_filters, batch_norm), n_filters, batch_norm)
