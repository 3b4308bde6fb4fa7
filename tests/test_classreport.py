"""The class report (`coursekit report`, coursekit/grading/classreport.py) on a small course folder
whose autograde reports are written by hand: counts, ranking, pass rates, the CSV, no student id in
the per-cell part, escaping; then the page in headless Chromium."""
from __future__ import annotations

import csv
import json
import re

import pytest

from coursekit.grading import classreport
from coursekit.grading.course import Course, CourseError

SIGN = "AssertionError: a_backward is wrong on 3 of 5 cases. This looks like sign flipped: your gradient points uphill."
DOUT = "AssertionError: a_backward is wrong. This looks like dout forgotten: multiply by dout."
EVIL = '<script>alert("x")</script> & co'  # a mistake name with markup in it


def _cell(score, max_score, mistake="", message="", kinds=()):
    return {"score": score, "max_score": max_score, "message": message, "kinds": list(kinds), "mistake": mistake}


def _student(student, status, cells, reason=""):
    score = sum(c["score"] or 0 for c in cells.values())
    return {"student": student, "status": status, "score": score, "max_score": sum(c["max_score"] for c in cells.values()),
            "kind": "kernel died" if status == "failed" else "", "reason": reason, "cells": cells}


def _intro() -> dict:
    """01_intro: test_a_forward (2 points) and test_a_backward (3); 7 graded students, 1 failed, 1 ungraded."""
    def cells(fwd, bwd):
        return {"test_a_forward": fwd, "test_a_backward": bwd}

    full_f, full_b = _cell(2.0, 2.0), _cell(3.0, 3.0)
    return {"assignment": "01_intro", "students": [
        _student("alice", "graded", cells(full_f, _cell(0.0, 3.0, "sign flipped", SIGN, ["wrong answer"]))),
        _student("bob", "graded", cells(
            _cell(0.0, 2.0, "the bias left out", "AssertionError: a_forward is wrong: add the bias.", ["wrong answer"]),
            _cell(0.0, 3.0, "sign flipped", "AssertionError: bob flipped the sign", ["wrong answer"]))),
        _student("carol", "graded", cells(
            {"score": 0.0, "max_score": 2.0, "message": "AssertionError: a_forward is wrong", "kinds": ["wrong answer"]},
            _cell(0.0, 3.0, "", "AssertionError: a_backward calls torch", ["forbidden call"]))),
        _student("dave", "graded", cells(
            _cell(0.0, 2.0, "a float32 result", "AssertionError: the result of dave is float32", ["wrong answer"]),
            _cell(0.0, 3.0, "sign flipped", "AssertionError: dave, the sign", ["wrong answer"]))),
        _student("heidi", "graded", cells(full_f, _cell(0.0, 3.0, "dout forgotten", DOUT, ["wrong answer"]))),
        _student("ivan", "graded", cells(
            _cell(0.0, 2.0, EVIL, '<b>bold</b> & "quoted"', ["wrong answer"]),
            _cell(0.0, 3.0, "dout forgotten", DOUT, ["wrong answer"]))),
        _student("g<b>", "graded", cells(full_f, full_b)),
        _student("erin", "failed", cells(_cell(0.0, 2.0), _cell(0.0, 3.0)), "the kernel died"),
        _student("frank", "ungraded", {}, "not autograded yet"),
    ]}


def _next() -> dict:
    """02_next: one cell, test_b (1 point)."""
    return {"assignment": "02_next", "students": [
        _student("alice", "graded", {"test_b": _cell(1.0, 1.0)}),
        _student("bob", "graded", {"test_b": _cell(0.0, 1.0, "off by one", "AssertionError: b is off by one")}),
        _student("carol", "graded", {"test_b": _cell(0.0, 1.0, "", "NameError: name 'x' is not defined", ["error"])}),
        _student("erin", "graded", {"test_b": _cell(1.0, 1.0)}),
        _student("g<b>", "graded", {"test_b": _cell(1.0, 1.0)}),
    ]}


STUDENTS = ("alice", "bob", "carol", "dave", "heidi", "ivan", "g<b>", "erin", "frank")


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    reports = root / "reports"
    reports.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (reports / "01_intro.json").write_text(json.dumps(_intro()))
    (reports / "02_next.json").write_text(json.dumps(_next()))
    # what else lies in reports/: none of it is a report
    (reports / "01_intro.csv").write_text("student,status\n")
    (reports / "01_intro.integrity.csv").write_text("student,kind,where,detail\n")
    (reports / "notes.json").write_text(json.dumps([1, 2, 3]))
    (reports / "broken.json").write_text("{not json")
    (reports / "03_other.json").write_text(json.dumps({"assignment": "not 03_other", "students": []}))
    (reports / "01_intro.class.json").write_text(json.dumps(_intro()))
    return Course(root)


def _by_id(stats):
    return {st.grade_id: st for st in stats}


def test_only_the_autograde_reports_are_read(course):
    assert sorted(classreport.read_reports(course.root / "reports")) == ["01_intro", "02_next"]


def test_counts_pass_rates_and_ranking(course):
    stats = _by_id(classreport.cell_stats(_intro()))
    bwd, fwd = stats["test_a_backward"], stats["test_a_forward"]
    # 7 graded: erin (failed) and frank (ungraded) are counted apart, not as wrong answers
    assert (bwd.graded, bwd.passed, bwd.lost, bwd.not_graded, bwd.submissions) == (7, 1, 6, 2, 9)
    assert (fwd.graded, fwd.passed, fwd.lost, fwd.not_graded) == (7, 3, 4, 2)
    assert bwd.ranked() == [("sign flipped", 3), ("dout forgotten", 2)]
    assert bwd.unnamed == 1 and bwd.unnamed_kinds == {"forbidden call": 1}
    # ties by name; a report cell without the `mistake` key (written before mistakes were named) is unnamed
    assert fwd.ranked() == [(EVIL, 1), ("a float32 result", 1), ("the bias left out", 1)]
    assert fwd.unnamed == 1 and fwd.unnamed_kinds == {"wrong answer": 1}
    assert sorted(bwd.scores) == [0.0] * 6 + [3.0]


def test_an_example_diagnosis_names_no_student(course):
    stats = _by_id(classreport.cell_stats(_intro()))
    # the first message that names nobody (bob's and dave's name themselves)
    assert stats["test_a_backward"].examples["sign flipped"] == SIGN
    # the only one names its student: the id is cut out
    assert stats["test_a_forward"].examples["a float32 result"] == "AssertionError: the result of <student> is float32"


def test_progress_and_struggles_across_assignments(course):
    reports = classreport.read_reports(course.root / "reports")
    prog = classreport.progress(reports)
    assert prog["alice"] == {"01_intro": pytest.approx(2 / 5), "02_next": 1.0}
    assert prog["erin"] == {"01_intro": 0.0, "02_next": 1.0}  # failed counts 0
    assert prog["frank"] == {}  # ungraded: no value
    ranked = [(st.assignment, st.grade_id, st.lost, st.graded) for st in classreport.struggles(reports)]
    assert ranked == [("01_intro", "test_a_backward", 6, 7), ("01_intro", "test_a_forward", 4, 7),
                      ("02_next", "test_b", 2, 5)]


def _csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_the_csv(course):
    html_path, csv_path = classreport.write(course, "01_intro")
    assert (html_path, csv_path) == (course.root / "reports" / "01_intro.class.html",
                                     course.root / "reports" / "01_intro.class.csv")
    rows = _csv(csv_path)
    assert list(rows[0]) == list(classreport.CSV_COLUMNS)
    assert {r["assignment"] for r in rows} == {"01_intro"}  # this assignment's cells only
    bwd = [r for r in rows if r["grade_id"] == "test_a_backward"]
    assert [(r["row"], r["mistake"], r["score"], r["students"], r["of"]) for r in bwd] == [
        ("passed", "", "", "1", "7"),
        ("score", "", "0", "6", "7"), ("score", "", "3", "1", "7"),
        ("mistake", "sign flipped", "", "3", "7"), ("mistake", "dout forgotten", "", "2", "7"),
        ("unnamed failure", "", "", "1", "7"),
        ("not graded", "", "", "2", "9")]
    assert all(r["max_score"] == "3" for r in bwd)
    assert bwd[0]["share"] == f"{1 / 7:.4f}"
    assert bwd[3]["example"] == SIGN
    fwd = {r["mistake"]: r for r in rows if r["grade_id"] == "test_a_forward" and r["row"] == "mistake"}
    assert fwd[EVIL]["example"] == '<b>bold</b> & "quoted"'  # the CSV holds the text itself
    assert not any(re.search(rf"\b{re.escape(s)}\b", r["example"]) for r in rows for s in STUDENTS)


def _section(page: str, name: str) -> str:
    return re.search(rf'<section id="{name}">(.*?)\n</section>', page, flags=re.DOTALL).group(1)


def test_the_page_names_no_student_per_cell_and_escapes_everything(course):
    html_path, _ = classreport.write(course, "01_intro")
    page = html_path.read_text()
    per_cell = _section(page, "per-cell")
    for s in STUDENTS:  # as text, escaped or not
        for form in {s, s.replace("<", "&lt;").replace(">", "&gt;")}:
            assert not re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", per_cell), s
    across = _section(page, "across")
    assert "<td>alice</td>" in across and "<td>g&lt;b&gt;</td>" in across and "<td>g<b></td>" not in page
    assert "this part lists student ids" in across
    assert "<script" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in per_cell
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;" in per_cell
    assert "http://" not in page and "https://" not in page  # one offline file
    assert page.count('<img class="plot"') == 2 + 2  # a score distribution per cell, progress, struggles
    assert "Passed (full marks): <b>1 of 7</b> graded submissions (14%)" in per_cell
    assert "9 submission(s) of 01_intro: 7 graded, 1 failed" in page
    # the ranked table of a cell, most students first, then the unnamed failures
    table = re.search(r'id="cell-test_a_backward">.*?(<table class="mistakes ranked">.*?</table>)', page,
                      flags=re.DOTALL).group(1)
    assert re.findall(r'<tr class="mistake"><td class="n">(\d)</td><td>([^<]*)</td><td class="n count">(\d+)', table) \
        == [("1", "sign flipped", "3"), ("2", "dout forgotten", "2")]
    assert '<tr class="unnamed"><td></td><td>no known mistake recognised</td><td class="n">1</td>' in table


def test_a_cell_everyone_passed_and_an_assignment_nobody_passed(course):
    report = {"assignment": "02_next", "students": [_student("alice", "graded", {"test_b": _cell(1.0, 1.0)}),
                                                    _student("bob", "failed", {"test_b": _cell(0.0, 1.0)})]}
    (course.root / "reports" / "02_next.json").write_text(json.dumps(report))
    page = classreport.write(course, "02_next")[0].read_text()
    assert "Every graded submission passed this cell." in page and '<table class="mistakes' not in page
    report["students"] = [_student("bob", "failed", {"test_b": _cell(0.0, 1.0)})]
    (course.root / "reports" / "02_next.json").write_text(json.dumps(report))
    page = classreport.write(course, "02_next")[0].read_text()
    assert "No graded submission has this cell yet." in page


def test_cli_report(course, capsys):
    from coursekit.cli import main

    assert main(["--course", str(course.root), "report", "02_next"]) == 0
    out = capsys.readouterr().out
    reports = course.root / "reports"
    assert f"class report of 02_next: {reports / '02_next.class.html'}" in out
    assert str(reports / "02_next.class.csv") in out
    assert (reports / "02_next.class.html").is_file() and (reports / "02_next.class.csv").is_file()


@pytest.mark.parametrize("name", ["09_never", "03_other", "broken"])
def test_cli_report_of_an_assignment_without_a_report_is_one_line(course, capsys, name):
    from coursekit.cli import main

    assert main(["--course", str(course.root), "report", name]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"coursekit report: error: no report of {name} yet"), captured.err
    assert f"run `coursekit autograde {name}` first" in lines[0]
    assert not (course.root / "reports" / f"{name}.class.html").exists()


def test_after_autograde_a_failure_is_said_not_raised(course, monkeypatch):
    """The driver's call: the grades are written already, so a broken class report is a warning
    (raised with COURSEKIT_DEBUG=1, so that it cannot go unnoticed where one looks for it)."""
    said = []
    monkeypatch.delenv("COURSEKIT_DEBUG", raising=False)
    classreport.write_after_autograde(course, "01_intro", said.append)
    assert said == [f"class report: {course.root / 'reports' / '01_intro.class.html'}"]
    said.clear()
    classreport.write_after_autograde(course, "broken", said.append)
    assert len(said) == 1 and said[0].startswith("  warning: the class report was not written (CourseError: ")
    monkeypatch.setenv("COURSEKIT_DEBUG", "1")
    with pytest.raises(CourseError, match="no report of broken yet"):
        classreport.write_after_autograde(course, "broken", said.append)


# ------------------------------------------------------------------------------ in Chromium

@pytest.mark.browser
def test_the_page_in_chromium(course, tmp_path):
    from browser import chromium_page

    html_path, _ = classreport.write(course, "01_intro")
    problems = []
    with chromium_page(timeout_ms=60_000) as page:
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.goto(html_path.as_uri())
        page.wait_for_load_state("load")
        assert page.title() == "Class report: 01_intro"
        plots = page.eval_on_selector_all(
            "img.plot, svg", "els => els.map(e => {const r = e.getBoundingClientRect(); "
            "return {w: r.width, h: r.height, nat: e.naturalWidth ?? 1, done: e.complete ?? true, alt: e.alt}})")
        assert len(plots) == 4, plots
        for p in plots:
            assert p["w"] > 50 and p["h"] > 50 and p["nat"] > 0 and p["done"], p
        tables = page.locator("#per-cell table.mistakes.ranked")
        assert tables.count() == 2
        counts = [[int(t) for t in tables.nth(i).locator("tr.mistake td.count").all_inner_texts()]
                  for i in range(tables.count())]
        assert counts == [[3, 2], [1, 1, 1]]  # test_a_backward, test_a_forward: count order
        names = page.locator("#cell-test_a_backward tr.mistake td:nth-child(2)").all_inner_texts()
        assert names == ["sign flipped", "dout forgotten"]
        assert page.locator("#cell-test_a_forward tr.mistake td:nth-child(2)").first.inner_text() == EVIL  # as text
        assert page.locator("#per-cell table.mistakes").first.is_visible()
        struggles = page.locator("table.struggles tr td:nth-child(2)").all_inner_texts()
        assert struggles == ["test_a_backward", "test_a_forward", "test_b"]
        assert "g<b>" in page.locator("table.progress").inner_text()
        page.screenshot(path=str(tmp_path / "class-report.png"), full_page=True)
    assert not problems, problems
    assert (tmp_path / "class-report.png").stat().st_size > 10_000
