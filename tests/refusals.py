"""One assertion for refused input: the error is a ValueError in the one message form.

``"<name> must be <expected>; got <actual>."`` (see `cvutils.checks`); a value of the wrong
kind raises `cvutils.checks.ArgumentTypeError`, which is also a ``TypeError``.
"""

from __future__ import annotations

import re

import pytest


def assert_refused(call, name: str) -> ValueError:
    """Calls ``call()`` and asserts it raises ValueError naming ``name`` in the one form."""
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    pattern = rf"^{re.escape(name)} must be .+; got .+\.$"
    assert re.match(pattern, message, re.S), f"{message!r} does not match {pattern!r}"
    return info.value
