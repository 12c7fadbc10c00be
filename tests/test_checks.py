import numpy as np
import pytest

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
