"""Every benchmark of the suite as ratios, quiet and under one competing process (``make bench``).

    python benchmarks/run.py [--quick] [--repeat 3] [--rounds 3] [--out benchmarks/results.json]
                             [--only SUBSTRING ...]

Each row times a ``cvutils`` function against a reference (a TensorFlow op or a plain
TensorFlow formulation written here, or the naive loop version) side by side in this one
process (`_timing.best_times`: best of ``--rounds`` interleaved rounds of ``--repeat`` runs,
each after a warm-up), first on the machine as it is ("quiet"), then with one competing
busy process that this script starts and always kills ("loaded"). The results are checked
to agree before anything is timed. A ratio below 1 means ``cvutils`` is faster.

Also: conv_forward/backward with two BLAS threads (before the fix) against the package as
shipped (one BLAS thread while the cores are oversubscribed), in both conditions (why
NumPy degrades more than TensorFlow under load), and the fast-mode seconds per notebook
read from ``build/run_times.json`` (written by ``make run``) when present.
Prints a table and writes everything to ``--out`` (JSON) with the load average and the
thread settings. ``--quick`` uses tiny shapes and one repeat (a smoke run, not a figure).
``--only SUBSTRING`` (repeatable) times only the rows whose name contains one of them; every
row's results are still checked against its reference before anything is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from _timing import best_times, busy_process, load_average, machine_report

from cvutils import _im2col, conv, losses, nms, yolo
from cvutils import boxes as cv_boxes

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Case:
    """One row: ``ours`` against ``ref``, already checked to agree."""

    group: str
    name: str
    ours: Callable[[], object]
    ref: Callable[[], object]
    ref_name: str


# ----------------------------------------------------------------------------- conv, pool


def conv_cases(rng, quick: bool) -> list[Case]:
    shapes = (
        [("tiny", (2, 8, 8, 4, 8))]
        if quick
        else [
            ("small", (4, 16, 16, 8, 16)),
            ("16x64x64x32->64", (16, 64, 64, 32, 64)),
            ("large", (8, 128, 128, 32, 64)),
        ]
    )
    cases = []
    for label, (m, n_H, n_W, c_in, c_out) in shapes:
        A = rng.standard_normal((m, n_H, n_W, c_in), dtype=np.float32)
        W = rng.standard_normal((3, 3, c_in, c_out), dtype=np.float32) / np.float32(
            (9 * c_in) ** 0.5
        )
        b = rng.standard_normal((1, 1, 1, c_out), dtype=np.float32)
        hp = {"stride": 1, "pad": 1}
        padding = [[0, 0], [1, 1], [1, 1], [0, 0]]
        A_t, W_t, b_t = tf.constant(A), tf.constant(W), tf.constant(b.reshape(-1))
        Z, cache = conv.conv_forward(A, W, b, hp)
        dZ = rng.standard_normal(Z.shape, dtype=np.float32)
        dZ_t = tf.constant(dZ)

        def tf_forward(A_t=A_t, W_t=W_t, b_t=b_t, padding=padding):
            return (tf.nn.conv2d(A_t, W_t, strides=1, padding=padding) + b_t).numpy()

        @tf.function
        def tf_grads(A_in, W_in, b_in, dZ_t=dZ_t, padding=padding):
            with tf.GradientTape() as tape:
                tape.watch([A_in, W_in, b_in])
                out = tf.nn.conv2d(A_in, W_in, strides=1, padding=padding) + b_in
                loss = tf.reduce_sum(out * dZ_t)
            return tape.gradient(loss, [A_in, W_in, b_in])

        def tf_backward(tf_grads=tf_grads, A_t=A_t, W_t=W_t, b_t=b_t):
            return [g.numpy() for g in tf_grads(A_t, W_t, b_t)]

        np.testing.assert_allclose(Z, tf_forward(), rtol=1e-4, atol=1e-4)
        for mine, theirs in zip(conv.conv_backward(dZ, cache), tf_backward(), strict=True):
            np.testing.assert_allclose(
                mine.reshape(theirs.shape), theirs, atol=1e-4 * np.abs(theirs).max()
            )
        cases.append(
            Case(
                "conv",
                f"conv_forward {label}",
                lambda A=A, W=W, b=b, hp=hp: conv.conv_forward(A, W, b, hp),
                tf_forward,
                "tf.nn.conv2d",
            )
        )
        cases.append(
            Case(
                "conv",
                f"conv_backward {label}",
                lambda dZ=dZ, cache=cache: conv.conv_backward(dZ, cache),
                tf_backward,
                "tf gradient (tf.function)",
            )
        )
    # Naive (four loops) vs vectorized, on a small float64 input.
    A_s = rng.standard_normal((2, 8, 8, 3))
    W_s = rng.standard_normal((3, 3, 3, 4))
    b_s = rng.standard_normal((1, 1, 1, 4))
    hp = {"stride": 1, "pad": 1}
    np.testing.assert_allclose(
        conv.conv_forward(A_s, W_s, b_s, hp)[0], conv.conv_forward_naive(A_s, W_s, b_s, hp)[0]
    )
    cases.append(
        Case(
            "conv",
            "conv_forward 2x8x8x3 f64",
            lambda: conv.conv_forward(A_s, W_s, b_s, hp),
            lambda: conv.conv_forward_naive(A_s, W_s, b_s, hp),
            "conv_forward_naive",
        )
    )
    return cases


def pool_cases(rng, quick: bool) -> list[Case]:
    shape = (2, 8, 8, 4) if quick else (16, 64, 64, 64)
    A = rng.standard_normal(shape, dtype=np.float32)  # continuous: no ties
    hp = {"f": 2, "stride": 2}
    A_t = tf.constant(A)
    P, cache = conv.pool_forward(A, hp)
    dA = rng.standard_normal(P.shape, dtype=np.float32)
    dA_t = tf.constant(dA)

    def tf_forward():
        return tf.nn.max_pool2d(A_t, 2, 2, "VALID").numpy()

    @tf.function
    def tf_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.nn.max_pool2d(x, 2, 2, "VALID") * dA_t)
        return tape.gradient(loss, x)

    def tf_backward():
        return tf_grad(A_t).numpy()

    np.testing.assert_array_equal(P, tf_forward())
    np.testing.assert_array_equal(conv.pool_backward(dA, cache, ties="first"), tf_backward())
    label = "x".join(map(str, shape))
    return [
        Case("pool", f"pool_forward {label}", lambda: conv.pool_forward(A, hp), tf_forward,
             "tf.nn.max_pool2d"),
        Case("pool", f"pool_backward {label}", lambda: conv.pool_backward(dA, cache, ties="first"),
             tf_backward, "tf gradient (tf.function)"),
    ]  # fmt: skip


# ----------------------------------------------------------------------------- detection


def random_boxes(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random ``(y_min, x_min, y_max, x_max)`` boxes in a 1000x1000 image and scores."""
    centre = rng.uniform(0, 1000, (n, 2))
    size = rng.uniform(10, 80, (n, 2))
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1).astype(np.float32)
    return boxes, rng.uniform(0, 1, n).astype(np.float32)


def nms_cases(rng, quick: bool) -> list[Case]:
    cases = []
    for n in [300] if quick else [1000, 5000, 20000]:
        boxes, scores = random_boxes(rng, n)
        tb, ts = tf.constant(boxes), tf.constant(scores)
        for keep, label in ((n, "all kept"), (100, "max 100")):

            def ours(boxes=boxes, scores=scores, keep=keep):
                return nms.non_max_suppression(boxes, scores, keep, 0.5)

            def ref(tb=tb, ts=ts, keep=keep):
                return tf.image.non_max_suppression(tb, ts, keep, 0.5).numpy()

            if not np.array_equal(ours(), ref()):
                raise AssertionError(f"kept indices differ from TensorFlow at {n} boxes, {label}")
            cases.append(
                Case("nms", f"non_max_suppression {n} {label}", ours, ref,
                     "tf.image.non_max_suppression")
            )  # fmt: skip
    return cases


def tf_pairwise_iou(a, b):
    """Plain TensorFlow IoU of every ``(N, 4)`` corner box with every ``(M, 4)`` one."""
    lo = tf.maximum(a[:, None, :2], b[None, :, :2])
    hi = tf.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = tf.reduce_prod(tf.maximum(hi - lo, 0.0), axis=-1)
    area_a = tf.reduce_prod(a[:, 2:] - a[:, :2], axis=-1)
    area_b = tf.reduce_prod(b[:, 2:] - b[:, :2], axis=-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return tf.math.divide_no_nan(inter, union)


def tf_yolo_eval(box_xy, box_wh, box_confidence, box_class_probs, image_shape, max_boxes,
                 score_threshold, iou_threshold):  # fmt: skip
    """Plain TensorFlow YOLO post-processing (corners, filter, scale, NMS), no checks."""
    mins, maxes = box_xy - box_wh / 2.0, box_xy + box_wh / 2.0
    boxes = tf.concat([mins[..., 1:2], mins[..., 0:1], maxes[..., 1:2], maxes[..., 0:1]], -1)
    box_scores = box_confidence * box_class_probs
    classes = tf.math.argmax(box_scores, axis=-1)
    scores = tf.reduce_max(box_scores, axis=-1)
    mask = scores >= score_threshold
    scores, boxes, classes = (tf.boolean_mask(t, mask) for t in (scores, boxes, classes))
    height, width = (float(v) for v in image_shape)
    boxes = boxes * tf.constant([[height, width, height, width]], boxes.dtype)
    keep = tf.image.non_max_suppression(boxes, scores, max_boxes, iou_threshold)
    return tf.gather(scores, keep), tf.gather(boxes, keep), tf.gather(classes, keep)


def detection_cases(rng, quick: bool) -> list[Case]:
    n = 100 if quick else 1000
    b1, _ = random_boxes(rng, n)
    b2, _ = random_boxes(rng, n)
    t1, t2 = tf.constant(b1), tf.constant(b2)
    np.testing.assert_allclose(
        cv_boxes.pairwise_iou(b1, b2), tf_pairwise_iou(t1, t2).numpy(), rtol=1e-5, atol=1e-6
    )
    cases = [
        Case("detection", f"pairwise_iou {n}x{n}", lambda: cv_boxes.pairwise_iou(b1, b2),
             lambda: tf_pairwise_iou(t1, t2).numpy(), "plain TF"),
    ]  # fmt: skip
    # A 19x19 grid, 5 anchors, 80 classes: the course's (1, 19, 19, 5, 85) output.
    feats = tf.constant(3.0 * rng.standard_normal((1, 19, 19, 5, 85), dtype=np.float32))
    anchors = [[0.57, 0.68], [1.87, 2.06], [3.34, 5.47], [7.88, 3.53], [9.77, 9.17]]
    outputs = yolo.yolo_head(feats, anchors, 80)
    args = ((720, 1280), 10, 0.3, 0.5)
    mine = yolo.yolo_eval(outputs, *args)
    theirs = tf_yolo_eval(*outputs, *args)
    assert 0 < int(tf.size(mine[0])), "no box passes the threshold: nothing would be timed"
    for x, y in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5)
    cases.append(
        Case("detection", "yolo_eval 19x19x5x85", lambda: [t.numpy() for t in
             yolo.yolo_eval(outputs, *args)],
             lambda: [t.numpy() for t in tf_yolo_eval(*outputs, *args)], "plain TF")
    )  # fmt: skip
    return cases


# ----------------------------------------------------------------------------- losses


def tf_l2_distances(x):
    """Plain TensorFlow pairwise L2 distances with an exact zero diagonal."""
    sq = tf.reduce_sum(tf.square(x), axis=1, keepdims=True)
    d2 = tf.maximum(sq + tf.transpose(sq) - 2.0 * tf.matmul(x, x, transpose_b=True), 0.0)
    d = tf.where(d2 > 0, tf.sqrt(tf.maximum(d2, 1e-16)), 0.0)
    return tf.linalg.set_diag(d, tf.zeros(tf.shape(d)[0], d.dtype))


def tf_triplet_hard(labels, x, margin):
    """Batch-hard triplet loss in plain TF (every anchor has a positive and a negative)."""
    d = tf_l2_distances(x)
    same = tf.equal(labels[:, None], labels[None, :])
    positive = tf.logical_and(same, tf.logical_not(tf.eye(tf.shape(d)[0], dtype=tf.bool)))
    hardest_pos = tf.reduce_max(tf.where(positive, d, 0.0), axis=1)
    hardest_neg = tf.reduce_min(tf.where(same, np.float32(np.inf), d), axis=1)
    return tf.reduce_mean(tf.nn.relu(hardest_pos - hardest_neg + margin))


def tf_triplet_semihard(labels, x, margin):
    """Semi-hard triplet loss in plain TF (every anchor has a negative)."""
    d = tf_l2_distances(x)
    same = tf.equal(labels[:, None], labels[None, :])
    negative = tf.logical_not(same)
    semi = tf.logical_and(negative[:, None, :], d[:, None, :] > d[:, :, None])
    closest = tf.reduce_min(tf.where(semi, d[:, None, :], np.float32(np.inf)), axis=2)
    farthest = tf.reduce_max(tf.where(negative, d, -np.float32(np.inf)), axis=1, keepdims=True)
    neg = tf.where(tf.reduce_any(semi, axis=2), closest, farthest)
    positive = tf.logical_and(same, tf.logical_not(tf.eye(tf.shape(d)[0], dtype=tf.bool)))
    per_pair = tf.where(positive, tf.nn.relu(margin + d - neg), 0.0)
    return tf.reduce_sum(per_pair) / tf.reduce_sum(tf.cast(positive, d.dtype))


def loss_cases(rng, quick: bool) -> list[Case]:
    n_C, n_HW = (8, 64) if quick else (256, 64 * 64)
    A = tf.constant(rng.standard_normal((n_C, n_HW), dtype=np.float32))
    np.testing.assert_allclose(
        losses.gram_matrix(A).numpy(), tf.linalg.matmul(A, A, transpose_b=True).numpy(),
        rtol=1e-5, atol=1e-3,
    )  # fmt: skip
    m, d = (16, 8) if quick else (256, 128)
    a, p, n = (tf.constant(rng.standard_normal((m, d), dtype=np.float32)) for _ in range(3))

    def tf_triplet(a=a, p=p, n=n):
        pos = tf.reduce_sum(tf.square(a - p), axis=-1)
        neg = tf.reduce_sum(tf.square(a - n), axis=-1)
        return tf.reduce_sum(tf.maximum(pos - neg + 0.2, 0.0)).numpy()

    labels = tf.constant(np.arange(m) % 8, dtype=tf.int32)  # 8 classes, all present
    x = tf.constant(rng.standard_normal((m, d), dtype=np.float32) / np.sqrt(d))
    checks = [
        (losses.triplet_loss(None, (a, p, n)), tf_triplet()),
        (losses.triplet_hard_loss(labels, x, 1.0), tf_triplet_hard(labels, x, 1.0)),
        (losses.triplet_semihard_loss(labels, x, 1.0), tf_triplet_semihard(labels, x, 1.0)),
    ]
    for mine, theirs in checks:
        np.testing.assert_allclose(float(mine), float(theirs), rtol=1e-4)
    return [
        Case("losses", f"gram_matrix ({n_C}, {n_HW})", lambda: losses.gram_matrix(A).numpy(),
             lambda: tf.linalg.matmul(A, A, transpose_b=True).numpy(), "tf.linalg.matmul"),
        Case("losses", f"triplet_loss m={m} d={d}",
             lambda: losses.triplet_loss(None, (a, p, n)).numpy(), tf_triplet, "plain TF"),
        Case("losses", f"triplet_hard_loss m={m}",
             lambda: losses.triplet_hard_loss(labels, x, 1.0).numpy(),
             lambda: tf_triplet_hard(labels, x, 1.0).numpy(), "plain TF"),
        Case("losses", f"triplet_semihard_loss m={m}",
             lambda: losses.triplet_semihard_loss(labels, x, 1.0).numpy(),
             lambda: tf_triplet_semihard(labels, x, 1.0).numpy(), "plain TF"),
    ]  # fmt: skip


# ----------------------------------------------------------------------------- running


def measure(case: Case, repeat: int, rounds: int) -> dict:
    """Times one case quiet, then under one competing process; returns its JSON row."""
    row = {"group": case.group, "name": case.name, "reference": case.ref_name}
    for condition in ("quiet", "loaded"):
        if condition == "loaded":
            with busy_process():
                t = best_times({"ours": case.ours, "ref": case.ref}, repeat, rounds)
        else:
            t = best_times({"ours": case.ours, "ref": case.ref}, repeat, rounds)
        row[condition] = {
            "ours_ms": 1e3 * t["ours"],
            "ref_ms": 1e3 * t["ref"],
            "ratio": t["ours"] / t["ref"],
            "load_average_1min": (load_average() or [None])[0],
        }
    return row


def blas_threads_study(rng, quick: bool, repeat: int, rounds: int) -> dict:
    """conv_forward/backward with the default BLAS pool (before the fix) vs as shipped vs TF.

    "2 BLAS threads" forces the engine's `_im2col.oversubscribed` to False (the behaviour
    before the fix); "auto" is the package as shipped: one BLAS thread while more threads are
    runnable than there are cores.
    """
    m, n, c_in, c_out = (2, 8, 4, 8) if quick else (16, 64, 32, 64)
    A = rng.standard_normal((m, n, n, c_in), dtype=np.float32)
    W = rng.standard_normal((3, 3, c_in, c_out), dtype=np.float32)
    b = np.zeros((1, 1, 1, c_out), dtype=np.float32)
    hp = {"stride": 1, "pad": 1}
    A_t, W_t = tf.constant(A), tf.constant(W)
    Z, cache = conv.conv_forward(A, W, b, hp)
    dZ = rng.standard_normal(Z.shape, dtype=np.float32)
    auto = _im2col.oversubscribed

    def default_pool(fn):
        def run():
            _im2col.oversubscribed = lambda: False
            try:
                return fn()
            finally:
                _im2col.oversubscribed = auto

        return run

    forward = lambda: conv.conv_forward(A, W, b, hp)  # noqa: E731
    backward = lambda: conv.conv_backward(dZ, cache)  # noqa: E731
    fns = {
        "forward 2 BLAS threads": default_pool(forward),
        "forward auto": forward,
        "backward 2 BLAS threads": default_pool(backward),
        "backward auto": backward,
        "tf.nn.conv2d": lambda: tf.nn.conv2d(A_t, W_t, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]).numpy(),
    }
    study = {"shape": [m, n, n, c_in, c_out]}
    for condition in ("quiet", "loaded"):
        if condition == "loaded":
            with busy_process():
                t = best_times(fns, repeat, rounds)
        else:
            t = best_times(fns, repeat, rounds)
        study[condition] = {k: 1e3 * v for k, v in t.items()}
        study[condition]["load_average_1min"] = (load_average() or [None])[0]
    return study


def notebook_times() -> dict | str:
    """Fast-mode seconds per notebook from ``build/run_times.json`` (``make run``), if any."""
    path = ROOT / "build" / "run_times.json"
    if not path.is_file():
        return "not measured"
    return json.loads(path.read_text())


def test_command_time() -> dict | str:
    """Seconds of the last ``make test`` from ``build/test_time.json`` (the Makefile writes
    it), if any."""
    path = ROOT / "build" / "test_time.json"
    if not path.is_file():
        return "not measured"
    return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, 1 repeat (smoke)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument(
        "--only",
        metavar="SUBSTRING",
        action="append",
        help="time only the rows whose name contains SUBSTRING (repeatable; skips the BLAS "
        "study and the notebooks unless a SUBSTRING is in 'blas threads study')",
    )
    args = parser.parse_args(argv)

    def wanted(name: str) -> bool:
        return not args.only or any(part in name for part in args.only)

    repeat, rounds = (1, 1) if args.quick else (args.repeat, args.rounds)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    machine = machine_report(tf)
    print("machine:", json.dumps(machine))
    print(
        f"best of {rounds} interleaved rounds x {repeat} runs, each after a warm-up; "
        "ratio = cvutils / reference (< 1: cvutils faster); loaded = one busy process beside it"
    )
    header = (
        f"{'operation':34s} {'reference':28s} {'quiet':>7s} {'loaded':>7s} "
        f"{'ours ms':>9s} {'ref ms':>9s} {'load':>5s}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for build in (conv_cases, pool_cases, nms_cases, detection_cases, loss_cases):
        for case in build(rng, args.quick):
            if not wanted(case.name):
                continue
            row = measure(case, repeat, rounds)
            rows.append(row)
            q, lo = row["quiet"], row["loaded"]
            print(
                f"{row['name']:34s} {row['reference']:28s} {q['ratio']:7.2f} {lo['ratio']:7.2f} "
                f"{q['ours_ms']:9.2f} {q['ref_ms']:9.2f} {q['load_average_1min']:5.1f}",
                flush=True,
            )
    study: dict | str = "not measured (--only)"
    if wanted("blas threads study"):
        study = blas_threads_study(rng, args.quick, repeat, rounds)
        print(f"\nconv {study['shape']}: BLAS threads, before/after the fix (ms; 1-min load)")
        for condition in ("quiet", "loaded"):
            cells = ", ".join(f"{k} {v:.2f}" for k, v in study[condition].items())
            print(f"  {condition:6s} {cells}")
    times = notebook_times() if not args.only else "not measured (--only)"
    print("\nfast-mode notebooks:", end=" ")
    if args.only:
        print(times)
    elif isinstance(times, str):
        print(f"{times} (run `make run` with CVUTILS_MODE=fast to write build/run_times.json)")
    else:
        print()
        for name, seconds in times.get("notebooks", {}).items():
            print(f"  {name:50s} {seconds:7.1f} s")
        print(f"  {'total':50s} {times.get('total_s', float('nan')):7.1f} s")
    test = test_command_time() if not args.only else "not measured (--only)"
    if isinstance(test, str):
        print(f"make test: {test}" + ("" if args.only else " (run `make test` first)"))
    else:
        part = " (a subset: PYTEST_ARGS was set)" if test.get("subset") else ""
        print(
            f"make test: {test['seconds']} s, mode={test['mode']}, exit {test['exit']}, "
            f"{test['when']}{part}"
        )
    result = {
        "quick": args.quick,
        "only": args.only,
        "repeat": repeat,
        "rounds": rounds,
        "machine": machine,
        "load_average_at_end": load_average(),
        "seconds": round(time.perf_counter() - start, 1),
        "rows": rows,
        "blas_threads_study": study,
        "notebooks_fast_mode": times,
        "test_command": test,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {args.out} ({result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
