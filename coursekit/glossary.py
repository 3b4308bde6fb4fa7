"""The lectures' glossaries: each notebook's "Glossary · 术语表" cell, a table `| term | 中文 | meaning |`.

tests/test_notebooks.py checks them against the one term list (notebooks/glossary.csv); the course
book (book/pages.py) merges them into its glossary page.
"""
from __future__ import annotations

import re

CJK = re.compile(r"[\u4e00-\u9fff]")
GLOSSARY_HEADING = re.compile(r"^#+ .*glossary", re.IGNORECASE | re.MULTILINE)


def glossary_cell(nb) -> str:
    """The source of a notebook's first markdown cell with a 'Glossary' heading."""
    return next(c.source for c in nb.cells if c.cell_type == "markdown" and GLOSSARY_HEADING.search(c.source))


def glossary_rows(source: str) -> list[list[str]]:
    """The (term, 中文, meaning) rows of a glossary table, without its header."""
    rows = []
    for line in source.splitlines():
        if line.startswith("|") and CJK.search(line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[:2] != ["term", "中文"]:
                rows.append(cells)
    return rows
