"""Each user's JupyterLab as that OS user, inside the sandbox that grading uses (grading/isolation.py).

What a student's server can see: the system's folders, this Python and coursekit (read-only), the
student's own home (read-write), the nbgrader exchange, and etc/student (nbgrader's config, the
instructor-only plugins off). The course folder, the other homes, the hub folder and the
checkout do not exist there. An instructor's server also sees the course folder, as ~/grading
(read-write; it belongs to the instructors' group; the formgrader wants it inside the server's
root), and gets the formgrader.

The hub runs as root: bubblewrap mounts as root, then setpriv drops to the user with the user's
own groups, no capabilities and no way back. The server stays in the process group the hub
started, and the hub signals that whole group.
"""
from __future__ import annotations

import os
import pwd

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Unicode

from ..grading.isolation import Isolation
from .setup import COURSE_MOUNT, Settings


class CourseSpawner(LocalProcessSpawner):
    settings_path = Unicode(config=True, help="hub.json, written by `coursekit hub`")

    def make_preexec_fn(self, name):
        return None  # stay root until bwrap has mounted; setpriv switches to the user inside

    def get_env(self):
        env = super().get_env()
        env.update(role_env(Settings.load(self.settings_path), self.user.name, env.get("HOME", "/tmp")))
        return env

    async def start(self):
        self.shell_cmd = sandboxed(Settings.load(self.settings_path), self.user.name, ["/bin/sh", "-c"])
        return await super().start()

    async def _signal(self, sig):
        """Signal the server's whole process group (bubblewrap and what runs in it)."""
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            return False
        return True


def sandboxed(settings: Settings, user: str, argv: list) -> list:
    """`argv` as `user` in the user's sandbox (what the user's server, and all it starts, runs in)."""
    home = pwd.getpwnam(user).pw_dir
    instructor = user in settings.instructors
    readable = [str(settings.root / "etc" / ("instructor" if instructor else "student"))]
    mounts = [(settings.course, os.path.join(home, COURSE_MOUNT))] if instructor else []
    words = Isolation("user+bwrap", user=user).wrap_server(argv, home=home, writable=[str(settings.exchange)],
                                                           readable=readable, mounts=mounts)
    # the user's own groups (an instructor's include the course's), not none
    return [("--init-groups" if w == "--clear-groups" else w) for w in words]


def role_env(settings: Settings, user: str, home: str) -> dict:
    """The environment a user's processes get besides the hub's: the role's Jupyter config."""
    role = "instructor" if user in settings.instructors else "student"
    return {"JUPYTER_CONFIG_PATH": str(settings.root / "etc" / role),
            "JUPYTER_DATA_DIR": os.path.join(home, ".local/share/jupyter")}
