"""The package map in cvutils/__init__.py and the README names every module."""

import pkgutil
import re
from pathlib import Path

import cvutils

ROOT = Path(__file__).resolve().parent.parent


def modules() -> set[str]:
    return {m.name for m in pkgutil.iter_modules(cvutils.__path__)}


def test_the_package_docstring_maps_every_module():
    doc = cvutils.__doc__
    missing = sorted(m for m in modules() if not re.search(rf"\b{m}\b", doc))
    assert not missing, f"add these modules to cvutils/__init__.py's map: {missing}"


def test_the_readme_layout_names_every_module():
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1]
    missing = sorted(m for m in modules() if not re.search(rf"\b{m}\b", layout))
    assert not missing, f"add these modules to the README's Layout: {missing}"


#: The modules that import Keras (and so TensorFlow) when imported, as the package docstring
#: says; every other module must import it only inside the functions that need it.
KERAS_AT_IMPORT = {
    "blocks",
    "models",
    "layer_tables",
    "losses",
    "augment_layers",
    "interpret",
    "yolo",
    "optim",
}


def test_the_package_docstring_names_the_modules_that_import_keras():
    claim = cvutils.__doc__.split("Importing ``cvutils`` itself", 1)[1].split("Every other", 1)[0]
    assert all(re.search(rf"\b{m}\b", claim) for m in KERAS_AT_IMPORT), claim


def test_only_the_named_modules_import_tensorflow_when_imported():
    import json
    import subprocess
    import sys

    lazy = sorted(modules() - KERAS_AT_IMPORT)
    code = (
        "import importlib, json, sys\n"
        f"for name in {lazy!r}:\n"
        "    importlib.import_module(f'cvutils.{name}')\n"
        "    if {'tensorflow', 'keras'} & set(sys.modules):\n"
        "        print(json.dumps(name)); break\n"
        "else:\n"
        "    print(json.dumps(None))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    culprit = json.loads(out.stdout.strip().splitlines()[-1])
    assert culprit is None, f"importing cvutils.{culprit} imports TensorFlow or Keras"
