"""`coursekit hub`: a class's JupyterHub on this machine, made from the roster.

    roster = read_roster("assignments/roster.csv")     # id,name[,role]: role student (default) or instructor
    settings = Settings(root=Path("/srv/coursekit"), course=..., repo=..., users=roster)
    prepare(settings)                                  # users, homes, exchange, role configs (as root)
    run_hub(settings)                                  # jupyterhub -f <root>/jupyterhub_config.py

The hub folder (`root`) holds everything the hub writes: hub.json (these settings),
jupyterhub_config.py, the hub's SQLite database, its cookie secret, the nbgrader exchange
(exchange/), the role configs (etc/student, etc/instructor), the grading service's queue,
admin-token (the hub API's, for the instructors' scripts) and, with the development
authenticator, dev-password.
"""
from __future__ import annotations

import csv
import grp
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..grading.course import Course, CourseError, course_config

INSTRUCTORS_GROUP = "coursekit-instructors"
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")  # a Unix user name nbgrader accepts (no "+", no "*")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
COURSE_MOUNT = "grading"  # where an instructor's server shows the course folder, in the home
# the nbgrader lab plugins and server extensions only instructors get
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list")
NEWS = "@jupyterlab/apputils-extension:announcements"
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")


@dataclass(frozen=True)
class User:
    id: str
    name: str = ""
    role: str = "student"  # or "instructor"


@dataclass(frozen=True)
class Settings:
    """Everything the hub, its spawner and the grading service need to know."""

    root: Path  # the hub folder
    course: Path  # the nbgrader course folder (assignments/ of a checkout)
    repo: Path  # the checkout: its notebooks/ are copied into each home
    users: tuple = ()  # of User
    ip: str = "127.0.0.1"
    port: int = 8765  # the proxy's public port; the hub API, the proxy API and the service use the next three
    auth: str = "dev"  # "dev" (one shared password, loopback only) or "pam"
    course_id: str = ""
    serve_args: tuple = ()  # extra words for `coursekit serve` (--workers 2, --per-hour 5, ...)
    python: str = field(default_factory=lambda: sys.executable)

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def instructors(self) -> list:
        return [u.id for u in self.users if u.role == "instructor"]

    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port + 3}"

    def save(self) -> Path:
        path = self.root / "hub.json"
        d = asdict(self)
        d.update(root=str(self.root), course=str(self.course), repo=str(self.repo))
        path.write_text(json.dumps(d, indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path) -> Settings:
        d = json.loads(Path(path).read_text())
        return cls(**{**d, "root": Path(d["root"]), "course": Path(d["course"]), "repo": Path(d["repo"]),
                      "users": tuple(User(**u) for u in d["users"]), "serve_args": tuple(d["serve_args"])})


def read_roster(path) -> tuple:
    """The roster CSV (columns id, name and optionally role) as Users; CourseError names the bad line."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"no roster at {path}: write one (id,name[,role]; role student or instructor)")
    users, seen = [], set()
    with open(path, newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            uid, role = (row.get("id") or "").strip(), (row.get("role") or "student").strip() or "student"
            if not USER_NAME.match(uid):
                raise CourseError(f"{path}:{n}: id {uid!r} is not a Unix user name (lower case, digits, _ and -)")
            if role not in ("student", "instructor"):
                raise CourseError(f"{path}:{n}: role {role!r} must be student or instructor")
            if uid in seen:
                raise CourseError(f"{path}:{n}: {uid} is in the roster twice")
            seen.add(uid)
            users.append(User(uid, (row.get("name") or "").strip(), role))
    if not users:
        raise CourseError(f"{path} lists nobody (columns: id,name[,role])")
    return tuple(users)


# ------------------------------------------------------------------------------------ preparing

def check_can_host(settings: Settings) -> None:
    """One line (CourseError) when this machine or these settings cannot host the class."""
    if os.geteuid() != 0:
        raise CourseError("coursekit hub runs as root: every student is an OS user and each server runs as "
                          "its user (sudo coursekit hub ...)")
    if settings.auth == "dev" and settings.ip not in LOOPBACK:
        raise CourseError(f"the development authenticator (one shared password) listens on loopback only, not "
                          f"{settings.ip}: use --auth pam (README: Run it for a class)")
    if settings.auth not in ("dev", "pam"):
        raise CourseError(f"--auth must be dev or pam, not {settings.auth!r}")
    for tool in ("bwrap", "setpriv", "useradd"):
        if not shutil.which(tool):
            raise CourseError(f"{tool} is missing (Debian: apt-get install bubblewrap util-linux passwd)")
    if not proxy_command():
        raise CourseError("configurable-http-proxy is missing: run `make hub` (npm install into the venv)")


def proxy_command() -> str | None:
    """configurable-http-proxy: the one `make hub` installs into the venv, else one on PATH."""
    local = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def prepare(settings: Settings) -> Settings:
    """Users, homes, the exchange, the course's permissions, role configs and the hub's config files."""
    check_can_host(settings)
    settings.root.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.root, 0o755)
    course_id = settings.course_id or course_config(Course(settings.course)).CourseDirectory.course_id
    if not course_id:
        raise CourseError(f"{settings.course}/nbgrader_config.py sets no c.CourseDirectory.course_id")
    settings = replace(settings, course_id=course_id)
    _groupadd(INSTRUCTORS_GROUP)
    for user in settings.users:
        _add_user(user, settings.repo / "notebooks")
    _exchange(settings.exchange, course_id)
    _roster_in_gradebook(settings)
    _course_private(settings.course)
    _role_configs(settings)
    for name, value in (("admin-token", secrets.token_hex(32)),) + (
            (("dev-password", secrets.token_urlsafe(12)),) if settings.auth == "dev" else ()):
        secret = settings.root / name
        if not secret.exists():
            secret.write_text(value + "\n")
        os.chmod(secret, 0o600)
    path = settings.save()
    (settings.root / "jupyterhub_config.py").write_text(
        "# made by `coursekit hub`: the settings are in hub.json beside this file\n"
        "from coursekit.hub.config import configure\n\n"
        f"configure(c, {str(path)!r})  # noqa: F821 - c is given by JupyterHub\n")
    return settings


def _groupadd(group: str) -> None:
    try:
        grp.getgrnam(group)
    except KeyError:
        subprocess.run(["groupadd", "--system", group], check=True, capture_output=True)


def _add_user(user: User, notebooks: Path) -> None:
    """The OS user (made if missing), a private home, the lecture notebooks in ~/course."""
    try:
        pw = pwd.getpwnam(user.id)
    except KeyError:
        cmd = ["useradd", "--create-home", "--shell", "/bin/bash", "--comment", user.name or user.id]
        subprocess.run([*cmd, user.id], check=True, capture_output=True)
        pw = pwd.getpwnam(user.id)
    if user.role == "instructor":
        subprocess.run(["usermod", "--append", "--groups", INSTRUCTORS_GROUP, user.id], check=True,
                       capture_output=True)
    home = Path(pw.pw_dir)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    os.chmod(home, 0o700)  # Debian's useradd makes 0755 homes: every student could read every other's work
    target = home / "course"
    if not target.exists() and notebooks.is_dir():
        shutil.copytree(notebooks, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for d, _, files in os.walk(target):
            os.chown(d, pw.pw_uid, pw.pw_gid)
            for f in files:
                os.chown(os.path.join(d, f), pw.pw_uid, pw.pw_gid)


def _exchange(root: Path, course_id: str) -> None:
    """nbgrader's exchange with the modes it needs: the root writable by all (sticky), outbound
    readable, inbound writable but not listable (sticky: nobody removes another's submission),
    feedback not listable (each file is named by a hash only its student can compute)."""
    for path, mode in ((root, 0o1777), (root / course_id, 0o755), (root / course_id / "outbound", 0o755),
                       (root / course_id / "inbound", 0o1733), (root / course_id / "feedback", 0o711)):
        path.mkdir(exist_ok=True)
        os.chown(path, 0, 0)
        os.chmod(path, mode)


def _roster_in_gradebook(settings: Settings) -> None:
    """The students, with their names, in the gradebook (the formgrader lists them by name)."""
    with Course(settings.course).gradebook() as gb:
        for u in settings.users:
            if u.role == "student":
                first, _, last = u.name.rpartition(" ") if " " in u.name else ("", "", u.name)
                gb.update_or_create_student(u.id, first_name=first or None, last_name=last or None)


def _course_private(course: Path) -> None:
    """The course folder (sources with hidden tests, solutions, the gradebook, every submission):
    root and the instructors' group only."""
    gid = grp.getgrnam(INSTRUCTORS_GROUP).gr_gid
    for d, _, files in os.walk(course):
        os.chown(d, -1, gid)
        os.chmod(d, 0o2770)
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                os.chown(p, -1, gid)
                os.chmod(p, (os.stat(p).st_mode & 0o770) | 0o060)


def _role_configs(settings: Settings) -> None:
    """etc/student and etc/instructor: nbgrader's config (the course id, the exchange) and, for
    students, the instructor-only lab plugins and server extensions turned off."""
    for role in ("student", "instructor"):
        etc = settings.root / "etc" / role
        (etc / "labconfig").mkdir(parents=True, exist_ok=True)
        lines = [f"c.CourseDirectory.course_id = {settings.course_id!r}",
                 f"c.Exchange.root = {str(settings.exchange)!r}"]
        if role == "instructor":  # where the spawner mounts the course in an instructor's server
            lines.append(f"c.CourseDirectory.root = os.path.expanduser('~/{COURSE_MOUNT}')")
        head = "# made by `coursekit hub`\nimport os\n\nc = get_config()  # noqa: F821\n"
        (etc / "nbgrader_config.py").write_text(head + "\n".join(lines) + "\n")
        off = role == "student"
        plugins = {p: off for p in INSTRUCTOR_PLUGINS} | {NEWS: True}  # the hub has no network: no news
        (etc / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": plugins}, indent=1))
        (etc / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {e: not off for e in INSTRUCTOR_SERVER_EXTENSIONS}}}, indent=1))
        for d, _, files in os.walk(etc):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)


def run_hub(settings: Settings) -> int:
    """JupyterHub in the foreground, in the hub folder (its logs go to stderr)."""
    jupyterhub = Path(sys.executable).parent / "jupyterhub"
    cmd = [str(jupyterhub), "-f", str(settings.root / "jupyterhub_config.py")]
    return subprocess.run(cmd, cwd=settings.root, check=False).returncode
