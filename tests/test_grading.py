import nbformat
import numpy as np
import pytest

from cvutils import grading

SOURCE = '''def zero_pad(X, pad):
    """Pads."""
    ### BEGIN SOLUTION
    X = X + 0
    return np.pad(X, pad)
    ### END SOLUTION


def other():
        ### BEGIN SOLUTION
        return 1
        ### END SOLUTION
'''


def test_strip_solutions_keeps_indentation_and_the_rest():
    out = grading.strip_solutions(SOURCE)
    assert "np.pad" not in out and "return 1" not in out
    assert '    """Pads."""\n    # YOUR CODE HERE\n    raise NotImplementedError\n' in out
    assert "        # YOUR CODE HERE\n        raise NotImplementedError\n" in out
    compile(out, "<student>", "exec")


def test_unpaired_markers_are_refused():
    with pytest.raises(ValueError, match="1 '### BEGIN SOLUTION' but 0"):
        grading.strip_solutions("### BEGIN SOLUTION\nx = 1\n")


def test_check_passes_and_explains_failures(capsys):
    grading.check("f(x)", np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert "f(x): correct" in capsys.readouterr().out
    with pytest.raises(grading.CheckFailed, match=r"shape \(2,\), expected \(3,\)"):
        grading.check("f(x)", np.zeros(2), np.zeros(3))
    with pytest.raises(grading.CheckFailed, match=r"largest difference 0.5 at index \(1,\)"):
        grading.check("f(x)", np.array([1.0, 2.5]), np.array([1.0, 2.0]))
    with pytest.raises(grading.CheckFailed, match="NaN"):
        grading.check("f(x)", np.array([np.nan]), np.array([1.0]))
    with pytest.raises(grading.CheckFailed, match=r"f\(x\)\[1\]"):
        grading.check("f(x)", (np.zeros(2), np.ones(2)), (np.zeros(2), np.zeros(2)))


def _notebook(tmp_path, solution):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nfrom cvutils.grading import check"),
        nbformat.v4.new_code_cell(
            f"def double(x):\n    ### BEGIN SOLUTION\n    return {solution}\n    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell("check('double', double(np.arange(3)), np.arange(3) * 2)"),
    ]
    path = tmp_path / "ex.ipynb"
    nbformat.write(nb, path)
    return path


def test_student_version_and_grading_round_trip(tmp_path):
    teacher = _notebook(tmp_path, "2 * x")
    student = tmp_path / "out" / "student.ipynb"
    assert grading.student_version(teacher, student) == 1
    text = student.read_text()
    assert "2 * x" not in text and "raise NotImplementedError" in text
    assert not list((tmp_path / "out").glob("*.part"))
    assert grading.grade(teacher) == {"passed": 1, "failed": 0, "failures": []}
    result = grading.grade(student)
    assert result["passed"] == 0 and result["failed"] == 1  # the stub defines fine, its check fails
    assert "NotImplementedError" in result["failures"][0][1]
