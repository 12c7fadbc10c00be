"""cvutils: tested helpers for the CNN course-companion notebooks.

Import the topic modules you need, e.g. ``from cvutils import conv, datasets, runtime``.
Importing ``cvutils`` itself imports no TensorFlow. The modules that define Keras classes
(layers, losses, schedules) import Keras, and so TensorFlow, when they are imported: blocks,
models, layer_tables, losses, augment_layers, interpret, yolo (YoloLoss) and optim (the
OneCycle schedule; its NumPy optimizers need no TensorFlow, but the module loads it). Every
other module imports it inside the functions that need it (tests/test_package_map.py checks
this list). Importing ``cvutils`` before ``keras`` or ``tensorflow`` keeps TensorFlow's
start-up logs out of the outputs (see `cvutils._quiet`), which is why every notebook's setup
cell does so.

Names: the number of classes is ``n_classes`` except in the signatures the course fixes
(``classes`` in models.vgg16, resnet50 and mobilenet_v2; ``num_classes`` in yolo.yolo_head and
the YOLO functions beside it, whose required positional argument keeps the course's name).

The package map (module: what it holds; the notebooks that teach it):

From-scratch NumPy core
    checks: the one place for argument checks; every module validates through it.
    filters: true convolution and cross-correlation, classic kernels (02, 19).
    conv: convolution, transposed convolution and pooling layers, forward and backward,
        naive and vectorized; output sizes (03, 04, 15).
    _im2col: the private engines behind conv: im2col and banded, threaded max pooling (04).
    nn, optim: initialization, batch norm, dropout; optimizers and schedules (06, 08).
    npnet: a NumPy ConvNet (04). gradcheck: numerical gradients (04).
    classic: kNN, SVM and softmax losses, HOG (01).
Keras parts
    blocks: residual, inception, depthwise-separable, inverted-residual and U-Net blocks,
        a locally connected layer (03, 08, 09, 15).
    models: the course's networks (LeNet-5 to MobileNet, ResNet-9, U-Net, tiny YOLO,
        localization and landmark nets, face encoder, VGG-19 features) (07, 08, 09, 11,
        13, 14, 15, 16, 18). A block is a function from a tensor to a tensor and lives in
        blocks; a network is a keras.Model and lives in models. So the U-Net's conv_block
        and upsampling_block are in blocks and unet_model in models, as ResNet-50's
        identity_block is in blocks and resnet50 in models.
    layer_tables: a model's layer table (shapes, activation memory, multiplies,
        parameters) and multiply count; models re-exports them (07, 09).
    losses: triplet, content, Gram, style and total-variation costs, the localization
        loss (11, 16, 18); the YOLO loss stays in yolo, beside the anchors and raw
        output it decodes.
    style: random multi-scale texture features, L-BFGS on pixels, texture statistics (18).
    augment_layers: Keras preprocessing layers, PCA colour (10).
    fewshot: few-shot samples per class, means with standard errors, a trainer that
        restarts from given weights without retracing (10).
    interpret: filters, activations, occlusion, saliency, adversarial examples (17).
Detection and recognition
    boxes: box formats, IoU and the one detection-matching rule (12, 13, 14).
    nms: non-max suppression (13). yolo: YOLO heads, decoding, targets, loss, mAP (13, 14).
    sliding: sliding windows and collages (12). segmentation: masks and IoU (15).
    faces: encodings, verify, who_is_it, pair features (16).
Data
    datasets: the image and signal data sets with their provenance (00, 08, 10, 16, 19);
        it re-exports the two modules below.
    annotated_datasets: data sets with boxes or masks, Pascal VOC 2007 and Oxford-IIIT
        Pets, read from the official archives (14, 15).
    pretrained: the ImageNet weights of the Keras applications and the class names (10, 17,
        18).
    downloads: the one verified, cached, atomic download helper (00).
    synthetic: generated data where the data is the lesson: shapes, volumes, videos
        (11, 13, 14, 15, 19).
    augment: NumPy and tf.data augmentation that keeps boxes right, per-image crops
        (03, 08, 14).
Views
    plotting, widgets, draw: figures, interactive explorers, boxes and masks (00, 02, 03, 05,
        13).
Infrastructure
    runtime: mode, seeds, budgets, device, strategy, progress lines, RESULT lines (00).
    eventfiles: reading TensorBoard event files (06). _quiet: TensorFlow's start-up logs.
    grading: exercise markers, student versions, public checks, the autograder, hidden
        tests (00, 04, 06, and every graded notebook).
"""

from cvutils import _quiet

_quiet.install()

__version__ = "0.1.0"
