"""Bad-input specs of `cvutils.pretrained`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from bad_input.annotated_datasets import _from_mirror
from bad_input.registry import _mod, exempt, spec


@spec("pretrained.imagenet_weights", verdicts=(RuntimeError,))
def _():
    fn = _from_mirror(_mod("pretrained").imagenet_weights, weights=("mobilenet_v2-notop",))
    return fn, dict(name="mobilenet_v2", include_top=False)


exempt(
    "pretrained.imagenet_class_names", "takes no argument (fast mode: OfflineError; test_mirror)"
)
