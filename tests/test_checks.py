import numpy as np
import pytest
from refusals import assert_refused

from cvutils import checks
from cvutils.checks import check_int, check_real


@pytest.mark.parametrize(
    "value, minimum, maximum", [(3, 0, None), (np.int64(1), 1, None), (5, 1, 5), (0, 0, 0)]
)
def test_check_int_accepts_integers_in_range(value, minimum, maximum):
    out = check_int("n", value, minimum, maximum)
    assert out == value and type(out) is int


@pytest.mark.parametrize(
    "value, minimum, maximum, match",
    [
        (2.0, 0, None, r"n must be an integer >= 0; got 2.0 \(float\)"),
        (True, 0, None, r"n must be an integer >= 0; got True \(bool\)"),
        (-1, 0, None, r"n must be an integer >= 0; got -1\.$"),
        (13, 1, 12, r"n must be an integer in 1\.\.12; got 13"),
        ("3", 1, None, r"got '3' \(str\)"),
    ],
)
def test_check_int_rejects(value, minimum, maximum, match):
    with pytest.raises(ValueError, match=match):
        check_int("n", value, minimum, maximum)


def test_check_real_bounds():
    assert check_real("lr", 0.5, low=0.0, low_open=True) == 0.5
    assert check_real("rate", 0.0, low=0.0, high=1.0) == 0.0
    with pytest.raises(ValueError, match=r"lr must be in \(0, inf\); got 0.0"):
        check_real("lr", 0.0, low=0.0, low_open=True)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\); got 1.0"):
        check_real("rate", 1.0, low=0.0, high=1.0)
    for bad in (float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="lr must be a finite real number"):
            check_real("lr", bad)


# ----------------------------------------------------------------------------- every other check


def test_argument_type_error_is_both_type_and_value_error():
    assert issubclass(checks.ArgumentTypeError, TypeError)
    assert issubclass(checks.ArgumentTypeError, ValueError)
    with pytest.raises(checks.ArgumentTypeError, match=r"^x must be an int; got 'a' \(str\)\.$"):
        checks.fail("x", "an int", "'a' (str).", kind=True)
    with pytest.raises(ValueError) as info:
        checks.fail("x", "positive", "-1")
    assert type(info.value) is ValueError and str(info.value) == "x must be positive; got -1."


def test_describe():
    assert checks.describe(np.zeros((2, 3), np.float32)) == (
        "an array of shape (2, 3) and dtype float32"
    )
    assert checks.describe(None) == "None (NoneType)"
    assert checks.describe("x" * 100).endswith("... (str)") and len(checks.describe("x" * 100)) < 80


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_check_bool_accepts_booleans(value):
    assert checks.check_bool("flag", value) is bool(value)


@pytest.mark.parametrize("value", ["no", 0, 1, 2, None, 1.0, np.array([True])])
def test_check_bool_refuses_everything_else(value):
    error = assert_refused(lambda: checks.check_bool("flag", value), "flag")
    assert isinstance(error, TypeError)


def test_check_choice():
    assert checks.check_choice("mode", "max", ("max", "average")) == "max"
    assert_refused(lambda: checks.check_choice("mode", "min", ("max", "average")), "mode")
    error = assert_refused(lambda: checks.check_choice("mode", None, ("a",)), "mode")
    assert isinstance(error, TypeError)
    assert_refused(lambda: checks.check_choice("n", True, (1, 2)), "n")  # True == 1, but a bool


def test_check_str_and_callable():
    assert checks.check_str("s", "a") == "a" and checks.check_str("s", "", allow_empty=True) == ""
    assert_refused(lambda: checks.check_str("s", ""), "s")
    assert_refused(lambda: checks.check_str("s", b"a"), "s")
    assert_refused(lambda: checks.check_str("s", None), "s")
    assert checks.check_callable("f", len) is len
    assert_refused(lambda: checks.check_callable("f", 3), "f")


def test_check_path(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("x")
    assert checks.check_path("p", str(f), must_exist=True, kind="file") == f
    assert checks.check_path("p", tmp_path, kind="dir") == tmp_path
    assert checks.check_path("p", tmp_path / "new") == tmp_path / "new"
    for bad in (0, None, b"a", 1.5):
        assert_refused(lambda bad=bad: checks.check_path("p", bad), "p")
    assert_refused(lambda: checks.check_path("p", ""), "p")
    assert_refused(lambda: checks.check_path("p", tmp_path / "no", must_exist=True), "p")
    assert_refused(lambda: checks.check_path("p", tmp_path, kind="file"), "p")
    assert_refused(lambda: checks.check_path("p", f, kind="dir"), "p")


@pytest.mark.parametrize("name", ["mnist.npz", "a b.txt", ".hidden"])
def test_check_filename_accepts_plain_names(name):
    assert checks.check_filename("filename", name) == name


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "/etc/passwd", "a\\b", "a\x00b", 3])
def test_check_filename_refuses_names_that_leave_the_folder(name):
    assert_refused(lambda: checks.check_filename("filename", name), "filename")


@pytest.mark.parametrize(
    "x, kwargs, expected_dtype",
    [
        ([[1, 2]], dict(ndim=2), np.int64),
        ([[1, 2]], dict(ndim=2, dtype="float"), np.float64),
        (np.ones(3, np.float32), dict(dtype="float"), np.float32),
        ([True, False], {}, np.int64),
        ([1, 2], dict(dtype=np.float32), np.float32),
        ([1, 2], dict(dtype="int"), np.int64),
        (np.zeros((2, 4)), dict(shape=(None, 4)), np.float64),
        (np.zeros((2, 3, 3)), dict(ndim=(3, 4), min_ndim=3), np.float64),
        ([np.nan], dict(finite=False), np.float64),
        (np.zeros(0), {}, np.float64),
    ],
)
def test_check_array_accepts(x, kwargs, expected_dtype):
    out = checks.check_array("X", x, **kwargs)
    assert out.dtype == expected_dtype
    np.testing.assert_array_equal(out, np.asarray(x, dtype=out.dtype))


@pytest.mark.parametrize(
    "x, kwargs, is_type_error",
    [
        (None, {}, True),
        ("abc", {}, True),
        ([1 + 1j], {}, True),
        ([[1, 2], [3]], {}, True),
        (np.array([object()]), {}, True),
        ([1.5], dict(dtype="int"), True),
        ([1.5], dict(dtype=np.float32, cast=False), True),
        ([1, 2], dict(ndim=2), False),
        (np.zeros((2, 3)), dict(shape=(None, 4)), False),
        (np.zeros(2), dict(min_ndim=2), False),
        (np.zeros(0), dict(allow_empty=False), False),
        ([np.nan, 1.0], {}, False),
        ([np.inf], {}, False),
    ],
)
def test_check_array_refuses(x, kwargs, is_type_error):
    error = assert_refused(lambda: checks.check_array("X", x, **kwargs), "X")
    assert isinstance(error, TypeError) == is_type_error


def test_check_array_names_the_layout_and_does_not_copy_needlessly():
    x = np.zeros((2, 3))
    assert checks.check_array("X", x) is x
    with pytest.raises(ValueError, match=r"X must be an array of rank 4 \(m, n_H, n_W, n_C\)"):
        checks.check_array("X", x, ndim=4, layout="(m, n_H, n_W, n_C)")


@pytest.mark.parametrize(
    "y, kwargs, expected",
    [
        ([0, 2, 1], dict(n_classes=3), [0, 2, 1]),
        ([0.0, 2.0], dict(n_classes=3), [0, 2]),  # integer-valued floats: accepted
        (np.array([5], np.uint8), {}, [5]),
        ([], dict(n_classes=2, n=0), []),
    ],
)
def test_check_labels_accepts(y, kwargs, expected):
    out = checks.check_labels("y", y, **kwargs)
    assert out.dtype == np.int64 and out.tolist() == expected


@pytest.mark.parametrize(
    "y, kwargs",
    [
        ([0.5], {}),
        ([np.nan], {}),
        ([True, False], {}),
        (None, {}),
        (["a"], {}),
        ([[0, 1]], {}),
        ([-1, 0], {}),
        ([0, 3], dict(n_classes=3)),
        ([0, 1], dict(n=3)),
    ],
)
def test_check_labels_refuses(y, kwargs):
    assert_refused(lambda: checks.check_labels("y", y, **kwargs), "y")


def test_check_same_length():
    assert checks.check_same_length("a", [1, 2], "b", np.zeros((2, 5))) == 2
    assert_refused(lambda: checks.check_same_length("a", [1, 2], "b", [1]), "b")
    assert_refused(lambda: checks.check_same_length("a", [1], "b", None), "a and b")


def test_check_shape():
    assert checks.check_shape("input_shape", [64, 64, 3], ndim=3) == (64, 64, 3)
    assert checks.check_shape("s", (), ndim=None) == ()
    shape = checks.check_shape("s", np.array([720, 1280], dtype=np.int64), ndim=2)
    assert shape == (720, 1280) and all(type(v) is int for v in shape)
    assert_refused(lambda: checks.check_shape("s", np.array([64.5, 64.0])), "s[0]")
    assert_refused(lambda: checks.check_shape("s", np.ones((2, 2), int)), "s")
    assert_refused(lambda: checks.check_shape("s", np.array(3)), "s")
    assert_refused(lambda: checks.check_shape("s", "64"), "s")
    assert_refused(lambda: checks.check_shape("s", 64), "s")
    assert_refused(lambda: checks.check_shape("s", (64, 64), ndim=3), "s")
    assert_refused(lambda: checks.check_shape("s", (64, 0)), "s[1]")
    assert_refused(lambda: checks.check_shape("s", (64, 2.0)), "s[1]")
    assert_refused(lambda: checks.check_shape("s", (checks.MAX_COUNT + 1,)), "s[0]")


@pytest.mark.parametrize("value", [0, 1, checks.MAX_COUNT, np.uint8(3)])
def test_check_int_within_max_count(value):
    assert checks.check_int("n", value, 0, checks.MAX_COUNT) == int(value)


def test_check_real_refuses_in_the_one_form():
    for bad in (None, "1", True, np.nan, np.inf, 1 + 0j):
        assert_refused(lambda bad=bad: checks.check_real("lr", bad), "lr")
    assert_refused(lambda: checks.check_real("p", 1.0, low=0.0, high=1.0), "p")
    assert checks.check_real("p", 1.0, low=0.0, high=1.0, high_open=False) == 1.0
    assert checks.check_real("x", np.float32(0.5)) == 0.5


def test_tensor_checks():
    import keras

    from cvutils.checks import check_float_tensor, check_same_shape, check_tensor

    assert keras.backend.standardize_dtype(check_float_tensor("x", [1, 2]).dtype) == "float32"
    assert tuple(check_tensor("x", [[1.0, 2.0]]).shape) == (1, 2)
    symbolic = keras.Input((3,))
    assert check_tensor("x", symbolic) is symbolic
    for bad in (None, "abc", np.array([1 + 2j])):
        with pytest.raises(TypeError, match=r"^x must be .+; got .+\.$"):
            check_tensor("x", bad)
    check_same_shape("a", np.ones((2, 3)), "b", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^b must be of the same shape as a \(2, 3\); got"):
        check_same_shape("a", np.ones((2, 3)), "b", np.ones((3, 2)))


def test_check_renamed():
    default = 10
    assert checks.check_renamed("n_classes", default, default, "classes", None) == 10
    assert checks.check_renamed("n_classes", default, default, "classes", 4) == 4
    assert checks.check_renamed("n_classes", 5, default, "classes", None) == 5
    assert_refused(lambda: checks.check_renamed("n_classes", 5, default, "classes", 4), "classes")
