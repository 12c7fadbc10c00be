"""Runs the full-mode training of the notebooks that promise an accuracy; records RESULTS.md.

    python tools/gpu_check.py                    # on a GPU: a 10-minute run, writes RESULTS.md
    python tools/gpu_check.py --pending          # only the rows not measured yet
    python tools/gpu_check.py --minutes 8 --only 14_training_a_yolo_detector.ipynb
    python tools/gpu_check.py --long             # also the runs of an hour or more
    python tools/gpu_check.py --dry-run          # on CPU: fast mode, notebook 00, a temp file
    make gpu-check [GPU_CHECK_ARGS=...]

Each row of `TARGETS` is one notebook executed the way ``make run`` does it
(`run_notebooks.run_one`, executed copies in ``build/gpu_check/``) with ``CVUTILS_MODE=full``
and the row's ``CVUTILS_BUDGET`` (`cvutils.runtime.budget`): the full-mode budget, reduced
only where a row says so. Its row in the results file is replaced by what was measured:
notebook, dataset, epochs, wall time, device, the metric of the notebook's ``RESULT:`` line
and the exact command that reproduces it. Rows not run keep what they said.

Sizing. Every row has an estimate of its minutes on one GPU: a guess from the size of its
work until the row has been run once, then the measured wall time. The run starts a row only
if its estimate fits in what is left of ``--minutes`` (default 10), smallest first, and a
running notebook is stopped at the deadline (`run_one`'s ``deadline``), so one invocation
never takes much longer than ``--minutes`` plus the start of the last kernel. All rows
together need more than 10 minutes: run ``--pending`` again until every row is filled. A row
that fits a CPU (notebook 19's) runs on a machine without a GPU too, and its row names the
CPU as its device. Rows marked ``long`` (the 164-epoch CIFAR-10 ResNets) run only with ``--long``.

Data. A machine without internet access can run only rows whose data is generated or
already on disk: a row that ``needs`` a file that is missing is skipped, and says which file
to fetch on a connected machine (``CVUTILS_MODE=full python -c "from cvutils import datasets;
datasets.load_mnist()"`` puts MNIST into ``data/cache/``).

``--dry-run`` executes the same pipeline on CPU with tiny settings: ``CVUTILS_MODE=fast``,
notebook 00 only (or the ``--notebook`` given), with a ``CVUTILS_BUDGET`` override, results
written to a temporary file (or ``--results``), never to the repository's RESULTS.md. CI runs
it (tests/test_gpu_check.py) so the script is known to work before a GPU sees it. Exit status
1 if a notebook fails.
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
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_notebooks import run_one  # noqa: E402

RESULTS = ROOT / "RESULTS.md"
NOT_RUN = "not run yet: needs a GPU (`make gpu-check GPU_CHECK_ARGS=--pending`)"
START, END = "<!-- results:start -->", "<!-- results:end -->"
COLUMNS = ("notebook", "dataset", "epochs", "target", "wall time", "device", "metric", "command")
MNIST, CIFAR10 = "mnist.npz", "cifar-10-python.tar.gz"
LFW = "scikit-learn's lfw_home"


@dataclass(frozen=True)
class Target:
    """A notebook run that promises an accuracy in full mode (one row of RESULTS.md).

    Attributes:
        notebook: the notebook's file name in ``notebooks/``.
        dataset, epochs, target: what the row says (the notebook's full-mode budget).
        minutes: a guess of the minutes on one GPU, used until the row has been measured.
        budget: the ``CVUTILS_BUDGET`` of the run (empty: the full-mode budget as written).
        needs: data files that must already be on disk (names in ``cvutils.datasets``'
            cache, or `LFW`); generated data needs nothing.
        long: run only with ``--long``.
        label: tells two rows of one notebook apart.
    """

    notebook: str
    dataset: str
    epochs: str
    target: str
    minutes: float = 5.0
    budget: str = ""
    needs: tuple[str, ...] = ()
    long: bool = False
    label: str = ""

    @property
    def key(self) -> str:
        """The row's first cell: the notebook, and the label if there is one."""
        return f"{self.notebook} ({self.label})" if self.label else self.notebook


#: The notebook runs whose full mode promises an accuracy. The minutes are guesses (H100/H200
#: class GPU, mixed precision, XLA) until a row is measured; then the measured time is used.
TARGETS = (
    Target("05_convnets_in_keras.ipynb", "MNIST 60,000 / 10,000", "20", "test acc >= 0.993",
           minutes=2, needs=(MNIST,)),
    Target("07_classic_networks.ipynb", "MNIST 60,000 / 10,000 (32x32)", "15",
           "modern LeNet-5 test acc >= 0.99", minutes=2, needs=(MNIST,)),
    Target("08_residual_networks.ipynb", "CIFAR-10 50,000 / 10,000", "24 (ResNet-9)",
           "ResNet-9 test acc >= 0.94 in < 300 s of training", minutes=5,
           budget="degradation=False", needs=(CIFAR10,), label="speed-run"),
    Target("08_residual_networks.ipynb", "CIFAR-10 50,000 / 10,000", "164 (four networks)",
           "ResNet-20 test acc >= 0.91", minutes=90, needs=(CIFAR10,), long=True),
    Target("09_network_in_network_inception_mobilenet.ipynb", "MNIST 60,000 / 10,000", "15",
           "mini GoogLeNet test acc >= 0.99", minutes=3, needs=(MNIST,)),
    Target("14_training_a_yolo_detector.ipynb", "synthetic shapes 20,000 / 1,000 (64x64)", "40",
           "tiny YOLO mAP@0.5 >= 0.9", minutes=6, budget="voc_epochs=0"),
    Target("15_semantic_segmentation_unet.ipynb", "synthetic shape masks 8,000 / 1,000 (96x96)",
           "40", "U-Net mean IoU >= 0.9", minutes=5, budget="pets_epochs=0"),
    Target("16_face_recognition.ipynb", "LFW people with >= 20 photos (48x48), held-out people",
           "3,000 steps", "verification ROC AUC >= 0.9", minutes=4, needs=(LFW, MNIST)),
    Target("19_1d_and_3d_convolutions.ipynb", "MNIST-1D 3,200 / 800 (generated)", "200",
           "Conv1D test acc >= 0.94", minutes=4, budget="epochs_med=0"),
)  # fmt: skip
DRY_RUN = Target("00_setup_and_tour.ipynb", "offline MNIST subset (fast mode)", "0",
                 "dry run: pipeline only", minutes=1, budget="n_train=1000")  # fmt: skip


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


def missing_data(target: Target, cache: Path, sklearn_home: Path) -> list[str]:
    """The files of ``target.needs`` that are not on disk (full paths, for the message)."""
    paths = [sklearn_home / "lfw_home" if need == LFW else cache / need for need in target.needs]
    return [str(p) for p in paths if not p.exists()]


def data_homes() -> tuple[Path, Path]:
    """``cvutils.datasets``' cache folder and scikit-learn's data home (neither import loads
    TensorFlow)."""
    if str(ROOT) not in sys.path:  # a source checkout without the package installed
        sys.path.insert(0, str(ROOT))
    from sklearn.datasets import get_data_home

    from cvutils.datasets import cache_dir

    return cache_dir(), Path(get_data_home())


def measured_minutes(row: list[str] | None) -> float | None:
    """The wall time of a row that ran to its end (``"123 s (date)"``), in minutes, else
    None (never run, or it failed, was noisy or was stopped at a deadline)."""
    if not row or not row[4].endswith("UTC)") or " s (" not in row[4]:
        return None
    if row[6].startswith(("FAILED", "NOISY", "stopped")):
        return None
    try:
        return float(row[4].split(" s (", 1)[0]) / 60
    except ValueError:
        return None


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def read_rows(path: Path) -> dict[str, list[str]]:
    """The table rows between the markers of a results file, by their first cell."""
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
    """Writes the table into ``path`` between the markers (a short header if it is new);
    the file is replaced in one step, never left half-written."""
    body = f"{START}\n{table([rows[k] for k in order if k in rows])}\n{END}"
    if path.is_file() and START in (text := path.read_text(encoding="utf-8")) and END in text:
        head, rest = text.split(START, 1)
        text = head + body + rest.split(END, 1)[1]
    else:
        text = f"# Results\n\n{body}\n"
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def command_of(target: Target, mode: str, path: Path, build: Path) -> str:
    """The command that executes ``target`` exactly as this script does."""
    env = f"CVUTILS_MODE={mode}" + (f" CVUTILS_BUDGET={shlex.quote(target.budget)}"
                                    if target.budget else "")  # fmt: skip
    rel = [str(Path(p).resolve().relative_to(ROOT)) if Path(p).resolve().is_relative_to(ROOT)
           else str(p) for p in (path, build)]  # fmt: skip
    return f"{env} {shlex.join(['python', 'tools/run_notebooks.py', *rel])}"


def plan(
    targets: list[Target], rows: dict[str, list[str]], minutes: float, pending: bool
) -> tuple[list[tuple[Target, float]], list[tuple[Target, str]]]:
    """Which targets to run in ``minutes``: smallest estimate first, each only if it fits.

    Returns ``(run, skipped)``: ``(target, estimated minutes)`` pairs in the order to run,
    and ``(target, reason)`` pairs.
    """
    estimates = [(t, measured_minutes(rows.get(t.key)) or t.minutes) for t in targets]
    run, skipped, left = [], [], minutes
    for t, est in sorted(estimates, key=lambda te: te[1]):
        if pending and measured_minutes(rows.get(t.key)) is not None:
            skipped.append((t, "measured already (--pending)"))
        elif est > left:
            skipped.append((t, f"needs ~{est:.0f} min, {left:.0f} min of --minutes left"))
        else:
            run.append((t, est))
            left -= est
    return run, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="CPU, fast mode, notebook 00")
    parser.add_argument("--results", type=Path, help="results file (default RESULTS.md)")
    parser.add_argument(
        "--notebook", type=Path, action="append", help="run these notebooks instead"
    )
    parser.add_argument("--only", action="append", help="run only these rows (first cell)")
    parser.add_argument("--build", type=Path, help="where the executed notebooks go")
    parser.add_argument("--minutes", type=float, default=10.0, help="deadline of the run")
    parser.add_argument("--pending", action="store_true", help="only rows never measured")
    parser.add_argument("--long", action="store_true", help="include the runs of an hour+")
    args = parser.parse_args(argv)
    if not args.minutes > 0:
        parser.error(f"--minutes must be > 0; got {args.minutes}")
    notebooks_dir = ROOT / "notebooks"
    if args.dry_run:
        results = args.results or Path(tempfile.mkdtemp(prefix="gpu_check_")) / "RESULTS.md"
        if results.resolve() == RESULTS.resolve():
            parser.error("--dry-run never writes the repository's RESULTS.md")
        mode, build = "fast", args.build or results.parent / "build"
        targets = [DRY_RUN]
    else:
        results, mode = args.results or RESULTS, "full"
        build = args.build or ROOT / "build" / "gpu_check"
        targets = [t for t in TARGETS if args.long or not t.long]
    paths = {t.key: notebooks_dir / t.notebook for t in targets}
    if args.notebook:
        targets = [
            Target(p.name, "as in the notebook", "as in the notebook", "dry run", minutes=1)
            if args.dry_run
            else next((t for t in TARGETS if t.key == p.name), Target(p.name, "?", "?", "?"))
            for p in args.notebook
        ]
        paths = {t.key: p for t, p in zip(targets, args.notebook, strict=True)}
    if args.only:
        unknown = sorted(set(args.only) - {t.key for t in targets})
        if unknown:
            parser.error(f"--only must name rows of {[t.key for t in targets]}; got {unknown}")
        targets = [t for t in targets if t.key in args.only]
    rows = read_rows(results)
    order = list(dict.fromkeys([*(t.key for t in TARGETS), *rows, *paths]))
    for t in TARGETS:  # rows never run say so
        rows.setdefault(t.key, [t.key, t.dataset, t.epochs, t.target, NOT_RUN, "", "", ""])
    dev, failed = device(), 0
    cache, sklearn_home = data_homes()
    todo, skipped = plan(targets, rows, args.minutes, args.pending)
    deadline = time.monotonic() + 60 * args.minutes
    print(f"device: {dev}; mode: {mode}; {args.minutes:g} minutes; results: {results}")
    for t, why in skipped:
        print(f"{t.key}: skipped, {why}", flush=True)
    for t, est in todo:
        path = paths[t.key]
        if not path.is_file():
            missing = "not run yet (notebook not on this branch)"
            rows[t.key] = [t.key, t.dataset, t.epochs, t.target, missing, "", "", ""]
            print(f"{t.key}: not on this branch, skipped", flush=True)
            continue
        if absent := missing_data(t, cache, sklearn_home):
            print(f"{t.key}: skipped, its data is not on disk: {', '.join(absent)}", flush=True)
            if measured_minutes(rows[t.key]) is None:
                rows[t.key][4] = f"not run yet (needs {', '.join(Path(a).name for a in absent)})"
            continue
        left = deadline - time.monotonic()
        if left < 60 * est:
            print(f"{t.key}: skipped, ~{est:.0f} min left no more fit", flush=True)
            continue
        env = dict(os.environ, CVUTILS_MODE=mode, CVUTILS_BUDGET=t.budget)
        print(f"{t.key}: running (estimate {est:.1f} min, {left / 60:.1f} min left)", flush=True)
        run = run_one(path, build, env, deadline=deadline)
        failed += not run.ok
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        status = run.status
        if not run.ok and time.monotonic() >= deadline - 1:
            status = f"stopped at the {args.minutes:g}-minute deadline: {status}"
        rows[t.key] = [t.key, t.dataset, t.epochs, t.target, f"{run.seconds:.0f} s ({when})",
                       dev, status, f"`{command_of(t, mode, path, build)}`"]  # fmt: skip
        print(run.row(), flush=True)
        write_results(results, rows, order)  # after each row: a later failure keeps it
    write_results(results, rows, order)
    print(f"wrote {results}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
