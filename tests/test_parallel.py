"""Grading in parallel on Dask (`coursekit autograde --workers N` / `--scheduler`), warm kernels and
the memory limit.

The main test grades one set of submissions twice, in two copies of a course: with stock
sequential `nbgrader autograde` (ordinary kernels, no coursekit driver) and with
`coursekit autograde --workers 2` (Dask, warm kernels, the memory limit). Every submission stock
nbgrader grades must get identical grades; the ones it loses (a dead kernel) must get 0 with a
reason instead.
"""
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
from pipeline_helpers import ROOT, answers, cli, make_course, solutions, submission, submit  # noqa: E402

from coursekit.grading.course import Course  # noqa: E402
from coursekit.grading.dask import groups_of, scored_submissions  # noqa: E402
from coursekit.grading.driver import Options  # noqa: E402
from coursekit.grading.outcomes import Kind  # noqa: E402
from coursekit.grading.procs import run_watched, with_memory_limit  # noqa: E402

ASSIGNMENT = "03_losses"
# every kind of answer, but not the memory bomb: stock nbgrader has no memory limit
CHOSEN = ("mutant_mse_sum_for_mean", "mutant_ce_no_max_subtraction", "mutant_bce_logits_grad_sign",
          "valid_ce_loops", "valid_bce_log1p_clip", "hostile_rebind_check", "hostile_patch_compare",
          "hostile_os_exit", "hostile_segfault", "tamper_delete_test_cell", "tamper_duplicate_cells",
          "tamper_retype_cells")


_cli = cli


def _grades(course: Path) -> dict:
    return scored_submissions(Course(course), ASSIGNMENT)


def _sources(course: Path, student: str) -> list:
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return [(c.cell_type, c.source) for c in nb.cells]


@pytest.fixture(scope="module")
def submitted(tmp_path_factory) -> Path:
    """A released course with the chosen answers (one student each), the solution and the release."""
    course = make_course(tmp_path_factory.mktemp("parallel") / "course")
    res = _cli("--course", str(course), "release", ASSIGNMENT)
    assert res.returncode == 0, res.stdout + res.stderr
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    sols = solutions(nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    by_name = {a.name: a for a in answers(ASSIGNMENT)}
    submit(course, ASSIGNMENT, "solution", submission(release_nb, sols))
    submit(course, ASSIGNMENT, "unsolved", release_nb)
    for name in CHOSEN:
        submit(course, ASSIGNMENT, name, submission(release_nb, sols, by_name[name].edits))
    return course


@pytest.mark.pipeline
def test_dask_workers_grade_exactly_like_stock_sequential_nbgrader(submitted, tmp_path):
    stock, ours = tmp_path / "stock", tmp_path / "ours"
    shutil.copytree(submitted, stock)
    shutil.copytree(submitted, ours)
    run = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], cwd=stock,
                         env=Course(stock).env(), capture_output=True, text=True, timeout=900, check=False)
    res = _cli("--course", str(ours), "autograde", ASSIGNMENT, "--workers", "2", "--device", "cpu")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "14 submission(s) in 2 task(s) on 2 Dask worker(s)" in res.stdout

    by_stock, by_ours = _grades(stock), _grades(ours)
    failed = {a.name for a in answers(ASSIGNMENT) if a.name in CHOSEN and a.failed}
    assert failed == {"hostile_os_exit", "hostile_segfault"}
    assert set(by_stock) == {"solution", "unsolved", *CHOSEN} - failed, run.stdout[-3000:]  # stock lost these
    assert set(by_ours) == {"solution", "unsolved", *CHOSEN}  # we lose nothing
    for student, cells in by_stock.items():
        assert by_ours[student] == cells, student
        assert _sources(ours, student) == _sources(stock, student), student
    report = {s["student"]: s for s in json.loads((ours / "reports" / f"{ASSIGNMENT}.json").read_text())["students"]}
    for student in failed:
        assert report[student]["status"] == "failed" and "kernel died" in report[student]["reason"]
        assert report[student]["score"] == 0
    assert report["solution"]["score"] == report["solution"]["max_score"] > 0
    assert "# ---- " in (ours / "reports" / f"{ASSIGNMENT}.log").read_text()  # the workers' logs, gathered
    fb = _cli("--course", str(ours), "feedback", ASSIGNMENT, "--student", "mutant_mse_sum_for_mean")
    assert fb.returncode == 0, fb.stdout + fb.stderr  # from what the client stored: files and gradebook
    html = (ours / "feedback" / "mutant_mse_sum_for_mean" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "BEGIN HIDDEN TESTS" not in html and "on cpu" in html

    # idempotent: nothing left to grade, the same report
    again = _cli("--course", str(ours), "autograde", ASSIGNMENT, "--workers", "2", "--device", "cpu")
    assert again.returncode == 0 and "0 to grade" in again.stdout
    assert json.loads((ours / "reports" / f"{ASSIGNMENT}.json").read_text())["students"] == list(report.values())

    # a manual score given before a forced regrade survives it, and keeps the cell marked for review
    with Course(ours).gradebook() as gb:
        grade = gb.find_grade("test_mse_loss_forward", ASSIGNMENT, ASSIGNMENT, "solution")
        grade.manual_score = 0.25  # of the cell's 0.5
        gb.db.commit()
    forced = _cli("--course", str(ours), "autograde", ASSIGNMENT, "--workers", "2", "--force",
                  "--student", "solution", "--device", "cpu")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    with Course(ours).gradebook() as gb:
        grade = gb.find_grade("test_mse_loss_forward", ASSIGNMENT, ASSIGNMENT, "solution")
        assert (grade.auto_score, grade.manual_score, grade.needs_manual_grade) == (0.5, 0.25, True)
        assert gb.find_submission(ASSIGNMENT, "solution").score == report["solution"]["max_score"] - 0.25
        assert len(gb.find_assignment(ASSIGNMENT).submissions) == len(CHOSEN) + 2  # no duplicate rows


@pytest.mark.pipeline
def test_a_dask_cluster_of_worker_processes_via_scheduler(submitted, tmp_path):
    """--scheduler: the workers are other processes (as on other machines): everything they need
    travels as bytes; results come back into this course's gradebook."""
    from dask.distributed import LocalCluster

    course = tmp_path / "course"
    shutil.copytree(submitted, course, ignore=shutil.ignore_patterns("submitted"))
    for student in ("solution", "mutant_mse_sum_for_mean"):
        shutil.copytree(submitted / "submitted" / student, course / "submitted" / student)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--scheduler", cluster.scheduler_address,
                   "--device", "cpu")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"on 2 Dask worker(s) at {cluster.scheduler_address}" in res.stdout
    report = {s["student"]: s for s in json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())["students"]}
    assert report["solution"]["score"] == report["solution"]["max_score"] > 0
    lost = {g for g, c in report["mutant_mse_sum_for_mean"]["cells"].items() if c["score"] < c["max_score"]}
    assert lost == set(next(a for a in answers(ASSIGNMENT) if a.name == "mutant_mse_sum_for_mean").lose)


def test_an_unreachable_scheduler_and_bad_options_are_one_line_errors(submitted):
    res = _cli("--course", str(submitted), "autograde", ASSIGNMENT, "--scheduler", "tcp://127.0.0.1:9")
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "cannot reach the Dask scheduler tcp://127.0.0.1:9" in res.stderr
    for bad, words in ((["--workers", "-1"], "--workers"), (["--memory-limit", "-2"], "--memory-limit")):
        res = _cli("--course", str(submitted), "autograde", ASSIGNMENT, *bad)
        assert res.returncode == 1 and res.stderr.count("\n") == 1 and words in res.stderr, res.stderr


def test_groups_cover_every_student_once_in_order():
    students = [f"s{i:02d}" for i in range(41)]
    for workers in (1, 2, 3, 8, 100):
        groups = groups_of(students, workers)
        assert [s for g in groups for s in g] == students
        assert len(groups) <= workers * 2 and len({len(g) for g in groups[:-1]}) <= 1
    assert [len(g) for g in groups_of(students[:40], 2)] == [10, 10, 10, 10]  # two per worker, >= 8 each
    assert [len(g) for g in groups_of(students[:16], 2)] == [8, 8]  # one per worker: start-up costs
    assert [len(g) for g in groups_of(students[:3], 2)] == [2, 1]
    assert groups_of([], 2) == []


def test_memory_limit_turns_a_bomb_into_a_memory_error(tmp_path):
    bomb = [sys.executable, "-c", "hog = []\nwhile True: hog.append(bytearray(2**26))"]
    run = run_watched(bomb, cwd=tmp_path, env=dict(os.environ), timeout=60, memory_limit=2**30)
    assert run.returncode == 1 and "MemoryError" in "".join(run.lines) and not run.killed
    child = [sys.executable, "-c", "import resource; print(resource.getrlimit(resource.RLIMIT_DATA))"]
    inherited = run_watched([sys.executable, "-c", f"import subprocess; subprocess.run({child!r})"],
                            cwd=tmp_path, env=dict(os.environ), timeout=60, memory_limit=3 * 2**30)
    assert "".join(inherited.lines).strip() == f"({3 * 2**30}, {3 * 2**30})"  # children inherit it
    assert with_memory_limit(["x"], None) == ["x"]


def one_cell_notebook(code: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)], metadata={
        "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})


def test_warm_kernels_are_fresh_processes_with_the_asked_cwd_env_and_seed(tmp_path, monkeypatch):
    """Forked kernels (not sandboxed): the imports done, but the working directory, environment and
    numpy seed of their own; an interrupt reaches them; they die with a kill."""
    import asyncio

    from nbclient import NotebookClient

    from coursekit.grading import isolation
    from coursekit.grading.warmkernel import WarmKernelManager

    monkeypatch.setenv(isolation.ENV, isolation.NONE.to_env())

    code = ("import os, sys, numpy as np\n"
            "print(os.getcwd(), os.environ.get('WARM_TEST'), 'torch' in sys.modules, np.random.randint(2**62))")
    nb = one_cell_notebook(code)
    seen = []
    for i in range(2):
        d = tmp_path / f"k{i}"
        d.mkdir()
        os.environ["WARM_TEST"] = f"value{i}"
        try:
            client = NotebookClient(nb, kernel_manager_class=WarmKernelManager, timeout=60,
                                    resources={"metadata": {"path": str(d)}})
            client.execute()
        finally:
            del os.environ["WARM_TEST"]
        cwd, value, has_torch, draw = nb.cells[0].outputs[0]["text"].split()
        assert (cwd, value, has_torch) == (str(d), f"value{i}", "True")
        seen.append(draw)
    assert seen[0] != seen[1]  # reseeded after the fork

    loop = nbformat.v4.new_code_cell("import time\nwhile True: time.sleep(0.01)")
    nb.cells = [loop, nbformat.v4.new_code_cell("print('after')")]
    NotebookClient(nb, kernel_manager_class=WarmKernelManager, timeout=3, allow_errors=True,
                   interrupt_on_timeout=True).execute()
    assert nb.cells[0].outputs[-1]["ename"] == "KeyboardInterrupt" and "after" in nb.cells[1].outputs[0]["text"]

    async def killed():
        km = WarmKernelManager()
        await km.start_kernel()
        assert await km.is_alive()
        await km.shutdown_kernel(now=True)
        return await km.is_alive()

    assert asyncio.run(killed()) is False


def test_a_driver_that_exits_leaves_no_grading_process_behind(tmp_path):
    """Runs watched in other threads (a local Dask cluster's workers) are killed, whole trees, when
    the driver's interpreter exits (Ctrl-C, an error)."""
    pidfile = tmp_path / "grandchild.pid"
    tree = ("import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
            f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(120)")
    driver = ("import sys, threading, time, os\n"
              "from coursekit.grading.procs import run_watched\n"
              f"threading.Thread(target=run_watched, args=([sys.executable, '-c', {tree!r}],), "
              "kwargs=dict(cwd='.', env=dict(os.environ)), daemon=True).start()\n"
              f"while not os.path.exists({str(pidfile)!r}): time.sleep(0.05)\n"
              "time.sleep(0.2)\n")
    run = subprocess.run([sys.executable, "-c", driver], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    import psutil

    pid = int(pidfile.read_text())
    gone = not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert gone, "the grandchild outlived the driver"


def test_a_task_needs_no_disk_of_the_client(submitted, tmp_path):
    """A Dask task's argument is plain data: the group is graded in the worker even when the
    client's course folder is gone (as on another machine), and the result stores back."""
    from coursekit.grading.dask import grade_group, jobs, store

    course = tmp_path / "course"
    shutil.copytree(submitted, course)
    (job,) = jobs(Course(course), ASSIGNMENT, [["solution", "hostile_os_exit"]], Options(student_timeout=120))
    assert str(course) not in repr({k: v for k, v in job.items() if k not in ("course", "gradebook", "submissions")})
    away = tmp_path / "away"
    course.rename(away)
    out = grade_group(job)
    assert set(out["results"]) == {"solution", "hostile_os_exit"}
    assert out["failed"]["hostile_os_exit"].kind == Kind.KERNEL_DIED
    away.rename(course)
    for student, result in out["results"].items():
        store(Course(course), ASSIGNMENT, student, result)
    values = scored_submissions(Course(course), ASSIGNMENT)
    assert all(score == 0 for score, _ in values["hostile_os_exit"]["notebooks"][ASSIGNMENT]["grades"].values())
    assert all(score > 0 for score, _ in values["solution"]["notebooks"][ASSIGNMENT]["grades"].values())


@pytest.mark.pipeline
def test_the_run_time_limit_holds_across_dask_workers(submitted, tmp_path):
    """--timeout with --workers: the deadline travels to the workers; students not graded by then
    are left ungraded (not a 0: the limit is no fault of theirs) with that reason, the command
    exits non-zero, and the next run grades exactly them."""
    course = tmp_path / "course"
    shutil.copytree(submitted, course, ignore=shutil.ignore_patterns("submitted"))
    students = ["solution", "valid_ce_loops", "mutant_mse_sum_for_mean", "hostile_rebind_check"]
    for student in students:
        shutil.copytree(submitted / "submitted" / student, course / "submitted" / student)
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--workers", "2", "--timeout", "4",
               "--device", "cpu")
    assert res.returncode == 3, res.stdout + res.stderr
    assert "grader fault" in res.stderr and f"coursekit autograde {ASSIGNMENT}` again" in res.stderr
    report = {s["student"]: s for s in json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())["students"]}
    assert set(report) == set(students)
    late = [s for s, r in report.items() if r["status"] == "ungraded"]
    assert late, "4 s cannot grade 4 students on 2 workers (each task starts nbgrader and its imports)"
    assert not [s for s, r in report.items() if r["status"] == "failed"]
    for s in late:
        assert "time limit (4 s)" in report[s]["reason"], report[s]
    with Course(course).gradebook() as gb:
        recorded = {sub.student.id for sub in gb.find_assignment(ASSIGNMENT).submissions}
    assert not recorded & set(late), "a student the run did not reach got a row in the gradebook"
    again = _cli("--course", str(course), "autograde", ASSIGNMENT, "--workers", "2", "--device", "cpu")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(late)} to grade" in again.stdout
    report = {s["student"]: s for s in json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())["students"]}
    assert all(r["status"] == "graded" for r in report.values()), report


def test_sandboxed_warm_kernels_start_clean_whatever_the_last_one_left(tmp_path, monkeypatch):
    """In the sandbox, each kernel runs as the grading user in /tmp/work and never meets its
    predecessor: neither its files nor a process it left running (a daemon that double-forked)."""
    from nbclient import NotebookClient

    from coursekit.grading import isolation
    from coursekit.grading.warmkernel import WarmKernelManager

    iso = isolation.detect()
    monkeypatch.setenv(isolation.ENV, iso.to_env())
    code = ("import os, glob, subprocess, sys\n"
            "print(os.getuid(), os.getcwd(), sorted(glob.glob('/tmp/work/*') + glob.glob('/tmp/home/left*')))\n"
            "open('/tmp/work/left.txt', 'w').write('x'); open('/tmp/home/left.txt', 'w').write('x')\n"
            "p = subprocess.Popen([sys.executable, '-c', 'import os, time\\nif os.fork(): os._exit(0)\\n"
            "os.setsid(); time.sleep(300)'], start_new_session=True); p.wait()\n"
            "print(len([q for q in os.listdir('/proc') if q.isdigit() and b'time.sleep(300)' in "
            "open(f'/proc/{q}/cmdline', 'rb').read()]))")
    nb = one_cell_notebook(code)
    seen = []
    for _ in range(2):
        NotebookClient(nb, kernel_manager_class=WarmKernelManager, timeout=60,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        seen.append("".join(o.get("text", "") for o in nb.cells[0].outputs).split("\n"))
    uid = str(iso.uid_gid()[0])
    for lines in seen:
        assert lines[0] == f"{uid} {isolation.SCRATCH} []", lines  # nothing left by the first kernel
    assert seen[0][1] == "1"  # the first kernel's daemon was running...
    assert seen[1][1] == "1"  # ...and when the second started, only its own daemon was
