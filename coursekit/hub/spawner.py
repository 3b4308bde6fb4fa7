"""Each user's JupyterLab as that OS user, inside the sandbox that grading uses (grading/isolation.py).

What a student's server can see: the system's folders, this Python and coursekit (read-only), the
student's own home (read-write), the nbgrader exchange, and etc/student (nbgrader's config, the
instructor-only plugins off). The course folder, the other homes, the hub folder and the
checkout do not exist there. An instructor's server also sees the course folder (read-write; it
belongs to the instructors' group) and gets the formgrader.

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
from .setup import Settings


class CourseSpawner(LocalProcessSpawner):
    settings_path = Unicode(config=True, help="hub.json, written by `coursekit hub`")

    def make_preexec_fn(self, name):
        return None  # stay root until bwrap has mounted; setpriv switches to the user inside

    def _wrapped(self, settings: Settings) -> list:
        """The words before the server's command line: bubblewrap, then setpriv to the user."""
        name = self.user.name
        home = pwd.getpwnam(name).pw_dir
        instructor = name in settings.instructors
        role = "instructor" if instructor else "student"
        readable = [str(settings.root / "etc" / role)]
        writable = [str(settings.exchange)] + ([str(settings.course)] if instructor else [])
        argv = Isolation("user+bwrap", user=name).wrap_server(["/bin/sh", "-c"], home=home, writable=writable,
                                                             readable=readable)
        # the user's own groups (an instructor's include the course's), not none
        return [("--init-groups" if w == "--clear-groups" else w) for w in argv]

    def get_env(self):
        env = super().get_env()
        settings = Settings.load(self.settings_path)
        role = "instructor" if self.user.name in settings.instructors else "student"
        env["JUPYTER_CONFIG_PATH"] = str(settings.root / "etc" / role)
        env["JUPYTER_DATA_DIR"] = os.path.join(env.get("HOME", "/tmp"), ".local/share/jupyter")
        return env

    async def start(self):
        self.shell_cmd = self._wrapped(Settings.load(self.settings_path))
        return await super().start()

    async def _signal(self, sig):
        """Signal the server's whole process group (bubblewrap and what runs in it)."""
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            return False
        return True

