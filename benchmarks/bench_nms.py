"""Times cvutils.nms.non_max_suppression against tf.image.non_max_suppression (a script).

    python benchmarks/bench_nms.py [--sizes 1000 5000 20000] [--repeat 5] [--rounds 3]

The boxes are random detections in a 1000x1000 image: centres uniform, widths and heights
uniform in 10..80 pixels, scores uniform in [0, 1), float32, ``iou_threshold=0.5``,
``max_output_size`` = all boxes. For every size the kept indices of both are checked to be
identical (same boxes, same order) before anything is timed. Each timing is the best of
``--rounds`` rounds; in each round NumPy and TensorFlow run one after the other (one untimed
warm-up, then ``--repeat`` timed runs each), so that both see the same machine load. On a
shared machine timings vary: compare the ratios, and run it twice.
"""

from __future__ import annotations

import argparse
import os
import platform

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from _timing import best_times

from cvutils.nms import non_max_suppression


def random_boxes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random ``(y_min, x_min, y_max, x_max)`` boxes in a 1000x1000 image and scores."""
    rng = np.random.default_rng(seed)
    centre = rng.uniform(0, 1000, (n, 2))
    size = rng.uniform(10, 80, (n, 2))
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1).astype(np.float32)
    return boxes, rng.uniform(0, 1, n).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, TensorFlow "
        f"{tf.__version__}, {os.cpu_count()} CPU(s)"
    )
    print(f"{'boxes':>7} {'kept':>7} {'cvutils ms':>11} {'TF ms':>9} {'ratio':>7}")
    for n in args.sizes:
        boxes, scores = random_boxes(n)
        tb, ts = tf.constant(boxes), tf.constant(scores)

        def numpy_nms(boxes=boxes, scores=scores, n=n):
            return non_max_suppression(boxes, scores, n, 0.5)

        def tf_nms(tb=tb, ts=ts, n=n):
            return tf.image.non_max_suppression(tb, ts, n, 0.5).numpy()

        ours, theirs = numpy_nms(), tf_nms()
        if not np.array_equal(ours, theirs):
            raise AssertionError(f"kept indices differ from TensorFlow at {n} boxes")
        t = best_times({"cvutils": numpy_nms, "tf": tf_nms}, args.repeat, args.rounds)
        ratio = t["cvutils"] / t["tf"]
        print(
            f"{n:>7} {len(ours):>7} {t['cvutils'] * 1e3:>11.1f} {t['tf'] * 1e3:>9.1f} "
            f"{ratio:>6.2f}x"
        )


if __name__ == "__main__":
    main()
