"""The whole pipeline once against a real PostgreSQL server that this test starts (Debian's
postgresql: `make test` installs it when missing, through tools/sysdeps): release, submit, autograde on Dask, a forced sequential regrade that must give the same report, feedback,
export, with the gradebook in PostgreSQL (`coursekit --db-url`) and no gradebook.db on disk."""
from __future__ import annotations

import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_helpers import (  # noqa: E402
    ROOT,
    answers,
    cli,
    coursekit_cmd,
    make_course,
    solutions,
    submission,
    submit,
    submit_answers,
)

ASSIGNMENT = "03_losses"
FULL_MARKS = sum(c.metadata["nbgrader"]["points"] for c in nbformat.read(
    ROOT / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4).cells
    if c.metadata.get("nbgrader", {}).get("grade"))


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    assert found, f"{name} not found: install Debian's postgresql (make test does, through tools/sysdeps)"
    return found


@pytest.fixture(scope="module")
def postgres_url():
    """A throw-away PostgreSQL server on a Unix socket; as root, it runs as `nobody` (initdb refuses root)."""
    base = Path(tempfile.mkdtemp(prefix="coursekit-pg-"))
    as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(base, "nobody")
    data = base / "data"
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, text=True,  # noqa: E731
                                       timeout=120)
    run(_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    run(_pg_bin("pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o",
        f"-k {base} -h '' -c fsync=off -c full_page_writes=off", "start")
    try:
        import psycopg2

        conn = psycopg2.connect(host=str(base), user="postgres", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE gradebook")
        conn.close()
        yield f"postgresql+psycopg2://postgres@/gradebook?host={base}", base
    finally:
        subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _cli(*args, url):
    return cli("--db-url", url, *args)


def test_the_whole_pipeline_on_a_postgresql_gradebook(postgres_url, tmp_path):
    url, socket_dir = postgres_url
    course = make_course(tmp_path / "course")
    res = _cli("--course", str(course), "release", ASSIGNMENT, url=url)
    assert res.returncode == 0, res.stdout + res.stderr
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    sols = solutions(nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    by_name = {a.name: a for a in answers(ASSIGNMENT)}
    students = {"right": [], "wrong": by_name["mutant_mse_sum_for_mean"].edits,
                "cheat": by_name["hostile_rebind_check"].edits}
    for student, edits in students.items():
        submit(course, ASSIGNMENT, student, submission(release_nb, sols, edits))

    # graded on Dask (the workers grade in scratch SQLite copies, this client writes to PostgreSQL)
    res = _cli("--course", str(course), "autograde", ASSIGNMENT, "--workers", "2", "--device", "cpu", url=url)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "3 submission(s) in 2 task(s) on 2 Dask worker(s)" in res.stdout
    report = {s["student"]: s for s in json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())["students"]}
    assert report["right"]["status"] == "graded" and report["right"]["score"] == report["right"]["max_score"] > 0
    for student, name in (("wrong", "mutant_mse_sum_for_mean"), ("cheat", "hostile_rebind_check")):
        lost = {g for g, c in report[student]["cells"].items() if c["score"] < c["max_score"]}
        assert lost == set(by_name[name].lose), (student, lost)
    assert "1 to look at: cheat" in res.stdout  # the integrity report, from the PostgreSQL gradebook

    again = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu", "--force", url=url)  # sequential
    assert again.returncode == 0 and json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())["students"] \
        == list(report.values())
    assert _cli("--course", str(course), "feedback", ASSIGNMENT, url=url).returncode == 0
    assert (course / "feedback" / "right" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    out = tmp_path / "grades.csv"
    assert _cli("--course", str(course), "export", "-o", str(out), url=url).returncode == 0
    with open(out, newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["right"]["raw_score"]) == report["right"]["score"]

    assert not (course / "gradebook.db").exists()  # everything went to PostgreSQL
    import psycopg2

    conn = psycopg2.connect(host=str(socket_dir), user="postgres", dbname="gradebook")
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM submitted_assignment")
        assert cur.fetchone()[0] == 3  # one row per student, none duplicated by the rerun
        cur.execute("SELECT count(*) FROM student")
        assert cur.fetchone()[0] == 3
    conn.close()


def test_an_unreachable_database_is_one_line_and_a_nonzero_exit(tmp_path):
    course = make_course(tmp_path / "course")
    res = _cli("--course", str(course), "autograde", ASSIGNMENT,
               url=f"postgresql+psycopg2://grader:secret@/gradebook?host={tmp_path}/nowhere")
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the gradebook database postgresql+psycopg2://***@/gradebook" in lines[0]
    assert "secret" not in res.stderr and "Traceback" not in res.stderr


def _pg_ctl(base: Path, *args):
    as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", str(base / "data"), *args],
                          capture_output=True, text=True, timeout=120, check=True)


def test_a_gradebook_that_disappears_mid_run_costs_no_student_a_grade(postgres_url, tmp_path):
    """The database server stops while students are being graded: the command ends with a grader
    fault (exit 3) naming the gradebook and how to retry; no student has a 0 that is not theirs;
    with the server back, the same command grades exactly the rest, with no duplicate rows."""
    import time

    import psycopg2

    url, socket_dir = postgres_url
    url = url.replace("/gradebook?", "/midrun?")
    conn = psycopg2.connect(host=str(socket_dir), user="postgres", dbname="postgres")
    conn.autocommit = True
    conn.cursor().execute("CREATE DATABASE midrun")
    conn.close()
    course = make_course(tmp_path / "course")
    assert _cli("--course", str(course), "release", ASSIGNMENT, url=url).returncode == 0
    students = [f"s{i}" for i in range(8)]
    submit_answers(course, ASSIGNMENT, dict.fromkeys(students))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(coursekit_cmd("--db-url", url, "--course", str(course), "autograde", ASSIGNMENT,
                                          "--device", "cpu"), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list((course / "autograded").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")):
            assert proc.poll() is None and time.monotonic() < deadline, "grading never started"
            time.sleep(0.05)
        _pg_ctl(socket_dir, "-m", "immediate", "stop")
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        _pg_ctl(socket_dir, "-l", str(socket_dir / "log"), "-w", "-o",
                f"-k {socket_dir} -h '' -c fsync=off -c full_page_writes=off", "start")
    assert proc.returncode == 3, out + err
    assert "grader fault" in err and "gradebook" in err and f"coursekit autograde {ASSIGNMENT}` again" in err, err

    conn = psycopg2.connect(host=str(socket_dir), user="postgres", dbname="midrun")
    with conn, conn.cursor() as cur:  # whatever was stored is a real grade: full marks, never a 0
        cur.execute("SELECT s.student_id, sum(g.auto_score), count(g.auto_score) FROM grade g "
                    "JOIN submitted_notebook n ON g.notebook_id = n.id "
                    "JOIN submitted_assignment s ON n.assignment_id = s.id GROUP BY s.student_id")
        stored = {sid: (score, n) for sid, score, n in cur.fetchall()}
    conn.close()
    for sid, (score, n) in stored.items():
        assert n == 0 or score == FULL_MARKS, (sid, score, n)

    again = _cli("--course", str(course), "autograde", ASSIGNMENT, "--device", "cpu", url=url)
    assert again.returncode == 0, again.stdout + again.stderr
    report = {s["student"]: s for s in json.loads((course / "reports" / f"{ASSIGNMENT}.json").read_text())["students"]}
    assert {s: (r["status"], r["score"]) for s, r in report.items()} == {s: ("graded", FULL_MARKS) for s in students}
    conn = psycopg2.connect(host=str(socket_dir), user="postgres", dbname="midrun")
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT student_id) FROM submitted_assignment")
        assert cur.fetchone() == (len(students), len(students))
    conn.close()


def test_the_hub_service_survives_a_database_restart(postgres_url, tmp_path):
    """The class hub's service grading with the gradebook in PostgreSQL: the database goes down
    mid-way, the grading is a grader fault (queued again, nothing recorded, never a 0); once the
    database is back, the same submission is graded."""
    from test_hub_service import drop, make_grader, solved

    url, base = postgres_url
    course = make_course(tmp_path / "course")
    hub_root = tmp_path / "hub"
    (hub_root / "exchange").mkdir(parents=True)
    res = cli("--db-url", url, "--course", str(course), "--hub-root", str(hub_root), "release", "01_neurons",
              "--exchange")
    assert res.returncode == 0, res.stdout + res.stderr
    grader = make_grader(course, hub_root)
    grader.course.db = url
    name = "root+01_neurons+2026-12-06 09:00:00.000000 UTC+pg"
    drop(grader, name, solved(course))
    assert grader.scan(__import__("time").time() + 5) == 1
    as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    pg_ctl = [*as_user, _pg_bin("pg_ctl"), "-D", str(base / "data")]
    subprocess.run([*pg_ctl, "-m", "fast", "stop"], check=True, capture_output=True, timeout=60)
    try:
        grader.grade_pending()
        (row,) = grader.queue.rows("root")
        assert row.status == "queued" and row.score is None and row.attempts == 1, row  # a fault, retried later
    finally:
        subprocess.run([*pg_ctl, "-l", str(base / "log"), "-w", "-o", f"-k {base} -h '' -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=60)
    grader.grade_pending()
    (row,) = grader.queue.rows("root")
    assert row.status == "graded" and row.score == row.max_score == 5 and row.attempts == 2, row
