"""``python -m cvutils.grading``: see `cvutils.grading.cli`."""

import sys

from cvutils.grading.cli import main

sys.exit(main())
