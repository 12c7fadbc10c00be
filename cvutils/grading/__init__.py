"""Graded exercises: markers and metadata, student versions, public checks, the autograder.

Command line (``python -m cvutils.grading --help``)::

    python -m cvutils.grading annotate notebooks/04_convolution_step_by_step.ipynb
    python -m cvutils.grading student notebooks --out build/student
    python -m cvutils.grading grade SUBMISSION.ipynb [--report report.json]
    python -m cvutils.grading grade SUBMISSIONS/ [--gradebook gradebook.csv] [--workers 4]

Taught in notebooks/00_setup_and_tour.ipynb (how exercises and checks work); graded
notebooks: notebooks/04_convolution_step_by_step.ipynb, notebooks/06_training_convnets_well.ipynb.
"""

from cvutils.grading.autograde import (
    ExerciseResult,
    exercise_namespace,
    format_report,
    grade,
    grade_folder,
    grade_namespace,
    prepare,
    write_gradebook,
)
from cvutils.grading.cli import main
from cvutils.grading.exercises import (
    BEGIN,
    END,
    HEADER,
    Exercise,
    NotebookError,
    annotate,
    cell_metadata,
    dependencies,
    exercise_notebooks,
    find_exercises,
    is_annotated,
    python_source,
    read_notebook,
    solution_lines,
    strip_solutions,
    student_notebook,
    student_version,
    until_implemented,
)
from cvutils.grading.public import (
    CheckFailed,
    block_model,
    check,
    check_outputs,
    compare,
    layer_difference,
)

__all__ = [
    "BEGIN",
    "END",
    "HEADER",
    "CheckFailed",
    "Exercise",
    "ExerciseResult",
    "NotebookError",
    "annotate",
    "block_model",
    "cell_metadata",
    "check",
    "check_outputs",
    "compare",
    "dependencies",
    "exercise_namespace",
    "exercise_notebooks",
    "find_exercises",
    "format_report",
    "grade",
    "grade_folder",
    "grade_namespace",
    "is_annotated",
    "layer_difference",
    "main",
    "prepare",
    "python_source",
    "read_notebook",
    "solution_lines",
    "strip_solutions",
    "student_notebook",
    "student_version",
    "until_implemented",
    "write_gradebook",
]
