"""Bad-input specs of `cvutils.yolo`: one valid call per public callable.

The sweep that corrupts these calls is tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np

from bad_input.boxes import _boxes4
from bad_input.registry import _mod, rng, spec

# --- yolo (notebook 13)
YOLO_ANCHORS = np.array([[0.57273, 0.677385], [1.87446, 2.06253], [3.33843, 5.47434]])


def _wh():
    return rng().uniform(0.1, 3.0, size=(20, 2))


@spec("yolo.anchor_iou")
def _():
    return _mod("yolo").anchor_iou, dict(wh=_wh(), anchors=YOLO_ANCHORS)


@spec("yolo.mean_best_iou")
def _():
    return _mod("yolo").mean_best_iou, dict(wh=_wh(), anchors=YOLO_ANCHORS)


@spec("yolo.kmeans_anchors")
def _():
    return _mod("yolo").kmeans_anchors, dict(wh=_wh(), k=3, seed=0, max_iter=20)


@spec("yolo.average_precision")
def _():
    return _mod("yolo").average_precision, dict(
        recall=np.array([0.5, 0.5, 1.0]), precision=np.array([1.0, 0.5, 2 / 3])
    )


def _detections_args():
    """Two images of predicted and true boxes: the arguments of mAP and its curves."""
    return dict(
        pred_boxes=[np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([[0, 0, 5, 5]])],
        pred_scores=[np.array([0.9, 0.3]), np.array([0.5])],
        pred_classes=[np.array([0, 1]), np.array([0])],
        true_boxes=[np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([[0, 0, 5, 5]])],
        true_classes=[np.array([0, 1]), np.array([0])],
        iou_threshold=0.5,
        fmt="xyxy",
    )


@spec("yolo.mean_average_precision")
def _():
    return _mod("yolo").mean_average_precision, _detections_args()


@spec("yolo.encode_targets", aliases={"boxes": ["class_ids"]})  # one class id per box
def _():
    return _mod("yolo").encode_targets, dict(
        boxes=np.array([[10.0, 10.0, 40.0, 50.0], [60.0, 20.0, 90.0, 40.0]]),
        class_ids=np.array([1, 2]),
        anchors=YOLO_ANCHORS,
        grid_shape=(3, 3),
        num_classes=3,
        image_shape=(96, 96),
        fmt="xyxy",
    )


def _yolo_feats():
    return rng().normal(size=(1, 3, 3, 3 * 8)).astype("float32")


@spec("yolo.yolo_head", propagates=("feats",))
def _():
    return _mod("yolo").yolo_head, dict(feats=_yolo_feats(), anchors=YOLO_ANCHORS, num_classes=3)


@spec("yolo.yolo_boxes_to_corners", propagates=("box_xy", "box_wh"))
def _():
    return _mod("yolo").yolo_boxes_to_corners, dict(
        box_xy=rng().random((3, 3, 3, 2)).astype("float32"),
        box_wh=rng(1).random((3, 3, 3, 2)).astype("float32"),
    )


@spec("yolo.scale_boxes", propagates=("boxes",))
def _():
    return _mod("yolo").scale_boxes, dict(
        boxes=rng().random((4, 4)).astype("float32"), image_shape=(720, 1280)
    )


@spec("yolo.yolo_filter_boxes", propagates=("boxes", "box_confidence", "box_class_probs"))
def _():
    return _mod("yolo").yolo_filter_boxes, dict(
        boxes=rng().random((3, 3, 3, 4)).astype("float32"),
        box_confidence=rng(1).random((3, 3, 3, 1)).astype("float32"),
        box_class_probs=rng(2).random((3, 3, 3, 4)).astype("float32"),
        threshold=0.3,
    )


@spec("yolo.yolo_non_max_suppression", propagates=("scores", "boxes"))
def _():
    return _mod("yolo").yolo_non_max_suppression, dict(
        scores=np.array([0.9, 0.8, 0.7], "float32"),
        boxes=_boxes4().astype("float32"),
        classes=np.array([0, 1, 0]),
        max_boxes=2,
        iou_threshold=0.5,
    )


# its four outputs are checked by the names of the functions they are passed to
@spec(
    "yolo.yolo_eval",
    propagates=("yolo_outputs",),
    aliases={"yolo_outputs": ["box_xy", "box_wh", "box_confidence", "box_class_probs", "boxes"]},
)
def _():
    r = rng()
    outputs = tuple(r.normal(1, 4, size=(4, 4, 3, d)).astype("float32") for d in (2, 2, 1, 5))
    return _mod("yolo").yolo_eval, dict(
        yolo_outputs=outputs,
        image_shape=(72, 128),
        max_boxes=5,
        score_threshold=0.6,
        iou_threshold=0.5,
    )


def _loc_y():
    y = np.array([[1, 0.4, 0.3, 0.9, 0.8, 0, 1, 0], [0, 0.5, 0.5, 0.5, 0.5, 1, 0, 0]], "float32")
    y_hat = np.array(
        [[0.8, 0.5, 0.3, 0.7, 0.8, 0.1, 0.7, 0.2], [0.3, 0, 0, 0, 0, 0, 0, 0]], "float32"
    )
    return y, y_hat


def _yolo_y():
    yolo = _mod("yolo")
    y = yolo.encode_targets([[10.0, 10.0, 40.0, 50.0]], [1], YOLO_ANCHORS, (3, 3), 3, (96, 96))
    y_hat = rng().normal(size=(1, 3, 3, 3 * 8)).astype("float32")
    return y[None].astype("float32"), y_hat


def _keras_loss_spec(cls_name, kwargs, data, module="yolo"):
    # reduction: Keras's `Loss` base class checks it (its own message); num_classes is checked
    # against the data it is applied to (the message names y_true and y_pred)
    def make():
        cls = getattr(_mod(module), cls_name)

        def construct_and_call(**kw):
            return np.asarray(cls(**kw)(*data()))

        return construct_and_call, dict(kwargs)

    def make_call():
        y, y_hat = data()
        return getattr(_mod(module), cls_name)(**kwargs), dict(y_true=y, y_pred=y_hat)

    spec(f"{module}.{cls_name}", skip=("reduction",), aliases={"num_classes": ["y_true"]})(make)
    spec(f"{module}.{cls_name}.__call__", propagates=("y_true", "y_pred"))(make_call)


# a corrupted anchors or num_classes no longer fits the raw output's depth: refused naming raw
@spec("yolo.decode_detections", aliases={"anchors": ["raw"], "num_classes": ["raw"]})
def _():
    return _mod("yolo").decode_detections, dict(
        raw=rng().normal(size=(2, 3, 3, 3 * 8)).astype("float32"),
        anchors=YOLO_ANCHORS,
        num_classes=3,
        image_shape=(96, 96),
        score_threshold=0.05,
        iou_threshold=0.5,
        max_boxes=20,
        per_class=True,
    )


# every accepted call trains a (tiny) network: costly. A corrupted boxes disagrees with the
# class ids (one per box) or the images (one set per image); a corrupted num_classes no longer
# covers the class ids, and more filters no longer divide the image: each is refused by the
# argument that it no longer fits.
@spec(
    "yolo.train_tiny_yolo",
    costly=True,
    seconds=90,
    aliases={
        "boxes": ["class_ids", "images"],
        "images": ["boxes"],
        "num_classes": ["class_ids"],
        "filters": ["images"],
    },
)
def _():
    return _mod("yolo").train_tiny_yolo, dict(
        images=rng().integers(0, 256, (4, 8, 8, 3)),  # int64: uint8 cannot hold the sweep's +-10**6
        boxes=np.array([[[1.0, 1.0, 6.0, 7.0]]] * 4),
        class_ids=np.array([[1]] * 4),
        anchors=[[1.0, 1.0]],
        num_classes=2,
        filters=(2,),
        head_filters=2,
        epochs=1,
        batch_size=4,
        lr=1e-3,
        probability_loss="cross_entropy",
        seed=0,
    )


_keras_loss_spec(
    "YoloLoss",
    dict(
        anchors=YOLO_ANCHORS,
        num_classes=3,
        lambda_coord=5.0,
        lambda_noobj=0.5,
        probability_loss="cross_entropy",
        name="y",
    ),
    _yolo_y,
)


@spec("yolo.encode_targets_tf", aliases={"boxes": ["class_ids"]})
def _():
    return _mod("yolo").encode_targets_tf, dict(
        boxes=np.array([[10.0, 10.0, 40.0, 50.0], [0.0, 0.0, 0.0, 0.0]], np.float32),
        class_ids=np.array([1, -1]),
        anchors=YOLO_ANCHORS,
        grid_shape=(3, 3),
        num_classes=3,
        image_shape=(96, 96),
    )


@spec("yolo.precision_recall_curves")
def _():
    return _mod("yolo").precision_recall_curves, _detections_args()
