"""Lecture notebooks: committed stripped, complete (glossary, widget, PyTorch check), and they run.

Every glossary uses the one term list, notebooks/glossary.csv (English term -> its Chinese), and
every chapter has the box "What the source articles get wrong" (citing seeds/0...) and a 中文小结.

Each notebook is executed top to bottom with nbclient on the `python3` kernel, in a temporary copy
so no outputs are written back. The executions share one xdist group: two kernels importing torch
at once on a 2-core runner would mostly slow each other down.
"""
import csv
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from coursekit.glossary import CJK, glossary_cell, glossary_rows

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
CELL_TIMEOUT = 120  # seconds per cell
BUDGET = 60  # seconds per notebook on a normal machine; the assertion allows 3x for a busy runner
TERM_LIST = ROOT / "notebooks" / "glossary.csv"  # the one term list: term,中文
BOX = "### What the source articles get wrong"
ZH_SUMMARY = "### 中文小结"


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


def term_list():
    with TERM_LIST.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["term", "中文"], f"{TERM_LIST.name}: the header must be term,中文"
    return rows[1:]


def test_term_list_has_one_chinese_term_per_english_term():
    rows = term_list()
    assert all(len(r) == 2 and r[0] and CJK.search(r[1]) for r in rows), "each row: an English term, its 中文"
    english = [r[0] for r in rows]
    assert len(set(english)) == len(english), f"terms listed twice: {sorted({t for t in english if english.count(t) > 1})}"
    chinese = {}
    for term, zh in rows:
        chinese.setdefault(zh, []).append(term)
    shared = {zh: terms for zh, terms in chinese.items() if len(terms) > 1}
    assert not shared, f"one Chinese term for several English terms: {shared}"


def test_term_list_lists_only_terms_a_glossary_uses():
    used = {row[0] for path in NOTEBOOKS for row in glossary_rows(glossary_cell(read(path)))}
    unused = [term for term, _ in term_list() if term not in used]
    assert not unused, f"{TERM_LIST.name}: terms no glossary uses: {unused}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_glossary_uses_the_term_list(path):
    terms = dict(term_list())
    rows = glossary_rows(glossary_cell(read(path)))
    listed = [row[0] for row in rows]
    assert len(listed) == len(set(listed)), f"{path.name}: a term twice in the glossary: {sorted(listed)}"
    for row in rows:
        assert len(row) == 3, f"{path.name}: a glossary row needs term | 中文 | meaning: {row}"
        term, zh, _ = row
        assert term in terms, f"{path.name}: {term!r} is not in {TERM_LIST.name}; add it there once"
        assert zh == terms[term], (f"{path.name}: {term!r} is {zh!r} here but {terms[term]!r} in "
                                   f"{TERM_LIST.name}: one Chinese term per English term")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_has_the_source_articles_box_and_a_chinese_summary(path):
    md = [(i, c.source) for i, c in enumerate(read(path).cells) if c.cell_type == "markdown"]
    box = [(i, s) for i, s in md if s.startswith(BOX)]
    assert box, f"{path.name}: no markdown cell headed {BOX!r}"
    assert any(re.search(r"`seeds/0\d\d_[0-9a-f]+\.txt`", s) for _, s in box), \
        f"{path.name}: the box cites no source article (`seeds/0NN_....txt`)"
    assert any(re.search(r"^> .*[\u4e00-\u9fff]", s, re.MULTILINE) for _, s in box), \
        f"{path.name}: the box quotes no Chinese (a '> ' line)"
    glossary = [i for i, s in md if re.search(r"^#+ .*glossary", s, re.IGNORECASE | re.MULTILINE)]
    assert box[0][0] < glossary[0], f"{path.name}: the box belongs before the glossary"
    summary = [(i, s) for i, s in md if s.startswith(ZH_SUMMARY)]
    assert summary, f"{path.name}: no markdown cell headed {ZH_SUMMARY!r}"
    i, text = summary[0]
    assert abs(i - glossary[0]) == 1, f"{path.name}: 中文小结 belongs beside the glossary"
    bullets = [ln for ln in text.splitlines() if ln.startswith("* ")]
    assert 5 <= len(bullets) <= 10, f"{path.name}: 中文小结 has {len(bullets)} bullets, not 5 to 10"
    assert all(CJK.search(b) for b in bullets), f"{path.name}: every 中文小结 bullet in Chinese"
    assert re.search(r"\$[^$\n]+\$", text), f"{path.name}: 中文小结 has no formula"


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
