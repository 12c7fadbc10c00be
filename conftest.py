"""Pytest settings for the whole repository: the notebooks phase run by nbval.

``pytest`` (and `make test`) collects ``tests/``, the doctests of ``cvutils/`` and every
notebook in ``notebooks/`` (``--nbval-lax``: each code cell is a test item; a cell that raises
fails; an ``assert`` in a cell is a check). This file adds the checks of what a learner sees
(`tools/notebook_checks.py`): when the last cell of a notebook has run, the outputs nbval
collected for the whole notebook must carry no start-up noise, traceback or machine path,
print exactly one ``RESULT:`` line, and show a figure where the notebook draws; otherwise
that last cell's report fails and says why.

Ordering: under ``-n 2 --dist loadfile`` a worker takes a whole file (a notebook) at a time,
in collection order; the notebooks come first, the longest first, so that no worker is left
alone with a long notebook at the end.
"""

from __future__ import annotations

import pytest

from tools.notebook_checks import notebook_problems

#: Notebooks that train the longest in fast mode (seconds measured on 2 cores), started first.
SLOW_FIRST = ("08_", "11_", "10_", "14_", "15_", "12_", "16_", "18_", "09_", "19_", "17_", "13_")


def _is_notebook_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


def _order(item) -> tuple:
    path = item.nodeid.split("::")[0]
    if not path.endswith(".ipynb"):
        return (1, 0)
    name = path.rsplit("/", 1)[-1]
    rank = next((i for i, p in enumerate(SLOW_FIRST) if name.startswith(p)), len(SLOW_FIRST))
    return (0, rank)


def pytest_collection_modifyitems(items):
    """Notebooks first, the slow ones first; cells keep their order (the sort is stable)."""
    items.sort(key=_order)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """After a notebook's last cell, checks what the whole executed notebook shows."""
    report = yield
    if not (_is_notebook_cell(item) and call.when == "call"):
        return report
    notebook = item.parent
    executed = getattr(notebook, "_executed_cells", None)
    if executed is None:
        executed = notebook._executed_cells = []
    cell = item.cell.copy()
    cell["outputs"] = list(item.test_outputs or [])
    executed.append(cell)
    last = sum(c.cell_type == "code" for c in notebook.nb.cells) - 1
    if item.cell_num == last and report.passed:
        import nbformat

        nb = nbformat.v4.new_notebook(cells=executed)
        found = notebook_problems(nb, ignore=("progress bar left behind",))
        if found:
            report.outcome = "failed"
            report.longrepr = f"{notebook.name}: what a learner sees:\n  " + "\n  ".join(found)
    return report
