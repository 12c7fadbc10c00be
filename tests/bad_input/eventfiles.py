"""Bad-input specs of `cvutils.eventfiles`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from pathlib import Path

from bad_input.registry import TMP, _mod, spec


# --- eventfiles
def _event_folder() -> Path:
    folder = TMP / "events"
    if not folder.exists():
        import tensorflow as tf

        with tf.summary.create_file_writer(str(folder)).as_default():
            for step, v in enumerate([1.0, 0.5]):
                tf.summary.scalar("epoch_loss", v, step=step)
    return folder


@spec("eventfiles.read_scalars")
def _():
    return _mod("eventfiles").read_scalars, dict(folder=_event_folder(), prefix="epoch_")
