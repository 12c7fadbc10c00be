"""The BLAS-thread limit of the im2col engine: same numbers, settings restored."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from cvutils import _im2col, conv


def blas_threads_now() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


@pytest.mark.parametrize("stride, pad", [(1, 1), (2, 0), (2, 1)])
def test_results_do_not_depend_on_the_limit(monkeypatch, stride, pad):
    rng = np.random.default_rng(stride + 10 * pad)
    A = rng.standard_normal((3, 17, 15, 6), dtype=np.float32)
    W = rng.standard_normal((3, 3, 6, 5), dtype=np.float32)
    b = rng.standard_normal((1, 1, 1, 5), dtype=np.float32)
    hp = {"stride": stride, "pad": pad}
    results = {}
    for busy in (False, True):
        monkeypatch.setattr(_im2col, "oversubscribed", lambda busy=busy: busy)
        Z, cache = conv.conv_forward(A, W, b, hp)
        dZ = np.linspace(-1, 1, Z.size, dtype=np.float32).reshape(Z.shape)
        results[busy] = (Z, *conv.conv_backward(dZ, cache))
    for limited, default in zip(results[True], results[False], strict=True):
        np.testing.assert_allclose(limited, default, rtol=1e-5, atol=1e-5)
    # and both against the loop oracle
    Z_naive, _ = conv.conv_forward_naive(A, W, b, hp)
    np.testing.assert_allclose(results[True][0], Z_naive, rtol=1e-4, atol=1e-4)


def test_one_blas_thread_inside_only_when_oversubscribed(monkeypatch):
    before = blas_threads_now()
    monkeypatch.setattr(_im2col, "oversubscribed", lambda: True)
    with _im2col.blas_threads():
        assert set(blas_threads_now()) == {1}
    assert blas_threads_now() == before
    monkeypatch.setattr(_im2col, "oversubscribed", lambda: False)
    with _im2col.blas_threads():
        assert blas_threads_now() == before


def test_oversubscribed_compares_runnable_threads_with_cpus(monkeypatch):
    monkeypatch.setattr(_im2col, "_cpus", lambda: 10**6)
    assert _im2col.oversubscribed() is False
    monkeypatch.setattr(_im2col, "_cpus", lambda: 0)  # this thread is runnable: > 0
    assert _im2col.oversubscribed() is True
