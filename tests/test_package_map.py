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
