"""Warm kernels for autograding: each kernel is forked from a process that imported the course's
heavy modules once, instead of a new interpreter importing them again for every submission.

A submission's kernel costs about 1.9 s before its tests run (the interpreter, ipykernel,
numpy, torch, coursekit, and what ipykernel and autograd import on first use); forked, about
0.4 s, most of it jupyter_client waiting for the new kernel's iopub to fall quiet.
`coursekit autograde` turns it on for its nbgrader runs
(`--Execute.kernel_manager_class=coursekit.warmkernel.WarmKernelManager`); stock
`nbgrader autograde` on the same course keeps ordinary kernels, and the tests check both give the
same grades.

* `WarmKernelManager` is nbclient's AsyncKernelManager with one change: an ipykernel of this very
  interpreter is started by asking the *zygote* to fork; any other kernel starts as usual.
* The zygote (`python -m coursekit.warmkernel MODULE...`) is a child of the nbgrader process,
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
from queue import Empty

from jupyter_client import AsyncKernelClient, AsyncKernelManager
from traitlets import DottedObjectName, List, Type, Unicode

READY = "ready"  # the zygote's first line, once its imports are done
FALLBACK = "coursekit: warm kernels unavailable"  # starts the one warning of a zygote that cannot start

# what the course's kernels import, and what ipykernel and autograd's first backward import on first use
PRELOAD = ["numpy", "scipy.special", "torch", "torch.func", "torch.fx.experimental.symbolic_shapes",
           "coursekit.grading", "ipykernel.kernelapp", "ipykernel.ipkernel",
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
    """The forking process (see the module's docstring); one per process that starts kernels."""

    _instances: dict = {}
    _broken: dict = {}  # preload -> why its zygote could not start (not tried again in this process)
    _lock = threading.Lock()

    def __init__(self, preload):
        self.proc = subprocess.Popen([sys.executable, "-m", "coursekit.warmkernel", *preload],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != READY:  # it has imported the preload modules, or died
            self.proc.kill()
            raise ZygoteUnavailable(f"the warm-kernel process could not start (exit status {self.proc.wait()}; "
                                    f"preload {' '.join(preload)}; its error is in the log above)")

    @classmethod
    def get(cls, preload) -> Zygote:
        key = tuple(preload)
        if key in cls._broken:
            raise ZygoteUnavailable(cls._broken[key])
        z = cls._instances.get(key)
        if z is None or z.proc.poll() is not None:
            try:
                z = cls._instances[key] = cls(preload)
            except (ZygoteUnavailable, OSError) as e:
                cls._broken[key] = str(e)
                raise ZygoteUnavailable(str(e)) from None
        return z

    def spawn(self, argv: list, env: dict, cwd) -> int:
        """Fork a kernel running `python -m ipykernel_launcher *argv`; returns its pid."""
        with self._lock:
            self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd and str(cwd)}) + "\n")
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
    time, then waits for 200 ms of quiet on IOPub: most of a forked kernel's start. Here the waits
    are 20 and 10 ms. Start-up messages left over are harmless: nbclient matches every message to
    the request it sent."""

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

    client_class = DottedObjectName("coursekit.warmkernel.WarmKernelClient")
    client_factory = Type(klass=AsyncKernelClient, default_value=WarmKernelClient)

    preload = List(Unicode(), default_value=PRELOAD,
                   help="Modules the zygote imports before forking kernels").tag(config=True)
    _warned = False  # the fallback is logged once per process

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        """Killed rather than asked to stop: a graded notebook has nothing to save."""
        await self._async_shutdown_kernel(now=not restart, restart=restart)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if not _is_ipykernel_here(kernel_cmd):
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        prov = self.provisioner
        env = kw.get("env") or dict(os.environ)
        try:
            pid = Zygote.get(self.preload).spawn(list(kernel_cmd[3:]), dict(env), kw.get("cwd"))
        except ZygoteUnavailable as e:
            if not WarmKernelManager._warned:
                WarmKernelManager._warned = True
                self.log.warning("%s (%s): ordinary kernels instead", FALLBACK, e)
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        proc = ForkedKernel(pid)
        prov.process, prov.pid, prov.pgid = proc, proc.pid, proc.pid  # the kernel leads its own session
        prov.cwd = kw.get("cwd")
        self._reconcile_connection_info(prov.connection_info)


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
        if request.get("cwd"):
            os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
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


def main(preload) -> None:
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
        del sys.path[0]  # as ipykernel_launcher: the kernel's cwd is not an import path
    import importlib

    for name in preload:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    with os.fdopen(os.dup(stdin), "r") as requests, os.fdopen(os.dup(stdout), "w") as replies:
        replies.write(READY + "\n")
        replies.flush()
        for line in requests:
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _kernel(request, [requests.fileno(), replies.fileno(), stdin, stdout])
            replies.write(json.dumps({"pid": pid}) + "\n")
            replies.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
