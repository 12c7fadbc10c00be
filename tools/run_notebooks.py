"""Executes every notebook headless in the current mode into a build folder.

    python tools/run_notebooks.py notebooks build

Writes ``build/NN_topic.ipynb`` (executed) and ``build/NN_topic.html`` and prints one line per
notebook: seconds, and its key result — the last line the notebook printed that starts with
``RESULT:`` (see `cvutils.runtime.result`). Exits non-zero if any notebook fails.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def key_result(nb) -> str:
    found = "no RESULT line"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                for line in out.get("text", "").splitlines():
                    if line.startswith("RESULT:"):
                        found = line[len("RESULT:") :].strip()
    return found


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(src: str, dst: str) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    out = Path(dst)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in sorted(Path(src).glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        try:
            NotebookClient(
                nb, timeout=3600, resources={"metadata": {"path": str(path.parent)}}
            ).execute()
            status = key_result(nb)
        except Exception as err:  # report and go on with the next notebook
            failures += 1
            status = f"FAILED: {type(err).__name__}: {str(err).strip().splitlines()[-1][:200]}"
        seconds = time.perf_counter() - start
        write_atomic(out / path.name, nbformat.writes(nb))
        html, _ = HTMLExporter().from_notebook_node(nb)
        write_atomic(out / path.with_suffix(".html").name, html)
        print(f"{path.name:45s} {seconds:7.1f} s  {status}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
