"""The GitHub workflow runs the README's test command, as .ci/run does, with a pip cache."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"


def readme_test_command() -> str:
    """The command of the README's quickstart line that runs the tests."""
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    lines = [line.split("#")[0].strip() for line in block.splitlines()]
    return next(line for line in lines if line.endswith("test"))


def test_ci_script_calls_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert readme_test_command() == "make test"
    assert re.search(r"(?m)^make test$", script), script


def test_workflow_runs_the_ci_script_on_a_clean_ubuntu_runner_with_a_pip_cache():
    flow = yaml.safe_load(WORKFLOW.read_text())
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers and "pull_request" in triggers
    assert set(flow["jobs"]) == {"test", "full-smoke"}
    for job in flow["jobs"].values():
        _check_job(job)
    assert _runs(flow["jobs"]["test"]) == ["bash .ci/run"]
    assert _runs(flow["jobs"]["full-smoke"]) == ["make full-smoke"]


def _runs(job) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s]


def _check_job(job) -> None:
    assert job["runs-on"].startswith("ubuntu-")
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/checkout@") for u in uses)
    (python,) = [s for s in steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert python["with"]["cache"] == "pip"
    assert python["with"]["python-version"] == "3.11"
