"""Runs the full-mode training of the notebooks that promise an accuracy; records RESULTS.md.

    python tools/gpu_check.py                 # on a GPU: CVUTILS_MODE=full, writes RESULTS.md
    python tools/gpu_check.py --dry-run       # on CPU: fast mode, notebook 00 only, temp file
    make gpu-check [GPU_CHECK_ARGS=--dry-run]

Each notebook of `TARGETS` is executed the way ``make run`` does it
(`run_notebooks.run_one`, executed copies in ``build/gpu_check/``) with
``CVUTILS_MODE=full``, and its row in the results file is replaced by what was measured:
notebook, dataset, epochs, wall time, device, the metric of the notebook's ``RESULT:`` line
and the exact command. Rows of notebooks not run keep what they said. The run is sized to
finish within 10 minutes on one GPU (MNIST, 15-20 epochs each). Full mode reads the
official MNIST (60,000 digits) through `cvutils.datasets`: on a machine without internet
access it must already be in ``data/cache/``.

``--dry-run`` executes the same pipeline on CPU with tiny settings: ``CVUTILS_MODE=fast``,
notebook 00 only (or the ``--notebook`` given), results written to a temporary file (or
``--results``), never to the repository's RESULTS.md. CI runs it (tests/test_gpu_check.py)
so the script is known to work before a GPU sees it. Exit status 1 if a notebook fails.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_notebooks import run_one  # noqa: E402

RESULTS = ROOT / "RESULTS.md"
NOT_RUN = "not run yet (no GPU lent to this session)"
START, END = "<!-- results:start -->", "<!-- results:end -->"
COLUMNS = ("notebook", "dataset", "epochs", "target", "wall time", "device", "metric", "command")


@dataclass(frozen=True)
class Target:
    """A notebook that promises an accuracy in full mode."""

    notebook: str
    dataset: str
    epochs: str
    target: str


#: The notebooks whose full mode promises an accuracy (full-mode budgets of the notebooks).
TARGETS = (
    Target("05_convnets_in_keras.ipynb", "MNIST 60,000 / 10,000", "20", "test acc >= 0.993"),
    Target("07_classic_networks.ipynb", "MNIST 60,000 / 10,000 (32x32)", "15",
           "modern LeNet-5 test acc >= 0.99"),
    Target("08_residual_networks.ipynb", "CIFAR-10 50,000 / 10,000", "164 (four networks)",
           "ResNet-20 test acc >= 0.91"),
    Target("09_network_in_network_inception_mobilenet.ipynb", "MNIST 60,000 / 10,000", "15",
           "mini GoogLeNet test acc >= 0.99"),
    Target("14_training_a_yolo_detector.ipynb", "synthetic shapes 20,000 / 1,000 (64x64)", "80",
           "tiny YOLO mAP@0.5 >= 0.9"),
    Target("15_semantic_segmentation_unet.ipynb", "synthetic shape masks 8,000 / 1,000 (96x96)",
           "40", "U-Net mean IoU >= 0.9"),
    Target("16_face_recognition.ipynb", "LFW people with >= 20 photos (48x48), held-out people",
           "3,000 steps", "verification ROC AUC >= 0.9"),
    Target("19_1d_and_3d_convolutions.ipynb", "MNIST-1D 3,200 / 800 (generated)", "200",
           "Conv1D test acc >= 0.94"),
)  # fmt: skip
DRY_RUN = Target("00_setup_and_tour.ipynb", "offline MNIST subset (fast mode)", "0",
                 "dry run: pipeline only")  # fmt: skip


def device() -> str:
    """The first GPU named by ``nvidia-smi -L``, else the CPU (TensorFlow is not imported)."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        if out:
            return out.splitlines()[0].split(" (UUID")[0]
    except (OSError, subprocess.SubprocessError):
        pass
    return f"CPU ({platform.machine()}, {os.cpu_count()} cores)"


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def read_rows(path: Path) -> dict[str, list[str]]:
    """The table rows between the markers of a results file, by notebook name."""
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return {}
    rows = {}
    for line in text.split(START, 1)[1].split(END, 1)[0].splitlines():
        if not line.startswith("| ") or line.startswith(("| notebook ", "|---")):
            continue
        parts = [p.strip() for p in line.strip()[1:-1].split(" | ")]
        rows[parts[0]] = parts
    return rows


def table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(path: Path, rows: dict[str, list[str]], order: list[str]) -> None:
    """Writes the table into ``path`` between the markers (a short header if it is new)."""
    body = f"{START}\n{table([rows[k] for k in order if k in rows])}\n{END}"
    if path.is_file() and START in (text := path.read_text(encoding="utf-8")) and END in text:
        head, rest = text.split(START, 1)
        text = head + body + rest.split(END, 1)[1]
    else:
        text = f"# Results\n\n{body}\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="CPU, fast mode, notebook 00")
    parser.add_argument("--results", type=Path, help="results file (default RESULTS.md)")
    parser.add_argument(
        "--notebook", type=Path, action="append", help="run these notebooks instead"
    )
    parser.add_argument("--build", type=Path, help="where the executed notebooks go")
    args = parser.parse_args(argv)
    notebooks_dir = ROOT / "notebooks"
    if args.dry_run:
        results = args.results or Path(tempfile.mkdtemp(prefix="gpu_check_")) / "RESULTS.md"
        if results.resolve() == RESULTS.resolve():
            parser.error("--dry-run never writes the repository's RESULTS.md")
        mode, build = "fast", args.build or results.parent / "build"
        targets = [DRY_RUN]
    else:
        results, mode, build = args.results or RESULTS, "full", args.build or ROOT / "build"
        build = build / "gpu_check" if args.build is None else build
        targets = list(TARGETS)
    paths = {t.notebook: notebooks_dir / t.notebook for t in targets}
    if args.notebook:
        targets = [
            Target(p.name, "as in the notebook", "as in the notebook", "dry run")
            if args.dry_run
            else next((t for t in TARGETS if t.notebook == p.name), Target(p.name, "?", "?", "?"))
            for p in args.notebook
        ]
        paths = {p.name: p for p in args.notebook}
    command = "CVUTILS_MODE=" + mode + " " + shlex.join(["python", "tools/gpu_check.py", *(
        argv if argv is not None else sys.argv[1:])])  # fmt: skip
    env = dict(os.environ, CVUTILS_MODE=mode)
    rows = read_rows(results)
    order = list(dict.fromkeys([*(t.notebook for t in TARGETS), *rows, *paths]))
    for t in TARGETS:  # rows never run say so
        rows.setdefault(t.notebook, [t.notebook, t.dataset, t.epochs, t.target, NOT_RUN, "",
                                     "", ""])  # fmt: skip
    dev, failed = device(), 0
    print(f"device: {dev}; mode: {mode}; results: {results}", flush=True)
    for t in targets:
        path = paths[t.notebook]
        if not path.is_file():
            missing = "not run yet (notebook not on this branch)"
            rows[t.notebook] = [t.notebook, t.dataset, t.epochs, t.target, missing, "", "", ""]
            print(f"{t.notebook}: not on this branch, skipped", flush=True)
            continue
        run = run_one(path, build, env)
        failed += not run.ok
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        rows[t.notebook] = [t.notebook, t.dataset, t.epochs, t.target,
                            f"{run.seconds:.0f} s ({when})", dev, run.status,
                            f"`{command}`"]  # fmt: skip
        print(run.row(), flush=True)
    write_results(results, rows, order)
    print(f"wrote {results}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
