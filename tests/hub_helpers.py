"""A class hub for tests and benchmarks: roster, OS users, `coursekit hub`, one assignment released.

    with class_hub(tmp, n_students=4, n_load=40) as hub:     # users made, hub started
        hub.answer(user); hub.submit(user); hub.wait_graded([user])
    # hub stopped, users and their homes removed
"""
from __future__ import annotations

import contextlib
import json
import os
import pwd
import random
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
from browser import wait_for_server
from pipeline_helpers import ROOT, coursekit_cmd, make_course, solutions, submission

from coursekit.hub.queue import Queue
from coursekit.hub.setup import Settings
from coursekit.hub.spawner import role_env, sandboxed

A = "01_neurons"


@dataclass
class Hub:
    root: Path
    course: Path
    port: int
    students: list  # a, b, c, d
    instructor: str
    load: list
    log: Path
    proc: subprocess.Popen | None = None
    sources: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        return Settings.load(self.root / "hub.json")

    @property
    def password(self) -> str:
        return (self.root / "dev-password").read_text().strip()

    def start(self) -> None:
        out = open(self.log, "a")
        self.proc = subprocess.Popen(coursekit_cmd("--course", str(self.course), "hub", "--root", str(self.root),
                                                   "--port", str(self.port)), cwd=ROOT, stdout=out,
                                     stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                     start_new_session=True)
        wait_for_server(f"{self.url}/hub/api/", self.proc, self.log, timeout=120)

    def stop(self) -> None:
        """SIGTERM to `coursekit hub` and JupyterHub (which stops the servers, the service, the proxy)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while hub_processes(self.root) and time.monotonic() < deadline:
            time.sleep(0.5)
        self.proc = None

    def api(self, path: str, method="GET", token=None, body=None):
        """The hub's REST API (the admin token by default): (status, parsed JSON or text)."""
        token = token or (self.root / "admin-token").read_text().strip()
        return http(f"{self.url}/hub/api/{path}", method, token, body)

    def token(self, user: str) -> str:
        status, data = self.api(f"users/{user}/tokens", "POST", body={"note": "test"})
        assert status == 201, data
        return data["token"]

    def run_as(self, user: str, cmd: str, timeout=120) -> subprocess.CompletedProcess:
        """`cmd` (sh) as `user`, in the sandbox the user's server runs in."""
        home = pwd.getpwnam(user).pw_dir
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "USER": user, "HOME": home,
               "JUPYTER_PLATFORM_DIRS": "1", **role_env(self.settings, user, home)}
        return subprocess.run(sandboxed(self.settings, user, ["/bin/sh", "-c", cmd]), env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def answer(self, user: str, edits=()) -> None:
        """Fetch the assignment as `user`, then fill its answer cells with the solutions, `edits` applied."""
        fetched = pwd.getpwnam(user).pw_dir + f"/{A}/{A}.ipynb"
        if not os.path.exists(fetched):
            run = self.run_as(user, f"nbgrader fetch_assignment {A}")
            assert run.returncode == 0, run.stdout + run.stderr
        nb = submission(nbformat.read(fetched, as_version=4), self.sources, edits)
        nbformat.write(nb, fetched)
        pw = pwd.getpwnam(user)
        os.chown(fetched, pw.pw_uid, pw.pw_gid)

    def submit(self, user: str) -> None:
        run = self.run_as(user, f"nbgrader submit {A}")
        assert run.returncode == 0, run.stdout + run.stderr

    def rows(self, student=None) -> list:
        return Queue(self.root / "queue.sqlite").rows(student)

    def wait_graded(self, students, timeout=300) -> list:
        """The rows of `students` once each has one graded (or failed) submission, its feedback released."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = [r for r in self.rows() if r.student in students]
            if {r.student for r in rows if r.status in ("graded", "failed") and r.released} == set(students):
                return rows
            time.sleep(1)
        raise TimeoutError(f"not graded within {timeout} s: {[(r.student, r.status, r.reason) for r in self.rows()]}\n"
                           + self.log.read_text()[-3000:])


def http(url, method="GET", token=None, body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read().decode()
            status = r.status
    except urllib.error.HTTPError as e:
        text, status = e.read().decode(errors="replace"), e.code
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def hub_processes(root: Path) -> list:
    return [p for p in psutil.process_iter(["cmdline"]) if str(root) in " ".join(p.info["cmdline"] or [])]


def _free_base_port() -> int:
    """A port P with P..P+3 free (the class, the hub API, the proxy API, the service)."""
    for _ in range(50):
        base = random.randint(20000, 60000)
        try:
            for p in range(base, base + 4):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
    raise RuntimeError("no four free ports in a row")



@contextlib.contextmanager
def class_hub(tmp: Path, n_students: int = 4, n_load: int = 0):
    """A hub with `n_students` students (a, b, c, ...), one instructor and `n_load` more students
    (l00, l01, ...), all new OS users (removed afterwards), 01_neurons released."""
    course = make_course(tmp / "course", timeout=10, regrade_timeout=6)
    prefix = "ck" + "".join(random.choices(string.ascii_lowercase, k=4))
    students = [f"{prefix}{chr(ord('a') + i)}" for i in range(n_students)]
    h = Hub(tmp / "hub", course, _free_base_port(), students, f"{prefix}prof",
            [f"{prefix}l{i:02d}" for i in range(n_load)], tmp / "hub.log")
    users = [*students, h.instructor, *h.load]
    (course / "roster.csv").write_text("id,name,role\n" + "".join(f"{u},Student {u},student\n" for u in students)
                                       + f"{h.instructor},The Instructor,instructor\n"
                                       + "".join(f"{u},,student\n" for u in h.load))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        for args in (("--course", str(course), "hub", "--root", str(h.root), "--port", str(h.port), "--setup-only"),
                     ("--course", str(course), "--hub-root", str(h.root), "release", A, "--exchange")):
            run = subprocess.run(coursekit_cmd(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            if run.returncode != 0:
                raise RuntimeError(run.stdout + run.stderr)
        h.sources = solutions(nbformat.read(course / "source" / A / f"{A}.ipynb", as_version=4))
        h.start()
        yield h
    finally:
        h.stop()
        for u in users:
            subprocess.run(["pkill", "-KILL", "-u", u], capture_output=True, check=False)
            subprocess.run(["userdel", "--remove", u], capture_output=True, check=False)
