"""Warm kernels for autograding: each kernel is forked from a process that imported the course's
heavy modules once, instead of a new interpreter importing them again for every submission.

A new kernel pays for the interpreter, ipykernel, numpy, torch, coursekit and what ipykernel and
autograd import on first use before its tests run; a forked one pays for none of it (`make bench`
measures both).
`coursekit autograde` turns it on for its nbgrader runs
(`--Execute.kernel_manager_class=coursekit.grading.warmkernel.WarmKernelManager`); stock
`nbgrader autograde` on the same course keeps ordinary kernels, and the tests check both give the
same grades.

* `WarmKernelManager` is nbclient's AsyncKernelManager with one change: an ipykernel of this very
  interpreter is started by asking the *zygote* to fork; any other kernel starts as usual.
* The zygote (`python -m coursekit.grading.warmkernel MODULE...`) is a child of the nbgrader process,
  started on the first kernel: it imports the modules, then forks one child per request read on
  its stdin and writes the child's pid on its stdout. It exits when nbgrader does (its stdin
  closes). It has one thread (torch and OpenBLAS start none before their first use), so forking is
  safe.
* A forked kernel starts a session of its own, takes the environment and working directory
  nbclient asked for, reseeds numpy's global generator, and runs ipykernel as
  `python -m ipykernel_launcher` would. Interrupts, kills, the memory limit (inherited) and the
  watchdog (it is a descendant of nbgrader) work as for an ordinary kernel; only its exit status
  is not known (a kernel that ended reports -1).
* A zygote that cannot start (a preload module missing or failing) is the grader's problem, not
  the student's: the manager logs one warning starting with `FALLBACK` and starts ordinary kernels
  for the rest of the nbgrader run.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from queue import Empty

from jupyter_client import AsyncKernelClient, AsyncKernelManager
from traitlets import Bool, DottedObjectName, List, Type, Unicode

from .expectations import ENV as _EXPECTATIONS_ENV
from .isolation import from_env, student_env

READY = "ready"  # the zygote's first line, once its imports are done
FALLBACK = "coursekit: warm kernels unavailable"  # starts the one warning of a zygote that cannot start

# what the course's kernels import, and what ipykernel and autograd's first backward import on first use
PRELOAD = ["numpy", "scipy.special", "torch", "torch.func", "torch.fx.experimental.symbolic_shapes",
           "coursekit.grading.checker", "ipykernel.kernelapp", "ipykernel.ipkernel",
           "matplotlib_inline.backend_inline", "jedi"]


class ForkedKernel:
    """The part of subprocess.Popen that jupyter_client's LocalProvisioner uses, for a kernel
    that is the zygote's child, not ours."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1  # ended (the zygote reaped it; the status is not known)
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)


class ZygoteUnavailable(RuntimeError):
    """The zygote could not start (or died): kernels must start the ordinary way."""


class Zygote:
    """The forking process (see the module's docstring); one per process that starts kernels.

    Isolated (`coursekit.grading.isolation`), it runs in the sandbox as the grading user, sharing only the
    host's process ids (nbgrader signals the kernels): its kernels see no course and no network,
    talk to nbgrader over Unix sockets in `sockets`, work in the sandbox's /tmp, and before each new
    kernel the zygote kills whatever the last one left running and empties /tmp."""

    _instances: dict = {}
    _broken: dict = {}  # key -> why its zygote could not start (not tried again in this process)
    _lock = threading.Lock()

    def __init__(self, preload, iso, sockets=None):
        argv = [sys.executable, "-m", "coursekit.grading.warmkernel", *preload]
        env = None
        if iso.active:
            store = os.environ.get(_EXPECTATIONS_ENV, "").rpartition("#")[0]
            argv = iso.wrap(argv, writable=[sockets], readable=[store] if store else [], share_pids=True)
            env = dict(student_env(os.environ), COURSEKIT_SANDBOXED="1")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        if self.proc.stdout.readline().strip() != READY:  # it has imported the preload modules, or died
            self.proc.kill()
            raise ZygoteUnavailable(f"the warm-kernel process could not start (exit status {self.proc.wait()}; "
                                    f"preload {' '.join(preload)}; its error is in the log above)")

    @classmethod
    def get(cls, preload, iso, sockets=None) -> Zygote:
        key = (tuple(preload), iso, sockets)
        if key in cls._broken:
            raise ZygoteUnavailable(cls._broken[key])
        z = cls._instances.get(key)
        if z is None or z.proc.poll() is not None:
            try:
                z = cls._instances[key] = cls(preload, iso, sockets)
            except (ZygoteUnavailable, OSError) as e:
                cls._broken[key] = str(e)
                raise ZygoteUnavailable(str(e)) from None
        return z

    def spawn(self, argv: list, env: dict, cwd, connection: dict | None = None) -> int:
        """Fork a kernel running `python -m ipykernel_launcher *argv`; returns its pid.
        `connection`: the connection file's content, for a kernel that cannot read the file."""
        request = {"argv": argv, "env": env, "cwd": cwd and str(cwd), "connection": connection}
        with self._lock:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise ZygoteUnavailable(f"the warm-kernel process ended (exit status {self.proc.poll()})")
        return json.loads(line)["pid"]


def _is_ipykernel_here(cmd: list) -> bool:
    try:
        return (len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]
                and os.path.samefile(cmd[0], sys.executable))
    except OSError:
        return False


class WarmKernelClient(AsyncKernelClient):
    """nbclient's kernel client, ready sooner. jupyter_client asks for kernel_info until a reply
    comes with a message on IOPub (whose subscription connects late), waiting 200 ms for it each
    time, then waits for 200 ms of quiet on IOPub, which dominates a forked kernel's start. Here
    those waits are 20 and 10 ms (settings, not measurements). Start-up messages left over are
    harmless: nbclient matches every message to the request it sent."""

    async def wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (60.0 if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:  # IOPub is connected once it carries a message; else ask again
                    await self.iopub_channel.get_msg(timeout=0.02)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=0.01)
            except Empty:
                break


class WarmKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose ipykernels (of this interpreter) are forked from the zygote;
    their clients are `WarmKernelClient`s, and a grading kernel is stopped at once when done."""

    client_class = DottedObjectName("coursekit.grading.warmkernel.WarmKernelClient")
    client_factory = Type(klass=AsyncKernelClient, default_value=WarmKernelClient)

    preload = List(Unicode(), default_value=PRELOAD,
                   help="Modules the zygote imports before forking kernels").tag(config=True)
    warm = Bool(True, help="Preload the modules (False: each kernel imports them itself, as a "
                           "kernel started from nothing)").tag(config=True)
    _warned = False  # the fallback is logged once per process

    def __init__(self, **kw):
        super().__init__(**kw)
        self.isolation = from_env()
        if self.isolation.active:  # the sandbox has no network: Unix sockets in a folder it may write
            self.transport = "ipc"
            self.ip = os.path.join(_sockets(self.isolation), uuid.uuid4().hex[:12])

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        """Killed rather than asked to stop: a graded notebook has nothing to save."""
        await self._async_shutdown_kernel(now=not restart, restart=restart)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        iso = self.isolation
        if not _is_ipykernel_here(kernel_cmd):
            if iso.active:
                raise RuntimeError(f"only this Python's ipykernel can run isolated, not {kernel_cmd[:3]}")
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        prov = self.provisioner
        env = dict(kw.get("env") or os.environ)
        args = list(kernel_cmd[3:])
        connection = None
        if iso.active:  # the kernel cannot read jupyter's runtime folder: its connection comes along
            env = student_env(env)
            with open(self.connection_file) as f:
                connection = json.load(f)
        preload = self.preload if self.warm else []
        try:
            pid = Zygote.get(preload, iso, _sockets(iso) if iso.active else None).spawn(
                args, env, kw.get("cwd"), connection)
        except ZygoteUnavailable as e:
            if not WarmKernelManager._warned:
                WarmKernelManager._warned = True
                self.log.warning("%s (%s): ordinary kernels instead", FALLBACK, e)
            if iso.active:  # an ordinary kernel would run outside the sandbox: a zygote with nothing preloaded
                pid = Zygote.get([], iso, _sockets(iso)).spawn(args, env, kw.get("cwd"), connection)
            else:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
        proc = ForkedKernel(pid)
        prov.process, prov.pid, prov.pgid = proc, proc.pid, proc.pid  # the kernel leads its own session
        prov.cwd = kw.get("cwd")
        self._reconcile_connection_info(prov.connection_info)


_SOCKETS: dict = {}


def _sockets(iso) -> str:
    """A folder for the kernels' Unix sockets, which the grading user may write (one per process)."""
    if iso not in _SOCKETS:
        import atexit
        import shutil
        import tempfile

        path = tempfile.mkdtemp(prefix="coursekit-ipc-")
        if os.geteuid() == 0:
            os.chown(path, *iso.uid_gid())
        atexit.register(shutil.rmtree, path, True)
        _SOCKETS[iso] = path
    return _SOCKETS[iso]


# ------------------------------------------------------------------------------- the zygote

def _kernel(request: dict, channel: list) -> None:
    """In a forked child: become the kernel that was asked for (never returns)."""
    try:
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL if sig != signal.SIGINT else signal.default_int_handler)
        for fd in channel:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # as nbgrader's kernels: their own output goes to nbgrader's log
        os.environ.clear()
        os.environ.update(request["env"])
        if os.environ.get("COURSEKIT_SANDBOXED") or SANDBOXED:
            request = _in_sandbox(request)
        elif request.get("cwd"):
            os.chdir(request["cwd"])
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()  # fresh entropy, as a new interpreter would have
        # ends with the zygote, which ends with nbgrader (ipykernel read JPY_PARENT_PID on import)
        sys.argv = ["ipykernel_launcher", *request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001 - a kernel that cannot start: nbclient sees it die
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


SANDBOXED = bool(os.environ.get("COURSEKIT_SANDBOXED"))  # this zygote runs in coursekit.grading.isolation's sandbox
AUDIT = "coursekit-sandbox:"  # starts a line (on nbgrader's log) naming what student code reached for


def _in_sandbox(request: dict) -> dict:
    """A kernel in the sandbox: works in its /tmp, reads its connection from the request, and
    reports (on the log, not in its cells) every path outside the sandbox and every network
    connection that its code tries."""
    from .isolation import SCRATCH

    os.chdir(SCRATCH)
    os.environ.update(HOME="/tmp/home", TMPDIR="/tmp", MPLCONFIGDIR="/tmp/home", IPYTHONDIR="/tmp/home/.ipython",
                      PYTHONDONTWRITEBYTECODE="1")
    sys.dont_write_bytecode = True  # the packages are read-only here
    path = "/tmp/home/kernel.json"
    with open(path, "w") as f:
        json.dump(request["connection"], f)
    argv = list(request["argv"])
    if "-f" in argv:
        argv[argv.index("-f") + 1] = path
    log = os.dup(2)  # ipykernel captures fd 2 into the cells; this copy still reaches the log
    seen: set = set()
    armed = []  # from the first cell on: what IPython itself looks for at start-up is not the student's

    from .isolation import _allowlist

    shown = tuple(p.rstrip("/") + "/" for p in _allowlist())
    own = ("/tmp/", "/dev/", "/proc/")  # the sandbox's own: scratch, devices, processes

    def outside(path) -> bool:
        """A path outside what the sandbox shows (the course, the homes, the rest of the checkout).
        Libraries probing for files that are not there (a .pyc, a zip of the stdlib) stay inside."""
        target = os.path.abspath(os.fsdecode(path)) + "/"
        return not target.startswith(own) and not target.startswith(shown)

    def hook(event, args):
        if not armed:
            if event == "compile" and len(args) > 1 and ("ipykernel_" in str(args[1]) or "<ipython" in str(args[1])):
                armed.append(True)
            return
        path = args[0] if args and isinstance(args[0], (str, bytes, os.PathLike)) else None
        if event == "open" and path is not None:
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
            writes = any(c in mode for c in "wax+") and not (os.path.abspath(os.fsdecode(path)) + "/").startswith(own)
            flagged = writes or outside(path)
        elif event in ("os.listdir", "os.scandir", "glob.glob", "os.remove", "os.rename", "os.mkdir",
                       "shutil.rmtree", "os.chdir", "sqlite3.connect") and path is not None:
            flagged = outside(path) or os.path.abspath(os.fsdecode(path)) == "/"
        elif event == "socket.connect" and len(args) > 1:
            flagged, path = True, repr(args[1])
        elif event in ("os.kill", "os.killpg") and len(args) > 1 and args[1] != 0:
            flagged, path = True, f"pid {args[0]} signal {args[1]}"
        else:
            return
        if not flagged:
            return
        what = f"{event} {os.fsdecode(path) if not isinstance(path, str) else path}"
        if what not in seen and len(seen) < 50:
            seen.add(what)
            os.write(log, f"{AUDIT} {json.dumps(what)}\n".encode())

    sys.addaudithook(hook)
    return dict(request, argv=argv)


def _clean_sandbox() -> None:
    """Before a new kernel: nothing of the last one survives (its processes, its files)."""
    import shutil

    mine = os.getpid()
    for _ in range(3):
        kids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != mine and _parent(int(p)) == mine]
        if not kids:
            break
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
    for folder in ("/tmp/work", "/tmp/home"):
        for entry in os.listdir(folder):
            p = os.path.join(folder, entry)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    os.unlink(p)
                except OSError:
                    pass


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def main(preload) -> None:
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
        del sys.path[0]  # as ipykernel_launcher: the kernel's cwd is not an import path
    import importlib

    for name in preload:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    if SANDBOXED:  # orphans of a kernel (daemons) become the zygote's children: _clean_sandbox finds them
        import ctypes

        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    with os.fdopen(os.dup(stdin), "r") as requests, os.fdopen(os.dup(stdout), "w") as replies:
        replies.write(READY + "\n")
        replies.flush()
        for line in requests:
            request = json.loads(line)
            if SANDBOXED:
                _clean_sandbox()
            pid = os.fork()
            if pid == 0:
                _kernel(request, [requests.fileno(), replies.fileno(), stdin, stdout])
            replies.write(json.dumps({"pid": pid}) + "\n")
            replies.flush()
    if SANDBOXED:  # nbgrader is done: what the last kernel left running goes too
        _clean_sandbox()


if __name__ == "__main__":
    main(sys.argv[1:])
