"""Lecture notebooks: committed stripped, complete (glossary, widget, PyTorch check), and they run.

Each notebook is executed top to bottom with nbclient on the `python3` kernel, in a temporary copy
so no outputs are written back. The executions share one xdist group: two kernels importing torch
at once on a 2-core runner would mostly slow each other down.
"""
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
CJK = re.compile(r"[\u4e00-\u9fff]")
CELL_TIMEOUT = 120  # seconds per cell
BUDGET = 60  # seconds per notebook on a normal machine; the assertion allows 3x for a busy runner


def read(path):
    return nbformat.read(path, as_version=4)


def test_lecture_notebooks_exist():
    assert {"01_neurons", "02_activations"} <= set(IDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_stripped(path):
    nb = read(path)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: code cell {i} has outputs; strip them"
            assert cell.execution_count is None, f"{path.name}: code cell {i} has an execution count"
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state in the metadata; strip it"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_has_the_parts_of_a_lecture(path):
    nb = read(path)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    glossary = [s for s in md if re.search(r"^#+ .*glossary", s, re.IGNORECASE | re.MULTILINE)]
    assert glossary, f"{path.name}: no markdown cell with a 'Glossary' heading"
    rows = [ln for ln in glossary[0].splitlines() if ln.startswith("|") and CJK.search(ln)]
    assert len(rows) >= 8, f"{path.name}: the glossary needs a table with English and 中文 terms"
    assert re.search(r"from coursekit\.widgets import", code), f"{path.name}: no widget"
    assert "cmp(" in code and "torch" in code, f"{path.name}: no cross-check against PyTorch"
    assert "plt." in code, f"{path.name}: no matplotlib experiment"
    assert re.search(r"\$[^$\n]+\$", "\n".join(md)), f"{path.name}: no math"


@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_headless(path, tmp_path, monkeypatch):
    original = path.read_bytes()
    work = tmp_path / path.name
    shutil.copy(path, work)
    # the kernel must import this checkout's coursekit even when it is not pip-installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = read(work)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - start
    print(f"{path.name}: executed in {elapsed:.1f} s")

    outputs = [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs]
    stderr = [(i, o.text) for i, o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stderr, f"{path.name}: output on stderr (warnings?) in cells {stderr}"
    mimes = {m for _, o in outputs for m in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" in mimes, f"{path.name}: no widget displayed"
    assert "image/png" in mimes, f"{path.name}: no plot"
    assert path.read_bytes() == original, "the committed notebook must not be modified"
    assert elapsed < 3 * BUDGET, f"{path.name} took {elapsed:.0f} s (budget {BUDGET} s)"
