"""The TensorFlow-backed unit tests pass with oneDNN's kernels on *and* off.

TensorFlow turns its oneDNN (MKL) kernels on by default on some x86 CPUs (those with AVX-512
VNNI/BF16 or AMX, common on CI services and servers) and off on others, and the two paths
differ in numerics and, once, in an empty-batch einsum bug. `make test` forces them on
(``TF_ENABLE_ONEDNN_OPTS=1``) for its main run; this test runs the modules that build Keras
layers, blocks, models and losses or compare with TensorFlow ops again in a fresh process with
the setting flipped, so the suite's verdict does not depend on the machine's CPU.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Modules whose results go through TensorFlow kernels (layers, models, losses, TF references).
TENSORFLOW_MODULES = (
    "test_locally_connected.py",
    "test_network_blocks.py",
    "test_layer_harness.py",
    "test_models.py",
    "test_models_resnet9.py",
    "test_localization_net.py",
    "test_tiny_yolo.py",
    "test_unet.py",
    "test_face_encoder.py",
    "test_vgg19_features.py",
    "test_losses.py",
    "test_augment_layers.py",
    "test_augment_detection.py",
    "test_yolo.py",
    "test_yolo_training.py",
    "test_interpret.py",
    "test_optim_one_cycle.py",
    "test_conv.py",
    "test_conv_transpose.py",
    "test_nms.py",
)

#: Tests that compare layer structure only (names, shapes, parameter and memory counts), which
#: no kernel choice changes: left to the main run to keep this one short.
STRUCTURE_ONLY = "not vgg16_equals_keras_applications_layer_by_layer and not activation_memory"


def onednn_is_on() -> bool:
    """Whether this process's TensorFlow runs the oneDNN kernels."""
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


def test_the_module_list_names_existing_files():
    missing = [name for name in TENSORFLOW_MODULES if not (ROOT / "tests" / name).exists()]
    assert not missing, f"rename them in TENSORFLOW_MODULES: {missing}"


@pytest.mark.timeout(1800)
def test_tensorflow_modules_pass_with_onednn_flipped():
    flipped = "0" if onednn_is_on() else "1"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env["TF_ENABLE_ONEDNN_OPTS"] = flipped
    paths = [str(ROOT / "tests" / name) for name in TENSORFLOW_MODULES]
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-k", STRUCTURE_ONLY, *paths]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-40:])
    assert run.returncode == 0, f"with TF_ENABLE_ONEDNN_OPTS={flipped}:\n{tail}"
