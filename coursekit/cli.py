"""The `coursekit` command: the course's nbgrader workflow from the repository root.

    coursekit release [ASSIGNMENT ...] [--exchange]     student versions (nbgrader generate_assignment)
    coursekit collect [ASSIGNMENT ...] [--zip]          submissions into assignments/submitted/
    coursekit autograde ASSIGNMENT [--student ID ...]   grade them (coursekit/grading/), report in assignments/reports/
    coursekit feedback ASSIGNMENT [--release]           feedback HTML (hidden tests and tracebacks removed)
    coursekit report ASSIGNMENT                         the class report: pass rates, named mistakes ranked,
                                                        progress across assignments (HTML and CSV)
    coursekit export [--format F] [-o FILE]             every grade as CSV: nbgrader's (csv), or for
                                                        import into Canvas (canvas) or Moodle (moodle)
    coursekit doctor [--lab-root PATH]                  versions, nbgrader extensions, course folder,
                                                        what JupyterLab's Assignments panel sees, device
    coursekit hub [--root DIR]                          a JupyterHub for the class, from the roster (root)
    coursekit serve --hub-root DIR                      the hub's grading service (the hub starts it)

Every command works on the course found from the current directory (`assignments/`), or on
`--course PATH`. A problem a user can fix is one line on stderr and a non-zero exit status
(COURSEKIT_DEBUG=1 shows the traceback of an unexpected error).
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from pathlib import Path

from .grading.course import CONFIG, EXCHANGE_ENV, Course, CourseError, course_config
from .grading.driver import GraderFault, Options, autograde
from .grading.export import FORMATS, write_lms_csv
from .grading.isolation import NONE
from .grading.outcomes import HIDDEN_POLICIES


def _fail_line(output: str) -> str:
    """The most useful line of a failed nbgrader command: its first ERROR message."""
    errors = [m.group(1) for m in re.finditer(r"^\[\w+ \| (?:ERROR|CRITICAL)\] (.*)$", output, flags=re.MULTILINE)]
    useful = [e for e in errors if not e.startswith(("Traceback", "There was an error", "Please see"))]
    for line in useful or errors:
        return line.strip()
    tail = [ln for ln in output.strip().splitlines() if ln.strip()]
    return tail[-1].strip() if tail else "no output"


def _nbgrader(course: Course, *args, timeout=600):
    res = course.run_nbgrader(*args, timeout=timeout)
    if res.returncode != 0:
        raise CourseError(f"nbgrader {args[0]} failed: {_fail_line(res.stdout)} "
                          f"(run `cd {course.root} && nbgrader {' '.join(args)}` for the full log)")
    return res


def _assignments(course: Course, names) -> list:
    have = course.source_assignments()
    if not have:
        raise CourseError(f"no assignments in {course.root / 'source'}")
    for n in names or []:
        if n not in have:
            raise CourseError(f"no assignment {n!r} in {course.root / 'source'} (have: {', '.join(have)})")
    return list(names) if names else have


# ------------------------------------------------------------------------------------ commands

def cmd_release(course: Course, args) -> int:
    for a in _assignments(course, args.assignment):
        _nbgrader(course, "generate_assignment", a, "--force")
        print(f"released {a}: {course.root / 'release' / a}")
        if args.exchange:
            course.ensure_exchange()
            _nbgrader(course, "release_assignment", a, "--force")
            print(f"  and into the exchange: {course.exchange}")
    course.ensure_exchange()
    return 0


def cmd_collect(course: Course, args) -> int:
    released = sorted(p.name for p in (course.root / "release").iterdir()) if (course.root / "release").is_dir() else []
    names = args.assignment or released
    if not names:
        raise CourseError("nothing released yet: run `coursekit release` first")
    for a in names:
        if args.zip:
            archive = course.root / "downloaded" / a / "archive"
            if not archive.is_dir():
                raise CourseError(f"put the downloaded submissions (zip files or <student>_<notebook>.ipynb) "
                                  f"in {archive} first")
            _nbgrader(course, "zip_collect", a, "--force")
        else:

            course_id = course_config(course).CourseDirectory.get("course_id", "")
            inbound = course.ensure_exchange() / str(course_id) / "inbound"
            if not inbound.is_dir():
                raise CourseError(f"nothing submitted to the exchange yet ({inbound} is missing): release with "
                                  "`coursekit release --exchange`, students submit from JupyterLab's Assignments "
                                  "tab; or use `coursekit collect --zip`")
            _nbgrader(course, "collect", a, "--update")
        n = len(course.submitted_students(a))
        print(f"collected {a}: {n} submission(s) in {course.root / 'submitted'}")
    return 0


def _options(args, **more) -> tuple:
    """The grading options of `args` (see _grading_options) as driver Options, and the device."""
    from . import backend

    try:  # the kernels and the sandboxed re-run compare on this device (check() prints it in the feedback)
        dev = backend.device(args.device)
    except (RuntimeError, ValueError) as e:
        raise CourseError(f"--device {args.device}: {e}".replace("COURSEKIT_DEVICE=cuda but ", "")) from None
    os.environ["COURSEKIT_DEVICE"] = dev.type
    if args.workers < 0:
        raise CourseError(f"--workers must be 0 (sequential) or more, not {args.workers}")
    if args.memory_limit < 0:
        raise CourseError(f"--memory-limit must be 0 (none) or more GB, not {args.memory_limit:g}")
    return Options(student_timeout=args.student_timeout, timeout=args.timeout,
                   memory_limit=int(args.memory_limit * 2**30) or None, warm_kernels=not args.cold_kernels,
                   workers=args.workers, scheduler=args.scheduler, isolation=NONE if args.unsafe_same_user else None,
                   hidden_cases=args.hidden_cases, **more), dev


def cmd_autograde(course: Course, args) -> int:
    t0 = time.monotonic()
    opts, dev = _options(args, force=args.force, retry_failed=args.retry_failed)
    course.notebooks(args.assignment)  # released?
    if not course.submitted_students(args.assignment):
        raise CourseError(f"no submissions of {args.assignment} in {course.root / 'submitted'}: "
                          "run `coursekit collect` first")
    outcomes = autograde(course, args.assignment, opts, students=args.student, progress=lambda m: print(m, flush=True))
    width = max(len(o.student) for o in outcomes)
    for o in outcomes:
        line = f"  {o.student:<{width}}  {o.score:g}/{o.max_score:g}"
        if o.status == "failed":
            line += f"  FAILED: {o.reason}"
        elif o.status == "ungraded":
            line = f"  {o.student:<{width}}  NOT GRADED: {o.reason}"
        print(line)
    reports = course.root / "reports"
    print(f"done in {time.monotonic() - t0:.0f} s on {dev.type}; report: {reports / (args.assignment + '.csv')}")
    with open(reports / f"{args.assignment}.integrity.csv", newline="") as f:
        flagged = sorted({row["student"] for row in csv.DictReader(f)})
    print(f"integrity report: {reports / (args.assignment + '.integrity.html')} ("
          + (f"{len(flagged)} to look at: {', '.join(flagged)})" if flagged else "nothing to look at)"))
    ungraded = [o for o in outcomes if o.status == "ungraded" and o.kind]  # stopped by a grader fault
    if ungraded:
        raise GraderFault(f"{len(ungraded)} submission(s) not graded because of a grader fault, nothing recorded "
                          f"for them ({ungraded[0].student}: {ungraded[0].reason}); once it is fixed, run "
                          f"`coursekit autograde {args.assignment}` again: it grades exactly those")
    return 0


def cmd_feedback(course: Course, args) -> int:
    course.notebooks(args.assignment)  # released?
    extra = ["--student", args.student] if args.student else []
    _nbgrader(course, "generate_feedback", args.assignment, "--force", *extra)
    print(f"feedback of {args.assignment}: {course.root / 'feedback'}/<student>/{args.assignment}/")
    if args.release:
        course.ensure_exchange()
        _nbgrader(course, "release_feedback", args.assignment, *extra)
        print("  and released to the exchange")
    return 0


def cmd_report(course: Course, args) -> int:
    from .grading.classreport import write

    html_path, csv_path = write(course, args.assignment)  # CourseError when not autograded yet
    print(f"class report of {args.assignment}: {html_path}")
    print(f"  and per grade cell as CSV: {csv_path}")
    return 0


EXPORT_NAMES = {"csv": "grades.csv", "canvas": "grades-canvas.csv", "moodle": "grades-moodle.csv"}


def cmd_export(course: Course, args) -> int:
    if not course.has_gradebook():
        raise CourseError("no gradebook yet: release and autograde an assignment first")
    out = os.path.abspath(args.output) if args.output else str(course.reports_dir() / EXPORT_NAMES[args.format])
    if args.format == "csv":
        _nbgrader(course, "export", "--to", out)
    else:
        write_lms_csv(course, args.format, out)
    print(f"grades: {out}")
    return 0


def cmd_hub(course: Course, args) -> int:
    from .hub.setup import Settings, prepare, read_roster, run_hub

    roster = Path(args.roster) if args.roster else course.root / "roster.csv"
    settings = Settings(root=Path(args.root).resolve(), course=course.root, repo=Path(__file__).resolve().parents[1],
                        users=read_roster(roster), ip=args.ip, port=args.port, auth=args.auth,
                        serve_args=tuple(args.serve_args.split()) if args.serve_args else ())
    settings = prepare(settings)
    print(f"hub folder {settings.root}: {len(settings.users)} users ({len(settings.instructors)} instructors), "
          f"exchange {settings.exchange}")
    if args.auth == "dev":
        print(f"development login: any roster id, password in {settings.root / 'dev-password'}")
    if args.setup_only:
        return 0
    print(f"the class: http://{settings.ip}:{settings.port}/  (grading service: /services/grader/)", flush=True)
    return run_hub(settings)


def cmd_serve(course: Course, args) -> int:
    from .hub.service import Policy, serve
    from .hub.setup import Settings

    settings = Settings.load(Path(args.hub_root) / "hub.json")
    opts, _ = _options(args)
    if args.per_hour < 0:
        raise CourseError(f"--per-hour must be 0 (no limit) or more, not {args.per_hour}")
    policy = Policy(per_hour=args.per_hour, scores_before_due=not args.hide_scores_before_due, poll=args.poll)
    port = int(os.environ.get("JUPYTERHUB_SERVICE_URL", settings.service_url()).rsplit(":", 1)[1].split("/")[0])
    print(f"grading service on 127.0.0.1:{port}, exchange {settings.exchange}", flush=True)
    serve(course, settings, opts, policy, port)
    return 0


class _Findings:
    """What `coursekit doctor` prints: ok lines, and problems that make it exit 1."""

    def __init__(self):
        self.problems = []

    def ok(self, msg):
        print(f"  ok    {msg}")

    def bad(self, msg):
        self.problems.append(msg)
        print(f"  FAIL  {msg}")


def cmd_doctor(course_arg, args) -> int:
    found = _Findings()
    _doctor_versions(found)
    _doctor_extensions(found)
    print("course folder")
    try:
        course = course_arg if course_arg is not None else Course.find()
    except CourseError as e:
        found.bad(str(e))
        course = None
    if course is not None:
        _doctor_course(found, course)
        _doctor_lab(found, course, Path(args.lab_root).resolve() if args.lab_root else course.root.parent)
    _doctor_device(found)
    if found.problems:
        print(f"{len(found.problems)} problem(s) found", file=sys.stderr)
        return 1
    print("all good")
    return 0


def _doctor_versions(found: _Findings) -> None:
    from importlib import metadata

    print("versions")
    print(f"  python {sys.version.split()[0]} ({sys.executable})")
    for pkg in ("coursekit", "numpy", "scipy", "torch", "nbgrader", "jupyterlab", "notebook", "nbconvert",
                "nbclient", "ipykernel", "sqlalchemy", "dask", "distributed"):
        try:
            print(f"  {pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            found.bad(f"{pkg} is not installed (make lab / pip install -e '.[dev]')")
    try:
        if tuple(int(x) for x in metadata.version("sqlalchemy").split(".")[:2]) >= (2, 1):
            print("  note  sqlalchemy >= 2.1 prints an SAWarning per graded student (harmless)")
    except (metadata.PackageNotFoundError, ValueError):
        pass


def _doctor_extensions(found: _Findings) -> None:
    import subprocess

    print("nbgrader extensions")
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    for what, needles in (("server", ("formgrader", "assignment_list", "course_list", "validate_assignment")),
                          ("lab", ("@jupyter/nbgrader",))):
        cmd = [jupyter, "server" if what == "server" else "labextension", *(["extension"] if what == "server" else []),
               "list"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
            text = proc.stdout + proc.stderr
        except (OSError, subprocess.TimeoutExpired) as e:
            found.bad(f"`{' '.join(cmd[-3:])}` did not run: {e}")
            continue
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        for needle in needles:
            if [ln for ln in text.splitlines() if needle in ln and "enabled" in ln]:
                found.ok(f"{what} extension {needle} enabled")
            else:
                found.bad(f"{what} extension {needle} is not enabled "
                          f"(jupyter {'server extension' if what == 'server' else 'labextension'} enable ...)")


def _doctor_course(found: _Findings, course: Course) -> None:
    found.ok(f"course at {course.root}")
    _doctor_config(found, course)
    names = course.source_assignments()
    if names:
        found.ok(f"assignments: {', '.join(names)}")
    else:
        found.bad(f"no assignments in {course.root / 'source'}")
    for a in names:
        _doctor_assignment(found, course, a)
    ex = course.ensure_exchange()
    if os.stat(ex).st_mode & 0o777 == 0o777:
        found.ok(f"exchange {ex} exists and is world-writable")
    else:
        found.bad(f"exchange {ex} is not world-writable (chmod 777 {ex})")
    if course.has_gradebook():
        try:
            with course.gradebook() as gb:
                found.ok(f"gradebook: {len(gb.assignments)} assignment(s), {len(gb.students)} student(s)")
        except Exception as e:  # noqa: BLE001
            found.bad(f"gradebook does not open: {type(e).__name__}: {e}")
    else:
        print("  note  no gradebook yet (made by `coursekit release`)")


def _doctor_config(found: _Findings, course: Course) -> None:

    try:
        cfg = course_config(course)
        root = cfg.CourseDirectory.root
        if root and os.path.realpath(root) != os.path.realpath(course.root):
            found.bad(f"c.CourseDirectory.root is {root}, not the folder of nbgrader_config.py")
        else:
            found.ok("nbgrader_config.py loads; CourseDirectory.root is its folder")
        if "coursekit.grading.preprocessors.Regrade" not in list(cfg.Autograde.get("autograde_preprocessors", [])):
            found.bad("c.Autograde.autograde_preprocessors lacks coursekit.grading.preprocessors.Regrade "
                      "(wrong answers could pass by patching the kernel)")
        else:
            found.ok("autograde re-runs test cells in a sandbox (coursekit.grading.preprocessors.Regrade)")
    except Exception as e:  # noqa: BLE001 - any error in the config file is the finding
        found.bad(f"nbgrader_config.py does not load: {type(e).__name__}: {e}")


def _lab_view(server_root: Path) -> tuple:
    """(course id, exchange root, folder of fetched assignments) that nbgrader's Lab extension uses when
    JupyterLab serves `server_root`: its own loader, which reads nbgrader_config.py in the server root
    (and the Jupyter config folders), then again in the folder of fetched assignments (Exchange.assignment_dir)."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory
    from nbgrader.server_extensions.assignment_list.handlers import AssignmentList

    lab = AssignmentList()
    lab.root_dir = str(server_root)
    cwd = os.getcwd()
    try:  # it changes the working directory (twice), and restores it only when nothing fails
        os.chdir(server_root)  # the server's own, with `make lab`: a relative assignment_dir ('.') is taken from it
        with lab.get_assignment_dir_config() as cfg:
            lister = ExchangeFactory(config=cfg).List(config=cfg)
            return CourseDirectory(config=cfg).course_id, lister.root, os.path.abspath(lister.assignment_dir)
    finally:
        os.chdir(cwd)


def _doctor_lab(found: _Findings, course: Course, server_root: Path) -> None:
    """What the Assignments panel gets (`_lab_view`) against the course's config: the same course id
    and exchange, the exchange writable, fetched work in a folder of its own."""
    from nbgrader.utils import check_directory

    print(f"JupyterLab's Assignments panel, as `make lab` serves {server_root}")
    config = server_root / CONFIG
    why = f"(nbgrader's Lab extension reads {config}{', which is missing' if not config.is_file() else ''})"
    try:
        course_id, exchange, fetched = _lab_view(server_root)
    except OSError as e:  # a folder it changes to is missing
        found.bad(f"nbgrader's Lab extension fails: {e.strerror}: {e.filename} {why}")
        return
    want_id = course_config(course).CourseDirectory.get("course_id", "")
    if course_id != want_id:
        found.bad(f"it would use the course id {course_id!r}, not the course's {want_id!r} {why}")
    else:
        found.ok(f"course id {course_id!r}, the course's")
    if os.path.realpath(exchange) != os.path.realpath(course.exchange):
        found.bad(f"it would use the exchange {exchange}, not the course's {course.exchange} {why}")
    elif not check_directory(exchange, write=True, execute=True):
        found.bad(f"the exchange {exchange} is missing or not writable: the panel shows \"Error fetching courses!\"")
    else:
        found.ok(f"exchange {exchange}, the course's, writable")
    if os.path.realpath(fetched) == os.path.realpath(server_root):
        found.bad(f"fetched assignments and feedback would land in {server_root} itself, not in a git-ignored "
                  f"folder (c.Exchange.assignment_dir) {why}")
    else:
        found.ok(f"fetched assignments and feedback go to {fetched}")


def _doctor_assignment(found: _Findings, course: Course, a: str) -> None:
    import nbformat

    for path in sorted((course.root / "source" / a).glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as e:  # noqa: BLE001
            found.bad(f"{path.name}: not a readable notebook ({e})")
            continue
        grades = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
        if not grades:
            found.bad(f"{a}/{path.name}: no grade cells")
        else:
            pts = sum(float(c.metadata.nbgrader.get("points", 0)) for c in grades)
            found.ok(f"{a}/{path.name}: {len(grades)} grade cells, {pts:g} points")


def _doctor_device(found: _Findings) -> None:
    print("device")
    try:
        from . import backend

        dev = backend.device()
        found.ok(f"grading compares with PyTorch on {dev} "
                 f"(COURSEKIT_DEVICE={os.environ.get('COURSEKIT_DEVICE', 'auto')})")
    except Exception as e:  # noqa: BLE001
        found.bad(f"no PyTorch device: {type(e).__name__}: {e}")
    print("isolation of student code")
    from .grading import isolation

    try:
        found.ok(f"in force: {isolation.detect().describe()}")
    except isolation.IsolationUnavailable as e:
        found.bad(f"none: {e}; `coursekit autograde` will refuse to grade without --unsafe-same-user")


# ---------------------------------------------------------------------------------------- main

def _grading_options(p) -> None:
    """How submissions are graded: the options `autograde` and `serve` share."""
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="compare with PyTorch on this device (auto: CUDA when present)")
    p.add_argument("--student-timeout", type=float, default=600.0, metavar="S",
                   help="seconds one student may take before grading is stopped and 0 recorded (default 600)")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="seconds for the whole run; students not reached get 0 with that reason")
    p.add_argument("--memory-limit", type=float, default=2.0, metavar="GB",
                   help="memory of each grading process: nbgrader, kernel, sandbox (default 2; 0: none)")
    p.add_argument("--unsafe-same-user", action="store_true",
                   help="run student code as this user, with the course readable to it, when this machine "
                        "cannot isolate it (no bubblewrap); never for an untrusted class")
    p.add_argument("--cold-kernels", action="store_true",
                   help="start every kernel from nothing (default: fork them from a process with the imports done)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="grade on a local Dask cluster of N workers (default 0: one submission after another)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--hidden-cases", choices=HIDDEN_POLICIES, default="count",
                   help="what the feedback shows of the hidden cases: none, count (how many pass, what went "
                        "wrong, not their inputs; default) or names (each one's name and shapes)")


def _hub_parsers(sub) -> None:
    """`coursekit hub` and `coursekit serve`: the class on one JupyterHub."""
    h = sub.add_parser("hub", help="a JupyterHub for the class on this machine, from the roster (as root)")
    h.add_argument("--root", default="/srv/coursekit", metavar="DIR",
                   help="the hub's folder: its database, the exchange, role configs (default /srv/coursekit)")
    h.add_argument("--roster", metavar="CSV", help="id,name[,role] (default: roster.csv in the course folder)")
    h.add_argument("--ip", default="127.0.0.1", help="where the class connects (default 127.0.0.1)")
    h.add_argument("--port", type=int, default=8765, help="the class's port; the next three are used too")
    h.add_argument("--auth", choices=("dev", "pam"), default="dev",
                   help="dev: one shared password, loopback only; pam: the users' system passwords")
    h.add_argument("--serve-args", metavar="WORDS", help="options of the grading service, e.g. '--per-hour 5'")
    h.add_argument("--setup-only", action="store_true", help="make the users and files, do not start the hub")

    s = sub.add_parser("serve", help="the hub's grading service: grade each submission, release its feedback")
    s.add_argument("--hub-root", required=True, metavar="DIR", help="the folder `coursekit hub` made")
    s.add_argument("--per-hour", type=int, default=0, metavar="N",
                   help="gradings per student per hour, later submissions wait (default 0: no limit)")
    s.add_argument("--hide-scores-before-due", action="store_true",
                   help="the service's page shows students their scores only after the due date")
    s.add_argument("--poll", type=float, default=1.0, metavar="S", help="seconds between looks at the exchange")
    _grading_options(s)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="coursekit",
                                description="The course's nbgrader workflow (run from the repo root).")
    p.add_argument("--course", metavar="PATH", help="the course folder (default: ./assignments)")
    p.add_argument("--hub-root", dest="hub_exchange", metavar="DIR",
                   help="use the exchange of the class hub made in DIR by `coursekit hub`")
    p.add_argument("--db-url", metavar="URL", help="the gradebook database (default: $COURSEKIT_DB_URL, else "
                                                  "SQLite in the course folder), e.g. postgresql+psycopg2://host/db")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser("release", help="build the student versions (nbgrader generate_assignment)")
    r.add_argument("assignment", nargs="*", help="assignments (default: all in source/)")
    r.add_argument("--exchange", action="store_true", help="also release them to the exchange")

    c = sub.add_parser("collect", help="collect submissions into submitted/ (nbgrader collect)")
    c.add_argument("assignment", nargs="*", help="assignments (default: all released)")
    c.add_argument("--zip", action="store_true",
                   help="from downloaded/<assignment>/archive/ (zip files or <student>_<notebook>.ipynb; "
                        "nbgrader zip_collect) instead of the exchange")

    a = sub.add_parser("autograde", help="grade every submission; 0 with a reason for those that break")
    a.add_argument("assignment")
    a.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    a.add_argument("--force", action="store_true", help="grade everyone again, even students already graded")
    a.add_argument("--retry-failed", action="store_true",
                   help="grade again the submissions recorded as failed (by default a re-run skips them)")
    _grading_options(a)

    f = sub.add_parser("feedback", help="feedback HTML per student (nbgrader generate_feedback)")
    f.add_argument("assignment")
    f.add_argument("--student", metavar="ID", help="only this student")
    f.add_argument("--release", action="store_true", help="also release it to the exchange")

    rp = sub.add_parser("report", help="the class report of an autograded assignment (HTML with plots, and CSV)")
    rp.add_argument("assignment")

    e = sub.add_parser("export", help="every grade as CSV: nbgrader's, or for import into Canvas or Moodle")
    e.add_argument("--format", choices=("csv", *FORMATS), default="csv",
                   help="csv: nbgrader export's CSV (default); canvas: Canvas's gradebook import (Student, ID, "
                        "SIS User ID, SIS Login ID, Section, a Points Possible row); moodle: Moodle's CSV grade "
                        "import (Username, Email address)")
    e.add_argument("-o", "--output", metavar="FILE",
                   help="default: assignments/reports/grades.csv (grades-canvas.csv, grades-moodle.csv)")

    _hub_parsers(sub)

    d = sub.add_parser("doctor", help="versions, nbgrader extensions, course folder, Assignments panel, device")
    d.add_argument("--lab-root", metavar="PATH",
                   help="the folder JupyterLab serves (default: the one above the course, as `make lab` does)")
    return p


def _reach_database() -> None:
    """A database URL that cannot be used is one clear line, before any work starts."""
    url = os.environ.get("COURSEKIT_DB_URL")
    if not url:
        return
    import sqlalchemy

    shown = re.sub(r"://[^@/]*@", "://***@", url)  # no password in the message
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except ImportError as e:
        raise CourseError(f"the gradebook database {shown} needs a driver: {e} (pip install psycopg2-binary)") from None
    except Exception as e:  # noqa: BLE001 - sqlalchemy's errors are many; the first line says why
        first = str(getattr(e, "orig", None) or e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CourseError(f"cannot reach the gradebook database {shown}: {first}") from None


COMMANDS = {"release": cmd_release, "collect": cmd_collect, "autograde": cmd_autograde,
            "feedback": cmd_feedback, "report": cmd_report, "export": cmd_export, "hub": cmd_hub, "serve": cmd_serve}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.db_url:
        os.environ["COURSEKIT_DB_URL"] = args.db_url  # for this process and the nbgrader runs it starts
    hub_root = args.hub_exchange or getattr(args, "hub_root", None)
    if hub_root:
        os.environ[EXCHANGE_ENV] = str(Path(hub_root).resolve() / "exchange")
    try:
        if args.command != "doctor":
            _reach_database()
        if args.command == "doctor":
            return cmd_doctor(Course.find(args.course) if args.course else None, args)
        course = Course.find(args.course)
        return COMMANDS[args.command](course, args)
    except CourseError as e:
        print(f"coursekit {args.command}: error: {e}", file=sys.stderr)
        return 1
    except GraderFault as e:
        print(f"coursekit {args.command}: grader fault: {e}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"coursekit {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line for the user, the traceback on request
        if os.environ.get("COURSEKIT_DEBUG"):
            raise
        print(f"coursekit {args.command}: error: {type(e).__name__}: {e} (COURSEKIT_DEBUG=1 for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
