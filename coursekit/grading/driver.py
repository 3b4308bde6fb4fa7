"""The grading driver: nbgrader autograde for every submitted student, and nothing is ever lost.

    from coursekit.grading.course import Course
    from coursekit.grading.driver import autograde
    outcomes = autograde(Course.find(), "01_neurons")     # or: coursekit autograde 01_neurons

How it works:

* Submissions are `<course>/submitted/<student>/<assignment>/` (with a timestamp.txt), as
  `nbgrader collect` / `zip_collect` leave them.
* The pending students (not autograded yet, or resubmitted since, or all with `force`) are graded
  by ONE `nbgrader autograde` process (a kernel start per student, not an nbgrader start), run in
  its own session with a watchdog and a memory limit (`memory_limit` bytes of data memory for
  nbgrader and every process it starts). Its kernels are forked from a process that imported
  the course's modules once (`coursekit.grading.warmkernel`). The course's nbgrader_config.py adds the sandboxed re-run
  (`coursekit.grading.preprocessors.Regrade`). With `workers` or `scheduler`, groups of students are
  graded the same way on Dask workers (`coursekit.grading.dask`).
* A student whose grading fails is recorded with 0 for every grade cell and the reason (the
  gradebook's comment of each answer cell, and the report): nbgrader's own failures (a kernel
  killed by `os._exit`, a loop that ignores SIGINT past `Execute.timeout`, a broken notebook);
  the watchdog's: a student taking longer than `student_timeout` seconds gets the whole process
  tree killed (nbgrader, kernel, sandbox), and the run goes on with the students after them;
  and students left when the run's total `timeout` is reached.
* Re-running is idempotent: graded students are skipped (nbgrader's rule, plus a check of the
  gradebook), failed ones are tried again and end the same way. The report
  (`<course>/reports/<assignment>.csv` and `.json`), the integrity report (`.integrity.csv` and
  `.integrity.html`, see `coursekit.grading.integrity`) and the nbgrader log (`.log`) are rewritten for
  all submitted students.

`grade_students()` is the per-student step (one nbgrader process for the given students);
`autograde()` loops it until every pending student has a grade or a recorded failure.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .course import Course, CourseError, execute_timeout
from .outcomes import HIDDEN_ENV, HIDDEN_POLICIES, Failure, Kind, parse, tag
from .procs import run_watched

# ------------------------------------------------------------------------------ student outcomes

@dataclass
class Outcome:
    student: str
    status: str  # "graded" | "failed" (0 recorded, the submission's doing) | "ungraded" (not graded yet,
    # or stopped by a grader fault: nothing recorded)
    score: float = 0.0
    max_score: float = 0.0
    reason: str = ""  # why a failed student got 0, or why an ungraded one was not graded
    kind: str = ""  # the outcomes.Kind of that reason ("" when graded, or not graded yet)
    cells: dict = field(default_factory=dict)  # grade_id -> {"score", "max_score", "message", "kinds", "mistake"}
    graded_now: bool = False  # graded (or failed) in this run, not skipped as done before


_EXC_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): ?(.*)$")


# what a submission can do to nbgrader's run of it; every other error is the grader's
_UNREADABLE = ("NotJSONError", "NotebookValidationError")


def explain(exc_line: str, execute_timeout=None) -> Failure:
    """Why nbgrader left a submission ungraded, from its last exception line (nbgrader's own
    words, and exception type names, are all there is to read there)."""
    m = _EXC_LINE.match(exc_line or "")
    name, msg = (m.group(1).rsplit(".", 1)[-1], m.group(2)) if m else ("", exc_line or "")
    if name == "DeadKernelError":
        return Failure.of(Kind.KERNEL_DIED)
    if name == "CellTimeoutError":
        return Failure.of(Kind.IGNORED_INTERRUPT, after=f" after {execute_timeout:g} s" if execute_timeout else "")
    if "No notebooks found" in msg or "No notebooks found" in exc_line:
        return Failure.of(Kind.NO_NOTEBOOK)
    if name in _UNREADABLE:
        return Failure.of(Kind.UNREADABLE, error=f"{name}: {msg.strip()[:300]}")
    if name:
        return Failure.of(Kind.GRADER_FAULT, error=f"{name}: {msg.strip()[:300]}")
    return Failure.of(Kind.GRADER_FAULT, error="it ended with no error in the log")


class _LogWatch:
    """Follows nbgrader autograde's log: who is being graded since when, and why each one failed."""

    def __init__(self, course: Course, assignment: str):
        sub = re.escape(str(course.root / "submitted"))
        self._start = re.compile(rf"Sanitizing {sub}/([^/]+)/{re.escape(assignment)}/")
        self._fail = re.compile(rf"There was an error processing assignment: {sub}/([^/]+)/{re.escape(assignment)}")
        self.current, self.since = None, time.monotonic()
        self.started: list = []
        self.failed: dict = {}  # student -> last exception line of the traceback
        self._in_tb = None
        from .warmkernel import AUDIT, FALLBACK

        self._fallback, self.fallback = FALLBACK, ""  # the warm kernels' fallback warning, if any
        self._audit, self.audit = AUDIT, {}  # student -> what their code reached for outside the sandbox

    def __call__(self, line: str):
        if self._fallback in line and not self.fallback:
            self.fallback = line[line.index(self._fallback):].strip()
        if line.startswith(self._audit) and self.current:
            with contextlib.suppress(ValueError):
                self.audit.setdefault(self.current, []).append(json.loads(line[len(self._audit):]))
            return
        if (m := self._start.search(line)) and m.group(1) != self.current:
            self.current, self.since = m.group(1), time.monotonic()
            self.started.append(self.current)
            self._in_tb = None
        elif m := self._fail.search(line):
            self._in_tb = m.group(1)
            self.failed.setdefault(self._in_tb, "")
        elif self._in_tb and _EXC_LINE.match(line) and not line.startswith("["):
            self.failed[self._in_tb] = line.strip()
        elif line.startswith("[") and "Traceback" not in line and self._in_tb and self.failed[self._in_tb]:
            self._in_tb = None


def _read_timestamp(folder: Path):
    from nbgrader.utils import parse_utc

    f = folder / "timestamp.txt"
    try:
        text = f.read_text().strip()
        return parse_utc(text) if text else None
    except (OSError, ValueError):
        return None


FAILED = "Not graded, scored 0: "  # how a recorded failure's comment starts (then outcomes.tag)


def recorded_failure(sub) -> Failure | None:
    """The failure `record_failure` recorded on a gradebook submission, or None."""
    for nb in sub.notebooks:
        for c in nb.comments:
            if c.auto_comment and c.auto_comment.startswith(FAILED):
                return parse(c.auto_comment[len(FAILED):])
    return None


def student_status(course: Course, assignment: str, student: str, notebooks=None) -> str:
    """"graded" (autograded notebooks exist, not older than the submission, every grade set),
    "failed" (a failure is recorded for this very submission) or "pending"."""
    from nbgrader.api import MissingEntry

    notebooks = notebooks or course.notebooks(assignment)
    submitted = _read_timestamp(course.root / "submitted" / student / assignment)
    with course.gradebook() as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return "pending"
        if recorded_failure(sub) is not None:
            same = submitted is None or sub.timestamp is None or submitted <= sub.timestamp
            return "failed" if same else "pending"
        # every autograded cell scored (Grade.score reads 0 when unset: ask auto_score); a grade
        # cell that is also an answer cell is graded by hand, and may stay unset
        all_set = all(g.auto_score is not None or g.name in {c.name for c in nb.notebook.solution_cells}
                      for nb in sub.notebooks for g in nb.grades)
    dest = course.root / "autograded" / student / assignment
    if not all_set or not all((dest / f"{nb}.ipynb").is_file() for nb in notebooks):
        return "pending"
    old = _read_timestamp(dest)
    if submitted is not None and old is not None and submitted > old:
        return "pending"
    return "graded"


def is_graded(course: Course, assignment: str, student: str, notebooks=None) -> bool:
    return student_status(course, assignment, student, notebooks) == "graded"


def record_failure(course: Course, assignment: str, student: str, failure: Failure) -> None:
    """0 for every grade cell of the student's submission, the reason in each answer cell's
    comment; the partial autograded folder (if any) is removed so a re-run tries again."""
    dest = course.root / "autograded" / student / assignment
    if dest.exists():
        shutil.rmtree(dest, ignore_errors=True)
    kw = {}
    ts = _read_timestamp(course.root / "submitted" / student / assignment)
    if ts is not None:
        kw["timestamp"] = ts
    with course.gradebook() as gb:
        gb.update_or_create_student(student)
        sub = gb.update_or_create_submission(assignment, student, **kw)
        for nb in sub.notebooks:
            for grade in nb.grades:
                grade.auto_score = 0.0
                grade.needs_manual_grade = False
            for comment in nb.comments:
                comment.auto_comment = FAILED + tag(failure)
        gb.db.commit()


def read_outcome(course: Course, assignment: str, student: str) -> Outcome:
    """The student's scores from the gradebook, with each lost cell's message from the autograded
    notebook (the first error of the cell: the re-run's verdict or the kernel's error)."""
    import nbformat
    from nbgrader.api import MissingEntry

    from .outcomes import kernel_kind
    from .preprocessors import read_kinds

    out = Outcome(student, "graded")
    messages, kinds, mistakes = {}, {}, {}
    folder = course.root / "autograded" / student / assignment
    rerun = read_kinds(folder)
    for path in sorted(folder.glob("*.ipynb")):
        try:
            cells = nbformat.read(path, as_version=4).cells
        except Exception:  # noqa: BLE001 - a broken file only loses the messages
            cells = []
        for cell in cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            verdict = rerun.get(path.stem, {}).get(gid) or {}
            mistakes[gid] = verdict.get("mistake", "")
            found = {verdict.get("kind")} | {kernel_kind(str(e.get("ename"))) for e in errors}
            kinds[gid] = sorted(k.value if isinstance(k, Kind) else k for k in found if k)
            if gid and errors:
                parts = []
                for e in errors:  # the re-run's verdict first, then the kernel's errors
                    evalue = " ".join(str(e.get("evalue", "")).split())
                    part = f"{e.get('ename', 'Error')}: {evalue}" if evalue else str(e.get("ename", "Error"))
                    if part not in parts:
                        parts.append(part)
                messages[gid] = "; ".join(parts)[:500]
    with course.gradebook() as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return Outcome(student, "failed", reason="no submission in the gradebook")
        for nb in sub.notebooks:
            for g in nb.grades:
                score = g.score
                lost = (score or 0) < g.max_score
                out.cells[g.name] = {"score": score, "max_score": g.max_score,
                                     "message": messages.get(g.name, "") if lost else "",
                                     "kinds": kinds.get(g.name, []) if lost else [],
                                     "mistake": mistakes.get(g.name, "") if lost else ""}
                out.score += score or 0.0
                out.max_score += g.max_score
    return out


# ------------------------------------------------------------------------------------ grading

@dataclass
class BatchResult:
    graded: list
    failed: dict  # student -> reason: caused by the submission (recorded as 0)
    not_started: list
    log: list
    faults: dict = field(default_factory=dict)  # student -> reason: the grader's fault (left ungraded)
    fallback: str = ""  # the warning of warm kernels that could not start (plain kernels were used)


@dataclass
class RunResult:
    """What grading the pending students gave: graded, failed (0 and the reason, recorded) and
    left ungraded by a grader fault (nothing recorded: the next run grades them)."""

    graded: set = field(default_factory=set)
    failed: dict = field(default_factory=dict)
    faults: dict = field(default_factory=dict)


class GraderFault(Exception):
    """The grading machinery failed (the gradebook unreachable, nbgrader broken, a worker lost):
    nothing was recorded for the students it concerns."""


MEMORY_LIMIT = 2 * 2**30  # bytes of data memory per grading process (nbgrader, kernel, sandbox)


@dataclass(frozen=True)
class Options:
    """How a run grades (the `coursekit autograde` options), passed whole to every step.

    force: grade everyone again; retry_failed: also students whose failure is recorded;
    student_timeout: seconds one student may take (the whole process tree is then killed);
    timeout: seconds the whole run may take (None: no limit); memory_limit: bytes of data memory
    per grading process (None: none); warm_kernels: fork kernels from a process with the imports
    done; workers / scheduler: grade on a local Dask cluster of that many workers, or on the
    cluster at that address; isolation: where student code runs (`coursekit.grading.isolation.Isolation`;
    None: the strongest this machine allows); hidden_cases: what the feedback shows of the hidden
    cases ("none", "count", "names"; `checker.hidden_policy`)."""

    force: bool = False
    retry_failed: bool = False
    student_timeout: float = 600.0
    timeout: float | None = None
    memory_limit: int | None = MEMORY_LIMIT
    warm_kernels: bool = True
    workers: int = 0
    scheduler: str | None = None
    isolation: object = None
    hidden_cases: str = "count"  # what feedback shows of the hidden cases: outcomes.HIDDEN_POLICIES


def _nbgrader_args(course: Course, assignment: str, students: list, opts: Options) -> list:
    """`nbgrader autograde` for `students` only, with coursekit's kernels: forked warm, and in the
    sandbox when isolated (`coursekit.grading.isolation`); "cold" ones import everything themselves."""
    from .isolation import ENV as ISOLATION
    from .isolation import parse

    exclude = [s for s in course.submitted_students(assignment) if s not in students]
    args = ["autograde", assignment, "--log-level=INFO"]
    if exclude:
        args.append("--CourseDirectory.student_id_exclude=" + ",".join(exclude))
    if opts.force:
        args.append("--force")
    isolated = ISOLATION in course.environ and parse(course.environ[ISOLATION]).active
    if opts.warm_kernels or isolated:
        args.append("--Execute.kernel_manager_class=coursekit.grading.warmkernel.WarmKernelManager")
    if not opts.warm_kernels and isolated:
        args.append("--WarmKernelManager.warm=False")
    return args


def grade_students(course: Course, assignment: str, students: list, opts: Options, *,
                   deadline: float | None = None, log_path=None) -> BatchResult:
    """The per-student step: one `nbgrader autograde` process for `students` (others excluded).

    Returns who got a grade, who failed and why, and who was not reached (the watchdog killed the
    run, or the deadline, a time.monotonic() value, passed). A student taking longer than
    `opts.student_timeout` seconds is killed with the run, and reported failed. Each process of
    the run (nbgrader, the kernels, the sandboxes) may use at most `opts.memory_limit` bytes of
    data memory.
    """
    watch = _LogWatch(course, assignment)

    def watchdog():
        if deadline is not None and time.monotonic() > deadline:
            return "deadline"
        if watch.current and time.monotonic() - watch.since > opts.student_timeout:
            return "student"
        return ""

    run = run_watched(course.nbgrader_cmd(*_nbgrader_args(course, assignment, students, opts)), cwd=course.root,
                      env=course.env(), on_line=watch, watchdog=watchdog, log_path=log_path,
                      memory_limit=opts.memory_limit)
    batch = _sort_out(course, assignment, students, run, watch, opts.student_timeout)
    for s, tried in watch.audit.items():  # read by the integrity report (coursekit.grading.integrity)
        dest = course.root / "autograded" / s / assignment
        if dest.is_dir():
            (dest / SANDBOX_LOG).write_text(json.dumps(tried, indent=1))
    return batch


def _sort_out(course, assignment, students, run, watch, student_timeout) -> BatchResult:
    """After an nbgrader run: who was graded, who failed by their own doing, who met a grader fault."""
    notebooks = course.notebooks(assignment)
    graded, failed, faults = [], {}, {}
    ex_timeout = execute_timeout(course)
    interrupted = watch.current if run.killed else None
    for s in students:
        if s == interrupted:
            if run.killed == "student":
                failed[s] = Failure.of(Kind.STUDENT_TIMEOUT, seconds=student_timeout)
            continue  # stopped by the deadline: not reached
        if s in watch.failed:
            why = explain(watch.failed[s], ex_timeout)
            (failed if why.by_student else faults)[s] = why
        elif is_graded(course, assignment, s, notebooks):
            graded.append(s)
        elif s not in watch.started:
            continue  # not reached: the run was stopped, or nbgrader itself died (tried again)
        elif s == watch.current and (run.returncode or 0) < 0:
            failed[s] = Failure.of(Kind.GRADER_KILLED, signal=-run.returncode)
        else:
            faults[s] = explain("", ex_timeout)
    not_started = [s for s in students if s not in graded and s not in failed and s not in faults]
    return BatchResult(graded, failed, not_started, run.lines, faults, watch.fallback)


SANDBOX_LOG = "coursekit-sandbox.json"  # in a student's autograded folder: what their code tried outside the sandbox


def grade_pending(course: Course, assignment: str, pending: list, opts: Options, *, deadline: float | None = None,
                  log_path=None, say=None) -> RunResult:
    """Grade `pending` students one nbgrader run after another until each has a grade, a recorded
    failure of their submission (0 for every grade cell and the reason) or a grader fault (nothing
    recorded: not reached in the run's time limit, nbgrader unable to start, ...)."""
    say = say or (lambda msg: None)
    result = RunResult()
    while pending:
        batch = grade_students(course, assignment, pending, opts, deadline=deadline, log_path=log_path)
        result.graded.update(batch.graded)
        if batch.fallback and opts.warm_kernels:
            say(f"  warning: {batch.fallback}")
            opts = dataclasses.replace(opts, warm_kernels=False)  # the next nbgrader runs start plain kernels at once
        faults = dict(batch.faults)
        stop = False
        if deadline is not None and time.monotonic() > deadline:
            faults.update({s: Failure.of(Kind.NOT_REACHED, seconds=opts.timeout) for s in batch.not_started})
            stop = True
        elif pending == batch.not_started:  # no progress at all: do not loop forever
            faults.update({s: Failure.of(Kind.NOT_STARTED) for s in pending})
            stop = True
        for s, why in batch.failed.items():  # recorded at once: a killed driver loses nothing
            record_failure(course, assignment, s, why)
            say(f"  {s}: FAILED, recorded 0 ({why.reason})")
        for s, why in faults.items():
            say(f"  {s}: NOT GRADED, grader fault, nothing recorded ({why.reason})")
        result.failed.update(batch.failed)
        result.faults.update(faults)
        if stop:
            break
        pending = batch.not_started
    return result


def autograde(course: Course, assignment: str, opts: Options = Options(), *, students=None,
              progress=None) -> list:
    """Autograde every submitted student (or `students`) of `assignment`; never lose a grade.

    Students graded before are skipped, and so are failures recorded for the same submission
    (unless `opts.retry_failed`); `opts.force` grades everyone again. Returns one Outcome per
    student (graded ones with their scores, failed ones with 0 and the reason, "ungraded" ones with
    the grader fault that stopped them) and writes the report. Student code runs in
    `opts.isolation` (default: the strongest this machine allows; CourseError when there is none:
    pass `isolation.NONE` to grade anyway). With `opts.workers` or `opts.scheduler`, submissions
    are graded in parallel on Dask (`coursekit.grading.dask`). PyTorch's expected answers are computed
    once for the run (`coursekit.grading.expectations`). Raises GraderFault when the gradebook cannot be
    reached mid-run.
    """
    from sqlalchemy.exc import DBAPIError

    from . import isolation as iso

    if opts.isolation is None:
        try:
            opts = dataclasses.replace(opts, isolation=iso.detect())
        except iso.IsolationUnavailable as e:
            raise CourseError(f"student code cannot be isolated on this machine: {e}; to grade anyway with the "
                              "course readable to submissions, pass --unsafe-same-user") from None
    course.environ[iso.ENV] = opts.isolation.to_env()
    if opts.hidden_cases not in HIDDEN_POLICIES:
        raise CourseError(f"hidden_cases must be one of {', '.join(HIDDEN_POLICIES)}, not {opts.hidden_cases!r}")
    course.environ[HIDDEN_ENV] = opts.hidden_cases
    say = progress or (lambda msg: None)
    say(f"student code runs in: {opts.isolation.describe()}")
    try:
        return _autograde(course, assignment, opts, students, say)
    except DBAPIError as e:
        first = str(e.orig if getattr(e, "orig", None) is not None else e).strip().splitlines()[0][:300]
        raise GraderFault(f"the gradebook could not be reached during the run ({type(e).__name__}: {first}); "
                          "grades stored before stay and nothing was recorded for the others: once it is back, "
                          f"run `coursekit autograde {assignment}` again, it grades exactly those") from None


def _pending(course: Course, assignment: str, wanted: list, notebooks: list, opts: Options) -> list:
    """Who of `wanted` this run grades; partial folders of an interrupted run are cleared."""
    pending = []
    for s in wanted:
        status = student_status(course, assignment, s, notebooks)
        if opts.force or status == "pending" or (opts.retry_failed and status == "failed"):
            pending.append(s)
            partial = course.root / "autograded" / s / assignment
            if not opts.force and partial.exists():  # left by an interrupted run: nbgrader would skip it
                shutil.rmtree(partial, ignore_errors=True)
    return pending


def _autograde(course, assignment, opts: Options, students, say) -> list:
    notebooks = course.notebooks(assignment)  # raises CourseError when not released
    submitted = course.submitted_students(assignment)
    unknown = [s for s in students or [] if s not in submitted]
    if unknown:
        raise CourseError(f"no submission of {assignment} for {', '.join(unknown)} in {course.root / 'submitted'}")
    wanted = list(students) if students else submitted
    reports = course.reports_dir()
    log_path = reports / f"{assignment}.log"
    log_path.write_text("")
    deadline = time.monotonic() + opts.timeout if opts.timeout else None
    pending = _pending(course, assignment, wanted, notebooks, opts)
    say(f"{assignment}: {len(wanted)} submission(s), {len(pending)} to grade")
    result = RunResult()
    if pending:
        with expectations_for(course, assignment, notebooks):
            if opts.workers or opts.scheduler:
                from .dask import grade_pending_parallel

                result = grade_pending_parallel(course, assignment, pending, opts, deadline=deadline,
                                                log_path=log_path, say=say)
            else:
                result = grade_pending(course, assignment, pending, opts, deadline=deadline, log_path=log_path,
                                       say=say)
    by_student = {o.student: o for o in write_report(course, assignment, result.faults)}
    from .classreport import write_after_autograde

    write_after_autograde(course, assignment, say)  # reports/<assignment>.class.html and .csv; never raises
    outcomes = [by_student[s] for s in wanted]
    for o in outcomes:
        o.graded_now = o.student in result.graded or o.student in result.failed
    n_failed = sum(o.status == "failed" for o in outcomes)
    n_ungraded = sum(o.status == "ungraded" for o in outcomes)
    say(f"{assignment}: {len(outcomes) - n_failed - n_ungraded} graded, {n_failed} failed"
        + (f", {n_ungraded} not graded (grader fault)" if n_ungraded else "") + f"; report in {reports}")
    return outcomes


@contextlib.contextmanager
def expectations_for(course: Course, assignment: str, notebooks: list):
    """PyTorch's (and the reference's) answers to every check() of the assignment's test cells,
    computed once for the run into a read-only file that nbgrader, its kernels and the sandboxed
    re-run use (`course.environ[expectations.ENV]`, verified by its digest)."""
    from . import expectations
    from .preprocessors import instructor_cells

    sources = []
    for nb in notebooks:
        sources += instructor_cells(course.db_url, nb, assignment)[1].values()
    with expectations.shared_folder() as folder:
        try:
            course.environ[expectations.ENV] = expectations.write_store(
                folder / f"{assignment}.pkl", expectations.check_names(sources), expectations.device_name())
            yield
        finally:
            course.environ.pop(expectations.ENV, None)


def write_report(course: Course, assignment: str, faults=None) -> list:
    """<course>/reports/<assignment>.csv and .json for every submitted student, from the gradebook
    (a failed student's reason comes from the comment recorded with the 0s; `faults`, student ->
    Failure, are the ones a grader fault left ungraded in this run)."""
    faults = faults or {}
    rows = []
    failed_reason: dict = {}
    with course.gradebook() as gb:
        from nbgrader.api import MissingEntry

        for s in course.submitted_students(assignment):
            try:
                reason = recorded_failure(gb.find_submission(assignment, s))
            except MissingEntry:
                continue
            if reason is not None:
                failed_reason[s] = reason
    for s in course.submitted_students(assignment):
        o = read_outcome(course, assignment, s)
        if s in failed_reason:
            o.status, o.reason, o.kind = "failed", failed_reason[s].reason, failed_reason[s].kind.value
        elif s in faults:
            o.status, o.reason, o.kind = "ungraded", f"grader fault: {faults[s].reason}", faults[s].kind.value
        elif not (course.root / "autograded" / s / assignment).is_dir():
            o.status, o.reason = "ungraded", o.reason or "not autograded yet"
        rows.append(o)
    reports = course.reports_dir()
    grade_ids = sorted({g for o in rows for g in o.cells})
    with open(reports / f"{assignment}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "status", "score", "max_score", *grade_ids, "kind", "reason", "lost_kinds",
                    "mistakes", "lost_points"])
        for o in rows:
            lost = "; ".join(f"{g}: {c['message']}" for g, c in o.cells.items() if c["message"])
            kinds = "; ".join(f"{g}: {', '.join(c['kinds'])}" for g, c in o.cells.items() if c.get("kinds"))
            named = "; ".join(f"{g}: {c['mistake']}" for g, c in o.cells.items() if c.get("mistake"))
            w.writerow([o.student, o.status, o.score, o.max_score,
                        *[o.cells.get(g, {}).get("score", "") for g in grade_ids], o.kind, o.reason, kinds, named,
                        lost])
    (reports / f"{assignment}.json").write_text(
        json.dumps({"assignment": assignment, "students": [asdict(o) for o in rows]}, indent=1))
    from . import integrity

    integrity.write(course, assignment, rows)  # reports/<assignment>.integrity.csv and .html
    return rows
