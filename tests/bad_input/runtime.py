"""Bad-input specs of `cvutils.runtime`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from bad_input.registry import _mod, exempt, spec


# --- runtime
@spec("runtime.budget")
def _():
    return _mod("runtime").budget, dict(fast=dict(epochs=1), full=dict(epochs=5), verbose=False)


@spec("runtime.budget_overrides")
def _():
    return _mod("runtime").budget_overrides, dict(text="epochs=2", settings=dict(epochs=1))


@spec("runtime.progress")
def _():
    return _mod("runtime").progress, dict(iterable=[1, 2, 3], desc="loop", total=3, every=0.1)


@spec("runtime.result")
def _():
    return _mod("runtime").result, dict(accuracy=0.9)


@spec("runtime.set_seed")
def _():
    return _mod("runtime").set_seed, dict(seed=0)


@spec("runtime.setup")
def _():
    return _mod("runtime").setup, dict(seed=0, mixed_precision=False, verbose=False)


@spec("runtime.strategy")
def _():
    return _mod("runtime").strategy, dict(devices=None)


exempt("runtime.gpus", "takes no argument")
exempt(
    "runtime.mode", "takes no argument (reads CVUTILS_MODE; its values are tested in test_runtime)"
)
exempt("runtime.is_fast", "takes no argument")
exempt("runtime.is_smoke", "takes no argument (reads CVUTILS_SMOKE; tested in test_runtime)")
exempt("runtime.device_name", "takes no argument")
exempt("runtime.environment_report", "takes no argument")
exempt(
    "runtime.RuntimeInfo",
    "a frozen record the package builds and returns; learners read it, never build it",
)
exempt(
    "runtime.Budget",
    "a frozen record the package builds and returns; learners read it, never build it",
)


# A missed target is its documented answer (AssertionError), not a crash.
@spec("runtime.target", verdicts=(AssertionError,))
def _():
    return _mod("runtime").target, dict(name="accuracy", value=0.9, at_least=0.5, at_most=1.0)
