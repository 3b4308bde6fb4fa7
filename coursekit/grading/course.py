"""The course folder: nbgrader_config.py, sources, submissions, the gradebook, and running nbgrader there.

    course = Course.find()               # ./assignments, or the nearest folder up with a config
    course.submitted_students("01_neurons"); course.run_nbgrader("db", "student", "list")
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .procs import run_watched

CONFIG = "nbgrader_config.py"
EXCHANGE_ENV = "COURSEKIT_EXCHANGE"


class CourseError(Exception):
    """Something a user can fix (a missing course folder, an unknown assignment, ...)."""


# ------------------------------------------------------------------------------------------ course

@dataclass
class Course:
    """An nbgrader course folder (the one holding nbgrader_config.py)."""

    root: Path
    db: str | None = None  # the gradebook's URL, when not the default (see db_url)
    environ: dict = field(default_factory=dict)  # more environment for the nbgrader runs

    @classmethod
    def find(cls, path=None) -> Course:
        """The course at `path`, else `./assignments` or the nearest folder up with a config and a
        source/ folder (the repository root's and student/'s configs are the student's side, no course)."""
        if path is not None:
            root = Path(path).resolve()
            if not (root / CONFIG).is_file():
                raise CourseError(f"{root} is not a course folder (no {CONFIG} in it)")
            return cls(root)
        here = Path.cwd().resolve()
        for d in [here, *here.parents]:
            if (d / "assignments" / CONFIG).is_file():
                return cls(d / "assignments")
            if (d / CONFIG).is_file() and (d / "source").is_dir():
                return cls(d)
        raise CourseError(f"no course found: run from the repository root (assignments/{CONFIG}) "
                          "or pass --course PATH")

    # -- folders
    @property
    def db_url(self) -> str:
        """The gradebook: `db`, else $COURSEKIT_DB_URL (a PostgreSQL server, say), else gradebook.db
        here; the course's nbgrader_config.py reads the same variable (set by env())."""
        return self.db or os.environ.get("COURSEKIT_DB_URL") or "sqlite:///" + str(self.root / "gradebook.db")

    def has_gradebook(self) -> bool:
        """False only for a SQLite gradebook not made yet (a database server's is made on first use)."""
        return not self.db_url.startswith("sqlite:///") or Path(self.db_url[len("sqlite:///"):]).exists()

    def source_assignments(self) -> list:
        src = self.root / "source"
        return sorted(p.name for p in src.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))) \
            if src.is_dir() else []

    def submitted_students(self, assignment: str) -> list:
        sub = self.root / "submitted"
        if not sub.is_dir():
            return []
        return sorted(p.name for p in sub.iterdir() if (p / assignment).is_dir())

    def reports_dir(self) -> Path:
        d = self.root / "reports"
        d.mkdir(exist_ok=True)
        return d

    # -- running nbgrader
    def env(self) -> dict:
        """nbgrader's environment: this Python's scripts on PATH (nbgrader calls `alembic`), this
        coursekit importable (the kernel and nbgrader_config.py need it), the gradebook's URL, one
        BLAS/OpenMP thread."""
        env = dict(os.environ)
        bindir = os.path.dirname(sys.executable)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        pkg_parent = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
        env.update(self.environ)
        env["COURSEKIT_DB_URL"] = self.db_url
        if self.exchange != self.root / "exchange":  # a hub's; the course's own needs no mention (nor a path)
            env[EXCHANGE_ENV] = str(self.exchange)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env.setdefault(var, "1")  # small ops, many processes: threads only contend
        return env

    def nbgrader_cmd(self, *args) -> list:
        return [sys.executable, "-m", "nbgrader", *args]

    def run_nbgrader(self, *args, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run an nbgrader command in the course folder; the whole process tree dies on timeout."""
        run = run_watched(self.nbgrader_cmd(*args), cwd=self.root, env=self.env(), timeout=timeout)
        return subprocess.CompletedProcess(run.args, run.returncode, "".join(run.lines), "")

    @property
    def exchange(self) -> Path:
        """nbgrader's exchange: $COURSEKIT_EXCHANGE (a class hub's, `coursekit --hub-root`), else
        exchange/ in the course folder; the course's nbgrader_config.py reads the same variable."""
        return Path(self.environ.get(EXCHANGE_ENV) or os.environ.get(EXCHANGE_ENV) or self.root / "exchange")

    def ensure_exchange(self) -> Path:
        """The exchange folder, made if missing, world-writable (nbgrader needs that); one made
        elsewhere before (a class hub's, by `coursekit hub`) is left with the modes it has."""
        ex = self.exchange
        if ex == self.root / "exchange" or not ex.is_dir():
            ex.mkdir(parents=True, exist_ok=True)
            try:
                os.chmod(ex, 0o777)
            except OSError:
                pass
        return ex

    # -- the gradebook
    def gradebook(self):
        from nbgrader.api import Gradebook

        bindir = os.path.dirname(sys.executable)  # a new gradebook is made by running `alembic`
        if bindir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
        return Gradebook(self.db_url)

    def notebooks(self, assignment: str) -> list:
        """Notebook names of an assignment, from the gradebook (so it must have been released)."""
        from nbgrader.api import MissingEntry

        if not self.has_gradebook():
            raise CourseError(f"no gradebook yet: run `coursekit release {assignment}` first")
        with self.gradebook() as gb:
            try:
                return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                raise CourseError(f"assignment {assignment!r} is not in the gradebook: run "
                                  f"`coursekit release {assignment}` first") from None


def course_config(course: Course):
    """The course's nbgrader_config.py, loaded as nbgrader would (a traitlets Config)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(CONFIG, path=str(course.root)).load_config()


def execute_timeout(course: Course) -> float | None:
    """c.Execute.timeout of the course (for messages), or None."""
    try:
        value = course_config(course).Execute.timeout
        return float(value) if isinstance(value, (int, float)) else None
    except Exception:  # noqa: BLE001 - only a message depends on it
        return None
