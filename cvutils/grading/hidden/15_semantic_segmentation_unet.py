"""Hidden tests of notebooks/15_semantic_segmentation_unet.ipynb (shapes, strides and masks
unused there).

The references are independent of `cvutils.conv`, `cvutils.segmentation` and
`cvutils.models`: the transposed convolution paints each input pixel's weighted filter onto
the full output pixel by pixel (plain loops) and crops it as Keras does; the IoU counts the
pixels of each class's intersection and union one class at a time; the U-Net's layer table
is worked out by hand, block by block. The cases include stride 1 and 3, kernels smaller
and larger than the stride, non-square inputs, several channels, classes absent from both
masks, and U-Nets of other input sizes, widths and class counts.
"""

import numpy as np

from cvutils.grading.hidden import HiddenTest


def _transpose_reference(A_prev, W, b, hparameters):
    s, padding = hparameters["stride"], hparameters["padding"]
    m, h_prev, w_prev, c_prev = A_prev.shape
    f, _, c, _ = W.shape
    full = np.zeros((m, (h_prev - 1) * s + f, (w_prev - 1) * s + f, c))
    for i in range(m):
        for h in range(h_prev):
            for w in range(w_prev):
                for k in range(c):
                    for p in range(f):
                        for q in range(f):
                            full[i, h * s + p, w * s + q, k] += float(
                                np.dot(A_prev[i, h, w, :], W[p, q, k, :])
                            )
    if padding == "same":
        n_h, n_w, start = h_prev * s, w_prev * s, max(f - s, 0) // 2
    else:
        n_h, n_w, start = h_prev * s + max(f - s, 0), w_prev * s + max(f - s, 0), 0
    out = np.zeros((m, n_h, n_w, c))
    for r in range(n_h):
        for col in range(n_w):
            if r + start < full.shape[1] and col + start < full.shape[2]:
                out[:, r, col, :] = full[:, r + start, col + start, :]
    return out + np.asarray(b).reshape(1, 1, 1, c), (A_prev, W, b, hparameters)


def _transpose_cases():
    r = np.random.default_rng(1501)
    cases = []
    for m, h, w, c_prev, c, f, s, padding in [
        (1, 3, 4, 2, 3, 3, 1, "same"),
        (2, 2, 3, 1, 2, 2, 3, "valid"),
        (1, 3, 2, 2, 1, 5, 2, "same"),
        (2, 2, 2, 3, 2, 4, 2, "valid"),
        (1, 4, 3, 1, 1, 1, 2, "same"),
        (1, 2, 2, 2, 2, 3, 3, "same"),
    ]:
        args = (
            r.normal(size=(m, h, w, c_prev)),
            r.normal(size=(f, f, c, c_prev)),
            r.normal(size=(1, 1, 1, c)),
            {"stride": s, "padding": padding},
        )
        cases.append((f"conv_transpose({m}x{h}x{w}x{c_prev}, f={f}, s={s}, {padding})", args, {}))
    return cases


def _mean_iou_reference(y_true, y_pred, n_classes):
    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    ious = []
    for k in range(n_classes):
        inter = int(np.sum((t == k) & (p == k)))
        union = int(np.sum((t == k) | (p == k)))
        if union:
            ious.append(inter / union)
    return sum(ious) / len(ious)


def _mean_iou_cases():
    r = np.random.default_rng(1502)
    t1 = r.integers(0, 5, (3, 7, 5))
    p1 = np.where(r.uniform(size=t1.shape) < 0.5, t1, r.integers(0, 5, t1.shape))
    t2 = r.integers(0, 2, (2, 6, 6))  # classes 2..5 absent from both masks
    p2 = np.where(r.uniform(size=t2.shape) < 0.8, t2, 1 - t2)
    t3 = np.array([[0, 0, 3, 3], [0, 0, 3, 3]])
    p3 = np.array([[0, 3, 3, 3], [1, 0, 0, 3]])  # class 1 only predicted
    return [
        ("mean_iou(5 classes, 3x7x5)", (t1, p1, 5), {}),
        ("mean_iou(2 of 6 classes present)", (t2, p2, 6), {}),
        ("mean_iou(a class only predicted)", (t3, p3, 4), {}),
        ("mean_iou(perfect)", (t1, t1.copy(), 5), {}),
    ]


def _unet_reference(input_size=(96, 128, 3), n_filters=32, n_classes=23):
    """The U-Net's ((layer class, output shape, parameters), ...) worked out by hand."""
    h, w, c = input_size
    n = n_filters
    rows = []

    def conv(c_in, c_out, hh, ww, k=3):
        rows.append(("Conv2D", (hh, ww, c_out), k * k * c_in * c_out + c_out))

    skips = []
    for level, f in enumerate((n, 2 * n, 4 * n, 8 * n, 16 * n)):
        conv(c, f, h, w)
        conv(f, f, h, w)
        if level >= 3:
            rows.append(("Dropout", (h, w, f), 0))
        if level < 4:
            skips.append((h, w, f))
            rows.append(("MaxPooling2D", (h // 2, w // 2, f), 0))
            h, w = h // 2, w // 2
        c = f
    for f in (8 * n, 4 * n, 2 * n, n):
        sh, sw, sc = skips.pop()
        rows.append(("Conv2DTranspose", (sh, sw, f), 9 * c * f + f))
        rows.append(("Concatenate", (sh, sw, f + sc), 0))
        conv(f + sc, f, sh, sw)
        conv(f, f, sh, sw)
        h, w, c = sh, sw, f
    conv(n, n, h, w)
    conv(n, n_classes, h, w, k=1)
    return tuple(rows)


def _unet_cases():
    return [
        ("unet_model((32, 48, 3), 4, 5)", ((32, 48, 3), 4, 5), {}),
        (
            "unet_model((64, 16, 1), n_filters=2, n_classes=2)",
            ((64, 16, 1),),
            {
                "n_filters": 2,
                "n_classes": 2,
            },
        ),
        ("unet_model((16, 16, 4), 3, 7)", ((16, 16, 4), 3, 7), {}),
    ]


TESTS = [
    HiddenTest(
        "conv_transpose_forward",
        3,
        _transpose_cases,
        _transpose_reference,
        ("cvutils.conv.conv_transpose_forward", "cvutils.conv.conv_transpose_forward_naive"),
        select=0,
        atol=1e-9,
        rtol=1e-7,
    ),
    HiddenTest(
        "unet_model",
        3,
        _unet_cases,
        _unet_reference,
        ("cvutils.models.unet_model",),
        atol=0,
        rtol=0,
        kind="keras_model",
    ),
    HiddenTest(
        "mean_iou",
        2,
        _mean_iou_cases,
        _mean_iou_reference,
        ("cvutils.segmentation.mean_iou", "cvutils.segmentation.per_class_iou"),
        atol=1e-12,
    ),
]
