"""Bad-input specs of `cvutils.faces`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.registry import _mod, rng, spec


def _face_model(batch):
    """A stand-in encoder: a batch of one image -> a (1, 3) embedding, never 0."""
    return np.asarray(batch, dtype=float).reshape(1, -1)[:, :3] + 1.0


def _face_db():
    return {"ana": np.array([[1.0, 0.0, 0.0]]), "ben": np.array([[0.0, 0.6, 0.8]])}


@spec("faces.img_to_encoding")
def _():
    return _mod("faces").img_to_encoding, dict(
        image_path=rng(0).uniform(size=(5, 4)), model=_face_model
    )


@spec("faces.verify")
def _():
    return _mod("faces").verify, dict(
        image_path=rng(1).uniform(size=(5, 4)),
        identity="ana",
        database=_face_db(),
        model=_face_model,
        threshold=0.7,
    )


@spec("faces.who_is_it")
def _():
    return _mod("faces").who_is_it, dict(
        image_path=rng(2).uniform(size=(5, 4)),
        database=_face_db(),
        model=_face_model,
        threshold=0.7,
    )


@spec("faces.jitter_faces")
def _():
    return _mod("faces").jitter_faces, dict(
        images=rng(3).uniform(size=(2, 6, 6)),
        seed=0,
        shift=2,
        flip=True,
        brightness=0.1,
        contrast=0.2,
    )


@spec("faces.sample_pk")
def _():
    return _mod("faces").sample_pk, dict(labels=np.array([0, 0, 1, 1, 2]), p=2, k=3, seed=0)


@spec("faces.sample_triplets")
def _():
    return _mod("faces").sample_triplets, dict(labels=np.array([0, 0, 1, 1, 2]), n=4, seed=0)


@spec("faces.sample_pairs")
def _():
    return _mod("faces").sample_pairs, dict(labels=np.array([0, 0, 1, 1, 2]), n_pairs=4, seed=0)


@spec("faces.zero_loss_fraction")
def _():
    a, p, n = rng(4).standard_normal((3, 5, 4))
    return _mod("faces").zero_loss_fraction, dict(anchor=a, positive=p, negative=n, alpha=0.2)


@spec("faces.pair_features")
def _():
    fi, fj = rng(5).standard_normal((2, 5, 4))
    return _mod("faces").pair_features, dict(f_i=fi, f_j=fj, kind="chi2", eps=1e-6)


@spec("faces.best_threshold")
def _():
    return _mod("faces").best_threshold, dict(
        distances=np.array([0.2, 0.5, 0.9, 1.3]), same=np.array([True, True, False, False])
    )
