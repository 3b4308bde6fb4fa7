"""`coursekit autograde ASSIGNMENT --workers N`: submissions graded in parallel on Dask distributed.

    from coursekit.grading.course import Course
    from coursekit.grading.driver import autograde
    autograde(Course.find(), "03_losses", workers=2)                       # a local cluster
    autograde(Course.find(), "03_losses", scheduler="tcp://10.0.0.5:8786")  # machines of a cluster

The pending students are cut into groups, one or two per worker (`groups_of`), and each group is
one Dask task (a task pays a start-up: nbgrader, its imports, the warm-kernel zygote). A task grades its
group in a scratch course of its own on the worker: the course's nbgrader_config.py and the
assignment's sources, a SQLite snapshot of the gradebook's instructor tables (assignment,
notebooks, cells) and the submissions, all shipped as bytes, so a worker needs the same Python
environment but no shared disk. There it runs the sequential driver (`autograde.grade_pending`:
nbgrader autograde, the watchdog, the memory limit, failures recorded with their reason) and sends
back, per student, the autograded files and what nbgrader wrote in the snapshot (auto scores,
auto comments, late penalties, the submission time).

The client is the one writer of the course's gradebook, SQLite or PostgreSQL: it copies those
values in as each task ends, with the rule of nbgrader's SaveAutoGrades for `needs_manual_grade`
(a manual score given before keeps the cell marked for review). A student's grade is stored when
their task ends, so a run stopped half-way loses no finished work.
"""
from __future__ import annotations

import math
import shutil
import socket
import tempfile
import time
import warnings
from pathlib import Path

from sqlalchemy import exc as sa_exc

from . import expectations
from .course import CONFIG, Course, CourseError
from .driver import Options, RunResult, grade_pending
from .outcomes import Failure, Kind

# the gradebook's instructor side: what grading a submission reads (students: see _snapshot)
INSTRUCTOR_TABLES = ("course", "assignment", "notebook", "base_cell", "source_cell", "grade_cells",
                     "solution_cells", "task_cells")
# A task pays a start-up (nbgrader, its imports, the zygote): one group per worker, or two
# (better balance when a slow submission lands in one) once a group still holds >= 8 students.
GROUPS_PER_WORKER, MIN_GROUP_FOR_TWO = 2, 8


# ------------------------------------------------------------------------------------ files

def pack_files(folder: Path) -> dict:
    """{relative path: bytes} of every file under `folder` ({} when it does not exist)."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} \
        if folder.is_dir() else {}


def unpack_files(files: dict, folder: Path) -> None:
    for rel, data in files.items():
        path = Path(folder) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _snapshot(course: Course, students: list) -> bytes:
    """A SQLite gradebook holding the instructor tables of the course's gradebook and the rows of
    `students` (their names, when the roster has them): everything nbgrader autograde reads."""
    import sqlalchemy as sa
    from nbgrader.api import Base

    with tempfile.TemporaryDirectory(prefix="coursekit-snapshot-") as tmp:
        src, dst = sa.create_engine(course.db_url), sa.create_engine(f"sqlite:///{tmp}/gradebook.db")
        try:
            Base.metadata.create_all(dst)
            tables = [t for t in Base.metadata.sorted_tables if t.name in INSTRUCTOR_TABLES + ("student",)]
            with src.connect() as a, dst.begin() as b:
                version = a.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
                b.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
                b.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
                for table in tables:
                    query = table.select()
                    if table.name == "student":
                        query = query.where(table.c.id.in_(students))
                    rows = [dict(r._mapping) for r in a.execute(query)]
                    if rows:
                        b.execute(table.insert(), rows)
        finally:
            src.dispose()
            dst.dispose()
        return Path(tmp, "gradebook.db").read_bytes()


# ------------------------------------------------------------------------------ in a worker

def grade_group(job: dict) -> dict:
    """A Dask task: grade `job["students"]` in a scratch course; returns their results as data."""
    assignment, students = job["assignment"], job["students"]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="coursekit-grade-") as tmp, expectations.shared_folder() as shared:
        root = Path(tmp)
        unpack_files(job["course"], root)
        (root / "gradebook.db").write_bytes(job["gradebook"])
        for s in students:
            unpack_files(job["submissions"][s], root / "submitted" / s / assignment)
        environ = dict(job["environ"])
        if job["expectations"]:  # the client's file of expected answers, verified by its digest
            data, digest = job["expectations"]
            (shared / "expectations.pkl").write_bytes(data)  # where the sandboxed kernels can read it
            environ[expectations.ENV] = f"{shared / 'expectations.pkl'}#{digest}"
        course = Course(root, db=f"sqlite:///{root / 'gradebook.db'}", environ=environ)
        log = root / "grading.log"
        at = job["deadline_at"]  # wall-clock time (time.time()), the same on every machine
        run = grade_pending(course, assignment, list(students), Options(**job["options"]),
                            deadline=None if at is None else time.monotonic() + (at - time.time()), log_path=log)
        results = {s: _result(course, assignment, s) for s in students if s not in run.faults}
        return {"results": results, "failed": run.failed, "faults": run.faults, "log": log.read_text(errors="replace"),
                "worker": socket.gethostname(), "seconds": time.monotonic() - started}


def autograded_values(gb, assignment: str, student: str) -> dict:
    """What autograde wrote in the gradebook `gb` for a submission: its time and, per notebook, the
    late penalty, each grade cell's (auto_score, needs_manual_grade) and each auto comment."""
    sub = gb.find_submission(assignment, student)
    return {"timestamp": sub.timestamp,
            "notebooks": {nb.name: {"late_submission_penalty": nb.late_submission_penalty,
                                    "grades": {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades},
                                    "comments": {c.name: c.auto_comment for c in nb.comments}}
                          for nb in sub.notebooks}}


def scored_submissions(course: Course, assignment: str) -> dict:
    """student -> autograded_values(), for every submission autograde scored (no auto score left
    unset: stock nbgrader leaves them unset when a kernel dies). Used to compare gradebooks."""
    with course.gradebook() as gb:
        values = {sub.student.id: autograded_values(gb, assignment, sub.student.id)
                  for sub in gb.find_assignment(assignment).submissions}
    return {s: v for s, v in values.items()
            if all(x is not None for nb in v["notebooks"].values() for x, _ in nb["grades"].values())}


def _result(course: Course, assignment: str, student: str) -> dict:
    """What grading wrote for `student`: the autograded files and the gradebook's auto values."""
    with course.gradebook() as gb:
        values = autograded_values(gb, assignment, student)
    return {**values, "files": pack_files(course.root / "autograded" / student / assignment)}


# ------------------------------------------------------------------------------- the client

def store(course: Course, assignment: str, student: str, result: dict) -> None:
    """Write one student's result into the course: autograded files, then the gradebook."""
    dest = course.root / "autograded" / student / assignment
    if dest.exists():
        shutil.rmtree(dest)
    unpack_files(result["files"], dest)
    with warnings.catch_warnings(), course.gradebook() as gb:
        warnings.simplefilter("ignore", sa_exc.SAWarning)  # nbgrader's own, once per new submission
        gb.update_or_create_student(student)
        kw = {"timestamp": result["timestamp"]} if result["timestamp"] is not None else {}
        sub = gb.update_or_create_submission(assignment, student, **kw)
        for nb in sub.notebooks:
            got = result["notebooks"][nb.name]
            nb.late_submission_penalty = got["late_submission_penalty"]
            for g in nb.grades:
                g.auto_score, needs = got["grades"][g.name]
                g.needs_manual_grade = needs or g.manual_score is not None  # SaveAutoGrades' rule
            for c in nb.comments:
                c.auto_comment = got["comments"][c.name]
        gb.db.commit()


def _client(workers: int, scheduler: str | None):
    """A Dask client: of the scheduler at `scheduler`, else of a local cluster of `workers` workers
    (threads of this process: the grading itself runs in the nbgrader processes they start)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:
        raise CourseError(f"--workers needs Dask distributed: {e} (pip install 'dask[distributed]')") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="5s"), None
        except (OSError, TimeoutError) as e:
            raise CourseError(f"cannot reach the Dask scheduler {scheduler}: {e}") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                           dashboard_address=None)
    return Client(cluster), cluster


def groups_of(students: list, n_workers: int) -> list:
    """`students` cut, in order, into one group per worker, or GROUPS_PER_WORKER per worker when
    those still hold MIN_GROUP_FOR_TWO students or more."""
    n_workers = max(1, n_workers)
    per_worker = GROUPS_PER_WORKER if len(students) >= n_workers * GROUPS_PER_WORKER * MIN_GROUP_FOR_TWO else 1
    size = max(1, math.ceil(len(students) / (n_workers * per_worker)))
    return [students[i:i + size] for i in range(0, len(students), size)]


def jobs(course: Course, assignment: str, groups: list, opts: Options, *, deadline: float | None = None):
    """The Dask tasks' arguments, one per group: plain data, no path of this machine in them (the
    isolation travels in the environment)."""
    sources = pack_files(course.root / "source" / assignment)
    store = course.environ.get(expectations.ENV, "")
    path, _, digest = store.rpartition("#")
    shared = {
        "assignment": assignment,
        "course": {CONFIG: (course.root / CONFIG).read_bytes(),
                   **{f"source/{assignment}/{k}": v for k, v in sources.items()}},
        "environ": {k: v for k, v in course.env().items()
                    if k.startswith("COURSEKIT_") and k not in ("COURSEKIT_DB_URL", expectations.ENV)},
        "expectations": (Path(path).read_bytes(), digest) if path else None,
        "options": {k: getattr(opts, k) for k in ("force", "student_timeout", "timeout", "memory_limit",
                                                   "warm_kernels")},
    }
    for group in groups:
        yield dict(shared, students=group, gradebook=_snapshot(course, group),
                   submissions={s: pack_files(course.root / "submitted" / s / assignment) for s in group},
                   deadline_at=None if deadline is None else time.time() + deadline - time.monotonic())


def grade_pending_parallel(course: Course, assignment: str, pending: list, opts: Options, *,
                           deadline: float | None = None, log_path=None, say=None) -> RunResult:
    """`autograde.grade_pending` on Dask (`opts.workers` local workers, or the cluster at
    `opts.scheduler`): graded, failed (0 recorded) and left by a grader fault."""
    from dask.distributed import as_completed

    say = say or (lambda msg: None)
    client, cluster = _client(opts.workers, opts.scheduler)
    try:
        n_workers = len(client.scheduler_info()["workers"]) or opts.workers or 1
        groups = groups_of(pending, n_workers)
        say(f"  {len(pending)} submission(s) in {len(groups)} task(s) on {n_workers} Dask worker(s)"
            + (f" at {opts.scheduler}" if opts.scheduler else ""))
        futures = [client.submit(grade_group, job, pure=False)
                   for job in jobs(course, assignment, groups, opts, deadline=deadline)]
        group_of = {f.key: g for f, g in zip(futures, groups)}
        run = RunResult()
        for future in as_completed(futures):
            try:
                out = future.result()
            except Exception as e:  # noqa: BLE001 - a worker lost or a task broken: the grader's fault
                for s in group_of[future.key]:
                    run.faults[s] = Failure.of(Kind.TASK_LOST, error=f"{type(e).__name__}: {e}")
                    say(f"  {s}: NOT GRADED, grader fault, nothing recorded ({run.faults[s].reason})")
                continue
            for s, result in out["results"].items():  # stored at once: a stopped run loses nothing
                store(course, assignment, s, result)
                if s in out["failed"]:
                    run.failed[s] = out["failed"][s]
                    say(f"  {s}: FAILED, recorded 0 ({run.failed[s].reason})")
                else:
                    run.graded.add(s)
            for s, why in out["faults"].items():
                run.faults[s] = why
                say(f"  {s}: NOT GRADED, grader fault, nothing recorded ({why.reason})")
            if log_path is not None:
                with open(log_path, "a") as f:
                    f.write(f"# ---- {', '.join(out['results'])} on {out['worker']} "
                            f"({out['seconds']:.1f} s)\n{out['log']}")
        return run
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
