"""Student code runs where the course is invisible (coursekit.grading.isolation), and feedback never carries
the answer key (coursekit.grading.answerkey), whatever got past the sandbox.

The hostile answers of tests/mutants/01_neurons (hostile_read_answer_key, _walk_root,
_absolute_paths, _read_gradebook, _read_other_student, _write_source, _socket) go through the
sequential pipeline in test_pipeline.py (full marks for their correct function, the flags their
files declare, feedback without hidden tests); here they go through Dask workers, and the
feedback of every one of them is searched for the key of every assignment."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_helpers import ROOT, answers, cli, make_course, submit_answers  # noqa: E402

from coursekit.grading import answerkey, isolation  # noqa: E402

ASSIGNMENT = "01_neurons"
SNOOPS = sorted(a.name for a in answers(ASSIGNMENT) if a.flags & {"forbidden path", "network"})


_cli = cli


# ------------------------------------------------------------------ the sandbox itself

@pytest.fixture(scope="module")
def iso():
    return isolation.detect()


def _in_sandbox(iso, code: str, **kw):
    return subprocess.run(iso.wrap([sys.executable, "-I", "-c", code], **kw), capture_output=True, text=True,
                          timeout=60, check=False)


def test_as_root_student_code_runs_as_an_unprivileged_user(iso):
    assert os.geteuid() != 0 or (iso.kind == "user+bwrap" and iso.user == "nobody")
    run = _in_sandbox(iso, "import os; print(os.getuid(), os.getcwd()); open('/etc/shadow')")
    uid = iso.uid_gid()[0]
    assert run.stdout.split()[:2] == [str(uid), isolation.SCRATCH]
    assert uid != 0 and "PermissionError" in run.stderr


def test_the_course_and_homes_do_not_exist_there_and_only_tmp_is_writable(iso, tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "source" / "key.txt").write_text("the answer")
    code = (f"import os\nfor p in [{str(course)!r}, '/root', '/home', '/srv', {str(ROOT / 'assignments')!r}]:\n"
            "    print(p, os.path.exists(p))\n"
            "open('/tmp/work/mine.txt', 'w').write('ok')\n"
            "for p in ['/usr/evil', '/evil', " + repr(str(ROOT / "coursekit" / "evil.py")) + "]:\n"
            "    try:\n        open(p, 'w')\n        print(p, 'WRITTEN')\n"
            "    except OSError as e:\n        print(p, type(e).__name__)\n")
    run = _in_sandbox(iso, code)
    assert run.returncode == 0, run.stderr
    assert "True" not in run.stdout and "WRITTEN" not in run.stdout, run.stdout
    assert not (ROOT / "coursekit" / "evil.py").exists()


def test_there_is_no_network(iso):
    run = _in_sandbox(iso, "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=3)\n"
                           "    print('CONNECTED')\nexcept OSError as e:\n    print(type(e).__name__)")
    assert "CONNECTED" not in run.stdout and run.stdout.strip()


def test_the_environment_keeps_no_secret():
    env = isolation.student_env({"PATH": "/usr/bin", "COURSEKIT_DB_URL": "postgresql://u:pw@h/db", "AWS_SECRET": "x",
                                 "OMP_NUM_THREADS": "1", "COURSEKIT_DEVICE": "cpu", "JPY_PARENT_PID": "1"})
    assert env == {"PATH": "/usr/bin", "OMP_NUM_THREADS": "1", "COURSEKIT_DEVICE": "cpu", "JPY_PARENT_PID": "1"}


# ------------------------------------------------------------------ through the pipeline

@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    course = make_course(tmp_path_factory.mktemp("isolation") / "course")
    res = _cli("--course", str(course), "release", ASSIGNMENT)
    assert res.returncode == 0, res.stdout + res.stderr
    return course


def _submit(course, names):
    submit_answers(course, ASSIGNMENT, {"solution": None, **{name: name for name in names}})
    return {a.name: a for a in answers(ASSIGNMENT)}


@pytest.mark.pipeline
def test_snooping_submissions_on_dask_workers_are_denied_flagged_and_leak_nothing(released, tmp_path):
    assert len(SNOOPS) >= 7, SNOOPS
    course = tmp_path / "course"
    shutil.copytree(released, course)
    by_name = _submit(course, SNOOPS)
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--workers", "2", "--device", "cpu")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "student code runs in: bubblewrap" in res.stdout
    report = {s["student"]: s for s in json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())["students"]}
    for name in SNOOPS:  # each loses only what its own code loses: nothing
        assert report[name]["status"] == "graded" and report[name]["score"] == report[name]["max_score"] > 0, name
    found = {}
    with open(course / "reports" / f"{ASSIGNMENT}.integrity.csv") as f:
        import csv

        for row in csv.DictReader(f):
            found.setdefault(row["student"], set()).add(row["kind"])
    assert found == {name: by_name[name].flags for name in SNOOPS}  # the solution has nothing to look at

    fb = _cli("--course", str(course), "feedback", ASSIGNMENT)
    assert fb.returncode == 0, fb.stdout + fb.stderr
    key = answerkey.key_lines(ROOT / "assignments")  # every assignment's solutions and hidden tests
    assert len(key) > 100
    for name in SNOOPS:
        page = (course / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        own = answerkey.own_lines(nbformat.read(course / "autograded" / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                                                as_version=4).cells)  # their answer is the solution's
        leaked = [ln for ln in key if ln not in own and (ln in page or answerkey.html.escape(ln) in page)]
        assert not leaked, (name, leaked[:3])
        assert "BEGIN SOLUTION" not in page and "BEGIN HIDDEN TESTS" not in page


@pytest.mark.pipeline
def test_a_leak_planted_past_the_sandbox_is_redacted_from_the_feedback(released, tmp_path):
    """The second line of defence on its own: an autograded notebook whose output carries the
    source's solutions and hidden tests (as if the sandbox had let them through) gets feedback
    without them, and the integrity report names it."""
    course = tmp_path / "course"
    shutil.copytree(released, course)
    _submit(course, [])
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu")
    assert res.returncode == 0, res.stdout + res.stderr
    graded = course / "autograded" / "solution" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(graded, as_version=4)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    other = nbformat.read(ROOT / "assignments" / "source" / "05_gradient_descent" / "05_gradient_descent.ipynb",
                          as_version=4)
    leak = "\n\n".join(c.source for c in [*source.cells, *other.cells]
                       if "BEGIN SOLUTION" in c.source or "BEGIN HIDDEN TESTS" in c.source)
    first = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("locked"))
    first.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=leak))
    first.outputs.append(nbformat.v4.new_output("display_data", data={"text/html": f"<pre>{answerkey.html.escape(leak)}</pre>"}))
    nbformat.write(nb, graded)
    assert (course / "source" / "05_gradient_descent").is_dir()  # the key of every assignment is the course's

    fb = _cli("--course", str(course), "feedback", ASSIGNMENT, "--student", "solution")
    assert fb.returncode == 0, fb.stdout + fb.stderr
    page = (course / "feedback" / "solution" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    own = answerkey.own_lines(nb.cells)
    key = [ln for ln in answerkey.key_lines(course) if ln not in own]
    assert not [ln for ln in key if ln in page or answerkey.html.escape(ln) in page]
    assert answerkey.REDACTED in page
    from coursekit.grading.course import Course
    from coursekit.grading.driver import write_report

    write_report(Course(course), ASSIGNMENT)
    rows = (course / "reports" / f"{ASSIGNMENT}.integrity.csv").read_text()
    assert "solution,answer key in output" in rows


def test_without_bubblewrap_autograde_refuses_unless_told_unsafe(released, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released, course)
    _submit(course, [])
    nobwrap = tmp_path / "bin"
    nobwrap.mkdir()
    env = {"PATH": f"{nobwrap}{os.pathsep}{Path(sys.executable).parent}"}
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu", env=env)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot be isolated" in lines[0] and "--unsafe-same-user" in lines[0], res.stderr
    assert not (course / "autograded").exists()
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu", "--unsafe-same-user", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "student code runs in: NONE" in res.stdout and "1 graded, 0 failed" in res.stdout
