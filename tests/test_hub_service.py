"""The grading service without a hub: what it takes from the exchange, how it grades (on a Dask
scheduler whose workers are other processes), and what its pages show."""
from __future__ import annotations

import datetime
import os
import pwd
import time
from pathlib import Path

import nbformat
import pytest
from pipeline_helpers import ROOT, cli, make_course, solutions, submission

from coursekit.grading.course import Course
from coursekit.grading.driver import Options
from coursekit.hub.pages import _table
from coursekit.hub.queue import Queue, Submission
from coursekit.hub.service import Grader, Policy
from coursekit.hub.setup import Settings, User

A = "01_neurons"
STUDENT = "root"  # a real OS user who owns what this test writes (the suite runs as root)

pytestmark = [pytest.mark.pipeline, pytest.mark.xdist_group("hub-service")]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("the service's tests own submissions as root (CI and `make test` run as root)")
    tmp = tmp_path_factory.mktemp("serve")
    course = make_course(tmp / "course")
    hub_root = tmp / "hub"
    (hub_root / "exchange").mkdir(parents=True)
    run = cli("--course", str(course), "--hub-root", str(hub_root), "release", A, "--exchange")
    assert run.returncode == 0, run.stdout + run.stderr
    return course, hub_root


def make_grader(course: Path, hub_root: Path, policy=None, opts=None) -> Grader:
    settings = Settings(root=hub_root, course=course, repo=ROOT, users=(User(STUDENT), User("nobody")),
                        course_id="dl-from-scratch")
    return Grader(Course(course), settings, Queue(hub_root / "queue.sqlite"), opts or Options(), policy or Policy())


def drop(grader: Grader, name: str, nb, owner: str | None = None) -> Path:
    """A submission folder as `nbgrader submit` leaves it in the inbound folder."""
    folder = grader.inbound / name
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{A}.ipynb"))
    (folder / "timestamp.txt").write_text(name.split("+")[2])
    (folder / "submission_secret.txt").write_text("s3cret")
    if owner:
        pw = pwd.getpwnam(owner)
        os.chown(folder / f"{A}.ipynb", pw.pw_uid, pw.pw_gid)
    return folder


def solved(course: Path):
    src = nbformat.read(course / "source" / A / f"{A}.ipynb", as_version=4)
    return submission(nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4), solutions(src))


def test_the_service_grades_on_a_dask_scheduler_of_worker_processes_and_releases_the_feedback(released):
    from dask.distributed import LocalCluster

    course, hub_root = released
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        grader = make_grader(course, hub_root, opts=Options(scheduler=cluster.scheduler_address))
        folder = drop(grader, f"{STUDENT}+{A}+2026-12-06 10:00:00.000000 UTC+abc", solved(course))
        assert grader.scan(time.time() + 5) == 1 and not folder.exists()  # out of the exchange at once
        assert (grader.received / folder.name).is_dir()
        assert len(grader.grade_pending()) == 1
    (row,) = [r for r in grader.queue.rows(STUDENT) if r.id == folder.name]
    assert row.status == "graded" and row.score == row.max_score == 5, row
    released_feedback = list((hub_root / "exchange" / "dl-from-scratch" / "feedback").glob("*.html"))
    assert len(released_feedback) == 1 and "5.0" in released_feedback[0].read_text()
    assert grader.errors == []


def test_a_folder_written_by_someone_else_is_rejected_and_never_graded(released):
    course, hub_root = released
    grader = make_grader(course, hub_root)
    drop(grader, f"{STUDENT}+{A}+2026-12-06 11:00:00.000000 UTC+forged", solved(course), owner="nobody")
    assert grader.scan(time.time() + 5) == 1
    row = [r for r in grader.queue.rows(STUDENT) if r.id.endswith("+forged")][0]
    assert row.status == "rejected" and "written by nobody" in row.reason
    assert grader.grade_pending() == []


def test_a_half_written_submission_waits_and_one_after_the_due_date_is_late(released):
    course, hub_root = released
    grader = make_grader(course, hub_root)
    name = f"{STUDENT}+{A}+2026-12-06 12:00:00.000000 UTC+late"
    folder = drop(grader, name, solved(course))
    (folder / "submission_secret.txt").unlink()  # nbgrader writes it last
    assert grader.scan(time.time() + 5) == 0 and folder.exists()
    (folder / "submission_secret.txt").write_text("s3cret")
    assert grader.scan(time.time()) == 0  # changed less than a second ago: still being written, maybe
    past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(days=1)
    with grader.course.gradebook() as gb:
        gb.update_or_create_assignment(A, duedate=past)
    try:
        assert grader.scan(time.time() + 5) == 1
    finally:
        with grader.course.gradebook() as gb:
            gb.update_or_create_assignment(A, duedate=None)
    (row,) = [r for r in grader.queue.rows(STUDENT) if r.id == name]
    assert row.status == "late" and "after the due date" in row.reason


def test_scores_stay_hidden_before_the_due_date_when_the_instructor_says_so(released):
    course, hub_root = released
    # a graded row as the queue holds it (xdist may run the grading test on the other worker)
    rows = [Submission(f"{STUDENT}+{A}+t+x", STUDENT, A, time.time(), "graded", score=5.0, max_score=5.0)]
    future = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(days=7)
    hidden, shown = make_grader(course, hub_root, Policy(scores_before_due=False)), make_grader(course, hub_root)
    with hidden.course.gradebook() as gb:
        gb.update_or_create_assignment(A, duedate=future)
    try:
        assert "hidden until the due date" in _table(hidden, rows, "/p/") and "5 / 5" not in _table(hidden, rows, "/p/")
        assert "5 / 5" in _table(shown, rows, "/p/")
        assert "5 / 5" in _table(hidden, rows, "/p/", everyone=True)  # the instructor's page shows them
        assert hidden.withheld(A) and not shown.withheld(A)  # and the feedback waits for the due date too
        assert not hidden.withheld(A, now=future.replace(tzinfo=datetime.timezone.utc).timestamp() + 1)
    finally:
        with hidden.course.gradebook() as gb:
            gb.update_or_create_assignment(A, duedate=None)


def test_the_managed_service_never_outlives_its_hub(released, tmp_path):
    """As JupyterHub's managed service (JUPYTERHUB_SERVICE_NAME set), `serve` stops once its parent is
    gone, even killed with SIGKILL: a stand-in parent starts it, waits, and is killed."""
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    import psutil
    from browser import free_port

    def http_status(url):
        try:
            return urllib.request.urlopen(url, timeout=5).status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    course, hub_root = released
    port = free_port()
    (tmp_path / "service.py").write_text(
        f"import sys\nsys.path[:0] = [{str(ROOT / 'tests')!r}, {str(ROOT)!r}]\n"
        "from pathlib import Path\nfrom test_hub_service import make_grader\n"
        "from coursekit.hub.service import Policy, serve\n"
        f"g = make_grader(Path({str(course)!r}), Path({str(hub_root)!r}))\n"
        f"serve(g.course, g.settings, g.opts, Policy(poll=0.5), {port})\n")
    (tmp_path / "hub.py").write_text(
        "import os, subprocess, sys, time\n"
        f"log = open({str(tmp_path / 'log')!r}, 'w')\n"
        f"p = subprocess.Popen([sys.executable, {str(tmp_path / 'service.py')!r}], stdout=log, stderr=log,\n"
        "                     env={**os.environ, 'JUPYTERHUB_SERVICE_NAME': 'grader'})\n"
        "print(p.pid, flush=True)\ntime.sleep(600)\n")
    hub = subprocess.Popen([sys.executable, str(tmp_path / "hub.py")], stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(hub.stdout.readline()))
    deadline = time.monotonic() + 90  # it serves while its hub lives (a loaded machine starts it slowly)
    while http_status(f"http://127.0.0.1:{port}/") is None:
        assert child.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline, (tmp_path / "log").read_text()
        time.sleep(0.5)
    hub.send_signal(signal.SIGKILL)
    hub.wait()
    gone, alive = psutil.wait_procs([child], timeout=20)
    for proc in alive:
        proc.kill()
    assert gone, "the service outlived its hub"
