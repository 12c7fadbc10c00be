"""Bad-input specs of `cvutils.layer_tables`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py. `cvutils.models` re-exports
these functions under the same names.
"""

from __future__ import annotations

from bad_input.models import tiny_model
from bad_input.registry import _mod, spec


@spec("layer_tables.layer_table")
def _():
    return _mod("layer_tables").layer_table, dict(
        model=tiny_model(), print_table=False, as_frame=False, bytes_per_value=4
    )


@spec("layer_tables.format_table")
def _():
    tables = _mod("layer_tables")
    return tables.format_table, dict(rows=tables.layer_table(tiny_model()))


@spec("layer_tables.multiply_count")
def _():
    return _mod("layer_tables").multiply_count, dict(model=tiny_model())
