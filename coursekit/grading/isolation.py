"""Where student code runs: a bubblewrap sandbox that cannot see the course, as an unprivileged user.

Everything that runs a submission's code (the grading kernel, the sandboxed re-run's child, and
whatever they start) is started through `Isolation.wrap(argv)`:

* as root: `bwrap` sets up the mounts as root (so folders above the checkout may be private), with
  no user namespace, and runs `setpriv` first inside, which drops to the grading user (`nobody`
  unless told otherwise), all capabilities and any way back (no_new_privs): bubblewrap alone does
  not drop root's rights, and switching user before bubblewrap fails on a checkout in a private
  folder (a `mktemp -d`, /root);
* as another user: `bwrap` as that user, in a user namespace;
* inside bwrap (no network, own IPC, own PIDs but for the warm-kernel zygote), the file system is
  an allowlist:
  the system's folders (/usr, /lib*, /bin, /sbin, /etc), this Python and its packages,
  the `coursekit` package itself, and an empty private /tmp that is the only writable place.
  The course folder (sources, releases, the gradebook, every student's work), the homes, /root,
  /srv, /run and everything else simply do not exist there. `writable`/`readable` add single
  paths (the kernels' socket folder, the expectation store).

`detect()` says which of these this machine allows; with neither bubblewrap nor a way to run it,
the autograder refuses to grade unless the instructor passes --unsafe-same-user (`NONE`).
The choice travels to nbgrader's process (its kernels and re-run) in $COURSEKIT_ISOLATION.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENV = "COURSEKIT_ISOLATION"
SCRATCH = "/tmp/work"  # student code's working folder inside the sandbox
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


class IsolationUnavailable(Exception):
    """This machine cannot isolate student code (the message says why and what to do)."""


@dataclass(frozen=True)
class Isolation:
    kind: str  # "user+bwrap" (root: bwrap, then setpriv to `user` inside), "bwrap" (this user), "none"
    user: str = ""  # the grading user ("user+bwrap")
    readable: tuple = field(default=())  # folders shown read-only inside, besides the allowlist

    @property
    def active(self) -> bool:
        return self.kind != "none"

    def describe(self) -> str:
        if self.kind == "user+bwrap":
            return (f"bubblewrap as the unprivileged user {self.user!r} (from root, by setpriv): no network, "
                    "the course and homes invisible, writes only to a private /tmp")
        if self.kind == "bwrap":
            return (f"bubblewrap as {pwd.getpwuid(os.getuid()).pw_name!r}: no network, the course and homes "
                    "invisible, writes only to a private /tmp")
        return "NONE: student code runs as this user and can read the course (--unsafe-same-user)"

    def uid_gid(self) -> tuple:
        """The uid and gid student code runs as."""
        if self.kind == "user+bwrap":
            p = pwd.getpwnam(self.user)
            return p.pw_uid, p.pw_gid
        return os.getuid(), os.getgid()

    def wrap(self, argv: list, *, writable=(), readable=(), share_pids: bool = False) -> list:
        """`argv` run inside the sandbox, in SCRATCH; `writable`/`readable`: host paths bound in
        at the same place. `share_pids`: keep the host's process ids (the warm-kernel zygote
        reports its kernels' pids to nbgrader, which signals them)."""
        if not self.active:
            return list(argv)
        args = ["bwrap", *_unshare(self.kind, share_pids), "--die-with-parent", "--new-session", "--tmpfs", "/"]
        # a new /proc needs a PID namespace of its own; sharing the host's, /proc is the host's (read-only)
        args += ["--dev", "/dev", *(["--ro-bind", "/proc", "/proc"] if share_pids else ["--proc", "/proc"]),
                 "--perms", "1777", "--tmpfs", "/tmp", "--perms", "0777", "--dir", SCRATCH,
                 "--perms", "0777", "--dir", "/tmp/home"]
        args += _binds([*self.readable, *readable], writable)
        for k, v in {"HOME": "/tmp/home", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/home",
                     "IPYTHONDIR": "/tmp/home/.ipython", "PYTHONDONTWRITEBYTECODE": "1"}.items():
            args += ["--setenv", k, v]
        return args + ["--chdir", SCRATCH, "--", *self._drop(), *argv]

    def wrap_server(self, argv: list, *, home: str, writable=(), readable=(), mounts=()) -> list:
        """A user's long-lived server (the class hub's JupyterLab) in the sandbox: the same file
        system allowlist, plus the user's `home` (writable, the working folder), `writable` /
        `readable` paths and `mounts`, (host folder, where it shows) pairs, writable; it keeps the
        network (the hub's proxy must reach it) and the host's process ids, and stays in the
        caller's process group (the hub signals that group)."""
        if not self.active:
            return list(argv)
        args = ["bwrap", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                *([] if self.kind == "user+bwrap" else ["--unshare-user"]), "--tmpfs", "/",
                "--dev", "/dev", "--ro-bind", "/proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp"]
        args += _binds(readable, [home, *writable])[:-2]  # the mounts, then the root made read-only
        for src, dest in mounts:
            args += ["--bind", str(src), str(dest)]
        return args + ["--remount-ro", "/", "--setenv", "HOME", home, "--chdir", home, "--", *self._drop(), *argv]

    def _drop(self) -> list:
        """As root: the words that drop to the sandbox's user inside (bwrap mounted as root)."""
        if self.kind != "user+bwrap":
            return []
        uid, gid = self.uid_gid()
        return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--"]

    def to_env(self) -> str:
        return json.dumps({"kind": self.kind, "user": self.user, "readable": list(self.readable)})


NONE = Isolation("none")

# what student code's environment keeps (no database URL, no tokens, no instructor secrets)
_KEPT = ("PATH", "LANG", "LANGUAGE", "TZ", "PYTHONPATH", "PYTHONHASHSEED", "MPLBACKEND", "COURSEKIT_DEVICE",
         "COURSEKIT_EXPECTATIONS", "COURSEKIT_HIDDEN_CASES")
_KEPT_PREFIXES = ("LC_", "OMP_", "MKL_", "OPENBLAS_", "JPY_")


def student_env(environ) -> dict:
    """The part of `environ` that student code may see."""
    return {k: v for k, v in environ.items() if k in _KEPT or k.startswith(_KEPT_PREFIXES)}


def _binds(readable, writable) -> list:
    """bwrap's words for the allowlist and `readable` (read-only) and `writable` paths, each at its
    own place, with the folders above them made traversable, then the sandbox's root made read-only."""
    shown = [p for p in dict.fromkeys([*_allowlist(), *(str(p) for p in readable)])
             if os.path.exists(p)]  # after /tmp: some are in it
    writable = [str(p) for p in writable]
    args = []
    for folder in _parents([*shown, *writable]):  # traversable, whatever they are outside
        args += ["--perms", "0755", "--dir", folder]
    for path in shown:
        args += ["--ro-bind", path, path]
    for path in writable:
        args += ["--bind", path, path]
    return args + ["--remount-ro", "/"]  # the sandbox's own root: nothing new appears there


def _parents(paths) -> list:
    """The folders above `paths` that the sandbox has to make (not /, /tmp, or a path itself)."""
    found = []
    for path in paths:
        for parent in list(Path(path).parents)[::-1]:
            p = str(parent)
            if p not in ("/", "/tmp") and p not in paths and p not in found:
                found.append(p)
    return found


def _unshare(kind: str, share_pids: bool) -> list:
    """bwrap's namespaces: all of them, but the user namespace as root (root sets up the mounts,
    whatever the permissions of the folders above the checkout, then setpriv drops to the grading
    user, who must not be mapped to root), and the PID namespace when `share_pids`."""
    names = ["--unshare-ipc", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if kind != "user+bwrap":
        names.append("--unshare-user")
    if not share_pids:
        names.append("--unshare-pid")
    return names


def _allowlist() -> list:
    """What student code may read: the system, this Python, its packages, coursekit itself (never
    the folder coursekit sits in: in a checkout, that holds the course)."""
    paths = [*SYSTEM, sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    for entry in sys.path:
        real = os.path.realpath(entry or ".")
        if "-packages" in real or real.startswith((os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix))):
            paths.append(real)
    paths.append(str(Path(__file__).resolve().parents[1]))  # the coursekit package
    kept: list = []
    for p in sorted({p for p in paths if p and p != "/"}, key=len):
        if not any(p.startswith(k.rstrip("/") + "/") for k in kept):  # shown already with a folder above it
            kept.append(p)
    return kept


def parse(raw: str) -> Isolation:
    """An Isolation from `Isolation.to_env()`'s text."""
    d = json.loads(raw)
    return Isolation(d["kind"], d.get("user", ""), tuple(d.get("readable", ())))


def from_env() -> Isolation:
    """The isolation the driver chose ($COURSEKIT_ISOLATION), else what this machine allows."""
    raw = os.environ.get(ENV)
    return parse(raw) if raw else detect()


def detect(user: str | None = None) -> Isolation:
    """The strongest isolation this machine allows; IsolationUnavailable (one line: why, and what
    to do) when there is none."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise IsolationUnavailable("bubblewrap is not installed (Debian: apt-get install bubblewrap; "
                                   "`make test` installs it as root)")
    if os.geteuid() == 0:
        user = user or os.environ.get("COURSEKIT_GRADING_USER") or "nobody"
        try:
            pwd.getpwnam(user)
        except KeyError:
            raise IsolationUnavailable(f"the grading user {user!r} does not exist (useradd --system {user}, "
                                       "or set COURSEKIT_GRADING_USER)") from None
        iso = Isolation("user+bwrap", user)
    else:
        iso = Isolation("bwrap")
    _probe(iso)
    return iso


_PROBED: dict = {}


def _probe(iso: Isolation) -> None:
    """Run this Python in the sandbox once; raise IsolationUnavailable with the reason if it fails."""
    key = iso.to_env() + sys.executable
    if key not in _PROBED:
        code = "import numpy, coursekit.grading.sandbox, os; print(os.getuid())"
        try:
            run = subprocess.run(iso.wrap([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, "
                                           f"{str(Path(__file__).resolve().parents[2])!r}); {code}"]),
                                 capture_output=True, text=True, timeout=60, check=False)
            _PROBED[key] = "" if run.returncode == 0 else (run.stderr.strip().splitlines() or ["no output"])[-1]
        except (OSError, subprocess.TimeoutExpired) as e:
            _PROBED[key] = str(e)
    if _PROBED[key]:
        who = f"the grading user {iso.user!r}" if iso.kind == "user+bwrap" else "bubblewrap"
        hint = (" (a Python under a private home such as /root cannot be run by other users: make the venv from "
                "/usr/bin/python3, as `make` does)" if iso.kind == "user+bwrap" else "")
        raise IsolationUnavailable(f"{who} cannot run {sys.executable}: {_PROBED[key][:200]}{hint}")
