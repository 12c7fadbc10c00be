"""Public checks: the cell after each exercise compares the learner's answer with the reference.

Taught in notebooks/00_setup_and_tour.ipynb; used by every graded notebook
(notebooks/04_convolution_step_by_step.ipynb, notebooks/06_training_convnets_well.ipynb).
"""

from __future__ import annotations

import numpy as np

from cvutils.checks import check_real, check_str, describe, fail


class CheckFailed(AssertionError):
    """A public check failed; the message says what was expected and how it differs."""


def compare(name: str, got, expected, *, atol: float = 1e-8, rtol: float = 1e-6) -> str | None:
    """Compares ``got`` with ``expected``; returns None when they agree, else what differs.

    Args:
        name: what is being compared, used at the start of the message.
        got: an array, a scalar, or a tuple/list of them (nested).
        expected: the reference, same structure.
        atol, rtol: tolerances of `numpy.allclose`.

    Examples:
        >>> compare("x", [1.0, 2.0], [1.0, 2.0]) is None
        True
        >>> compare("x", np.zeros(1), np.zeros(2))
        'x: shape (1,), expected (2,)'
    """
    atol = check_real("atol", atol, low=0)
    rtol = check_real("rtol", rtol, low=0)
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list) or len(got) != len(expected):
            return f"{name}: expected a tuple of {len(expected)} values, got {type(got).__name__}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = compare(f"{name}[{i}]", g, e, atol=atol, rtol=rtol)
            if msg:
                return msg
        return None
    if isinstance(expected, str):
        same = isinstance(got, str) and got == expected  # an array == str is no answer
        return None if same else f"{name}: got {got!r:.80}, expected {expected!r}"
    try:
        g = np.asarray(got)
        e = np.asarray(expected)
    except (TypeError, ValueError) as err:
        return f"{name}: cannot be read as an array ({err})"
    if g.shape != e.shape:
        return f"{name}: shape {g.shape}, expected {e.shape}"
    if g.dtype.kind not in "biuf" or e.dtype.kind not in "biuf":
        return f"{name}: got a {g.dtype} array, expected numbers"
    if g.dtype.kind == "f" and not np.all(np.isfinite(g)):
        return f"{name}: contains NaN or inf"
    if not np.allclose(g, e, atol=atol, rtol=rtol):
        diff = np.abs(g.astype(float) - e.astype(float))
        where = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        return (
            f"{name}: values differ; largest difference {diff.max():.3g} "
            f"at index {tuple(int(i) for i in where)}"
            f" (got {g[where] if diff.ndim else g}, expected {e[where] if diff.ndim else e})"
        )
    return None


def check(name: str, got, expected, *, atol: float = 1e-8, rtol: float = 1e-6) -> None:
    """Compares a learner's result with the reference and prints a helpful message.

    Args:
        name: what is being checked, e.g. ``"zero_pad(x, 3)"``.
        got: the learner's value (array, scalar, tuple of arrays).
        expected: the reference value, same structure.
        atol, rtol: tolerances for `numpy.allclose`.

    Raises:
        CheckFailed: with the shape, dtype or values that differ.
        ValueError: ``name``, ``atol`` or ``rtol`` is not what it must be.

    Taught in notebooks/00_setup_and_tour.ipynb.

    Examples:
        >>> check("double(3)", 6, 6)
        double(3): correct
    """
    check_str("name", name)
    check_real("atol", atol, low=0.0)
    check_real("rtol", rtol, low=0.0)
    msg = compare(name, got, expected, atol=atol, rtol=rtol)
    if msg:
        raise CheckFailed(msg)
    if isinstance(expected, tuple | list):
        print(f"{name}: all {len(expected)} parts correct")
    else:
        print(f"{name}: correct")


def _signature(layer) -> str:
    """A layer as a learner would name it: its class and what decides its function."""
    parts = []
    activation = getattr(layer, "activation", None)
    if activation is not None:
        parts.append(f"activation={getattr(activation, '__name__', str(activation))}")
    if type(layer).__name__ == "ReLU" and getattr(layer, "max_value", None) is not None:
        parts.append(f"max_value={float(layer.max_value):g}")
    for attr in ("strides", "pool_size", "padding"):
        value = getattr(layer, attr, None)
        if value is not None:
            parts.append(f"{attr}={value}")
    return f"{type(layer).__name__}({', '.join(parts)})"


def _check_models(**models) -> None:
    import keras

    for arg, value in models.items():
        if not isinstance(value, keras.Model):
            fail(arg, "a keras.Model", describe(value), kind=True)


def block_model(build, input_shape, *args, **kwargs):
    """``keras.Model(x, build(x, *args, **kwargs))`` for ``x = keras.Input(input_shape)``.

    Args:
        build: a function that builds a block on a Keras tensor and returns its output.
        input_shape: ``(n_H, n_W, n_C)`` (or any shape without the batch axis), positive ints.
        *args, **kwargs: passed to ``build`` after the input.

    Returns:
        A `keras.Model` from the input to the block's output, for `check_outputs`.
    """
    from cvutils.checks import check_callable, check_int
    from cvutils.grading._harness import block_model as build_block

    check_callable("build", build)
    if not isinstance(input_shape, tuple | list) or not input_shape:
        fail("input_shape", "a non-empty tuple of positive ints", describe(input_shape))
    shape = tuple(check_int("input_shape", d, 1, 1 << 16) for d in input_shape)
    try:
        return build_block(build, shape, *args, **kwargs)
    except ValueError as err:  # Keras refuses the shape for one of the block's layers
        first = str(err).strip().splitlines()[0][:200]
        fail("input_shape", f"a shape that build's layers accept ({first})", repr(shape))


def layer_difference(model, reference) -> str:
    """The first place where ``model``'s layers differ from ``reference``'s, in words."""
    import difflib

    _check_models(model=model, reference=reference)

    def names(m):
        return [_signature(layer) for layer in m.layers if type(layer).__name__ != "InputLayer"]

    mine, ref = names(model), names(reference)
    matcher = difflib.SequenceMatcher(a=mine, b=ref, autojunk=False)
    for op, i1, _, j1, _ in matcher.get_opcodes():
        if op == "replace":
            return f"layer {i1 + 1} is {mine[i1]} where the reference has {ref[j1]}"
        if op == "delete":
            return f"layer {i1 + 1}, {mine[i1]}, is not in the reference"
        if op == "insert":
            after = f"after layer {i1} ({mine[i1 - 1]})" if i1 else "first"
            return f"the reference has {ref[j1]} {after}, which is missing"
    return "the layers look alike; look at how they are connected"


def check_outputs(
    name: str, model, reference, batch, *, seed: int = 0, atol: float = 1e-5, rtol: float = 1e-4
) -> None:
    """Checks that ``model`` computes the same function as ``reference``, with shared weights.

    Both models get the same weights, drawn from ``seed`` by position
    (`cvutils.grading._harness.seeded_outputs`), and run on ``batch`` in inference mode:
    equal outputs mean the same layers in the same order with the same activations, whatever
    way they were written (``Conv2D(activation="tanh")`` or ``Conv2D`` then ``Activation``).

    Args:
        name: what is being checked.
        model: the learner's `keras.Model` (for a block: `block_model`).
        reference: the reference `keras.Model`.
        batch: ``(m, ...)`` inputs, e.g. uniform noise of the input shape.
        seed: seed of the shared weights.
        atol, rtol: tolerances of the comparison of the outputs.

    Raises:
        CheckFailed: when the weights' shapes or the outputs differ; the message names the
            first layer that differs (class, activation, strides, pool size, padding).
    """
    from cvutils.checks import check_array, check_int
    from cvutils.grading._harness import seeded_outputs

    check_str("name", name)
    _check_models(model=model, reference=reference)
    batch = check_array("batch", batch, min_ndim=2)
    for arg, value in (("model", model), ("reference", reference)):
        wanted = tuple(value.inputs[0].shape[1:]) if value.inputs else None
        fits = wanted is None or (
            len(wanted) == batch.ndim - 1
            and all(w is None or w == b for w, b in zip(wanted, batch.shape[1:], strict=True))
        )
        if not fits:
            expected = f"a batch of inputs of shape (m, *{wanted}) for the {arg}"
            fail("batch", expected, f"shape {batch.shape}")
    seed = check_int("seed", seed, 0, 2**32 - 1)
    mine = [tuple(w.shape) for w in model.weights]
    ref = [tuple(w.shape) for w in reference.weights]
    if mine != ref:
        at = next((i for i, (a, b) in enumerate(zip(mine, ref, strict=False)) if a != b), None)
        where = (
            f"weight {at + 1} has shape {mine[at]}, the reference's {ref[at]}"
            if at is not None
            else f"{len(mine)} weights, the reference has {len(ref)}"
        )
        raise CheckFailed(f"{name}: {where}; {layer_difference(model, reference)}")
    got = seeded_outputs(model, batch, seed)
    expected = seeded_outputs(reference, batch, seed)
    msg = compare(f"{name} outputs with shared weights", got, expected, atol=atol, rtol=rtol)
    if msg:
        raise CheckFailed(f"{msg}; {layer_difference(model, reference)}")
    print(f"{name}: same outputs as the reference with shared weights")
