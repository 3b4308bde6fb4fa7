# nbgrader configuration of the course. nbgrader reads it from the current directory, so run
# nbgrader from assignments/ (the `coursekit` command does). Every path is relative to this file,
# so a copy of the folder (the pipeline tests use one) is a complete, independent course.
import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

HERE = os.path.dirname(os.path.abspath(__file__))

# --- the course folder: source/, release/, submitted/, autograded/, feedback/ live here
c.CourseDirectory.course_id = "dl-from-scratch"
c.CourseDirectory.root = HERE
# the gradebook: SQLite in this folder, or the database of $COURSEKIT_DB_URL (`coursekit --db-url`), e.g.
# postgresql+psycopg2://grader@dbhost/gradebook for many graders or machines (pip install psycopg2-binary)
c.CourseDirectory.db_url = os.environ.get("COURSEKIT_DB_URL") or "sqlite:///" + os.path.join(HERE, "gradebook.db")
# Assignments enter the gradebook on `coursekit release` (GenerateAssignment.create_assignment),
# students on their first autograde (Autograde.create_student); add a roster with
# `nbgrader db student add ID --first-name ... --last-name ...` (run in assignments/).
c.GenerateAssignment.create_assignment = True
c.Autograde.create_student = True

# --- the exchange (release / fetch / submit / collect): inside the course folder, or the folder of
# $COURSEKIT_EXCHANGE (a class hub's: `coursekit --hub-root DIR` sets it). `coursekit release` and
# `coursekit doctor` create it world-writable. The student's side, JupyterLab's Assignments panel,
# reads it (and the course id) from here through the repository's root nbgrader_config.py.
c.Exchange.root = os.environ.get("COURSEKIT_EXCHANGE") or os.path.join(HERE, "exchange")

# --- `coursekit collect --zip`: files downloaded from an LMS, put in downloaded/<assignment>/archive/
# (zip files of them are extracted), named <student>_<notebook>.ipynb, e.g. alice_01_neurons.ipynb
# (student ids without "_"); the file's modification time becomes the submission time.
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+\.ipynb)$"

# --- the student version
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# --- autograding
c.Execute.timeout = 60  # seconds per cell; an endless loop scores 0 after this
c.OverwriteCells.add_missing_cells = True  # a deleted test cell is restored and scored
# nbgrader's default sanitizing, plus: a cell with forged or damaged nbgrader metadata (an id the
# gradebook does not know) becomes a plain student cell instead of crashing nbgrader
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "coursekit.grading.preprocessors.ForgetUnknownCells",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# nbgrader 0.9.6's default list, with the coursekit re-run inserted right after Execute: every
# test cell is run again in a fresh process where the answer cells exist only in a sandbox, and a
# test cell scores only when BOTH the kernel run and that re-run pass (coursekit/grading/preprocessors.py).
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "coursekit.grading.preprocessors.Regrade",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Regrade.timeout = 60  # seconds per check() of the re-run before the sandbox is killed

# --- feedback: no hidden tests, grade-cell tracebacks cut to "ename: evalue", no answer key in any output
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "coursekit.grading.preprocessors.NameMistakes",  # the known mistake of each lost cell, as a typed field
    "coursekit.grading.preprocessors.RedactAnswerKey",  # the solutions' and hidden tests' text, wherever it shows
    "nbgrader.preprocessors.ClearHiddenTests",
    "coursekit.grading.preprocessors.CutGradeCellTracebacks",
]
c.RedactAnswerKey.course_root = HERE
c.GenerateFeedback.exporter_class = "coursekit.grading.feedback.FeedbackExporter"  # math as MathML, no CDN
