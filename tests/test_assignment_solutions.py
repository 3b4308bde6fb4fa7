"""The answer key of every assignment earns full marks, and the notebooks are built from it.

assignments/src/<NN_topic>/solution.py holds the functions of the answer cells, assignment.md
the grade cells (`<!-- test NAME ... -->`, `<!-- train RULE ... -->`): every graded function
goes through coursekit.check on the visible and hidden cases (a backward with its own forward),
and assignments/source/ is what assignments/build_sources.py makes of them.
"""
import importlib.util
import re
import shutil
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from coursekit import check
from coursekit.grading import train_check

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_sources = load(ASSIGNMENTS / "build_sources.py", "build_sources")
NAMES = build_sources.names()
GRADED = [(a, cell) for a in NAMES for cell in build_sources.assignment(a)[0] if cell.kind in ("test", "train")]


@cache
def solution(assignment: str):
    return load(ASSIGNMENTS / "src" / assignment / "solution.py", f"solution_{assignment}")


def test_every_source_notebook_has_a_src_folder_with_grade_cells():
    assert NAMES == sorted(p.name for p in (ASSIGNMENTS / "source").iterdir() if p.is_dir())
    assert {a for a, _ in GRADED} == set(NAMES)


@pytest.mark.parametrize("assignment, cell", [g for g in GRADED if g[1].kind == "test"],
                         ids=[f"{a}:{c.name}" for a, c in GRADED if c.kind == "test"])
def test_solution_passes_its_grade_cell(assignment, cell):
    module = solution(assignment)
    forward = {"forward": getattr(module, cell.forward)} if cell.forward else {}
    result = check(cell.name, getattr(module, cell.name), hidden=True, quiet=True, **forward)
    assert result.passed, result


@pytest.mark.parametrize("assignment, cell", [g for g in GRADED if g[1].kind == "train"],
                         ids=[f"{a}:{c.name}_training" for a, c in GRADED if c.kind == "train"])
def test_solution_passes_its_training_run(assignment, cell):
    assert train_check(cell.name, getattr(solution(assignment), cell.name), quiet=True).passed


def test_adamw_solution_is_adam_on_shrunk_weights():
    """adamw_step is Adam's step, with weight_decay=0, from the weights shrunk by (1 - lr * weight_decay):
    the same params and the same state, step after step, amsgrad or not."""
    sol = solution("05_gradient_descent")
    rng = np.random.default_rng(0)
    for amsgrad in (False, True):
        param_w = param_a = rng.standard_normal((3, 4))
        state_w = state_a = None
        for _ in range(6):
            grad = rng.standard_normal((3, 4))
            param_w, state_w = sol.adamw_step(param_w, grad, state_w, lr=0.1, weight_decay=0.05, amsgrad=amsgrad)
            param_a, state_a = sol.adam_step(param_a * (1 - 0.1 * 0.05), grad, state_a, lr=0.1, amsgrad=amsgrad)
            np.testing.assert_array_equal(param_w, param_a)
            assert state_w.keys() == state_a.keys()
            for key in state_w:
                np.testing.assert_array_equal(state_w[key], state_a[key], err_msg=key)


def test_committed_notebooks_are_built_from_src(capsys):
    assert build_sources.main(["--check"]) == 0, capsys.readouterr().out


def test_check_names_the_stale_notebooks(tmp_path, capsys):
    """--check exits 1 naming the notebooks a change in src/ makes stale; a plain run rewrites them."""
    shutil.copy(ASSIGNMENTS / "build_sources.py", tmp_path)
    shutil.copytree(ASSIGNMENTS / "src", tmp_path / "src")
    shutil.copytree(ASSIGNMENTS / "source", tmp_path / "source")
    solution_py = tmp_path / "src" / "01_neurons" / "solution.py"
    solution_py.write_text(solution_py.read_text().replace("    out = x @ weight.T\n", "    out = x @ weight.T  # !\n"))
    builder = load(tmp_path / "build_sources.py", "build_sources_copy")
    notebook = f"{tmp_path.name}/source/01_neurons/01_neurons.ipynb"  # relative to the folder above

    assert builder.main(["--check"]) == 1
    assert capsys.readouterr().out == f"out of date: {notebook}\n"
    assert builder.main([]) == 0
    assert capsys.readouterr().out == f"wrote {notebook}\n"
    assert "weight.T  # !" in (tmp_path / "source" / "01_neurons" / "01_neurons.ipynb").read_text()
    assert builder.main(["--check"]) == 0


def _readme_totals() -> dict:
    """assignment -> the total README's chapter table gives it: `02_activations` (15), (19½)."""
    found = re.findall(r"^\|[^|]*\|[^|]*\| `(\d\d_\w+)` \((\d+)(½?)\) \|", (ROOT / "README.md").read_text(), re.M)
    return {name: int(whole) + (0.5 if half else 0) for name, whole, half in found}


def test_readme_table_gives_each_assignment_its_true_total():
    totals = {a: sum(c.points for c in build_sources.assignment(a)[0] if c.kind in ("test", "train")) for a in NAMES}
    assert _readme_totals() == totals


@pytest.mark.parametrize("text, points", [("2", 2), ("0.5", 0.5), (".5", 0.5), ("1.5", 1.5), ("12", 12)])
def test_points_come_in_halves(text, points):
    cell = build_sources.parse(f"<!-- test f points={text} -->", "x.md")[0]
    assert cell.points == points and type(cell.points) is type(points)


@pytest.mark.parametrize("text", ["0.25", "1.", "-1", "one", ""])
def test_points_other_than_halves_are_refused(text):
    with pytest.raises(ValueError, match="whole or half"):
        build_sources.parse(f"<!-- test f points={text} -->", "x.md")
