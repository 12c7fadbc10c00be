"""Graded exercises: markers and metadata, student versions, public checks, the autograder.

Command line (``python -m cvutils.grading --help``)::

    python -m cvutils.grading annotate notebooks/04_convolution_step_by_step.ipynb
    python -m cvutils.grading student notebooks --out build/student
    python -m cvutils.grading grade SUBMISSION.ipynb [--report report.json]
    python -m cvutils.grading grade SUBMISSIONS/ [--gradebook gradebook.csv]
        [--due 2026-12-07T23:59] [--feedback DIR] [--workers 4]

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
    keep_going,
    nbgrader_checksum,
    python_source,
    read_notebook,
    solution_lines,
    strip_solutions,
    student_notebook,
    student_version,
    until_implemented,
)
from cvutils.grading.gradebook import (
    class_reports,
    one_line,
    submission_info,
    write_feedback,
    write_gradebook,
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
    "class_reports",
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
    "keep_going",
    "layer_difference",
    "main",
    "nbgrader_checksum",
    "one_line",
    "prepare",
    "python_source",
    "read_notebook",
    "solution_lines",
    "strip_solutions",
    "student_notebook",
    "student_version",
    "submission_info",
    "until_implemented",
    "write_feedback",
    "write_gradebook",
]
