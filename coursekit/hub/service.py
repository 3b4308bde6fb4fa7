"""`coursekit serve`: the class hub's grading service. Each new submission is taken from the
exchange, autograded with the driver (on Dask when asked), and its feedback released to its student.

    Grader(course, settings, queue, policy).run()       the loop, in a thread of its own
    serve(...)                                          the loop and the pages (pages.py)

What it trusts: a submission's folder name says whose it is, and the file system says who wrote it:
a folder (or a file in it) that is not the named student's own is rejected and never graded. Its
time is when its files last changed (ctime: nobody can set it back), not the timestamp.txt the
student's side wrote. Nothing is graded from the exchange itself: a submission is moved out of it,
into the hub folder's received/ (root only), before anything else.
"""
from __future__ import annotations

import os
import pwd
import shutil
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from ..grading.course import EXCHANGE_ENV, Course
from ..grading.driver import Options, autograde
from .queue import Queue, Submission
from .setup import Settings

READY_AFTER = 1.0  # seconds without a change before a submission is taken (nbgrader writes it in steps)
DUE_TTL = 30.0  # seconds a due date read from the gradebook is trusted


@dataclass(frozen=True)
class Policy:
    """The instructor's choices: gradings per student per hour (0: no limit), scores shown before
    the due date, seconds between looks at the exchange."""

    per_hour: int = 0
    scores_before_due: bool = True
    poll: float = 1.0


class Grader:
    def __init__(self, course: Course, settings: Settings, queue: Queue, opts: Options, policy: Policy):
        # nbgrader's runs use the hub's exchange, whatever this process's environment says
        course = replace(course, environ={**course.environ, EXCHANGE_ENV: str(settings.exchange)})
        self.course, self.settings, self.queue, self.opts, self.policy = course, settings, queue, opts, policy
        self.received = settings.root / "received"
        self.received.mkdir(mode=0o700, exist_ok=True)
        self.inbound = settings.exchange / settings.course_id / "inbound"
        self.students = {u.id for u in settings.users}
        self.stop = threading.Event()
        self.errors: list = []  # the loop's own failures, shown on the instructor's page
        self._due: dict = {}  # assignment -> (due date or None, when it was read)

    # -- taking submissions from the exchange
    def scan(self, now: float | None = None) -> int:
        """Move every finished submission out of the exchange into the queue; the number taken."""
        now = time.time() if now is None else now
        taken = 0
        for folder in sorted(self.inbound.iterdir()) if self.inbound.is_dir() else []:
            parts = folder.name.split("+")
            if len(parts) < 3 or not folder.is_dir():
                continue
            student, assignment = parts[0], parts[1]
            files = [folder, *folder.rglob("*")]
            if not (folder / "timestamp.txt").exists() or not (folder / "submission_secret.txt").exists():
                continue  # still being written
            arrived = max(f.lstat().st_ctime for f in files)
            if now - arrived < READY_AFTER:
                continue
            status, reason = self._admissible(student, assignment, files, arrived)
            self.queue.add(Submission(folder.name, student, assignment, arrived, status, reason=reason))
            shutil.move(str(folder), str(self.received / folder.name))  # out of every student's reach
            taken += 1
        return taken

    def _admissible(self, student: str, assignment: str, files: list, arrived: float) -> tuple:
        if student not in self.students:
            return "rejected", f"{student!r} is not in the roster"
        if assignment not in self.course.source_assignments():
            return "rejected", f"no assignment {assignment!r} in this course"
        uid = pwd.getpwnam(student).pw_uid
        strangers = sorted({f.lstat().st_uid for f in files} - {uid})
        if strangers:
            who = ", ".join(_user_name(u) for u in strangers)
            return "rejected", f"written by {who}, not by {student}: not graded (a submission in another's name?)"
        due = self.due(assignment)
        if due is not None and arrived > due:
            return "late", f"arrived {_when(arrived)}, after the due date {_when(due)}: kept, not graded"
        return "queued", None

    def due(self, assignment: str) -> float | None:
        """The assignment's due date in the gradebook (nbgrader's duedate, UTC), as a timestamp;
        read again after DUE_TTL seconds (the instructor may change it in the formgrader)."""
        known = self._due.get(assignment)
        if known is None or time.monotonic() - known[1] > DUE_TTL:
            with self.course.gradebook() as gb:
                try:
                    d = gb.find_assignment(assignment).duedate
                except Exception:  # noqa: BLE001 - not released yet: no due date
                    d = None
            known = self._due[assignment] = (None if d is None else d.replace(tzinfo=timezone.utc).timestamp(),
                                             time.monotonic())
        return known[0]

    # -- grading
    def grade_pending(self, now: float | None = None) -> list:
        """Grade what the policy lets through now; the rows graded."""
        rows = self.queue.claim(time.time() if now is None else now, per_hour=self.policy.per_hour)
        by_assignment: dict = {}
        for r in rows:
            by_assignment.setdefault(r.assignment, []).append(r)
        for assignment, subs in by_assignment.items():
            self._grade(assignment, subs)
        return rows

    def _grade(self, assignment: str, subs: list) -> None:
        for s in subs:
            self._place(s)
        try:
            outcomes = autograde(self.course, assignment, replace(self.opts, force=True),
                                 students=[s.student for s in subs])
        except Exception as e:  # noqa: BLE001 - the grader's fault: nothing recorded, graded again later
            for s in subs:
                self.queue.finish(s.id, "fault", reason=f"{type(e).__name__}: {e}", kind="grader_fault")
            return
        by_student = {o.student: o for o in outcomes}
        for s in subs:
            o = by_student.get(s.student)
            if o is None or o.status == "ungraded":
                self.queue.finish(s.id, "fault", reason=o.reason if o else "not graded", kind=o.kind if o else None)
                continue
            self.queue.finish(s.id, o.status, score=o.score, max_score=o.max_score, reason=o.reason or None,
                              kind=o.kind or None)
            if not self.withheld(assignment):
                self._release_feedback(s)

    def _place(self, s: Submission) -> None:
        """The received submission as nbgrader's collect leaves it: submitted/<student>/<assignment>/."""
        target = self.course.root / "submitted" / s.student / s.assignment
        tmp = target.with_name(target.name + ".incoming")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(self.received / s.id, tmp)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)

    def withheld(self, assignment: str, now: float | None = None) -> bool:
        """Scores (and so feedback) wait for the due date, when the policy says so."""
        due = self.due(assignment)
        return not self.policy.scores_before_due and due is not None and (time.time() if now is None else now) < due

    def _release_feedback(self, s: Submission) -> None:
        for step in (("generate_feedback", s.assignment, "--student", s.student, "--force"),
                     ("release_feedback", s.assignment, "--student", s.student)):
            res = self.course.run_nbgrader(*step, timeout=300)
            if res.returncode != 0:
                self.errors.append(f"{_when(time.time())} nbgrader {step[0]} for {s.student}: exit {res.returncode}")
                return
        self.queue.released(s.id, time.time())

    def release_due(self) -> None:
        """Feedback withheld until the due date: released once it has passed (the newest graded
        submission of each student and assignment)."""
        newest = {}
        for r in self.queue.rows():
            if r.status in ("graded", "failed"):
                newest[(r.student, r.assignment)] = r
        for r in newest.values():
            if r.released is None and not self.withheld(r.assignment):
                self._release_feedback(r)

    def run(self) -> None:
        """Look at the exchange, grade, repeat, until `stop` is set; a failure is logged and retried."""
        self.queue.recover()
        while not self.stop.is_set():
            try:
                self.scan()
                self.grade_pending()
                self.release_due()
            except Exception as e:  # noqa: BLE001 - the service keeps going; the instructor's page shows it
                self.errors.append(f"{_when(time.time())} {type(e).__name__}: {e}")
            self.stop.wait(self.policy.poll)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _when(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def serve(course: Course, settings: Settings, opts: Options, policy: Policy, port: int) -> None:
    """The loop in a thread, the pages on `port` (127.0.0.1), until interrupted; as JupyterHub's managed
    service, also until JupyterHub is gone (even killed: the service never outlives its hub)."""
    from tornado.ioloop import IOLoop, PeriodicCallback

    os.umask(0o007)  # what the service writes in the course stays the instructors' group's
    grader = Grader(course, settings, Queue(settings.root / "queue.sqlite"), opts, policy)
    threading.Thread(target=grader.run, name="grader", daemon=True).start()
    from .pages import make_app

    make_app(grader).listen(port, address="127.0.0.1")
    hub = os.getppid() if os.environ.get("JUPYTERHUB_SERVICE_NAME") else None
    if hub is not None:
        PeriodicCallback(lambda: os.getppid() == hub or IOLoop.current().stop(), 1000).start()
    try:
        IOLoop.current().start()
    finally:
        grader.stop.set()

