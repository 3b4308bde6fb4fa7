"""The answer key's text is found in any form and cut from what students receive; the student's
own lines and what every student sees are left alone."""
from __future__ import annotations

import html
import json

import nbformat
import pytest

from coursekit.grading import answerkey
from coursekit.grading.answerkey import REDACTED

SOLUTION = '''def linear_forward(x, weight, bias=None):
    ### BEGIN SOLUTION
    out = x @ weight.T + (0 if bias is None else bias)
    return out, (x, weight, bias)
    ### END SOLUTION'''
TESTS = '''check("linear_forward", linear_forward)
### BEGIN HIDDEN TESTS
check("linear_forward", linear_forward, hidden=True)
### END HIDDEN TESTS'''
PUBLIC = "# a line everyone sees: return out, (x, weight, bias)"
KEY_LINE = "out = x @ weight.T + (0 if bias is None else bias)"
HIDDEN_LINE = 'check("linear_forward", linear_forward, hidden=True)'


@pytest.fixture
def course(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOLUTION), nbformat.v4.new_code_cell(TESTS),
                                         nbformat.v4.new_code_cell(PUBLIC + "\nreturn out, (x, weight, bias)")])
    (tmp_path / "source" / "01_x").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "source" / "01_x" / "01_x.ipynb")
    return tmp_path


def test_the_key_is_the_regions_less_what_students_see_and_short_lines(course):
    key = answerkey.key_lines(course)
    assert KEY_LINE in key and HIDDEN_LINE in key
    assert "return out, (x, weight, bias)" not in key  # public: in another cell of the release
    assert not any("BEGIN" in ln for ln in key)


@pytest.mark.parametrize("form", ["plain", "html", "json", "repr", "in a longer line"])
def test_every_form_of_a_key_line_is_redacted(course, form):
    text = {"plain": KEY_LINE, "html": html.escape(KEY_LINE), "json": json.dumps({"src": KEY_LINE}),
            "repr": repr([KEY_LINE + "\n"]), "in a longer line": f"found: {KEY_LINE} (cell 3)"}[form]
    new, n = answerkey.redact(text, answerkey.key_lines(course))
    assert n == 1 and REDACTED in new and "weight.T + (0 if" not in new


def test_markers_are_always_cut_and_own_lines_kept(course):
    key = answerkey.key_lines(course)
    new, n = answerkey.redact(f"### BEGIN SOLUTION\n{KEY_LINE}\n### END HIDDEN TESTS", key, own=frozenset([KEY_LINE]))
    assert n == 0 and KEY_LINE in new and "BEGIN SOLUTION" not in new and "END HIDDEN TESTS" not in new


def test_outputs_are_redacted_in_place_and_the_students_lines_are_theirs(course):
    student = nbformat.v4.new_code_cell("print(open('x').read())\n" + KEY_LINE,
                                        metadata={"nbgrader": {"solution": True, "grade": False, "locked": False}})
    student.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{HIDDEN_LINE}\n{KEY_LINE}\n"),
                       nbformat.v4.new_output("execute_result", data={"text/plain": repr(HIDDEN_LINE),
                                                                      "text/html": html.escape(HIDDEN_LINE)}),
                       nbformat.v4.new_output("error", ename="E", evalue=HIDDEN_LINE, traceback=[HIDDEN_LINE])]
    cells = [student]
    n = answerkey.redact_outputs(cells, answerkey.key_lines(course), answerkey.own_lines(cells))
    dumped = json.dumps(cells)
    assert n == 5 and "hidden=True" not in dumped
    assert KEY_LINE in student.outputs[0]["text"]  # the student wrote it: not a leak to them


def test_markers_in_a_students_code_cannot_break_feedback():
    cell = nbformat.v4.new_code_cell('if "BEGIN HIDDEN TESTS" in s or "### END SOLUTION" in s:\n    pass',
                                     metadata={"nbgrader": {"solution": True, "locked": False}})
    locked = nbformat.v4.new_code_cell(TESTS, metadata={"nbgrader": {"grade": True, "locked": True}})
    answerkey.defuse_markers([cell, locked])
    assert "BEGIN HIDDEN TESTS" not in cell.source and "END SOLUTION" not in cell.source
    assert f"BEGIN{answerkey.NBSP}HIDDEN TESTS" in cell.source
    assert locked.source == TESTS  # the instructor's regions stay for ClearHiddenTests
