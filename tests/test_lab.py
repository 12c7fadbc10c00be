"""`make lab` (the README's first command) starts a JupyterLab server that lists the notebooks."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "jupyter").exists(),
    reason="needs make and the .venv that `make lab` creates",
)
def test_make_lab_serves_the_notebook_list():
    port, token = _free_port(), "cvutils-test-token"
    args = (
        f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
        "--ServerApp.open_browser=False"
    )
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(ROOT / "build" / "jupyter-runtime")}
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents?token={token}"
        deadline, listing = time.time() + 120, None
        while time.time() < deadline and listing is None:
            if proc.poll() is not None:
                pytest.fail(
                    f"make lab exited with {proc.returncode}: {proc.stdout.read().decode()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
            except OSError:
                time.sleep(1)
        assert listing is not None, "JupyterLab did not answer within 120 s"
        names = {item["name"] for item in listing["content"]}
        expected = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
        assert expected and expected <= names
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/lab?token={token}", timeout=10
        ) as response:
            assert response.status == 200 and b"JupyterLab" in response.read()
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stops make and the server it started (one process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue
