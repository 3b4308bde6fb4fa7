"""A fault of the grader is never a student's 0: warm kernels that cannot start fall back to plain
ones with one warning, and a broken nbgrader leaves the submissions ungraded with the reason, a
non-zero exit and a retry that grades them. (The gradebook that disappears mid-run: test_postgres.)"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_helpers import ROOT, answers, cli, make_course, submit_answers  # noqa: E402

from coursekit.grading.course import Course  # noqa: E402

ASSIGNMENT = "03_losses"
WRONG = "mutant_mse_sum_for_mean"
pytestmark = pytest.mark.pipeline


_cli = cli


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    course = make_course(tmp_path_factory.mktemp("faults") / "course")
    res = _cli("--course", str(course), "release", ASSIGNMENT)
    assert res.returncode == 0, res.stdout + res.stderr
    submit_answers(course, ASSIGNMENT, {"right": None, "wrong": WRONG, "unsolved": "unsolved"})
    return course


def _copy(released, tmp_path, config_lines=()) -> Path:
    course = tmp_path / "course"
    shutil.copytree(released, course)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("\n" + "\n".join(config_lines) + "\n")
    return course


def _report(course) -> dict:
    return {s["student"]: s for s in json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())["students"]}


def _assert_right_grades(course):
    report = _report(course)
    assert report["right"]["status"] == "graded" and report["right"]["score"] == report["right"]["max_score"] > 0
    lost = {g for g, c in report["wrong"]["cells"].items() if c["score"] < c["max_score"]}
    assert report["wrong"]["status"] == "graded" and lost == set(answers_by_name()[WRONG].lose)
    assert report["unsolved"]["status"] == "graded" and report["unsolved"]["score"] == 0


def answers_by_name():
    return {a.name: a for a in answers(ASSIGNMENT)}


@pytest.mark.parametrize("preload", ["no_such_module_anywhere", "exits_at_import"])
def test_warm_kernels_that_cannot_start_fall_back_to_plain_kernels(released, tmp_path, preload):
    """A preload module that is missing, or one that ends the zygote (an unstartable zygote):
    every student is graded as usual, with one warning, and none gets a 0 for it."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "exits_at_import.py").write_text("import os\nos._exit(3)\n")
    course = _copy(released, tmp_path, [f"c.WarmKernelManager.preload = ['numpy', {preload!r}]"])
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu",
               env={"PYTHONPATH": f"{ROOT}{os.pathsep}{lib}"})
    assert res.returncode == 0, res.stdout + res.stderr
    warnings = [ln for ln in res.stdout.splitlines() if "warm kernels unavailable" in ln]
    assert len(warnings) == 1 and "ordinary kernels instead" in warnings[0], res.stdout
    _assert_right_grades(course)


def test_a_broken_nbgrader_leaves_submissions_ungraded_and_a_retry_grades_them(released, tmp_path):
    """nbgrader cannot run (a preprocessor module of the course config is missing): nothing is
    recorded, the report and the command say why, the exit status is 3; fixed, the same command
    grades everyone."""
    course = _copy(released, tmp_path, ['c.Autograde.autograde_preprocessors.append("coursekit.nowhere.Missing")'])
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu")
    assert res.returncode == 3, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "grader fault" in lines[0] and "3 submission(s) not graded" in lines[0], res.stderr
    assert f"`coursekit autograde {ASSIGNMENT}` again" in lines[0]
    assert "NOT GRADED" in res.stdout and "FAILED" not in res.stdout
    report = _report(course)
    assert {r["status"] for r in report.values()} == {"ungraded"}
    assert all(r["reason"].startswith("grader fault") for r in report.values())
    with Course(course).gradebook() as gb:  # no 0 recorded for anyone
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            assert all(g.auto_score is None for nb in sub.notebooks for g in nb.grades), sub.student.id

    shutil.copy(released / "nbgrader_config.py", course / "nbgrader_config.py")
    again = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 to grade" in again.stdout
    _assert_right_grades(course)


def test_without_the_sandbox_a_submission_that_kills_nbgrader_gets_0_and_the_others_are_graded(released, tmp_path):
    """--unsafe-same-user (no sandbox): hostile_kill_grader's forward SIGKILLs nbgrader, which the
    sandbox refuses (tests/mutants/03_losses/hostile_kill_grader.py). Then the driver records that
    student's 0 with the reason, and grades the students after it in a new nbgrader run."""
    course = tmp_path / "course"
    shutil.copytree(released, course)
    submit_answers(course, ASSIGNMENT, {"killer": "hostile_kill_grader"})
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu", "--unsafe-same-user")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "student code runs in: NONE" in res.stdout
    report = _report(course)
    assert report["killer"]["status"] == "failed" and report["killer"]["score"] == 0
    assert "the grading process (nbgrader) was killed by signal 9" in report["killer"]["reason"]
    _assert_right_grades(course)
    assert "grader killed" in (course / "reports" / f"{ASSIGNMENT}.integrity.csv").read_text()
