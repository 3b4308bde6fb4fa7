"""Build the nbgrader source notebooks of the course from assignments/src/ (so their metadata is right).

    .venv/bin/python assignments/build_sources.py          # rewrite source/*/*.ipynb
    .venv/bin/python assignments/build_sources.py --check  # exit 1 naming the notebooks out of date

Each folder src/<NN_topic>/ with an assignment.md becomes source/<NN_topic>/<NN_topic>.ipynb
(outputs stripped). It holds:

* assignment.md: the notebook's cells in order. A directive line starts each cell; only a markdown
  cell has text after its directive, and nothing comes before the first one:

      <!-- markdown -->                         a markdown cell: the text up to the next directive
      <!-- rules -->                            a markdown cell: src/rules.md, the rules of every answer
      <!-- setup -->                            the locked read-only first cell, grade id "setup":
                                                SETUP below with solution.py's BEGIN/END SETUP lines
      <!-- answer NAME -->                      an answer cell, grade id NAME: the function NAME of
                                                solution.py, from `def` to `### END SOLUTION`
      <!-- test NAME points=P [forward=F] -->   the locked grade cell test_NAME worth P points:
                                                check("NAME", NAME[, forward=F]), then with hidden=True
                                                between the hidden-test markers
      <!-- train RULE points=P -->              the locked grade cell test_RULE_training worth P:
                                                train_check("RULE", RULE), then hidden=True

* solution.py: an importable module holding the functions students write, exactly as the answer
  cells show them (### BEGIN SOLUTION / ### END SOLUTION included), and between the lines
  `# BEGIN SETUP...` and `# END SETUP` what the assignment adds to the setup cell (an import, a
  helper). tests/test_assignment_solutions.py grades every function with coursekit.check.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NamedTuple

import nbformat

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"

SETUP = """
# Run this cell first. It is read-only.
import numpy as np
from coursekit import check   # check("relu_forward", relu_forward) grades a function for you
{extra}
np.random.seed(0)
np.set_printoptions(precision=4, suppress=True)
"""

DIRECTIVE = re.compile(r"^<!-- (markdown|rules|setup|answer|test|train)\b(.*?) -->$", re.MULTILINE)
SETUP_LINES = re.compile(r"^# BEGIN SETUP\b.*?\n(.*?)^# END SETUP$", re.MULTILINE | re.DOTALL)
OPTIONS = {"answer": set(), "test": {"points", "forward"}, "train": {"points"}}  # the kinds with a NAME: their options
HALF_POINTS = re.compile(r"\d+(\.5)?|0?\.5")  # points come in halves: a one-line formula is worth 0.5


def _points(text: str) -> int | float:
    """'2' -> 2, '0.5' -> 0.5: whole points stay integers in the notebook's metadata."""
    x = float(text)
    return int(x) if x.is_integer() else x


class Cell(NamedTuple):
    kind: str  # markdown, rules, setup, answer, test or train (a directive of assignment.md)
    name: str = ""  # the function of an answer or test cell, the update rule of a train cell
    points: int | float | None = None
    forward: str | None = None  # a backward's test: the forward whose cache it receives
    text: str = ""  # a markdown cell's text

    @property
    def grade_id(self) -> str:
        return {"setup": "setup", "answer": self.name, "test": f"test_{self.name}",
                "train": f"test_{self.name}_training"}.get(self.kind, "")


def parse(text: str, where: str = "assignment.md") -> list[Cell]:
    """The cells that an assignment.md declares, in order."""
    found = list(DIRECTIVE.finditer(text))
    if not found or text[:found[0].start()].strip():
        raise ValueError(f"{where}: must start with a directive such as <!-- markdown -->")
    cells = []
    for m, nxt in zip(found, [*found[1:], None]):
        kind, words = m.group(1), m.group(2).split()
        body = text[m.end():nxt.start() if nxt else len(text)].strip("\n")
        if kind == "markdown":
            if words or not body.strip():
                raise ValueError(f"{where}: {m.group(0)} takes no options and needs text after it")
            cells.append(Cell(kind, text=body))
            continue
        if body.strip():
            raise ValueError(f"{where}: text after {m.group(0)}: start a markdown cell with <!-- markdown -->")
        if kind not in OPTIONS:
            if words:
                raise ValueError(f"{where}: {m.group(0)} takes no options")
            cells.append(Cell(kind))
            continue
        options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if not words or len(options) != len(words) - 1 or not set(options) <= OPTIONS[kind] \
                or (kind != "answer" and not HALF_POINTS.fullmatch(options.get("points", ""))):
            raise ValueError(f"{where}: {m.group(0)}: expected <!-- {kind} NAME"
                             + "".join(f" {o}=..." for o in sorted(OPTIONS[kind])) + " --> (whole or half points)")
        points = _points(options["points"]) if "points" in options else None
        cells.append(Cell(kind, words[0], points, options.get("forward")))
    return cells


def function_source(module: str, name: str, where: str = "solution.py") -> str:
    """The top-level function `name` of a module's text: its `def` line and every line after it
    that is blank or indented (so up to `### END SOLUTION`), without the blank lines at its end."""
    m = re.search(rf"^def {re.escape(name)}\(.*?\n(?=\S|\Z)", module, re.MULTILINE | re.DOTALL)
    if m is None:
        raise ValueError(f"{where}: no top-level function {name}")
    src = m.group(0).rstrip("\n")
    if "    ### BEGIN SOLUTION\n" not in src or not src.endswith("\n    ### END SOLUTION"):
        raise ValueError(f"{where}: {name} must hold ### BEGIN SOLUTION and end with ### END SOLUTION")
    return src


def setup_source(module: str) -> str:
    """The setup cell: SETUP with the module's lines between # BEGIN SETUP and # END SETUP."""
    m = SETUP_LINES.search(module)
    return SETUP.format(extra=m.group(1).strip("\n") if m else "").strip("\n")


def grade_source(cell: Cell) -> str:
    """A grade cell's code: the visible check, then the same check on the hidden cases."""
    n = cell.name
    if cell.kind == "test":
        fwd = f", forward={cell.forward}" if cell.forward else ""
        head, call = f"# Tests for {n} (read-only): run this cell to check your answer.", f'check("{n}", {n}{fwd}'
    else:
        head = (f"# Training run (read-only): the course's MLP trained on digits with your {n}." if n.endswith("_step")
                else f"# Training run (read-only): the course's VAE trained on digits with your {n} and the "
                     "functions it works with.")
        call = f'train_check("{n}", {n}'
    return f"{head}\n{call})\n### BEGIN HIDDEN TESTS\n{call}, hidden=True)\n### END HIDDEN TESTS"


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    nbg = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
           "solution": solution, "task": False}
    if points is not None:
        nbg["points"] = points
    meta = {"nbgrader": nbg}
    if locked:
        meta.update(deletable=False, editable=False)
    return meta


def code_cell(cell: Cell, module: str, where: str) -> nbformat.NotebookNode:
    """The notebook cell of a setup, answer, test or train directive."""
    if cell.kind == "setup":
        c = nbformat.v4.new_code_cell(setup_source(module), metadata=_meta("setup", locked=True))
        c.id = "setup"
    elif cell.kind == "answer":
        c = nbformat.v4.new_code_cell(function_source(module, cell.name, where),
                                      metadata=_meta(cell.name, solution=True))
        c.id = cell.name
    else:
        c = nbformat.v4.new_code_cell(grade_source(cell), metadata=_meta(cell.grade_id, grade=True, locked=True,
                                                                          points=cell.points))
        c.id = "test-" + cell.grade_id.removeprefix("test_")
    return c


def check_names(cells: list[Cell], module: str, where: str) -> None:
    """Every test names an answer of this assignment; every function of solution.py is an answer."""
    answers = {c.name for c in cells if c.kind == "answer"}
    for c in cells:
        for name in (c.name, c.forward) if c.kind in ("test", "train") else ():
            if name and name not in answers:
                raise ValueError(f"{where}: <!-- {c.kind} {c.name} -->: no <!-- answer {name} --> in this assignment")
    outside_setup = SETUP_LINES.sub("", module)
    for name in re.findall(r"^def (\w+)\(", outside_setup, re.MULTILINE):
        if name not in answers:
            raise ValueError(f"{where}: solution.py defines {name}, which no <!-- answer {name} --> places")


def assignment(name: str) -> tuple[list[Cell], str]:
    """The cells of src/<name>/assignment.md and the text of src/<name>/solution.py."""
    folder = SRC / name
    cells = parse((folder / "assignment.md").read_text(), f"src/{name}/assignment.md")
    module = (folder / "solution.py").read_text()
    check_names(cells, module, f"src/{name}")
    return cells, module


def build(name: str) -> nbformat.NotebookNode:
    """The source notebook of assignment `name`."""
    cells, module = assignment(name)
    rules = (SRC / "rules.md").read_text().strip("\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    n_md = 0
    for cell in cells:
        if cell.kind in ("markdown", "rules"):
            n_md += 1
            c = nbformat.v4.new_markdown_cell(cell.text if cell.kind == "markdown" else rules)
            c.id = f"md-{n_md:02d}"
        else:
            c = code_cell(cell, module, f"src/{name}/solution.py")
        nb.cells.append(c)
    nbformat.validate(nb)
    return nb


def names() -> list[str]:
    """The assignments: the folders of src/ that hold an assignment.md."""
    return sorted(p.name for p in SRC.iterdir() if (p / "assignment.md").is_file())


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check_only = "--check" in argv
    try:  # every notebook is built before any is written
        texts = {HERE / "source" / n / f"{n}.ipynb": nbformat.writes(build(n)) + "\n" for n in names()}
    except ValueError as e:
        print(f"build_sources: {e}", file=sys.stderr)
        return 2
    stale = [path for path, text in texts.items() if not path.exists() or path.read_text() != text]
    for path in stale:
        if not check_only:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[path])
        print(("out of date: " if check_only else "wrote ") + str(path.relative_to(HERE.parent)))
    return 1 if check_only and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
