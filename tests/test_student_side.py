"""The student's side of nbgrader on one machine, as `make lab` serves it: the root nbgrader_config.py.

In a copy of the checkout's config files (root and student/ nbgrader_config.py, .gitignore, the course's
config and one assignment's source; a git repository of its own, never the real checkout), the real
components run: the instructor's `coursekit release --exchange`, the student's `nbgrader list`,
`fetch_assignment` and `fetch_feedback` from the repository root, and nbgrader's Lab extension (the
server side of the Assignments panel, `AssignmentList` with the copy as the server root) listing and
submitting. Fetched work and feedback must land in student/, ignored by git; submissions must reach the
course (`coursekit collect`). Autograding is left out (slow, and tested by test_pipeline.py): the
feedback page released is a stand-in for generate_feedback's HTML, next to the real submission's
timestamp and secret, released by the real `nbgrader release_feedback`.

Also `coursekit doctor`'s section on the Assignments panel (`_doctor_lab`): all ok on the real
checkout; a FAIL that names the cause when the root config is missing or points to another exchange
or course, or when the exchange cannot be written.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from coursekit.cli import _doctor_lab, _Findings
from coursekit.grading.course import Course

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "01_neurons"
COURSE_ID = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "assignments")).load_config().CourseDirectory.course_id
CONFIGS = ["nbgrader_config.py", "student/nbgrader_config.py", ".gitignore", "assignments/nbgrader_config.py"]

# What the Assignments panel's server side does, in a process of its own: nbgrader's AssignmentList
# with the checkout as JupyterLab's root folder (sys.argv[1]); an action per further argument.
LAB = """
import json, sys
from nbgrader.server_extensions.assignment_list.handlers import AssignmentList
lab = AssignmentList()
lab.root_dir = sys.argv[1]
out = {"courses": lab.list_courses()}
for action in sys.argv[2:]:
    if action == "submit":
        out["submit"] = lab.submit_assignment(%(course)r, %(assignment)r)
    elif action == "list":
        out["list"] = lab.list_assignments(course_id=%(course)r)
print(json.dumps(out))
""" % {"course": COURSE_ID, "assignment": ASSIGNMENT}


@pytest.fixture
def checkout(tmp_path) -> Path:
    repo = tmp_path / "repo"
    for rel in CONFIGS:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, repo / rel)
    shutil.copytree(ROOT / "assignments" / "source" / ASSIGNMENT, repo / "assignments" / "source" / ASSIGNMENT)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


@pytest.fixture
def env(tmp_path) -> dict:
    """No Jupyter config but the checkout's (an empty config dir), caches in tmp_path, this coursekit."""
    (tmp_path / "jupyter-config").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"JUPYTER_CONFIG_PATH", "COURSEKIT_EXCHANGE"}}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"), JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
               PYTHONPATH=str(ROOT))
    return env


def run(args, cwd: Path, env: dict) -> str:
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, f"{' '.join(map(str, args))} failed:\n{res.stdout}\n{res.stderr}"
    return res.stdout + res.stderr


def nbgrader(repo: Path, env: dict, *args) -> str:
    """`nbgrader ARGS` as the student runs it in a terminal: from the repository root."""
    return run([sys.executable, "-m", "nbgrader", *args], repo, env)


def coursekit(repo: Path, env: dict, *args) -> str:
    return run([sys.executable, "-m", "coursekit", "--course", str(repo / "assignments"), *args], repo, env)


def lab(repo: Path, env: dict, *actions) -> dict:
    out = run([sys.executable, "-c", LAB, str(repo), *actions], repo.parent, env)
    return json.loads(out.strip().splitlines()[-1])


def git_untracked(repo: Path) -> list:
    """Files git would offer to commit (neither tracked, there are none, nor ignored)."""
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True,
                         text=True, check=True).stdout
    return sorted(line[3:] for line in out.splitlines())


def test_a_student_fetches_submits_and_gets_feedback_in_student_folder(checkout, env):
    repo = checkout
    # a fresh clone, nothing released: the panel lists no course, and no error (the root config made the exchange)
    assert lab(repo, env)["courses"] == {"success": True, "value": []}
    assert (repo / "assignments" / "exchange").is_dir()

    coursekit(repo, env, "release", ASSIGNMENT, "--exchange")
    assert f"{COURSE_ID} {ASSIGNMENT}" in nbgrader(repo, env, "list")
    nbgrader(repo, env, "fetch_assignment", ASSIGNMENT)
    fetched = repo / "student" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert fetched.is_file()
    assert not (repo / ASSIGNMENT).exists(), "fetched into the repository root"

    # the Assignments panel sees the course and the fetched copy, and submits it
    seen = lab(repo, env, "list", "submit")
    assert seen["courses"] == {"success": True, "value": [COURSE_ID]}
    fetched_rows = [a for a in seen["list"]["value"] if a["status"] == "fetched"]
    assert [(a["assignment_id"], a["path"]) for a in fetched_rows] == [(ASSIGNMENT, f"student/{ASSIGNMENT}")]
    assert seen["submit"] == {"success": True}, seen["submit"]

    coursekit(repo, env, "collect", ASSIGNMENT)
    (submitted,) = (repo / "assignments" / "submitted").glob(f"*/{ASSIGNMENT}")
    assert (submitted / f"{ASSIGNMENT}.ipynb").is_file()

    # feedback: a stand-in for generate_feedback's page, released and fetched by nbgrader's exchange
    feedback = repo / "assignments" / "feedback" / submitted.parent.name / ASSIGNMENT
    feedback.mkdir(parents=True)
    (feedback / f"{ASSIGNMENT}.html").write_text("<html><body>feedback</body></html>")
    for name in ("timestamp.txt", "submission_secret.txt"):
        shutil.copy(submitted / name, feedback / name)
    run([sys.executable, "-m", "nbgrader", "release_feedback", ASSIGNMENT], repo / "assignments", env)
    nbgrader(repo, env, "fetch_feedback", ASSIGNMENT)
    (page,) = (repo / "student" / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
    assert "feedback" in page.read_text()

    # all of the student's work is ignored by git; only the checkout's own files are left to commit
    assert git_untracked(repo) == sorted(CONFIGS + [f"assignments/source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"])
    assert sorted(p.name for p in repo.iterdir()) == [".git", ".gitignore", "assignments", "nbgrader_config.py",
                                                       "student"]


def test_coursekit_in_the_student_folder_finds_the_course(monkeypatch):
    """student/ and the root hold an nbgrader_config.py too, but no course: coursekit looks past them."""
    monkeypatch.chdir(ROOT / "student")
    assert Course.find().root == ROOT / "assignments"


# ------------------------------------------------------------------ coursekit doctor: the Assignments panel

@pytest.fixture
def jupyter_config(tmp_path, monkeypatch):
    """No Jupyter config folder of the developer's (an nbgrader_config.py there would be read too)."""
    (tmp_path / "jupyter-config").mkdir(exist_ok=True)
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    monkeypatch.delenv("COURSEKIT_EXCHANGE", raising=False)


def doctor_lab(repo: Path, capsys) -> tuple:
    found = _Findings()
    cwd = os.getcwd()
    _doctor_lab(found, Course(repo / "assignments"), repo)
    assert os.getcwd() == cwd
    return found.problems, capsys.readouterr().out


def test_doctor_the_panel_of_the_real_checkout_is_ok():
    res = subprocess.run([sys.executable, "-m", "coursekit", "doctor"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = res.stdout.splitlines()
    start = lines.index(f"JupyterLab's Assignments panel, as `make lab` serves {ROOT}")
    section = list(itertools.takewhile(lambda line: line.startswith("  "), lines[start + 1:]))
    assert len(section) == 3 and all(line.startswith("  ok") for line in section), res.stdout
    assert section[-1].endswith(f"go to {ROOT / 'student'}")


def test_doctor_the_panel_of_a_copy_is_ok(checkout, jupyter_config, capsys):
    problems, out = doctor_lab(checkout, capsys)
    assert problems == [], out
    assert f"exchange {checkout / 'assignments' / 'exchange'}, the course's" in out


def test_doctor_fails_without_the_root_config(checkout, jupyter_config, capsys):
    (checkout / "nbgrader_config.py").unlink()
    problems, out = doctor_lab(checkout, capsys)
    assert len(problems) == 3, out
    assert all(f"{checkout / 'nbgrader_config.py'}, which is missing" in p for p in problems), out
    assert f"course id '', not the course's {COURSE_ID!r}" in problems[0]
    assert "the exchange /usr/local/share/nbgrader/exchange, not the course's" in problems[1]
    assert f"would land in {checkout} itself" in problems[2]


def test_doctor_fails_when_the_root_config_points_elsewhere(checkout, jupyter_config, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    with open(checkout / "nbgrader_config.py", "a") as f:
        f.write(f"c.Exchange.root = {str(elsewhere)!r}\nc.CourseDirectory.course_id = 'another-course'\n")
    problems, out = doctor_lab(checkout, capsys)
    assert len(problems) == 2, out
    assert f"course id 'another-course', not the course's {COURSE_ID!r}" in problems[0]
    assert f"the exchange {elsewhere}, not the course's {checkout / 'assignments' / 'exchange'}" in problems[1]


def test_doctor_fails_when_the_exchange_cannot_be_made(checkout, jupyter_config, tmp_path, monkeypatch, capsys):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("COURSEKIT_EXCHANGE", str(tmp_path / "a-file" / "exchange"))  # no folder can be made there
    problems, out = doctor_lab(checkout, capsys)
    assert problems == [f"the exchange {tmp_path / 'a-file' / 'exchange'} is missing or not writable: "
                        "the panel shows \"Error fetching courses!\""], out


def test_doctor_fails_without_the_student_folder(checkout, jupyter_config, capsys):
    shutil.rmtree(checkout / "student")
    problems, out = doctor_lab(checkout, capsys)
    assert len(problems) == 1 and f"No such file or directory: {checkout / 'student'}" in problems[0], out
