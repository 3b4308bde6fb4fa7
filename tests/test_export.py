"""`coursekit export --format canvas|moodle|csv` on a tiny gradebook made with nbgrader's API (no
nbgrader run): the exact rows of each format, no grade (never 0) where a student has no submission,
the command end to end, a bad format and an empty gradebook as one line of error."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from coursekit import cli
from coursekit.grading.course import Course
from coursekit.grading.export import number, read_grades, write_lms_csv

ROOT = Path(__file__).resolve().parents[1]

# assignment -> notebook grade cells (name -> points); 02 is due first, so nbgrader lists it first
ASSIGNMENTS = {"02_activations": ({"relu": 10}, datetime(2024, 1, 1)),
               "01_neurons": ({"forward": 4, "backward": 8}, datetime(2024, 2, 1))}
# added out of id order; nbgrader lists students by last name, so zed ("Able") comes before ada there
STUDENTS = {"zed": dict(first_name="Zed", last_name="Able", email="zed@example.org"),
            "cyd": dict(first_name="Cyd"),
            "bob": {},
            "ada": dict(first_name="Ada", last_name="Lovelace", email="ada@example.org")}
# (assignment, student) -> cell -> (auto_score, manual_score, extra_credit); absent: no submission
SUBMISSIONS = {("01_neurons", "ada"): {"forward": (4, None, None), "backward": (7.5, None, None)},  # 11.5
               ("02_activations", "ada"): {"relu": (10, None, None)},  # 10
               ("01_neurons", "bob"): {"forward": (0, None, None), "backward": (0, None, None)},  # a real 0
               ("02_activations", "zed"): {"relu": (2, 6.5, 0.5)}}  # the manual score wins: 7

CANVAS = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_neurons", "02_activations"],
          ["Points Possible", "", "", "", "", "12", "10"],
          ["Able, Zed", "", "zed", "zed", "", "", "7"],
          ["Lovelace, Ada", "", "ada", "ada", "", "11.5", "10"],
          ["bob", "", "bob", "bob", "", "0", ""],
          ["Cyd", "", "cyd", "cyd", "", "", ""]]
CANVAS_BY_ID = CANVAS[:2] + sorted(CANVAS[2:], key=lambda r: r[2])

MOODLE = [["Username", "Email address", "01_neurons", "02_activations"],
          ["ada", "ada@example.org", "11.5", "10"],
          ["bob", "", "0", "-"],
          ["cyd", "", "-", "-"],
          ["zed", "zed@example.org", "-", "7"]]


def new_course(root: Path) -> Path:
    """A course folder (the repository's nbgrader_config.py) with no gradebook yet."""
    root.mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", root / "nbgrader_config.py")
    return root


def fill_gradebook(root: Path) -> None:
    """ASSIGNMENTS, STUDENTS and SUBMISSIONS into root/gradebook.db through nbgrader's API."""
    with Gradebook("sqlite:///" + str(root / "gradebook.db")) as gb:
        for name, (cells, due) in ASSIGNMENTS.items():
            gb.add_assignment(name, duedate=due)
            gb.add_notebook(name, name)
            for cell, points in cells.items():
                gb.add_grade_cell(cell, name, name, max_score=points, cell_type="code")
        for sid, info in STUDENTS.items():
            gb.add_student(sid, **info)
        for (name, sid), grades in SUBMISSIONS.items():
            gb.add_submission(name, sid)
            for cell, (auto, manual, extra) in grades.items():
                g = gb.find_grade(cell, name, name, sid)
                g.auto_score, g.manual_score, g.extra_credit = auto, manual, extra
            gb.db.commit()


def read_csv(path) -> list:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module", autouse=True)
def _environment():
    """The course's gradebook.db (not a server's), and this Python's scripts on PATH: nbgrader's
    Gradebook runs `alembic` when it creates a database."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COURSEKIT_DB_URL", raising=False)
        mp.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        yield


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory) -> Path:
    root = new_course(tmp_path_factory.mktemp("export") / "course")
    fill_gradebook(root)
    return root


def test_the_gradebook_is_built_as_intended(course_dir):
    # the fixture itself: nbgrader computes these totals from the grades, and lists things in its own order
    with Gradebook("sqlite:///" + str(course_dir / "gradebook.db")) as gb:
        assert [a.name for a in gb.assignments] == ["02_activations", "01_neurons"]
        assert [s.id for s in gb.students] == ["bob", "cyd", "zed", "ada"]  # by last name, SQLite's NULL first
        assert gb.find_submission("01_neurons", "ada").score == 11.5
        assert gb.find_submission("02_activations", "zed").score == 7
        grades = read_grades(gb)
    assert grades.assignments == (("01_neurons", 12.0), ("02_activations", 10.0))
    assert [p.id for p in grades.students] == ["ada", "bob", "cyd", "zed"]
    assert grades.scores == {("ada", "01_neurons"): 11.5, ("ada", "02_activations"): 10.0,
                             ("bob", "01_neurons"): 0.0, ("zed", "02_activations"): 7.0}


def test_canvas_header_points_possible_and_one_row_per_student(course_dir, tmp_path):
    out = tmp_path / "canvas.csv"
    write_lms_csv(Course.find(course_dir), "canvas", out)
    rows = read_csv(out)
    assert rows == CANVAS_BY_ID
    assert rows[1][0] == "Points Possible" and rows[1][5:] == ["12", "10"]  # nbgrader's maximum per assignment
    assert [r[3] for r in rows[2:]] == ["ada", "bob", "cyd", "zed"]  # SIS Login ID: the student id, in order


def test_moodle_header_and_one_row_per_student(course_dir, tmp_path):
    out = tmp_path / "moodle.csv"
    write_lms_csv(Course.find(course_dir), "moodle", out)
    assert read_csv(out) == MOODLE


@pytest.mark.parametrize("fmt, no_grade", [("canvas", ""), ("moodle", "-")])
def test_no_submission_is_no_grade_never_zero(course_dir, tmp_path, fmt, no_grade):
    out = tmp_path / f"{fmt}.csv"
    write_lms_csv(Course.find(course_dir), fmt, out)
    rows = read_csv(out)
    header = rows[0]
    by_student = {(r[2] if fmt == "canvas" else r[0]): r for r in rows[1:] if r[0] != "Points Possible"}
    cell = lambda sid, a: by_student[sid][header.index(a)]  # noqa: E731
    assert cell("bob", "02_activations") == no_grade  # bob submitted 01 only
    assert cell("bob", "01_neurons") == "0"  # a submission that scored 0 stays 0
    assert [cell("cyd", "01_neurons"), cell("cyd", "02_activations")] == [no_grade, no_grade]  # nothing submitted


def test_scores_are_plain_numbers():
    assert [number(x) for x in (12.0, 11.5, 0.0, 0.25, 1 / 3)] == ["12", "11.5", "0", "0.25", "0.333333"]


def test_cli_canvas_end_to_end(course_dir, tmp_path):
    out = tmp_path / "grades canvas.csv"
    env = {k: v for k, v in os.environ.items() if k != "COURSEKIT_DB_URL"}
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run([sys.executable, "-m", "coursekit", "--course", str(course_dir), "export",
                          "--format", "canvas", "-o", str(out)], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"grades: {out}"
    assert read_csv(out) == CANVAS_BY_ID


def test_cli_moodle_default_file(course_dir, capsys):
    assert cli.main(["--course", str(course_dir), "export", "--format", "moodle"]) == 0
    out = course_dir / "reports" / "grades-moodle.csv"
    assert capsys.readouterr().out.strip() == f"grades: {out}"
    assert read_csv(out) == MOODLE


def test_cli_csv_is_still_nbgraders_export(course_dir, tmp_path):
    # the default format runs `nbgrader export`, as before: its CSV, one row per student and assignment
    out = tmp_path / "grades.csv"
    assert cli.main(["--course", str(course_dir), "export", "-o", str(out)]) == 0
    rows = list(csv.DictReader(open(out, newline="")))
    assert len(rows) == len(STUDENTS) * len(ASSIGNMENTS)
    score = {(r["student_id"], r["assignment"]): float(r["score"]) for r in rows}
    assert score["ada", "01_neurons"] == 11.5 and score["zed", "02_activations"] == 7
    assert score["cyd", "01_neurons"] == 0  # nbgrader's own CSV has 0 for no submission: unchanged


def test_unknown_format_is_an_argparse_choice_error(course_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--course", str(course_dir), "export", "--format", "blackboard"])
    assert exc.value.code == 2
    errors = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
    assert len(errors) == 1
    assert "invalid choice: 'blackboard'" in errors[0] and "'canvas'" in errors[0] and "'moodle'" in errors[0]


def test_no_or_empty_gradebook_is_one_line_of_error(tmp_path, capsys):
    root = new_course(tmp_path / "course")
    for fmt in ("canvas", "moodle"):
        assert cli.main(["--course", str(root), "export", "--format", fmt]) == 1
        assert capsys.readouterr().err == ("coursekit export: error: no gradebook yet: "
                                           "release and autograde an assignment first\n")
    with Gradebook("sqlite:///" + str(root / "gradebook.db")) as gb:
        gb.add_student("ada")  # a student, but no assignment
    for fmt in ("canvas", "moodle"):
        assert cli.main(["--course", str(root), "export", "--format", fmt]) == 1
        assert capsys.readouterr().err == ("coursekit export: error: the gradebook has no assignments yet: "
                                           "release and autograde an assignment first\n")
        assert not (root / "reports" / f"grades-{fmt}.csv").exists()
