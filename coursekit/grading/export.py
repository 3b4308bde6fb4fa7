"""Every grade of the gradebook as a CSV file that Canvas or Moodle imports (`coursekit export --format`).

    write_lms_csv(course, "canvas", "grades-canvas.csv")    # or "moodle"

Both files have one row per student of the gradebook (by student id) and one column per assignment
(by name), holding the student's total score of that assignment as a plain number (`g` format). A
student with no submission of an assignment has no grade there: never a 0 made up.

Canvas (Grades > Import), the layout of Canvas's own gradebook export, as its GradebookImporter
(canvas-lms, app/models/gradebook_importer.rb) reads it:

    Student,ID,SIS User ID,SIS Login ID,Section,01_neurons,02_activations
    Points Possible,,,,,12,10
    "Lovelace, Ada",,ada,ada,,11.5,
    Student: "Last, First" (as Canvas writes it), else the one name known, else the student id.
    ID: empty (Canvas's own user number; nbgrader does not know it). Section: empty (the column must
    be there; an empty one is accepted). A student's cell with no submission is empty (no grade).

  Canvas matches each row to a student of the course by ID, else by SIS User ID, else by SIS Login
  ID (both hold the nbgrader student id, so the ids of the course folder must be the login or SIS
  ids the students have in Canvas), else by the name in Student; Canvas lists the rows it cannot
  match on its import page. An assignment column is titled with the plain assignment name, as a
  new column is: it updates the Canvas assignment of exactly that title, or creates one worth the
  points of the "Points Possible" row (the nbgrader maximum). Canvas's own export titles its
  columns "Name (123)", 123 being the assignment's Canvas id.

Moodle (Grades > Import > CSV file), its gradeimport_csv plugin (grade/import/csv/classes/load_data.php):

    Username,Email address,01_neurons,02_activations
    ada,ada@example.org,11.5,-
    Username: the nbgrader student id. Email address: the gradebook's, empty where it has none.
    A cell with no submission is "-", Moodle's "no grade" (an empty cell of a column imported as a
    new grade item is stored as 0).

  Moodle matches students through the mapping chosen on import: map from "Username" to
  "username" (or from "Email address" to "useremail" when every student has one; a row whose
  user is not found stops the whole import), then map each assignment column to its grade item or
  to "new grade item" (created with Moodle's default maximum of 100; create the items first to
  keep the nbgrader maximum).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass

from .course import Course, CourseError

FORMATS = ("canvas", "moodle")
MOODLE_NO_GRADE = "-"


@dataclass(frozen=True)
class Person:
    """A student of the gradebook: id and the optional name and email nbgrader keeps."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Grades:
    """assignments: (name, max score) by name; students by id; scores: (student id, assignment) ->
    total score of a submission (no key: no submission)."""

    assignments: tuple
    students: tuple
    scores: dict


def read_grades(gb) -> Grades:
    """The grades of an nbgrader Gradebook, in a deterministic order (student id, assignment name);
    CourseError when it has no assignment or no student yet."""
    from nbgrader.api import MissingEntry

    assignments = sorted((a.name, float(a.max_score or 0)) for a in gb.assignments)
    students = sorted((Person(s.id, s.first_name or "", s.last_name or "", s.email or "") for s in gb.students),
                      key=lambda p: p.id)
    if not assignments or not students:
        missing = "assignments" if not assignments else "students"
        raise CourseError(f"the gradebook has no {missing} yet: release and autograde an assignment first")
    scores = {}
    for p in students:
        for name, _ in assignments:
            try:
                scores[p.id, name] = float(gb.find_submission(name, p.id).score)
            except MissingEntry:
                continue
    return Grades(tuple(assignments), tuple(students), scores)


def number(x: float) -> str:
    """A score as a plain number: 12, 11.5, 0.25."""
    return format(x, "g")


def _score_cells(grades: Grades, student: str, missing: str) -> list:
    return [number(grades.scores[student, a]) if (student, a) in grades.scores else missing
            for a, _ in grades.assignments]


def canvas_name(p: Person) -> str:
    """Canvas's Student column: "Last, First", else the one name known, else the student id."""
    return ", ".join(n for n in (p.last_name, p.first_name) if n) or p.id


def canvas_rows(grades: Grades) -> list:
    """Header (Student, ID, SIS User ID, SIS Login ID, Section, assignments), the Points Possible
    row, one row per student (see the module docstring)."""
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *(a for a, _ in grades.assignments)],
            ["Points Possible", "", "", "", "", *(number(m) for _, m in grades.assignments)]]
    for p in grades.students:
        rows.append([canvas_name(p), "", p.id, p.id, "", *_score_cells(grades, p.id, "")])
    return rows


def moodle_rows(grades: Grades) -> list:
    """Header (Username, Email address, assignments), one row per student (see the module docstring)."""
    rows = [["Username", "Email address", *(a for a, _ in grades.assignments)]]
    for p in grades.students:
        rows.append([p.id, p.email, *_score_cells(grades, p.id, MOODLE_NO_GRADE)])
    return rows


ROWS = {"canvas": canvas_rows, "moodle": moodle_rows}


def write_rows(path, rows) -> None:
    """Rows as a UTF-8 CSV file."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def write_lms_csv(course: Course, fmt: str, path) -> None:
    """The course's gradebook as the import CSV of `fmt` (one of FORMATS) in `path`."""
    with course.gradebook() as gb:
        grades = read_grades(gb)
    write_rows(path, ROWS[fmt](grades))
