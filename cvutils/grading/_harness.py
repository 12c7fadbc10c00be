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


# Everything below runs inside the submission's kernel (and, for `grade_namespace`, in the
# grader's own process on trusted code). The grader sends this file's source; each step is a
# named function so that what happens to one exercise reads top to bottom in
# `cvutils_hidden_run`.

STATE_MODULE = "_cvutils_grader"
MIN_COPY_INSTRUCTIONS = 24  # shorter functions are too short to tell a copy from a rewrite


class ReferenceLocked(BaseException):
    """Raised by a package reference while an exercise that must not call it is graded.

    A `BaseException`, so that a learner's ``except Exception`` does not hide it (the call is
    recorded before it is raised anyway).
    """


def cvutils_bootstrap(limits=None):
    """Runs first in a fresh kernel: resource limits, and the real profiler switches kept.

    ``limits``: ``{"memory": bytes of address space, "cpu": CPU seconds, "file_size":
    bytes}`` (None entries are left alone), set as both soft and hard limits (a learner can
    lower them, never raise them). A file write beyond ``file_size`` raises ``OSError``
    (SIGXFSZ is ignored) instead of killing the kernel. The real ``sys.setprofile``,
    ``sys.getprofile`` and ``threading.setprofile`` are kept before any learner cell runs,
    so that a cell that replaces them (``sys.setprofile = lambda *a, **k: None``) cannot
    switch the grader's call recorder off.
    """
    import signal
    import sys
    import threading
    import types

    limits = limits or {}
    try:
        import resource

        for key, which in (
            ("memory", resource.RLIMIT_AS),
            ("cpu", resource.RLIMIT_CPU),
            ("file_size", resource.RLIMIT_FSIZE),
        ):
            value = limits.get(key)
            if value:
                resource.setrlimit(which, (int(value), int(value)))
        if hasattr(signal, "SIGXFSZ"):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    except (ImportError, ValueError, OSError):  # no resource module (Windows), or refused
        pass
    module = types.ModuleType(STATE_MODULE)
    module.state = {
        "setprofile": sys.setprofile,
        "getprofile": sys.getprofile,
        "threading_setprofile": threading.setprofile,
        "getframe": sys._getframe,
        "saved": {},
    }
    sys.modules[STATE_MODULE] = module


def grader_state():
    """The switches kept by `cvutils_bootstrap` (kept now, if no bootstrap ran here)."""
    import sys

    if STATE_MODULE not in sys.modules:
        cvutils_bootstrap({})
    return sys.modules[STATE_MODULE].state


def code_fingerprint(code):
    """A hash of what a code object *does*: its instructions, names and constants, recursively.

    File, line numbers, the function's name and its local variables' names are left out, and
    ``LOAD_METHOD`` reads as ``LOAD_ATTR`` (the compiler picks either for ``module.f(x)``,
    depending on where the module was imported), so a copy of a function
    (``inspect.getsource`` + ``exec``, renamed, variables renamed) has the reference's
    fingerprint; the same in every process of the same Python.
    """
    import dis
    import hashlib
    import types

    instructions = [i for i in dis.get_instructions(code) if i.opname != "CACHE"]
    index = {i.offset: k for k, i in enumerate(instructions)}
    items = []
    for i in instructions:
        op = "LOAD_ATTR" if i.opname == "LOAD_METHOD" else i.opname
        if isinstance(i.argval, types.CodeType):
            arg = code_fingerprint(i.argval)
        elif i.opcode in dis.hasjrel or i.opcode in dis.hasjabs:
            arg = index.get(i.argval, i.argval)
        elif i.opcode in dis.haslocal or i.opcode in dis.hasfree:
            arg = i.arg
        else:
            arg = repr(i.argval)
        items.append((op, arg))
    text = repr((items, code.co_argcount, code.co_kwonlyargcount))
    return hashlib.sha256(text.encode()).hexdigest()


def prefilter_key(code):
    """A cheap key that a code object and its copies share (compared before fingerprints)."""
    return (code.co_argcount, tuple(sorted(set(code.co_names))))


def instruction_count(code):
    """Bytecode instructions of ``code`` and of the code nested in it (caches not counted)."""
    import dis
    import types

    n = sum(1 for ins in dis.get_instructions(code) if ins.opname != "CACHE")
    return n + sum(instruction_count(c) for c in code.co_consts if isinstance(c, types.CodeType))


def function_codes(obj):
    """The code objects of a function, of a class's methods, or of nothing."""
    funcs = [obj]
    if isinstance(obj, type):
        funcs = [getattr(v, "__func__", v) for v in vars(obj).values()]
    return [f.__code__ for f in funcs if hasattr(getattr(f, "__code__", None), "co_code")]


def resolve(dotted):
    """The object a dotted name (``cvutils.conv.conv_forward``) names, or None."""
    import importlib

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


def read_request(request_path):
    import pickle

    with open(request_path, "rb") as fh:
        return pickle.load(fh)


def hidden_references(request):
    """The hidden tests' references, from the source the grader read before grading began."""
    source = request.get("hidden_source")
    if not source:
        return {}
    namespace = {"__name__": "cvutils_grader_references"}
    exec(compile(source, "<cvutils-grader references>", "exec"), namespace)
    return {t.name: t.reference for t in namespace.get("TESTS", [])}


def private_copy(fn):
    """A new function running ``fn``'s code under a code object of its own (its identity
    marks the grader's calls, which the delegation checks let through)."""
    import types

    code = fn.__code__.replace(co_filename=fn.__code__.co_filename + "#cvutils-grader")
    copy = types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


def upstream_functions(request, references):
    """The reference each other exercise is replaced by while this one is graded.

    ``request["upstream"]``: ``{exercise: (dotted name or None, fingerprint)}``; the
    package's function is used when it is there with the fingerprint the grader computed
    (untouched by the submission), else the hidden test's reference.
    """
    out = {}
    for name, (dotted, fingerprint) in request.get("upstream", {}).items():
        fn = resolve(dotted) if dotted else None
        codes = function_codes(fn) if fn is not None and not isinstance(fn, type) else []
        if codes and code_fingerprint(codes[0]) == fingerprint:
            out[name] = private_copy(fn)
        elif name in references:
            out[name] = references[name]
    return out


def bind(user_ns, functions, key):
    """Puts ``functions`` into the notebook's namespace; what they replace is kept under ``key``."""
    missing = object()
    saved = {name: user_ns.get(name, missing) for name in functions}
    grader_state()["saved"][key] = (saved, missing)
    user_ns.update(functions)


def unbind(user_ns, key):
    """Puts back what `bind` replaced under ``key``."""
    saved, missing = grader_state()["saved"].pop(key, ({}, None))
    for name, value in saved.items():
        if value is missing:
            user_ns.pop(name, None)
        else:
            user_ns[name] = value


def cvutils_bind_references(request_path, user_ns, include_self=False):
    """Before a check cell is run again: the other exercises (and, after a crash or a hang,
    this one too) are the references until `cvutils_unbind_references`."""
    request = read_request(request_path)
    references = hidden_references(request)
    functions = upstream_functions(request, references)
    if include_self:
        own = upstream_functions({"upstream": request.get("self_upstream", {})}, references)
        functions.update(own)
    bind(user_ns, functions, "check")


def cvutils_unbind_references(user_ns):
    unbind(user_ns, "check")


def lock_references(forbidden, guard_name):
    """Makes every forbidden function raise `ReferenceLocked` (its ``__code__`` swapped).

    Whatever route reaches the function object (an attribute, ``getattr``, ``importlib``, a
    name saved before grading), its call lands in the guard found on the stack under
    ``guard_name``. Returns ``(restore, originals)``: the swapped functions and their code,
    and private copies of the originals that the guard calls for the grader's own upstream
    references.
    """
    import types

    swapped, originals = [], {}
    for dotted in forbidden:
        obj = resolve(dotted)
        funcs = [obj]
        if isinstance(obj, type):
            funcs = [getattr(v, "__func__", v) for v in vars(obj).values()]
        for fn in funcs:
            if not isinstance(fn, types.FunctionType) or any(fn is f for f, _ in swapped):
                continue
            nfree = len(fn.__code__.co_freevars)
            free = [f"_cvutils_free{i}" for i in range(nfree)]
            key = f"{dotted}:{fn.__qualname__}"
            src = "def _outer():\n"
            src += "".join(f"    {v} = None\n" for v in free)
            src += "    def _cvutils_locked(*args, **kwargs):\n"
            if free:
                src += f"        ({', '.join(free)},)\n"
            src += (
                "        import sys\n"
                "        frame = sys._getframe(1)\n"
                "        while frame is not None:\n"
                f"            guard = frame.f_locals.get({guard_name!r})\n"
                "            if guard is not None:\n"
                f"                return guard({dotted!r}, {key!r}, args, kwargs)\n"
                "            frame = frame.f_back\n"
                f"        raise RuntimeError('cvutils grader: {dotted} is locked')\n"
                "    return _cvutils_locked\n"
            )
            namespace = {}
            exec(compile(src, "<cvutils-grader lock>", "exec"), namespace)
            originals[key] = private_copy(fn)
            swapped.append((fn, fn.__code__))
            fn.__code__ = namespace["_outer"]().__code__
    return swapped, originals


def unlock_references(swapped):
    for fn, code in swapped:
        fn.__code__ = code


def static_delegation(fn, name, forbidden_ids, exercise_names):
    """The forbidden reference that ``fn``'s bytecode reaches by name, or None.

    Follows global names, module attributes, defaults and closures, and the notebook's own
    helper functions (not the other exercises: their delegation is theirs).
    """
    import dis
    import types

    def codes(code):
        yield code
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                yield from codes(const)

    def search(f, seen):
        if id(f) in seen or not isinstance(f, types.FunctionType):
            return None
        seen.add(id(f))
        g = f.__globals__
        values = list(f.__defaults__ or ()) + list((f.__kwdefaults__ or {}).values())
        for cell in f.__closure__ or ():
            try:
                values.append(cell.cell_contents)
            except ValueError:
                pass
        for v in values:
            if id(v) in forbidden_ids:
                return forbidden_ids[id(v)]
        for code in codes(f.__code__):
            obj = None
            for ins in dis.get_instructions(code):
                if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                    obj = g.get(ins.argval)
                    if (
                        isinstance(obj, types.FunctionType)
                        and obj.__module__ == f.__module__
                        and ins.argval != name
                        and ins.argval not in exercise_names
                    ):
                        found = search(obj, seen)
                        if found:
                            return found
                elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and obj is not None:
                    obj = getattr(obj, ins.argval, None)
                else:
                    obj = None
                if obj is not None and id(obj) in forbidden_ids:
                    return forbidden_ids[id(obj)]
        return None

    return search(fn, set())


class Recorder:
    """Records, while an exercise's hidden cases run, every call to a reference or a copy.

    A call counts when its code has the fingerprint of a forbidden package function or of a
    hidden-test function (``suspects``: fingerprint -> (what it is, the tail of its file's
    path, its `prefilter_key`, its instruction count)) and no
    frame between it and the grader is one of the grader's own (``exempt`` code objects:
    the upstream references and, chained, the other exercises). Installed with the real
    `sys.setprofile` kept by `cvutils_bootstrap`, in this thread and in new threads.
    """

    def __init__(self, suspects, exempt, stop_code, state):
        self.suspects, self.exempt, self.stop_code = suspects, exempt, stop_code
        self.state = state
        self.keys = {s[2] for s in suspects.values()}
        self.known = {}  # id(code) -> suspect entry or None
        self.keep = []  # the code objects of `known`, alive while recording
        self.found = []  # (kind, what, where)

    def exempt_frame(self, frame):
        while frame is not None and frame.f_code is not self.stop_code:
            if frame.f_code in self.exempt:
                return True
            frame = frame.f_back
        return False

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        entry = self.known.get(id(code), 0)
        if entry == 0:
            entry = None
            if prefilter_key(code) in self.keys:
                entry = self.suspects.get(code_fingerprint(code))
            self.known[id(code)] = entry
            self.keep.append(code)
        if entry is not None and not self.exempt_frame(frame):
            what, tail, _, size = entry
            if not code.co_filename.replace("\\", "/").endswith(tail):
                if size >= MIN_COPY_INSTRUCTIONS:
                    self.found.append(("copy", what, code.co_filename))
            else:
                self.found.append(("call", what, code.co_filename))

    def start(self):
        self.state["setprofile"](self)
        self.state["threading_setprofile"](self)

    def stop(self):
        self.state["setprofile"](None)
        self.state["threading_setprofile"](None)

    def running(self):
        return self.state["getprofile"]() is self


def encode(value, key, arrays):
    """What came back, as JSON (arrays go to ``arrays`` under ``key``)."""
    import numpy as np

    if value is None:
        return {"t": "none"}
    if isinstance(value, bool | int | float):
        return {"t": "num", "v": float(value)}
    if isinstance(value, str):
        return {"t": "str", "v": value[:200]}
    if isinstance(value, tuple | list):
        return {"t": "seq", "v": [encode(v, f"{key}_{i}", arrays) for i, v in enumerate(value)]}
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


def run_case(fn, kind, args, kwargs, recorder, guard, index, arrays):
    """One hidden case, recorded; returns its row (status ok / not implemented / error)."""
    import copy
    import time

    __cvutils_guard__ = guard  # noqa: F841  (found on the stack by the locked references)
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    case = {}
    start = time.perf_counter()
    recorder.start()
    try:
        value = call_exercise(fn, kind, args, kwargs)
        running = recorder.running()
        recorder.stop()
        case["status"] = "ok"
        case["value"] = encode(value, f"c{index}", arrays)
    except NotImplementedError:
        running = recorder.running()
        recorder.stop()
        case["status"] = "not implemented"
    except BaseException as err:
        running = recorder.running()
        recorder.stop()
        case["status"] = "error"
        case["error"] = f"{type(err).__name__}: {str(err)[:300]}"
        if isinstance(err, KeyboardInterrupt):
            raise
    if not running:
        case["tampered"] = True
    case["seconds"] = time.perf_counter() - start
    return case


def copy_of_reference(fn, suspects):
    """The reference that ``fn``'s own code is a copy of (same fingerprint), or None."""
    code = getattr(fn, "__code__", None)
    if code is None or instruction_count(code) < MIN_COPY_INSTRUCTIONS:
        return None
    entry = suspects.get(code_fingerprint(code))
    return entry[0] if entry else None


def cvutils_hidden_run(request_path, user_ns):
    """Runs one exercise's hidden cases in this kernel; writes ``<out>.json`` and ``<out>.npz``.

    Steps: read the request; look the function up; bind the other exercises to the
    references (unless the grading is chained); lock the package's forbidden functions; look
    for delegation in the bytecode and for a copy of a reference; run the cases under the
    call recorder; unlock and unbind; write what came back for the grader to compare.
    """
    import json

    import numpy as np

    request = read_request(request_path)
    name, out = request["name"], request["out"]
    exercise_names = set(request.get("exercises", ()))
    result = {"found": False, "delegation": None, "copy": None, "tampered": None}
    result.update({"cases": [], "error": None})
    arrays = {}
    state = grader_state()
    fn = user_ns.get(name)
    if fn is None:
        result["error"] = f"{name} is not defined"
    elif not callable(fn):
        result["error"] = f"{name} is not a function but {type(fn).__name__}"
    else:
        result["found"] = True
        try:
            run_exercise(request, user_ns, fn, exercise_names, state, result, arrays)
        except Exception as err:
            result["error"] = f"{type(err).__name__}: {err}"
    np.savez(out + ".npz", **arrays)
    with open(out + ".json", "w") as fh:
        json.dump(result, fh)


def run_exercise(request, user_ns, fn, exercise_names, state, result, arrays):
    """The body of `cvutils_hidden_run` for a function that is there."""
    name = request["name"]
    suspects = {fp: tuple(v) for fp, v in request.get("suspects", {}).items()}
    references = hidden_references(request) if not request.get("chained") else {}
    upstream = {} if request.get("chained") else upstream_functions(request, references)
    bind(user_ns, upstream, "hidden")
    try:
        forbidden_ids = {}
        for dotted in request["forbidden"]:
            obj = resolve(dotted)
            if obj is not None:
                forbidden_ids[id(obj)] = dotted
        exempt = {f.__code__ for f in upstream.values() if hasattr(f, "__code__")}
        exempt |= {getattr(f, "__code__", None) for f in references.values()}
        if request.get("chained"):
            others = [user_ns.get(n) for n in exercise_names if n != name]
            exempt |= {f.__code__ for f in others if hasattr(f, "__code__")}
        exempt.discard(None)
        calls = []
        swapped, originals = lock_references(request["forbidden"], "__cvutils_guard__")
        recorder = Recorder(suspects, exempt, run_case.__code__, state)

        def guard(dotted, key, args, kwargs):
            frame = state["getframe"](2)
            if recorder.exempt_frame(frame):
                return originals[key](*args, **kwargs)
            calls.append(dotted)
            raise ReferenceLocked(f"{dotted} is the package's own implementation of {name}")

        try:
            result["delegation"] = static_delegation(fn, name, forbidden_ids, exercise_names)
            result["copy"] = copy_of_reference(fn, suspects)
            for index, (label, args, kwargs) in enumerate(request["cases"]):
                case = run_case(
                    fn,
                    request.get("kind", "function"),
                    args,
                    kwargs,
                    recorder,
                    guard,
                    index,
                    arrays,
                )
                case["label"] = label
                result["cases"].append(case)
        finally:
            unlock_references(swapped)
        if calls and not result["delegation"]:
            result["delegation"] = calls[0]
        for kind, what, _ in recorder.found:
            if kind == "call" and not result["delegation"]:
                result["delegation"] = what
            elif kind == "copy" and not result["copy"]:
                result["copy"] = what
        if any(c.get("tampered") for c in result["cases"]):
            result["tampered"] = "the grader's call recorder was switched off while it ran"
    finally:
        unbind(user_ns, "hidden")
