"""cvutils: tested helpers for the CNN course-companion notebooks.

Import the topic modules you need, e.g. ``from cvutils import conv, datasets, runtime``.
Nothing here imports TensorFlow at import time; the modules that need it import it lazily.
"""

__version__ = "0.1.0"
