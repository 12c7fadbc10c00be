"""Times cvutils.conv against TensorFlow (a script, not a test).

    python benchmarks/bench_conv.py [--repeat 10]

* forward: ``conv_forward`` vs ``tf.nn.conv2d`` (+ bias) on a 16x64x64x32 float32 batch with
  64 filters of 3x3, "same" padding (pad=1), stride 1;
* backward: ``conv_backward`` vs the TensorFlow gradients of ``sum(Z * dZ)`` with respect to
  the input, the filters and the bias (a ``tf.function``);
* naive vs vectorized: the four-loop teaching version against ``conv_forward`` on a small input.

Each timing is the best of 3 rounds of ``--repeat`` runs, each round after a warm-up
(``time.perf_counter``); the NumPy and TensorFlow rounds alternate so that both see the
same machine load. The
results are checked to agree before anything is timed. Timings on a shared machine vary:
compare the ratios, and run it twice.
"""

from __future__ import annotations

import argparse
import os
import platform

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from _timing import best_times

from cvutils.conv import conv_backward, conv_forward, conv_forward_naive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=10, help="timed runs of each per round (best kept)"
    )
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    m, n_H, n_W, n_C_prev, n_C, f, pad = 16, 64, 64, 32, 64, 3, 1
    A = rng.standard_normal((m, n_H, n_W, n_C_prev), dtype=np.float32)
    W = (
        rng.standard_normal((f, f, n_C_prev, n_C), dtype=np.float32)
        / np.float32(f * f * n_C_prev) ** 0.5
    )
    b = rng.standard_normal((1, 1, 1, n_C), dtype=np.float32)
    hp = {"stride": 1, "pad": pad}
    padding = [[0, 0], [pad, pad], [pad, pad], [0, 0]]
    A_t, W_t, b_t = tf.constant(A), tf.constant(W), tf.constant(b.reshape(-1))

    def tf_forward():
        return (tf.nn.conv2d(A_t, W_t, strides=1, padding=padding) + b_t).numpy()

    Z, cache = conv_forward(A, W, b, hp)
    assert Z.dtype == W.dtype == np.float32, (Z.dtype, W.dtype)  # no silent upcasting
    dZ = rng.standard_normal(Z.shape, dtype=np.float32)
    dZ_t = tf.constant(dZ)

    @tf.function
    def tf_grads(A_in, W_in, b_in):
        with tf.GradientTape() as tape:
            tape.watch([A_in, W_in, b_in])
            out = tf.nn.conv2d(A_in, W_in, strides=1, padding=padding) + b_in
            loss = tf.reduce_sum(out * dZ_t)
        return tape.gradient(loss, [A_in, W_in, b_in])

    def tf_backward():
        return [g.numpy() for g in tf_grads(A_t, W_t, b_t)]

    # Same numbers first (float32: a loose tolerance).
    np.testing.assert_allclose(Z, tf_forward(), rtol=1e-4, atol=1e-4)
    for mine, theirs in zip(conv_backward(dZ, cache), tf_backward(), strict=True):
        scale = np.abs(theirs).max()
        np.testing.assert_allclose(mine.reshape(theirs.shape), theirs, atol=1e-4 * scale)

    big = best_times(
        {
            "numpy forward": lambda: conv_forward(A, W, b, hp),
            "tf forward": tf_forward,
            "numpy backward": lambda: conv_backward(dZ, cache),
            "tf backward": tf_backward,
        },
        args.repeat,
    )

    A_s = rng.standard_normal((2, 8, 8, 3))
    W_s = rng.standard_normal((3, 3, 3, 4))
    b_s = rng.standard_normal((1, 1, 1, 4))
    small = best_times(
        {
            "naive forward": lambda: conv_forward_naive(A_s, W_s, b_s, hp),
            "vectorized forward": lambda: conv_forward(A_s, W_s, b_s, hp),
        },
        max(3, args.repeat // 2),
    )

    print(
        f"cvutils.conv benchmark  |  numpy {np.__version__}, tensorflow {tf.__version__}, "
        f"{os.cpu_count()} CPU(s), {platform.processor() or platform.machine()}"
    )
    print(f"batch {A.shape} float32, W {W.shape}, stride 1, pad {pad}; best of 3 x {args.repeat}")
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"load average (1, 5, 15 min): {load}  (above the CPU count the timings are unreliable)"
        )
    print(f"{'':10s} {'numpy (ms)':>11s} {'tf (ms)':>9s} {'numpy/tf':>9s}")
    for step in ("forward", "backward"):
        t_np, t_tf = big[f"numpy {step}"], big[f"tf {step}"]
        print(f"{step:10s} {1e3 * t_np:11.2f} {1e3 * t_tf:9.2f} {t_np / t_tf:9.2f}")
    t_naive, t_vec = small["naive forward"], small["vectorized forward"]
    print(
        f"small batch {A_s.shape} float64, W {W_s.shape}: naive {1e3 * t_naive:.2f} ms, "
        f"vectorized {1e3 * t_vec:.3f} ms, speed-up x{t_naive / t_vec:.0f}"
    )


if __name__ == "__main__":
    main()
