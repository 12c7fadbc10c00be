"""Reading TensorBoard event files back: what `keras.callbacks.TensorBoard` logged.

Taught in notebooks/06_training_convnets_well.ipynb (section 6, TensorBoard).
"""

from __future__ import annotations

import os

from cvutils.checks import check_path, check_str


def read_scalars(folder, prefix: str = "epoch_") -> dict[str, list[float]]:
    """Scalars logged in the event files of one folder, by tag, in the order they were written.

    Shapes: each value is a list of floats, one per logged step (one per epoch for the
    ``epoch_*`` tags that `keras.callbacks.TensorBoard` writes to ``train/`` and
    ``validation/``). Tags that do not start with ``prefix`` (the model's config, a text
    summary, and the per-batch tags) are skipped.

    Taught in notebooks/06_training_convnets_well.ipynb.

    Args:
        folder: a folder that holds ``*tfevents*`` files, e.g. ``log_dir / "train"``.
        prefix: keep only the tags that start with it (``""`` keeps every scalar).

    Returns:
        ``{tag: [value, ...]}``.

    Raises:
        ValueError: if ``folder`` is not a folder or holds no event file.
    """
    folder = check_path("folder", folder, must_exist=True, kind="dir")
    prefix = check_str("prefix", prefix, allow_empty=True)
    files = sorted(f for f in os.listdir(folder) if "tfevents" in f)
    if not files:
        raise ValueError(f"folder must hold TensorBoard event files; got none in {folder.name!r}.")
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    found: dict[str, list[float]] = {}
    for name in files:
        for record in tf.data.TFRecordDataset(str(folder / name)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                if not value.tag.startswith(prefix):
                    continue
                if value.HasField("tensor"):
                    tensor = tf.make_ndarray(value.tensor)
                    if tensor.dtype.kind not in "fiu" or tensor.size != 1:
                        continue  # a text or image summary under the same prefix
                    number = float(tensor.reshape(()))
                else:
                    number = float(value.simple_value)
                found.setdefault(value.tag, []).append(number)
    return found
