"""Kernel-side half of the autograder: calls the learner's function on hidden inputs.

The autograder sends this file's *source* into the submission's kernel (it is not imported
there, so a submission that patches ``cvutils`` cannot replace it) and calls
`cvutils_hidden_run` with the path of a pickled request. The function looks the graded
function up in the notebook's namespace, looks for delegation to the package's reference,
calls it on each case and writes what came back (plain JSON plus a ``.npz`` of arrays,
never a pickle) for the grader process to compare. Nothing is compared here: the learner's
``check`` or ``np.testing`` patches cannot reach the comparison.
"""


def keras_model_summary(model):
    """``((layer class, output shape, parameters), ...)`` of a Keras model, input layer left out.

    What a hidden test of an exercise returning a model compares (``kind="keras_model"``).
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    return tuple(
        (type(layer).__name__, tuple(layer.output.shape[1:]), int(layer.count_params()))
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    )


def keras_block_summary(inputs, outputs):
    """``(output shape, parameters, trainable parameters, has a residual Add)`` of a block.

    What a hidden test of an exercise building a block on a `keras.Input` compares
    (``kind="keras_block"``): the block's layers are those between ``inputs`` and ``outputs``.
    """
    import keras
    import numpy as np

    model = keras.Model(inputs, outputs)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    has_add = any(isinstance(layer, keras.layers.Add) for layer in model.layers)
    return tuple(outputs.shape[1:]), int(model.count_params()), trainable, int(has_add)


def seeded_outputs(model, batch, seed=0):
    """``model(batch)`` after every weight is set from ``seed``, by position: ``(m, ...)`` out.

    Two models with the same weights in the same order get the same values, so they compute
    the same outputs exactly when they compute the same function (a tanh where the reference
    has a ReLU, a ReLU6 after a linear bottleneck or layers in another order all show). Scales
    and variances (``gamma``, ``moving_variance``) are drawn in ``[0.5, 1.5)``, every other
    weight from a normal scaled by ``1 / sqrt(fan-in)``. What the ``keras_*_outputs`` hidden
    tests and `cvutils.grading.check_outputs` compare; inference mode (``training=False``).
    """
    import keras
    import numpy as np

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        shape = tuple(int(d) for d in weight.shape)
        if "variance" in weight.name or "gamma" in weight.name:
            value = rng.uniform(0.5, 1.5, shape)
        else:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 4
            value = rng.standard_normal(shape) / np.sqrt(max(fan_in, 1))
        weight.assign(value.astype(weight.dtype))
    return np.asarray(model(np.asarray(batch, dtype="float32"), training=False))


def block_model(build, input_shape, *args, **kwargs):
    """``keras.Model(x, build(x, *args, **kwargs))`` for ``x = keras.Input(input_shape)``."""
    import keras

    inputs = keras.Input(tuple(input_shape))
    return keras.Model(inputs, build(inputs, *args, **kwargs))


def call_exercise(fn, kind, args, kwargs):
    """Calls the learner's ``fn`` on one hidden case and returns what is compared.

    ``kind`` "function": what ``fn(*args, **kwargs)`` returns; "keras_model": the
    `keras_model_summary` of the model it returns; "keras_block": ``args[0]`` is an input
    shape, ``fn(keras.Input(args[0]), *args[1:], **kwargs)`` builds the block, and its
    `keras_block_summary` is compared; "keras_call": ``args[0]`` is an input batch,
    ``fn(*args[1:], **kwargs)`` builds a Keras model or layer (a seeded augmenter), and its
    output on the batch with ``training=True`` is compared; "keras_model_outputs": ``args[0]``
    is an input batch, ``fn(*args[1:], **kwargs)`` returns a model, and its `seeded_outputs`
    on the batch are compared; "keras_block_outputs": the same for a block built on a
    ``keras.Input`` of the batch's shape.
    """
    if kind == "keras_model_outputs":
        return seeded_outputs(fn(*args[1:], **kwargs), args[0])
    if kind == "keras_block_outputs":
        import numpy as np

        batch = np.asarray(args[0])
        return seeded_outputs(block_model(fn, batch.shape[1:], *args[1:], **kwargs), batch)
    if kind == "keras_model":
        return keras_model_summary(fn(*args, **kwargs))
    if kind == "keras_block":
        import keras

        inputs = keras.Input(tuple(args[0]))
        return keras_block_summary(inputs, fn(inputs, *args[1:], **kwargs))
    if kind == "keras_call":
        import numpy as np

        return np.asarray(fn(*args[1:], **kwargs)(args[0], training=True))
    return fn(*args, **kwargs)


def cvutils_hidden_run(request_path, user_ns):
    """Runs one exercise's hidden cases in this kernel; writes ``<out>.json`` and ``<out>.npz``."""
    import copy
    import dis
    import importlib
    import json
    import pickle
    import sys
    import time
    import types

    import numpy as np

    with open(request_path, "rb") as fh:
        request = pickle.load(fh)
    name, out = request["name"], request["out"]
    kind = request.get("kind", "function")
    result = {"found": False, "delegation": None, "cases": [], "error": None}
    arrays = {}

    def resolve(dotted):
        parts = dotted.split(".")
        for k in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:k]))
            except ImportError:
                continue
            try:
                for attr in parts[k:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                return None
            return obj
        return None

    forbidden = {}
    for dotted in request["forbidden"]:
        obj = resolve(dotted)
        if obj is not None:
            forbidden[id(obj)] = dotted
    forbidden_codes = {}
    for dotted in request["forbidden"]:
        obj = resolve(dotted)
        funcs = [obj]
        if isinstance(obj, type):
            funcs = [v for k, v in vars(obj).items() if callable(v)]
        for f in funcs:
            code = getattr(getattr(f, "__func__", f), "__code__", None)
            if code is not None:
                forbidden_codes[code] = dotted

    def codes(code):
        yield code
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                yield from codes(const)

    def delegation(fn, seen):
        """The forbidden reference that fn's code reaches, or None (static look at bytecode)."""
        if id(fn) in seen or not isinstance(fn, types.FunctionType):
            return None
        seen.add(id(fn))
        g = fn.__globals__
        values = list(fn.__defaults__ or ()) + list((fn.__kwdefaults__ or {}).values())
        for cell in fn.__closure__ or ():
            try:
                values.append(cell.cell_contents)
            except ValueError:
                pass
        for v in values:
            if id(v) in forbidden:
                return forbidden[id(v)]
        for code in codes(fn.__code__):
            obj = None
            for ins in dis.get_instructions(code):
                if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                    obj = g.get(ins.argval)
                    if (
                        isinstance(obj, types.FunctionType)
                        and obj.__module__ == fn.__module__
                        and ins.argval != name
                    ):
                        found = delegation(obj, seen)
                        if found:
                            return found
                elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and obj is not None:
                    obj = getattr(obj, ins.argval, None)
                else:
                    obj = None
                if obj is not None and id(obj) in forbidden:
                    return forbidden[id(obj)]
        return None

    def encode(value, key):
        if value is None:
            return {"t": "none"}
        if isinstance(value, bool | int | float | complex) and not isinstance(value, complex):
            return {"t": "num", "v": float(value)}
        if isinstance(value, str):
            return {"t": "str", "v": value[:200]}
        if isinstance(value, tuple | list):
            return {"t": "seq", "v": [encode(v, f"{key}_{i}") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            return {"t": "repr", "v": repr(value)[:200]}
        try:
            arr = np.asarray(value)
        except Exception:  # anything that is not array-like
            return {"t": "repr", "v": f"{type(value).__name__}: {repr(value)[:200]}"}
        if arr.dtype.kind not in "biuf":
            return {"t": "repr", "v": f"{type(value).__name__}: {repr(value)[:200]}"}
        arrays[key] = arr
        return {"t": "array", "k": key}

    try:
        fn = user_ns.get(name)
        if fn is None:
            result["error"] = f"{name} is not defined"
        elif not callable(fn):
            result["error"] = f"{name} is not a function but {type(fn).__name__}"
        else:
            result["found"] = True
            result["delegation"] = delegation(fn, set())
            calls = []

            def profile(frame, event, arg):
                if event == "call" and frame.f_code in forbidden_codes:
                    calls.append(forbidden_codes[frame.f_code])

            for index, (label, args, kwargs) in enumerate(request["cases"]):
                args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
                start = time.perf_counter()
                case = {"label": label}
                old = sys.getprofile()
                sys.setprofile(profile)
                try:
                    value = call_exercise(fn, kind, args, kwargs)
                    sys.setprofile(old)
                    case["status"] = "ok"
                    case["value"] = encode(value, f"c{index}")
                except NotImplementedError:
                    sys.setprofile(old)
                    case["status"] = "not implemented"
                except BaseException as err:
                    sys.setprofile(old)
                    case["status"] = "error"
                    case["error"] = f"{type(err).__name__}: {str(err)[:300]}"
                    if isinstance(err, KeyboardInterrupt):
                        raise
                case["seconds"] = time.perf_counter() - start
                result["cases"].append(case)
            if calls and not result["delegation"]:
                result["delegation"] = calls[0]
    except Exception as err:
        result["error"] = f"{type(err).__name__}: {err}"
    np.savez(out + ".npz", **arrays)
    with open(out + ".json", "w") as fh:
        json.dump(result, fh)
