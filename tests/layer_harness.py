"""A test harness for every Keras layer and functional block of the course.

Two entry points, modelled on keras-hub's ``TestCase.run_layer_test``:

* `run_layer_test` for a `keras.layers.Layer` subclass, built from ``init_kwargs``;
* `run_block_test` for a *functional* block, a function ``block_fn(x, **block_kwargs)`` that
  applies layers to a tensor and returns a tensor or a tuple of tensors (the course's
  ``identity_block(X, f, filters, training=None)``, U-Net's ``conv_block(inputs, ...) ->
  (next_layer, skip)``); the block is wrapped in a `keras.Model`.

Each check raises `AssertionError` with a message that names the layer or block and what went
wrong, so a test only calls the harness::

    from layer_harness import run_layer_test

    def test_harness():
        run_layer_test(LocallyConnected2D, dict(filters=3, kernel_size=3), (2, 6, 6, 2),
                       (2, 4, 4, 3), expected_num_trainable_weights=2)

Shapes include the batch axis. A single output shape is a tuple of ints (``(2, 4, 4, 3)``);
several outputs are a tuple of such tuples (``((2, 4, 4, 8), (2, 8, 8, 8))``), in the order the
layer or block returns them. Both functions seed Keras, NumPy and Python
(`keras.utils.set_random_seed`) so that a run is reproducible, and run on tiny shapes in a
few seconds on a CPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import keras
import numpy as np

__all__ = ["global_dtype_policy", "random_inputs", "run_block_test", "run_layer_test"]

#: The dtype policy of the mixed-precision check.
MIXED_POLICY = "mixed_float16"


# ---------------------------------------------------------------------- small helpers


def _expect(condition: bool, message: str) -> None:
    """``assert`` that also holds under ``python -O``."""
    if not condition:
        raise AssertionError(message)


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple | list) and all(
        d is None or (isinstance(d, int | np.integer) and not isinstance(d, bool)) for d in value
    )


def _shapes(name: str, expected: Any) -> list[tuple]:
    """``(2, 4)`` -> ``[(2, 4)]``; ``((2, 4), (2, 8))`` -> ``[(2, 4), (2, 8)]``."""
    if _is_shape(expected):
        return [tuple(expected)]
    if isinstance(expected, tuple | list) and expected and all(_is_shape(s) for s in expected):
        return [tuple(s) for s in expected]
    raise TypeError(f"{name} must be a shape tuple or a tuple of shape tuples; got {expected!r}.")


def _batchless(shape: tuple, batch: int | None) -> tuple:
    """The symbolic version of a concrete shape: its batch axis (if it is ``batch``) unknown."""
    if shape and shape[0] == batch:
        return (None, *shape[1:])
    return shape


def _shape_of(tensor: Any) -> tuple:
    return tuple(None if d is None else int(d) for d in tensor.shape)


def _flat(outputs: Any) -> list:
    return list(keras.tree.flatten(outputs))


def _dtype(tensor: Any) -> str:
    return keras.backend.standardize_dtype(tensor.dtype)


def _is_float(dtype: str) -> bool:
    return "float" in dtype


def _numpy(tensor: Any) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(tensor))


def _check_shapes(what: str, outputs: Any, expected: list[tuple]) -> list:
    flat = _flat(outputs)
    got = [_shape_of(t) for t in flat]
    _expect(
        len(got) == len(expected) and all(g == e for g, e in zip(got, expected, strict=False)),
        f"{what}: output shape(s) {got if len(got) > 1 else got[0]}; "
        f"expected {expected if len(expected) > 1 else expected[0]}.",
    )
    return flat


def _check_finite(what: str, outputs: Any) -> None:
    for i, t in enumerate(_flat(outputs)):
        if _is_float(_dtype(t)):
            values = _numpy(t).astype(np.float64)
            _expect(np.isfinite(values).all(), f"{what}: output {i} holds NaN or inf.")


def _assert_outputs_close(what: str, actual: Any, desired: Any, rtol: float, atol: float) -> None:
    a, d = _flat(actual), _flat(desired)
    _expect(len(a) == len(d), f"{what}: {len(a)} outputs; expected {len(d)}.")
    for i, (x, y) in enumerate(zip(a, d, strict=True)):
        np.testing.assert_allclose(
            _numpy(x), _numpy(y), rtol=rtol, atol=atol, err_msg=f"{what}: output {i} differs."
        )


def _num_params(weights: Sequence) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _check_counts(
    what: str,
    obj: keras.layers.Layer,
    n_trainable: int | None,
    n_non_trainable: int | None,
    trainable_params: int | None,
    non_trainable_params: int | None,
) -> None:
    counts = [
        ("trainable weights", len(obj.trainable_weights), n_trainable),
        ("non-trainable weights", len(obj.non_trainable_weights), n_non_trainable),
        ("trainable parameters", _num_params(obj.trainable_weights), trainable_params),
        ("non-trainable parameters", _num_params(obj.non_trainable_weights), non_trainable_params),
    ]
    for label, got, expected in counts:
        if expected is not None:
            _expect(got == expected, f"{what}: {got} {label}; expected {expected}.")


def random_inputs(shape: Sequence[int], dtype: str = "float32", seed: int = 0) -> np.ndarray:
    """Seeded test data of ``shape``: standard normal floats, or integers in ``0..255``.

    Args:
        shape: the full shape, batch axis first.
        dtype: a NumPy dtype name (``"float32"``, ``"float64"``, ``"uint8"``, ``"int32"``...).
        seed: the NumPy seed.

    Returns:
        ``shape`` array of ``dtype``.
    """
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.normal(size=tuple(shape)).astype(dt)
    if dt.kind in "iu":
        return rng.integers(0, min(256, int(np.iinfo(dt).max) + 1), size=tuple(shape)).astype(dt)
    if dt.kind == "b":
        return rng.integers(0, 2, size=tuple(shape)).astype(bool)
    raise TypeError(f"input_dtype must be a real or boolean dtype; got {dtype!r}.")


@contextlib.contextmanager
def global_dtype_policy(policy: str | None) -> Iterator[None]:
    """Sets Keras's global dtype policy inside the block and restores the previous one after,
    even when the block raises (``None``: only restores)."""
    previous = keras.config.dtype_policy()
    try:
        if policy is not None:
            keras.config.set_dtype_policy(policy)
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _inputs(input_shape: Any, input_dtype: str, input_data: Any) -> tuple[tuple, Any]:
    _expect(_is_shape(input_shape) and len(input_shape) >= 1, f"bad input_shape {input_shape!r}")
    input_shape = tuple(input_shape)
    if input_data is None:
        return input_shape, random_inputs(input_shape, input_dtype)
    _expect(
        tuple(np.shape(input_data)) == input_shape,
        f"input_data has shape {np.shape(input_data)}; input_shape says {input_shape}.",
    )
    return input_shape, input_data


def _symbolic_input(input_shape: tuple, input_dtype: str) -> keras.KerasTensor:
    return keras.Input(batch_shape=(None, *input_shape[1:]), dtype=input_dtype)


# ---------------------------------------------------------------------- shared checks


def _check_no_input_mutation(what: str, x: Any, before: np.ndarray) -> None:
    _expect(np.array_equal(np.asarray(x), before), f"{what}: the call changed its input array.")


def _check_saved_model(
    what: str,
    model: keras.Model,
    x: Any,
    custom_objects: Mapping | None,
    rtol: float,
    atol: float,
    layer_cls: type | None = None,
) -> None:
    """``.keras`` save and reload in a temporary directory: the same outputs (and layer class)."""
    expected = model(x, training=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        keras.saving.save_model(model, path)
        try:
            loaded = keras.saving.load_model(path, custom_objects=dict(custom_objects or {}))
        except (TypeError, ValueError) as err:
            raise AssertionError(f"{what}: the saved .keras file does not load: {err}") from err
    if layer_cls is not None:
        found = [type(layer) for layer in loaded.layers if type(layer) is layer_cls]
        _expect(bool(found), f"{what}: the reloaded .keras model has no {layer_cls.__name__}.")
    actual = loaded(x, training=False)
    _assert_outputs_close(f"{what}: outputs after a .keras reload", actual, expected, rtol, atol)


def _check_training(what: str, model: keras.Model, x: Any, outputs: Any, seed: int) -> None:
    """One ``fit`` step (Adam, mean squared error to seeded random targets) changes every
    trainable weight; the loss is finite."""
    if not model.trainable_weights:
        return
    rng = np.random.default_rng(seed + 1)
    flat = _flat(outputs)
    targets = [rng.normal(size=_shape_of(t)).astype("float32") for t in flat]
    y = targets[0] if len(targets) == 1 else targets
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="mse")
    before = [_numpy(w).copy() for w in model.trainable_weights]
    try:
        history = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    except ValueError as err:
        if "No gradients" not in str(err):
            raise
        raise AssertionError(
            f"{what}: one fit step left every trainable weight unchanged ({err})"
        ) from err
    loss = history.history["loss"][0]
    _expect(np.isfinite(loss), f"{what}: the training loss is {loss}.")
    unchanged = [
        w.path
        for w, b in zip(model.trainable_weights, before, strict=True)
        if np.array_equal(_numpy(w), b)
    ]
    _expect(
        not unchanged,
        f"{what}: one fit step left trainable weight(s) {unchanged} unchanged "
        "(no gradient reaches them).",
    )


def _check_mixed_outputs(what: str, obj: keras.layers.Layer, outputs: Any) -> None:
    """Floating outputs are float16 and finite; floating weights stay float32."""
    for i, t in enumerate(_flat(outputs)):
        dtype = _dtype(t)
        if _is_float(dtype):
            _expect(dtype == "float16", f"{what}: output {i} is {dtype} under {MIXED_POLICY}.")
    _check_finite(f"{what} under {MIXED_POLICY}", outputs)
    for w in obj.weights:
        dtype = _dtype(w)
        if _is_float(dtype):
            _expect(
                dtype == "float32",
                f"{what}: weight {w.path} is {dtype} under {MIXED_POLICY}; expected float32.",
            )


# ---------------------------------------------------------------------- layers


def _check_config_round_trip(
    what: str,
    layer: keras.layers.Layer,
    layer_cls: type,
    init_kwargs: Mapping,
    x: Any,
    custom_objects: Mapping | None,
    rtol: float,
    atol: float,
) -> None:
    config = layer.get_config()
    missing = [k for k in init_kwargs if k not in config]
    _expect(
        not missing,
        f"{what}: get_config() lacks the constructor argument(s) {missing}, so from_config "
        "cannot rebuild the layer.",
    )
    try:
        text = json.dumps(config, sort_keys=True)
    except TypeError as err:
        raise AssertionError(f"{what}: get_config() is not JSON-serializable: {err}") from err
    with keras.saving.custom_object_scope(dict(custom_objects or {})):
        revived = layer_cls.from_config(config)
        serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
        try:
            deserialized = keras.saving.deserialize_keras_object(serialized)
        except (TypeError, ValueError) as err:
            raise AssertionError(
                f"{what}: deserialize_keras_object fails ({err}); register the class with "
                "keras.saving.register_keras_serializable or pass custom_objects."
            ) from err
    _expect(
        json.dumps(revived.get_config(), sort_keys=True) == text,
        f"{what}: from_config(get_config()).get_config() differs from get_config().",
    )
    _expect(
        type(deserialized) is layer_cls,
        f"{what}: deserialize_keras_object gave a {type(deserialized).__name__}.",
    )
    _expect(
        json.dumps(deserialized.get_config(), sort_keys=True) == text,
        f"{what}: serialize/deserialize_keras_object changes the config.",
    )
    expected = layer(x, training=False)
    revived(x, training=False)  # builds it
    revived.set_weights(layer.get_weights())
    _assert_outputs_close(
        f"{what}: outputs of from_config(get_config()) with equal weights",
        revived(x, training=False),
        expected,
        rtol,
        atol,
    )


def run_layer_test(
    layer_cls: type,
    init_kwargs: Mapping[str, Any],
    input_shape: Sequence[int],
    expected_output_shape: Sequence,
    *,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    expected_num_trainable_params: int | None = None,
    expected_num_non_trainable_params: int | None = None,
    run_training_check: bool = True,
    run_mixed_precision_check: bool = True,
    run_serialization_check: bool = True,
    input_dtype: str = "float32",
    input_data: Any = None,
    custom_objects: Mapping[str, Any] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Runs every harness check on ``layer_cls(**init_kwargs)``; raises `AssertionError`.

    Input ``input_shape`` (batch first) -> output ``expected_output_shape`` (a tuple of
    shapes for a layer with several outputs). Each check uses a fresh instance:

    1. **symbolic**: called on ``keras.Input(batch_shape=(None, *input_shape[1:]))``, the
       output shape(s) are ``expected_output_shape`` with the batch axis ``None``;
       ``compute_output_shape`` (where the layer defines it) agrees on both shapes.
    2. **weights**: once built, the numbers of trainable / non-trainable weights and
       parameters equal the ``expected_*`` given (None: not checked).
    3. **eager**: a fresh instance called on seeded data (``input_data``, else
       `random_inputs` of ``input_dtype``) builds to the same weight counts, returns
       ``expected_output_shape``, finite floating outputs, and leaves its input unchanged.
    4. **serialization** (``run_serialization_check``): ``get_config`` names every key of
       ``init_kwargs`` and is JSON-serializable; ``from_config(get_config())`` and
       ``deserialize_keras_object(serialize_keras_object(layer))`` give the same class and
       config, and with the same weights the same outputs (``rtol``/``atol``); a
       `keras.Model` around the layer, saved to ``.keras`` with `keras.saving.save_model`
       in a temporary directory and reloaded with `keras.saving.load_model`
       (``custom_objects``), holds a ``layer_cls`` and gives the same outputs.
    5. **training** (``run_training_check``, layers with trainable weights): one
       ``fit`` step (Adam, learning rate 0.01, mean squared error to seeded random targets,
       the whole batch) gives a finite loss and changes every trainable weight.
    6. **mixed precision** (``run_mixed_precision_check``): built with
       ``dtype="mixed_float16"``, floating outputs are float16 and finite, floating weights
       float32, and every sublayer computes in float16; Keras's global dtype policy is the
       same afterwards, even when a check fails.

    Args:
        layer_cls: the `keras.layers.Layer` subclass.
        init_kwargs: its constructor arguments (not modified).
        input_shape: shape of the test input, batch axis first.
        expected_output_shape: the output shape for that input, or a tuple of them.
        expected_num_trainable_weights, expected_num_non_trainable_weights: weight counts.
        expected_num_trainable_params, expected_num_non_trainable_params: parameter counts.
        run_training_check, run_mixed_precision_check, run_serialization_check: switches.
        input_dtype: dtype of the generated input (e.g. ``"uint8"`` for raw images).
        input_data: an input of shape ``input_shape`` to use instead of random data.
        custom_objects: passed to `keras.saving.load_model` and deserialization.
        rtol, atol: tolerances of the output comparisons.
        seed: seed of `keras.utils.set_random_seed` and of the generated data.

    Raises:
        AssertionError: a check failed (the message names the layer and the check).
    """
    init_kwargs = dict(init_kwargs)
    what = f"{layer_cls.__name__}(**{init_kwargs!r})"
    input_shape, x = _inputs(input_shape, input_dtype, input_data)
    expected = _shapes("expected_output_shape", expected_output_shape)
    symbolic_expected = [_batchless(s, input_shape[0]) for s in expected]
    counts = (
        expected_num_trainable_weights,
        expected_num_non_trainable_weights,
        expected_num_trainable_params,
        expected_num_non_trainable_params,
    )
    keras.utils.set_random_seed(seed)

    with global_dtype_policy(None):
        # 1-2. Symbolic call, compute_output_shape, weight counts.
        layer = layer_cls(**init_kwargs)
        inputs = _symbolic_input(input_shape, input_dtype)
        outputs = layer(inputs)
        _check_shapes(f"{what} on a symbolic keras.Input", outputs, symbolic_expected)
        for shape, want in ((inputs.shape, symbolic_expected), (input_shape, expected)):
            try:
                computed = layer.compute_output_shape(tuple(shape))
            except NotImplementedError:
                break
            got = _shapes("compute_output_shape", computed)
            _expect(
                got == want, f"{what}: compute_output_shape({shape}) = {computed}; want {want}."
            )
        _check_counts(f"{what} built on {inputs.shape}", layer, *counts)
        model = keras.Model(inputs, outputs)

        # 3. Eager call on a fresh instance.
        before = np.array(x, copy=True)
        eager = layer_cls(**init_kwargs)
        eager_out = eager(x)
        _check_no_input_mutation(what, x, before)
        _check_shapes(f"{what} called eagerly on {input_shape}", eager_out, expected)
        _check_finite(f"{what} called eagerly", eager_out)
        _check_counts(f"{what} built eagerly on {input_shape}", eager, *counts)

        # 4. Serialization.
        if run_serialization_check:
            _check_config_round_trip(
                what, eager, layer_cls, init_kwargs, x, custom_objects, rtol, atol
            )
            _check_saved_model(what, model, x, custom_objects, rtol, atol, layer_cls)

        # 5. Training.
        if run_training_check:
            trained = layer_cls(**init_kwargs)
            t_inputs = _symbolic_input(input_shape, input_dtype)
            t_model = keras.Model(t_inputs, trained(t_inputs))
            _check_training(what, t_model, x, eager_out, seed)

        # 6. Mixed precision.
        if run_mixed_precision_check:
            mixed = layer_cls(**{**init_kwargs, "dtype": MIXED_POLICY})
            mixed_out = mixed(x)
            _check_mixed_outputs(what, mixed, mixed_out)
            for sub in mixed._flatten_layers(include_self=False):
                if isinstance(sub, keras.layers.InputLayer | keras.layers.Softmax):
                    continue
                _expect(
                    sub.compute_dtype == "float16",
                    f"{what}: sublayer {sub.name} computes in {sub.compute_dtype} under "
                    f"dtype={MIXED_POLICY!r}; pass the layer's dtype policy to its sublayers.",
                )


# ---------------------------------------------------------------------- functional blocks


def _block_model(
    block_fn: Callable, block_kwargs: Mapping, input_shape: tuple, input_dtype: str
) -> tuple[keras.Model, Any]:
    inputs = _symbolic_input(input_shape, input_dtype)
    outputs = block_fn(inputs, **block_kwargs)
    if isinstance(outputs, list):
        outputs = tuple(outputs)
    name = re.sub(r"\W", "", getattr(block_fn, "__name__", "block")) + "_model"
    return keras.Model(inputs, outputs, name=name), outputs


def run_block_test(
    block_fn: Callable[..., Any],
    block_kwargs: Mapping[str, Any],
    input_shape: Sequence[int],
    expected_output_shape: Sequence,
    *,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    expected_num_trainable_params: int | None = None,
    expected_num_non_trainable_params: int | None = None,
    run_training_check: bool = True,
    run_mixed_precision_check: bool = True,
    run_serialization_check: bool = True,
    input_dtype: str = "float32",
    input_data: Any = None,
    custom_objects: Mapping[str, Any] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Runs the harness checks on a functional block ``block_fn(x, **block_kwargs)``.

    ``block_fn`` takes a ``(batch, ...)`` tensor first and returns a tensor or a tuple of
    tensors (``expected_output_shape`` is then a tuple of shapes, in the same order). Each
    check calls ``block_fn`` afresh, so each gets new layers:

    1. **symbolic**: on ``keras.Input(batch_shape=(None, *input_shape[1:]))`` the outputs
       have ``expected_output_shape`` with the batch axis ``None``; they are wrapped in a
       `keras.Model`, whose trainable / non-trainable weight and parameter counts equal the
       ``expected_*`` given.
    2. **eager**: the model called on seeded data, and ``block_fn`` itself called on the
       data as an eager tensor (as the course's tests call ``identity_block(X, ...)``),
       return ``expected_output_shape`` and finite floating outputs, and leave the data
       unchanged.
    3. **serialization** (``run_serialization_check``): the model saved to ``.keras`` with
       `keras.saving.save_model` in a temporary directory and reloaded with
       `keras.saving.load_model` (``custom_objects``) gives the same outputs.
    4. **training** (``run_training_check``, blocks with trainable weights): one ``fit``
       step (Adam 0.01, mean squared error to seeded random targets, one per output) gives
       a finite loss and changes every trainable weight.
    5. **mixed precision** (``run_mixed_precision_check``): under Keras's global policy
       ``"mixed_float16"`` the block builds and its floating outputs are float16 and finite,
       its floating weights float32; the previous global policy is restored afterwards,
       even when a check fails.

    Args: as `run_layer_test`, with ``block_fn`` and ``block_kwargs`` (not modified) in
    place of ``layer_cls`` and ``init_kwargs``.

    Raises:
        AssertionError: a check failed (the message names the block and the check).
    """
    block_kwargs = dict(block_kwargs)
    what = f"{getattr(block_fn, '__name__', repr(block_fn))}(x, **{block_kwargs!r})"
    input_shape, x = _inputs(input_shape, input_dtype, input_data)
    expected = _shapes("expected_output_shape", expected_output_shape)
    symbolic_expected = [_batchless(s, input_shape[0]) for s in expected]
    counts = (
        expected_num_trainable_weights,
        expected_num_non_trainable_weights,
        expected_num_trainable_params,
        expected_num_non_trainable_params,
    )
    keras.utils.set_random_seed(seed)

    with global_dtype_policy(None):
        # 1. Symbolic call and weight counts.
        model, outputs = _block_model(block_fn, block_kwargs, input_shape, input_dtype)
        _check_shapes(f"{what} on a symbolic keras.Input", outputs, symbolic_expected)
        _check_counts(f"{what} as a keras.Model", model, *counts)

        # 2. Eager calls: the model, and the block function on an eager tensor.
        before = np.array(x, copy=True)
        model_out = model(x, training=False)
        _check_shapes(f"{what} as a keras.Model called eagerly", model_out, expected)
        _check_finite(f"{what} as a keras.Model called eagerly", model_out)
        eager_out = block_fn(keras.ops.convert_to_tensor(x), **block_kwargs)
        _check_shapes(f"{what} called eagerly on {input_shape}", eager_out, expected)
        _check_finite(f"{what} called eagerly", eager_out)
        _check_no_input_mutation(what, x, before)

        # 3. Serialization.
        if run_serialization_check:
            _check_saved_model(what, model, x, custom_objects, rtol, atol)

        # 4. Training.
        if run_training_check:
            t_model, _ = _block_model(block_fn, block_kwargs, input_shape, input_dtype)
            _check_training(what, t_model, x, model_out, seed)

    # 5. Mixed precision, under the global policy (a block creates its layers itself).
    if run_mixed_precision_check:
        with global_dtype_policy(MIXED_POLICY):
            m_model, _ = _block_model(block_fn, block_kwargs, input_shape, input_dtype)
            _check_mixed_outputs(what, m_model, m_model(x, training=False))
