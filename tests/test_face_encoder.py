"""The face encoder of notebook 16: shapes, unit norm, a triplet-loss step, .keras round trip."""

import keras
import numpy as np
import pytest
from refusals import assert_refused

from cvutils import losses, models


@pytest.mark.parametrize(
    ("shape", "dim", "filters"), [((25, 25, 1), 16, (4, 8)), ((32, 24, 3), 128, (4,))]
)
def test_face_encoder_gives_unit_embeddings(shape, dim, filters):
    model = models.face_encoder(shape, embedding_dim=dim, filters=filters)
    assert model.output_shape == (None, dim) and model.name == "face_encoder"
    x = np.random.default_rng(0).uniform(size=(5, *shape)).astype("float32")
    f = np.asarray(model(x, training=False))
    assert f.shape == (5, dim)
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-5)
    dense = np.asarray(keras.Model(model.input, model.get_layer("embedding").output)(x))
    np.testing.assert_allclose(f, dense / np.linalg.norm(dense, axis=1, keepdims=True), atol=1e-6)


def test_face_encoder_trains_one_step_with_a_triplet_loss():
    model = models.face_encoder((16, 16, 1), embedding_dim=8, filters=(4,))
    x = np.random.default_rng(1).uniform(size=(12, 16, 16, 1)).astype("float32")
    y = np.repeat(np.arange(4), 3)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=losses.TripletHardLoss(margin=0.5))
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=12, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_face_encoder_round_trips_through_a_keras_file(tmp_path):
    model = models.face_encoder((16, 16, 1), embedding_dim=8, filters=(4, 4), dropout=0.2)
    x = np.random.default_rng(2).uniform(size=(3, 16, 16, 1)).astype("float32")
    path = tmp_path / "encoder.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(again(x, training=False), model(x, training=False), atol=1e-6)


def test_face_encoder_refuses_bad_arguments():
    assert_refused(lambda: models.face_encoder((8, 8, 1), filters=(4, 4, 4, 4)), "input_shape")
    assert_refused(lambda: models.face_encoder((16, 16, 1), embedding_dim=0), "embedding_dim")
    assert_refused(lambda: models.face_encoder((16, 16, 1), dropout=1.0), "dropout")
