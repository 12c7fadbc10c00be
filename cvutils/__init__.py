"""cvutils: tested helpers for the CNN course-companion notebooks.

Import the topic modules you need, e.g. ``from cvutils import conv, datasets, runtime``.
Nothing here imports TensorFlow at import time; the modules that need it import it lazily.
Importing ``cvutils`` before ``keras`` or ``tensorflow`` keeps TensorFlow's start-up logs out
of the outputs (see `cvutils._quiet`), which is why every notebook's setup cell does so.
"""

from cvutils import _quiet

_quiet.install()

__version__ = "0.1.0"
