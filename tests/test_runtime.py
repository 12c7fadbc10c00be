import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from refusals import assert_refused

from cvutils import runtime


@pytest.mark.parametrize(
    "value, expected", [("fast", "fast"), ("full", "full"), (" FAST ", "fast"), ("Full", "full")]
)
def test_mode_reads_environment(monkeypatch, value, expected):
    monkeypatch.setenv("CVUTILS_MODE", value)
    assert runtime.mode() == expected
    assert runtime.is_fast() == (expected == "fast")


@pytest.mark.parametrize("value", ["quick", "slow", "1", "fast,full"])
def test_unknown_mode_raises_with_what_was_received(monkeypatch, value):
    monkeypatch.setenv("CVUTILS_MODE", value)
    with pytest.raises(ValueError, match=f"CVUTILS_MODE.*{value}"):
        runtime.mode()


def test_default_mode_follows_the_gpu(monkeypatch):
    monkeypatch.delenv("CVUTILS_MODE", raising=False)
    monkeypatch.setattr(runtime, "gpus", lambda: [])
    assert runtime.mode() == "fast"
    monkeypatch.setattr(runtime, "gpus", lambda: ["GPU:0"])
    assert runtime.mode() == "full"


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_budget_picks_the_current_mode_and_prints_one_line(monkeypatch, capsys, mode):
    monkeypatch.setenv("CVUTILS_MODE", mode)
    b = runtime.budget(fast=dict(epochs=2, n_train=2000), full=dict(epochs=30, n_train=60000))
    expected = {"fast": (2, 2000), "full": (30, 60000)}[mode]
    assert (b.epochs, b.n_train) == expected
    assert (b["epochs"], b["n_train"]) == expected
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(f"Budget [{mode} mode]: epochs={expected[0]}")
    with pytest.raises(AttributeError, match="no entry 'lr'"):
        _ = b.lr


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_cvutils_budget_replaces_settings_of_the_current_mode_and_says_so(
    monkeypatch, capsys, mode
):
    monkeypatch.setenv("CVUTILS_MODE", mode)
    monkeypatch.setenv("CVUTILS_BUDGET", " epochs=3, depths=(20,), skip=False ")
    fast = dict(epochs=2, depths=(8, 14), skip=True, lr=0.1)
    full = dict(epochs=30, depths=(20, 56), skip=True, lr=0.01)
    b = runtime.budget(fast=fast, full=full)
    lr = {"fast": 0.1, "full": 0.01}[mode]
    assert dict(b.values) == dict(epochs=3, depths=(20,), skip=False, lr=lr)
    assert dict(b.overrides) == dict(epochs=3, depths=(20,), skip=False)
    other = "full" if mode == "fast" else "fast"
    assert dict(b.other) == (full if other == "full" else fast)  # the other mode untouched
    assert fast["epochs"] == 2 and full["epochs"] == 30  # the caller's dicts untouched
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line.startswith(
        f"Budget [{mode} mode, CVUTILS_BUDGET: epochs=3, depths=(20,), skip=False]: epochs=3,"
    )


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_cvutils_budget_changes_nothing(monkeypatch, text):
    monkeypatch.setenv("CVUTILS_BUDGET", text)
    b = runtime.budget(fast=dict(epochs=2), full=dict(epochs=2), verbose=False)
    assert dict(b.overrides) == {} and b.epochs == 2 and "CVUTILS_BUDGET" not in str(b)


@pytest.mark.parametrize(
    "text, settings, expected",
    [
        ("epochs=3", dict(epochs=1), dict(epochs=3)),
        ("lr=1", dict(lr=0.5), dict(lr=1)),  # an int may stand for a float
        ("data='cifar10'", dict(data="patches"), dict(data="cifar10")),
        ("weights=None", dict(weights="imagenet"), dict(weights=None)),
        ("weights='imagenet'", dict(weights=None), dict(weights="imagenet")),
        ("a=1, b=(1, 2)", dict(a=0, b=(3,)), dict(a=1, b=(1, 2))),
        ("augment=True", dict(augment=False), dict(augment=True)),
    ],
)
def test_budget_overrides_parses_keyword_literals(text, settings, expected):
    assert runtime.budget_overrides(text, settings) == expected


@pytest.mark.parametrize(
    "text, match",
    [
        ("epochs", "keyword arguments with literal values"),
        ("3", "keyword arguments with literal values"),
        ("epochs=3,,", "keyword arguments with literal values"),
        ("epochs=len('ab')", "keyword arguments with literal values"),
        ("epochs=__import__('os')", "keyword arguments with literal values"),
        ("**dict(epochs=3)", "keyword arguments with literal values"),
        ("epochs=3)", "keyword arguments with literal values"),
        ("epoch=3", "settings of this notebook's budget \\['augment', 'epochs', 'lr'\\]"),
        ("epochs=3, epochs=4", "keyword arguments|at most once"),
        ("epochs=3.5", "epochs= of the same kind as 20 \\(int\\); got 3.5 \\(float\\)"),
        ("epochs=True", "same kind"),
        ("augment=1", "same kind"),
        ("lr='fast'", "same kind"),
    ],
)
def test_a_bad_cvutils_budget_is_refused_naming_the_variable(monkeypatch, text, match):
    monkeypatch.setenv("CVUTILS_BUDGET", text)
    settings = dict(epochs=20, augment=True, lr=0.1)
    with pytest.raises(ValueError, match="CVUTILS_BUDGET must be") as err:
        runtime.budget(fast=settings, full=settings, verbose=False)
    assert re.search(match, str(err.value)), str(err.value)


@pytest.mark.parametrize(
    "fast, full, match",
    [
        (dict(epochs=1), dict(epochs=2, n=3), "only in full: \\['n'\\]"),
        ({}, {}, "non-empty"),
        ([1], dict(a=1), "fast must be a non-empty dict"),
    ],
)
def test_budget_rejects_mismatched_settings(fast, full, match):
    with pytest.raises(ValueError, match=match):
        runtime.budget(fast=fast, full=full)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: runtime.budget(fast=dict(a=1), full=None), "full"),
        (lambda: runtime.budget(fast=dict(a=1), full={}), "full"),
        (lambda: runtime.budget(fast=dict(a=1), full=dict(b=1)), "full"),
        (lambda: runtime.budget(fast={1: 1}, full={1: 2}), "fast"),
        (lambda: runtime.budget(fast=dict(a=1), full=dict(a=2), verbose="no"), "verbose"),
        (lambda: runtime.set_seed(2**32), "seed"),
        (lambda: runtime.set_seed(None), "seed"),
        (lambda: runtime.setup(seed=-1, verbose=False), "seed"),
        (lambda: runtime.setup(seed=0, verbose=None), "verbose"),
        (lambda: runtime.setup(seed=0, verbose=2), "verbose"),
        (lambda: runtime.setup(seed=0, mixed_precision="no", verbose=False), "mixed_precision"),
        (lambda: runtime.setup(seed=0, mixed_precision=1, verbose=False), "mixed_precision"),
        (lambda: runtime.strategy(devices=[]), "devices"),
        (lambda: runtime.strategy(devices="/cpu:0"), "devices"),
        (lambda: runtime.strategy(devices=["/cpu:0", 1]), "devices[1]"),
        (lambda: runtime.strategy(devices=[""]), "devices[0]"),
        (lambda: runtime.result(), "values"),
    ],
)
def test_bad_arguments_are_refused_naming_them(call, name):
    assert_refused(call, name)


def test_setup_seeds_everything_and_prints_one_line(capsys):
    import keras

    info = runtime.setup(seed=123)
    line = capsys.readouterr().out.strip()
    assert "\n" not in line
    for part in (
        f"TensorFlow {info.tensorflow}",
        f"Keras {keras.__version__}",
        "mode=fast",
        "seed=123",
    ):
        assert part in line
    assert info.deterministic and info.precision == "float32"
    a = (np.random.rand(3), keras.random.uniform((3,), seed=None).numpy())
    runtime.setup(seed=123, verbose=False)
    b = (np.random.rand(3), keras.random.uniform((3,), seed=None).numpy())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        runtime.set_seed(seed)


def test_mixed_precision_without_gpu_is_refused():
    import keras

    try:
        assert_refused(
            lambda: runtime.setup(seed=0, mixed_precision=True, verbose=False), "mixed_precision"
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_default_strategy_on_one_device():
    import tensorflow as tf

    s = runtime.strategy()
    assert s.num_replicas_in_sync == 1
    assert s is tf.distribute.get_strategy()


def test_strategy_rejects_bad_devices():
    with pytest.raises(ValueError, match="devices"):
        runtime.strategy(devices=[])


def test_mirrored_strategy_on_two_logical_cpus():
    """Trains one step under MirroredStrategy over two logical CPU devices (fresh process)."""
    code = textwrap.dedent(
        """
        import numpy as np, tensorflow as tf, keras
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        from cvutils import runtime
        s = runtime.strategy(devices=["/cpu:0", "/cpu:1"])
        assert type(s).__name__ == "MirroredStrategy", type(s)
        assert s.num_replicas_in_sync == 2
        with s.scope():
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
            model.compile(optimizer="sgd", loss="mse")
        h = model.fit(np.ones((8, 4)), np.ones((8, 1)), batch_size=4, epochs=1, verbose=0)
        assert np.isfinite(h.history["loss"][0])
        print("OK", s.num_replicas_in_sync)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OK 2" in proc.stdout


def test_result_line(capsys):
    # returns None: a notebook cell ending with the call must not show the line twice
    assert runtime.result(accuracy=0.98765, model="lenet") is None
    assert capsys.readouterr().out == "RESULT: accuracy=0.9877, model=lenet\n"
    with pytest.raises(ValueError):
        runtime.result()


def test_environment_report_names_versions():
    import tensorflow as tf

    report = runtime.environment_report()
    assert tf.__version__ in report and "mode" in report


def test_full_mode_turns_on_mixed_precision_only_on_a_capable_gpu(monkeypatch):
    import keras

    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.setattr(runtime, "device_name", lambda: "GPU x1 (test double)")
    try:
        monkeypatch.setattr(runtime, "gpus", lambda: ["GPU:0"])
        monkeypatch.setattr(runtime, "_supports_mixed_float16", lambda: True)
        info = runtime.setup(seed=0, verbose=False)
        assert info.precision == "mixed_float16" and not info.deterministic
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        monkeypatch.setattr(runtime, "_supports_mixed_float16", lambda: False)  # e.g. a Pascal GPU
        assert runtime.setup(seed=0, verbose=False).precision == "float32"
        monkeypatch.setattr(runtime, "gpus", lambda: [])  # full mode on a CPU
        assert runtime.setup(seed=0, verbose=False).precision == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_progress_yields_every_item_and_leaves_no_bar_in_a_notebook(tmp_path):
    """Outside a kernel it is tqdm (leave=False); in a kernel the line is emptied at the end."""
    import nbformat
    from nbclient import NotebookClient

    assert list(runtime.progress(iter(range(5)), desc="x", total=5)) == list(range(5))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import time\nfrom cvutils.runtime import progress\nprint('before')\n"
            "items = [time.sleep(0.02) or i for i in progress(range(30), desc='loop', every=0)]\n"
            "print(len(items))"
        )
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute(cwd=str(tmp_path))
    outputs = nb.cells[0].outputs
    texts = [o.get("text", "") for o in outputs if o.output_type == "stream"]
    shown = [o.data.get("text/plain", "") for o in outputs if o.output_type == "display_data"]
    assert "".join(texts) == "before\n30\n"
    assert shown == [""], shown


def test_cvutils_seed_replaces_the_notebook_seed(monkeypatch):
    monkeypatch.setenv("CVUTILS_SEED", "7")
    info = runtime.setup(seed=0, verbose=False)
    assert info.seed == 7
    a = np.random.random()
    runtime.set_seed(7)
    assert np.random.random() == a
    monkeypatch.setenv("CVUTILS_SEED", "seven")
    with pytest.raises(ValueError, match="CVUTILS_SEED"):
        runtime.setup(seed=0, verbose=False)


@pytest.mark.parametrize("value", ["", "0", " 0 "])
def test_smoke_is_off_unless_asked_for(monkeypatch, value):
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    monkeypatch.setenv("CVUTILS_SMOKE", value)
    assert runtime.is_smoke() is False


def test_smoke_needs_full_mode_and_a_clear_value(monkeypatch):
    monkeypatch.setenv("CVUTILS_SMOKE", "1")
    monkeypatch.setenv("CVUTILS_MODE", "full")
    assert runtime.is_smoke() is True
    monkeypatch.setenv("CVUTILS_MODE", "fast")
    with pytest.raises(ValueError, match="CVUTILS_SMOKE.*CVUTILS_MODE=full.*mode=fast"):
        runtime.is_smoke()
    monkeypatch.setenv("CVUTILS_MODE", "full")
    for bad in ("yes", "true", "2"):
        monkeypatch.setenv("CVUTILS_SMOKE", bad)
        with pytest.raises(ValueError, match=f"CVUTILS_SMOKE.*{bad}"):
            runtime.is_smoke()


@pytest.mark.parametrize("mode", ["fast", "full"])
def test_target_is_an_assertion_outside_a_smoke_run(monkeypatch, capsys, mode):
    monkeypatch.setenv("CVUTILS_MODE", mode)
    monkeypatch.delenv("CVUTILS_SMOKE", raising=False)
    assert runtime.target("accuracy", 0.95, at_least=0.9) is True
    assert runtime.target("accuracy", np.float32(0.95), at_least=0.9, at_most=1) is True
    assert runtime.target("error", np.array(0.1), at_most=0.1) is True
    assert capsys.readouterr().out == ""  # a met target prints nothing
    with pytest.raises(AssertionError, match=r"accuracy = 0\.85, target >= 0\.9"):
        runtime.target("accuracy", 0.85, at_least=0.9)
    with pytest.raises(AssertionError, match=r"error = 0\.2, target <= 0\.1"):
        runtime.target("error", 0.2, at_most=0.1)
    with pytest.raises(AssertionError, match=r"target >= 0 and <= 1"):
        runtime.target("gap", 1.5, at_least=0, at_most=1)


def test_target_in_a_smoke_run_says_it_was_not_checked(monkeypatch, capsys):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.setenv("CVUTILS_SMOKE", "1")
    assert runtime.target("test accuracy", 0.12, at_least=0.99) is False
    assert runtime.target("attack accuracy", 0.3, at_most=0.6) is True
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "target not checked (smoke run): test accuracy = 0.12, target >= 0.99 "
        "(missed with the smoke budget)",
        "target not checked (smoke run): attack accuracy = 0.3, target <= 0.6 "
        "(met with the smoke budget)",
    ]


def test_target_refuses_what_it_cannot_compare(monkeypatch):
    monkeypatch.delenv("CVUTILS_SMOKE", raising=False)
    with pytest.raises(ValueError, match="at_least"):
        runtime.target("accuracy", 0.9)
    with pytest.raises(AssertionError, match="precision = nan, target >= 0.5"):
        runtime.target("precision", float("nan"), at_least=0.5)  # no measurement is a miss
    with pytest.raises(TypeError, match="value"):
        runtime.target("accuracy", "0.9", at_least=0.5)
    with pytest.raises(TypeError, match="name"):
        runtime.target(3, 0.9, at_least=0.5)


def test_setup_names_a_smoke_run_in_its_line(monkeypatch, capsys):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.setenv("CVUTILS_SMOKE", "1")
    info = runtime.setup(seed=0, mixed_precision=False)
    assert info.smoke is True
    assert capsys.readouterr().out.rstrip().endswith("smoke run (targets not checked)")
    monkeypatch.setenv("CVUTILS_SMOKE", "0")
    info = runtime.setup(seed=0, mixed_precision=False)
    assert info.smoke is False and "smoke" not in capsys.readouterr().out


def test_target_takes_a_condition(monkeypatch, capsys):
    monkeypatch.setenv("CVUTILS_MODE", "full")
    monkeypatch.delenv("CVUTILS_SMOKE", raising=False)
    assert runtime.target("CNN beats k-NN", np.float64(0.9) > 0.8) is True
    with pytest.raises(AssertionError, match="CNN beats k-NN: does not hold"):
        runtime.target("CNN beats k-NN", False)
    with pytest.raises(ValueError, match="at_least"):
        runtime.target("CNN beats k-NN", True, at_least=0.5)
    monkeypatch.setenv("CVUTILS_SMOKE", "1")
    assert runtime.target("CNN beats k-NN", np.bool_(False)) is False
    assert capsys.readouterr().out == (
        "target not checked (smoke run): CNN beats k-NN: does not hold "
        "(missed with the smoke budget)\n"
    )
