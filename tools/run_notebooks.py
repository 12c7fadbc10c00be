"""Executes every notebook headless in the current mode into a build folder.

    python tools/run_notebooks.py notebooks build [--workers N]
    python tools/run_notebooks.py notebooks/04_convolution_step_by_step.ipynb build

Writes ``build/NN_topic.ipynb`` (executed), ``build/NN_topic.html`` and the kernel's own log
``build/logs/NN_topic.log`` (kept out of the table), ``build/run_times.json`` (seconds per
notebook and in total, read by ``benchmarks/run.py``), and prints one line per notebook:
seconds, figures drawn, and its key result — the last line the notebook printed that starts
with ``RESULT:`` (see `cvutils.runtime.result`) — then a total. Exits non-zero if any
notebook fails or if an output carries start-up noise, a traceback or a machine path
(`problems`).

Also a library: ``tests/test_run_notebooks.py`` runs `run_all` once over every notebook
(this is how CI executes them) and checks `problems` and `figure_count`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

#: What must never appear in a cell output a learner reads: (label, pattern).
NOISE = (
    ("traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("TensorFlow C++ log line", re.compile(r"(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d|\bE0000\b")),
    ("absl start-up warning", re.compile(r"absl")),
    ("machine path", re.compile(r"\.venv|site-packages|/home/|/Users/|/tmp/")),
    ("progress bar left behind", re.compile(r"\d+%\|")),
)

#: A code cell that calls one of these draws a figure.
DRAWS = re.compile(r"\bplt\.|\bplotting\.|\bwidgets\.|\.imshow\(|\.plot\(")


def key_result(nb) -> str:
    """The text after the last ``RESULT:`` line printed by the notebook."""
    found = "no RESULT line"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                for line in out.get("text", "").splitlines():
                    if line.startswith("RESULT:"):
                        found = line[len("RESULT:") :].strip()
    return found


def output_texts(cell) -> list[str]:
    """The texts a learner reads in a cell's outputs: streams, plain-text results, errors."""
    texts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            texts.append(out.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            texts.append(out.get("data", {}).get("text/plain", ""))
        elif kind == "error":
            trace = "\n".join(out.get("traceback", []))
            texts.append(f"Traceback (most recent call last)\n{trace}")
    return texts


def problems(nb) -> list[str]:
    """One line per output that carries noise (see `NOISE`) or shows a ``RESULT:`` twice."""
    found = []
    for index, cell in enumerate(nb.cells):
        texts = output_texts(cell)
        for text in texts:
            for label, pattern in NOISE:
                match = pattern.search(text)
                if match:
                    line = text[: match.end()].rsplit("\n", 1)[-1] + text[match.end() :]
                    found.append(f"cell {index}: {label}: {line.splitlines()[0][:160]!r}")
        results = sum(line.startswith("RESULT:") for t in texts for line in t.splitlines())
        results += sum("'RESULT:" in t or '"RESULT:' in t for t in texts)
        if results > 1:
            found.append(f"cell {index}: its RESULT line appears {results} times")
    return found


def figure_count(nb) -> int:
    """Number of ``image/png`` outputs (rendered figures)."""
    return sum(
        "image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])
    )


def draws(nb) -> bool:
    """True if some code cell calls matplotlib or the plotting helpers."""
    return any(c.cell_type == "code" and DRAWS.search(c.source) for c in nb.cells)


@dataclass
class Run:
    """The outcome of executing one notebook."""

    name: str
    seconds: float
    ok: bool
    status: str
    figures: int = 0
    draws: bool = False
    problems: list[str] = field(default_factory=list)
    error: str = ""

    def row(self) -> str:
        return f"{self.name:45s} {self.seconds:7.1f} s {self.figures:4d} fig  {self.status}"


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the build is for reading
    os.replace(tmp, path)


#: Seconds one cell may run before the notebook fails (fast mode cells take seconds).
CELL_TIMEOUT = 1200


def run_one(
    path: str | os.PathLike,
    dst: str | os.PathLike,
    env: dict | None = None,
    deadline: float | None = None,
) -> Run:
    """Executes one notebook the way ``make run`` does and writes it to ``dst``.

    The kernel gets ``env`` (default: this process's environment) and writes its own log to
    ``dst/logs/<name>.log``, not to this process's terminal. Each cell may run
    `CELL_TIMEOUT` seconds; with ``deadline`` (a `time.monotonic` time) a cell may run only
    until then, and the notebook fails with a timeout if it is not done by then.
    """

    def cell_timeout(cell) -> int:
        if deadline is None:
            return CELL_TIMEOUT
        return max(1, int(deadline - time.monotonic()))

    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    path, out = Path(path), Path(dst)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    ok, error = True, ""
    with open(out / "logs" / path.with_suffix(".log").name, "w") as log:
        try:
            NotebookClient(
                nb,
                timeout_func=cell_timeout,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute(env=dict(os.environ if env is None else env), stdout=log, stderr=log)
            status = key_result(nb)
        except Exception as err:  # report and go on with the next notebook
            ok, error = False, str(err)
            status = f"FAILED: {type(err).__name__}: {str(err).strip().splitlines()[-1][:200]}"
    seconds = time.perf_counter() - start
    write_atomic(out / path.name, nbformat.writes(nb))
    html, _ = HTMLExporter().from_notebook_node(nb)
    write_atomic(out / path.with_suffix(".html").name, html)
    found = problems(nb)
    if ok and found:
        status = f"NOISY ({len(found)} outputs): {key_result(nb)}"
    return Run(path.name, seconds, ok, status, figure_count(nb), draws(nb), found, error)


def notebooks(src: str | os.PathLike) -> list[Path]:
    """The course's notebooks in the folder ``src`` in order, or ``[src]`` for one notebook."""
    if Path(src).suffix == ".ipynb":
        return [Path(src)]
    return sorted(Path(src).glob("[0-9][0-9]_*.ipynb"))


def run_all(paths, dst, *, workers: int = 1, env: dict | None = None, echo=print) -> list[Run]:
    """Executes ``paths`` (``workers`` at a time) into ``dst``; echoes each row as it ends.

    Returns:
        The `Run` of every notebook, in the order of ``paths``.
    """
    paths = [Path(p) for p in paths]
    if workers <= 1:
        runs = []
        for p in paths:
            runs.append(run_one(p, dst, env))
            echo(runs[-1].row())
        return runs
    # Separate processes, started fresh ("spawn"): forking a process that has loaded
    # TensorFlow (a test session) can crash the child, and clients in threads of one process
    # once left a kernel waiting forever. A spawned child imports this module by name.
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # The later notebooks train the most: started first, they do not leave one worker
        # alone with a long notebook at the end while the other has nothing left to do.
        # Notebooks are independent (none reads what another wrote), so any order is right.
        futures = {pool.submit(run_one, p, dst, env): p for p in reversed(paths)}
        done = {}
        for future in as_completed(futures):
            done[futures[future]] = run = future.result()
            echo(run.row())
    return [done[p] for p in paths]


def write_run_times(runs, dst, total: float, workers: int, mode: str) -> None:
    """Writes ``dst/run_times.json``: seconds per notebook and in total (read by `make bench`)."""
    times = {
        "mode": mode,
        "workers": workers,
        "notebooks": {r.name: round(r.seconds, 1) for r in runs},
        "total_s": round(total, 1),
    }
    write_atomic(Path(dst) / "run_times.json", json.dumps(times, indent=1) + "\n")


def main(argv: list[str]) -> int:
    workers = 1
    if "--workers" in argv:
        i = argv.index("--workers")
        workers, argv = int(argv[i + 1]), argv[:i] + argv[i + 2 :]
    if len(argv) != 2:
        print(__doc__)
        return 2
    src, dst = argv
    start = time.perf_counter()
    runs = run_all(notebooks(src), dst, workers=workers, echo=lambda s: print(s, flush=True))
    bad = [r for r in runs if not r.ok or r.problems]
    for run in bad:
        for line in run.problems:
            print(f"  {run.name}: {line}")
    figures = sum(r.figures for r in runs)
    total = time.perf_counter() - start
    write_run_times(runs, dst, total, workers, os.environ.get("CVUTILS_MODE") or "auto")
    print(
        f"{'total':45s} {total:7.1f} s {figures:4d} fig  "
        f"{len(runs)} notebooks, {len(bad)} failed or noisy, mode="
        f"{os.environ.get('CVUTILS_MODE') or 'auto'}"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
