"""Converts between a notebook and a plain "percent" script, for editing notebooks as text.

    python tools/percent.py to-ipynb notebooks/src.py notebooks/NN_topic.ipynb
    python tools/percent.py to-py notebooks/NN_topic.ipynb /tmp/NN_topic.py

Cells start with ``# %%`` (code) or ``# %% [markdown]`` (markdown; every line is written
with a leading ``# ``). The notebook is written without outputs, with the Python 3 kernel.
"""

from __future__ import annotations

import sys

import nbformat


def py_to_nb(text: str):
    cells, kind, lines = [], None, []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(
                line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.split("\n")
            )
            cells.append(nbformat.v4.new_markdown_cell(body))
        else:
            cells.append(nbformat.v4.new_code_cell(body))

    for line in text.split("\n"):
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        else:
            lines.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i:03d}"  # stable ids keep diffs small
    return nb


def nb_to_py(nb) -> str:
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            out.append("# %% [markdown]")
            out.extend(("# " + line) if line else "#" for line in cell.source.split("\n"))
        else:
            out.append("# %%")
            out.append(cell.source)
        out.append("")
    return "\n".join(out)


def main(argv):
    if len(argv) != 3 or argv[0] not in ("to-ipynb", "to-py"):
        print(__doc__)
        return 2
    cmd, src, dst = argv
    if cmd == "to-ipynb":
        with open(src, encoding="utf-8") as fh:
            nb = py_to_nb(fh.read())
        nbformat.write(nb, dst)
    else:
        with open(dst, "w", encoding="utf-8") as fh:
            fh.write(nb_to_py(nbformat.read(src, as_version=4)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
