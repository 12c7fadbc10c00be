"""`eventfiles.read_scalars` reads back what TensorFlow and Keras wrote."""

import numpy as np
import pytest

from cvutils import eventfiles


def test_reads_tf_summary_scalars_in_order(tmp_path):
    import tensorflow as tf

    values = {"epoch_loss": [2.5, 1.25, 0.625], "epoch_acc": [0.1, 0.5, 0.9], "batch_x": [7.0]}
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        for tag, seq in values.items():
            for step, v in enumerate(seq):
                tf.summary.scalar(tag, v, step=step)
        tf.summary.text("epoch_note", "not a number", step=0)
    got = eventfiles.read_scalars(tmp_path)
    assert set(got) == {"epoch_loss", "epoch_acc"}
    for tag in got:
        np.testing.assert_allclose(got[tag], values[tag], rtol=1e-6)
    assert eventfiles.read_scalars(tmp_path, prefix="batch_") == {"batch_x": [7.0]}


def test_reads_what_the_keras_callback_logged(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    h = model.fit(
        x,
        y,
        validation_data=(x, y),
        epochs=3,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(str(tmp_path))],
    )
    train = eventfiles.read_scalars(tmp_path / "train")
    val = eventfiles.read_scalars(tmp_path / "validation")
    np.testing.assert_allclose(train["epoch_loss"], h.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(val["epoch_loss"], h.history["val_loss"], rtol=1e-6)


def test_bad_folders(tmp_path):
    with pytest.raises(ValueError, match="folder must hold TensorBoard event files"):
        eventfiles.read_scalars(tmp_path)
    with pytest.raises(ValueError, match="folder"):
        eventfiles.read_scalars(tmp_path / "missing")
    with pytest.raises(TypeError, match="folder must be a path"):
        eventfiles.read_scalars(3)
