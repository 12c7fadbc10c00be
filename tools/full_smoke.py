"""The full-mode smoke run: every notebook's full-mode cells executed on a CPU, in minutes.

    python tools/full_smoke.py [--only NN ...] [--out build/full_smoke] [--file] [--workers N]
    make full-smoke [SMOKE_ARGS=...]

Full mode is what a learner gets on a GPU with the real data sets; this run makes sure its
code is never shipped unexecuted. It

1. builds a miniature mirror of every online source in a temporary folder
   (``tools/make_mirror.py``: the real formats and file names, a few images each, its own
   ``SHA256SUMS``; the pinned checksums of the real files stay in the code);
2. serves it on a loopback HTTP server (``127.0.0.1``, a free port; ``--file`` uses a
   ``file://`` URL instead), started and stopped here;
3. executes each notebook as ``make run`` does (`run_notebooks.run_one`, the project's output
   checks: one RESULT line, a figure, no traceback, no machine path) with
   ``CVUTILS_MODE=full``, ``CVUTILS_SMOKE=1`` (targets are reported, not asserted:
   `cvutils.runtime.target`), ``CVUTILS_MIRROR`` (every download goes to the mirror), a fresh
   temporary ``CVUTILS_CACHE``, ``KERAS_HOME`` and scikit-learn data home (nothing real is
   reused, nothing is left behind), and the notebook's tiny ``CVUTILS_BUDGET`` from `BUDGETS`;
4. prints one line per notebook (seconds, figures, its RESULT line) and the total, writes the
   executed notebooks, their HTML and ``run_times.json`` into ``--out``, and exits 1 if any
   notebook failed or shows noise.

A smoke run's numbers mean nothing (a few steps on a few dozen images); what it shows is
that every full-mode cell runs: downloads, checksums, caches, parsers, the full-size models,
the training loops, the figures and the RESULT line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from run_notebooks import notebooks, run_one, write_atomic  # noqa: E402

#: ``CVUTILS_BUDGET`` of each notebook in a smoke run: the full-mode budget with every size
#: (epochs, steps, images, iterations) cut to the least that still executes each cell. Keys
#: are the notebook's number; each value must fit that notebook's `runtime.budget` (a test
#: checks every entry against the notebook) and the mirror's sizes (MNIST: 200 training and
#: 100 test digits). Image sizes stay as in full mode where a cell
#: depends on them (pretrained networks' input sizes, the full-size models).
BUDGETS: dict[str, str] = {
    "00": "epochs=1, n_train=200",
    "01": "n_train=200, n_test=100, n_kernel=200, epochs=1, batch_size=64",
    "02": "size=128, epochs=2, steps_per_epoch=3",
    "03": "face_epochs=2, digit_epochs=1, n_train=200, n_test=100",
    "04": "n_train=200, epochs=1",
    "05": "happy_epochs=2, weak_epochs=1, epochs=1, n_train=200",
    "06": "n_train=200, epochs=1, es_epochs=30, lr_coarse=3, lr_fine=2, n_patches=2000",
    "07": "epochs=1, n_train=200",
    "08": (
        "per_class=3, batch=16, window=2, windows=5, warmup=2, bn_momentum=0.5, shallow=8, "
        "deep=14, speedrun_epochs=3, speedrun_batch=3, speedrun_width=8"
    ),
    "09": "n_train=200, epochs=1",
    "10": (
        "pretrain_epochs=1, steps=5, draws=2, tune_draws=2, head_epochs=1, fine_epochs=1, probe_k=5"
    ),
    "11": "n_shape=200, n_mixed=200, n_test=100, epochs=1, n_landmark=200, landmark_epochs=1",
    "12": "epochs=1, n_train_collages=25, strides=(4, 5, 6)",
    "13": "n_train=200, n_test=50, epochs=1, batch_size=32",
    "14": "n_train=200, n_test=50, epochs=1, batch_size=32, voc_epochs=1",
    "15": "image_size=32, n_filters=8, n_train=200, n_test=50, epochs=1, pets_size=64, "
    "pets_epochs=1",
    "16": "steps=20, p=4, k=4, mnist_steps=20",
    "17": "epochs=1, n_val=50, n_occlusion=20, n_saliency=20, n_attack=50, am_steps=5",
    "18": "size=64, iterations=12, recon_size=64, recon_iterations=6",
    "19": "epochs_1d=2, n_vol=200, epochs_3d=1, n_vid=100, epochs_vid=1, epochs_med=1",
}

#: The Keras application weight files the notebooks load in full mode (``--weights`` of
#: ``tools/make_mirror.py``): 10 fine-tunes MobileNetV2, 17 explains VGG16, 18 uses VGG19.
WEIGHTS = ("mobilenet_v2-notop", "vgg16", "vgg19-notop")


def number(path: str | os.PathLike) -> str:
    """The two-digit number of a notebook file (``"07"`` for ``07_classic_networks.ipynb``)."""
    return Path(path).name[:2]


def smoke_env(base: Mapping[str, str], *, mirror: str, home: Path, budget: str) -> dict:
    """The environment of one notebook's kernel in a smoke run.

    Args:
        base: the environment to start from (this process's).
        mirror: the mirror's base URL (``CVUTILS_MIRROR``).
        home: a private temporary folder for the caches (data, Keras, scikit-learn).
        budget: the notebook's ``CVUTILS_BUDGET``.
    """
    env = {k: v for k, v in base.items() if k not in ("CVUTILS_SEED", "MPLBACKEND")}
    env.update(
        CVUTILS_MODE="full",
        CVUTILS_SMOKE="1",
        CVUTILS_MIRROR=mirror,
        CVUTILS_BUDGET=budget,
        CVUTILS_CACHE=str(home / "cvutils_cache"),
        KERAS_HOME=str(home / "keras"),
        SCIKIT_LEARN_DATA=str(home / "scikit_learn_data"),
        TFDS_DATA_DIR=str(home / "tensorflow_datasets"),
    )
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    env.setdefault("PYTHONHASHSEED", "0")
    # The kernel imports this checkout's cvutils, wherever it is installed from.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), base.get("PYTHONPATH")) if p)
    return env


@contextlib.contextmanager
def serve(folder: str | os.PathLike, use_file: bool = False) -> Iterator[str]:
    """Serves ``folder`` while the ``with`` block runs; yields its base URL.

    A loopback HTTP server on a free port (``http://127.0.0.1:PORT``, `make_mirror.serve`),
    stopped at the end, or with ``use_file`` the folder's ``file://`` URL (nothing to start;
    the provenance lines then show the folder's path, which the output checks flag).
    """
    folder = Path(folder).resolve()
    if use_file:
        yield folder.as_uri()
        return
    from make_mirror import serve as serve_http

    with serve_http(folder) as url:
        yield url


def build_mirror(folder: Path, weights=WEIGHTS) -> None:
    """Writes the miniature mirror into ``folder`` with ``tools/make_mirror.py``."""
    command = [sys.executable, str(HERE / "make_mirror.py"), str(folder), "--weights", *weights]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:  # its own lines name the folder to use it from: shown only on failure
        print(done.stdout + done.stderr, file=sys.stderr)
        raise SystemExit(f"tools/make_mirror.py failed (exit {done.returncode})")


def select(paths, only) -> list[Path]:
    """The notebooks of ``paths`` whose number (or file name) is in ``only`` (all if empty).

    Raises:
        SystemExit: when a name of ``only`` matches no notebook, or a notebook has no budget.
    """
    paths = [Path(p) for p in paths]
    if only:
        wanted = {o[:2] if o[:2].isdigit() else o for o in only}
        chosen = [p for p in paths if number(p) in wanted or p.name in wanted]
        unknown = wanted - {number(p) for p in chosen} - {p.name for p in chosen}
        if unknown:
            raise SystemExit(f"--only: no notebook {sorted(unknown)}")
        paths = chosen
    missing = [p.name for p in paths if number(p) not in BUDGETS]
    if missing:
        raise SystemExit(f"no smoke budget in tools/full_smoke.py BUDGETS for {missing}")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=[], help="notebook numbers, e.g. 02 14")
    parser.add_argument("--out", default=str(ROOT / "build" / "full_smoke"))
    parser.add_argument("--file", action="store_true", help="serve the mirror as file://")
    parser.add_argument("--workers", type=int, default=1, help="notebooks at a time")
    args = parser.parse_args(argv)
    paths = select(notebooks(ROOT / "notebooks"), args.only)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    cpu_start = os.times()
    with tempfile.TemporaryDirectory(prefix="cvutils-smoke-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        build_mirror(tmp / "mirror")
        print(f"{'mirror built':45s} {time.perf_counter() - t0:7.1f} s", flush=True)
        with serve(tmp / "mirror", use_file=args.file) as url:
            runs = []

            def one(path: Path):
                home = tmp / f"home-{number(path)}"
                env = smoke_env(os.environ, mirror=url, home=home, budget=BUDGETS[number(path)])
                return run_one(path, out, env)

            if args.workers <= 1:
                for path in paths:
                    runs.append(one(path))
                    print(runs[-1].row(), flush=True)
            else:
                from concurrent.futures import ThreadPoolExecutor

                # Threads only wait on kernels (separate processes); the server is shared.
                with ThreadPoolExecutor(args.workers) as pool:
                    for run in pool.map(one, paths):
                        runs.append(run)
                        print(run.row(), flush=True)
    total = time.perf_counter() - start
    cpu = os.times()
    cpu_s = sum(cpu[i] - cpu_start[i] for i in range(4))  # this process and its kernels
    bad = [r for r in runs if not r.ok or r.problems]
    for run in bad:
        if run.error:
            print(f"  {run.name}: {run.error.strip()[-2000:]}")
        for line in run.problems:
            print(f"  {run.name}: {line}")
    times = {
        "mode": "full-smoke",
        "notebooks": {r.name: round(r.seconds, 1) for r in runs},
        "total_s": round(total, 1),
        "cpu_s": round(cpu_s, 1),
    }
    write_atomic(out / "run_times.json", json.dumps(times, indent=1) + "\n")
    print(
        f"{'total':45s} {total:7.1f} s {sum(r.figures for r in runs):4d} fig  "
        f"{len(runs)} notebooks, {len(bad)} failed or noisy, {cpu_s:.0f} CPU-s, "
        f"mode=full smoke"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
