"""What a learner must (and must not) see in an executed notebook's outputs.

One set of checks for both ways the notebooks are executed: nbval in `make test` (the
root ``conftest.py`` applies them to the outputs nbval collected, notebook by notebook)
and nbclient in `make run` (``tools/run_notebooks.py``). A notebook passes when no output
carries start-up noise, a traceback, a machine path or a progress bar left behind, when it
prints exactly one ``RESULT:`` line, and when a notebook that draws shows a figure.
"""

from __future__ import annotations

import re

#: What must never appear in a cell output a learner reads: (label, pattern).
NOISE = (
    ("traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("TensorFlow C++ log line", re.compile(r"(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d|\bE0000\b")),
    ("absl start-up warning", re.compile(r"absl")),
    ("machine path", re.compile(r"\.venv|site-packages|/home/|/Users/|/tmp/")),
    ("progress bar left behind", re.compile(r"\d+%\|")),
)

#: A code cell that calls one of these draws a figure.
DRAWS = re.compile(r"\bplt\.|\bplotting\.|\bwidgets\.|\.imshow\(|\.plot\(")


def key_result(nb) -> str:
    """The text after the last ``RESULT:`` line printed by the notebook."""
    found = "no RESULT line"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                for line in out.get("text", "").splitlines():
                    if line.startswith("RESULT:"):
                        found = line[len("RESULT:") :].strip()
    return found


def output_texts(cell) -> list[str]:
    """The texts a learner reads in a cell's outputs: streams, plain-text results, errors."""
    texts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            texts.append(out.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            texts.append(out.get("data", {}).get("text/plain", ""))
        elif kind == "error":
            trace = "\n".join(out.get("traceback", []))
            texts.append(f"Traceback (most recent call last)\n{trace}")
    return texts


def problems(nb) -> list[str]:
    """One line per output that carries noise (see `NOISE`) or shows a ``RESULT:`` twice."""
    found = []
    for index, cell in enumerate(nb.cells):
        texts = output_texts(cell)
        for text in texts:
            for label, pattern in NOISE:
                match = pattern.search(text)
                if match:
                    line = text[: match.end()].rsplit("\n", 1)[-1] + text[match.end() :]
                    found.append(f"cell {index}: {label}: {line.splitlines()[0][:160]!r}")
        results = sum(line.startswith("RESULT:") for t in texts for line in t.splitlines())
        results += sum("'RESULT:" in t or '"RESULT:' in t for t in texts)
        if results > 1:
            found.append(f"cell {index}: its RESULT line appears {results} times")
    return found


def figure_count(nb) -> int:
    """Number of ``image/png`` outputs (rendered figures)."""
    return sum(
        "image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])
    )


def draws(nb) -> bool:
    """True if some code cell calls matplotlib or the plotting helpers."""
    return any(c.cell_type == "code" and DRAWS.search(c.source) for c in nb.cells)


def notebook_problems(nb, *, ignore: tuple[str, ...] = ()) -> list[str]:
    """`problems` plus the notebook-wide checks: one RESULT line, a figure where it draws.

    Args:
        nb: an executed notebook (nbformat node, or anything with ``.cells``).
        ignore: labels of `NOISE` not to report (nbval keeps a display's first content,
            since it does not apply display updates, so a progress line emptied in place
            still shows there; `make run` checks it).
    """
    found = [p for p in problems(nb) if not any(f": {label}:" in p for label in ignore)]
    lines = sum(
        line.startswith("RESULT:")
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
        for line in out.get("text", "").splitlines()
    )
    if lines != 1:
        found.append(f"the notebook prints {lines} RESULT lines; one is expected")
    if draws(nb) and figure_count(nb) == 0:
        found.append("it draws but shows no figure (is MPLBACKEND=Agg leaking into the kernel?)")
    return found
