"""The package metadata, the conda environment and the README agree with each other."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;@]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    wanted = {_name(r) for r in project["dependencies"] + extras["test"] + extras["lab"]}
    wanted |= {"tensorflow"}  # the cpu/gpu/tf extras are one conda package
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    found = {_name(d) for d in conda + pip if not d.startswith("-e")} - {"python", "pip"}
    assert found == wanted, (
        f"only in environment.yml: {found - wanted}; only in pyproject: {wanted - found}"
    )
    assert "-e ." in pip, (
        "environment.yml must end by installing this package with pip install -e ."
    )
    assert env["channels"] == ["conda-forge"]


def test_every_environment_dependency_is_commented():
    text = (ROOT / "environment.yml").read_text()
    lines = text.split("dependencies:", 1)[1].splitlines()
    skip = ("- python=", "- pip:")
    deps = [
        line
        for line in lines
        if re.match(r"\s+- [a-z]", line)
        and not line.strip().startswith(skip)
        and line.strip() != "- pip"
    ]
    missing = [line.strip() for line in deps if "#" not in line]
    assert not missing, f"uncommented dependencies: {missing}"


def test_tensorflow_is_an_explicit_choice():
    project = PYPROJECT["project"]
    assert not any(_name(r).startswith("tensorflow") for r in project["dependencies"])
    extras = project["optional-dependencies"]
    assert extras["cpu"] == ["tensorflow-cpu>=2.16"]
    assert _name(extras["gpu"][0]) == "tensorflow" and "and-cuda" in extras["gpu"][0]
    assert not any("addons" in r for group in extras.values() for r in group)


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert "export CVUTILS_MODE=fast" in commands and "make test" in commands
