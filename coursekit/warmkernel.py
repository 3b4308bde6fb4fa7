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
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

from jupyter_client import AsyncKernelManager
from traitlets import List, Unicode

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


class Zygote:
    """The forking process (see the module's docstring); one per process that starts kernels."""

    _instances: dict = {}
    _lock = threading.Lock()

    def __init__(self, preload):
        self.proc = subprocess.Popen([sys.executable, "-m", "coursekit.warmkernel", *preload],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    @classmethod
    def get(cls, preload) -> Zygote:
        key = tuple(preload)
        z = cls._instances.get(key)
        if z is None or z.proc.poll() is not None:
            z = cls._instances[key] = cls(preload)
        return z

    def spawn(self, argv: list, env: dict, cwd) -> int:
        """Fork a kernel running `python -m ipykernel_launcher *argv`; returns its pid."""
        with self._lock:
            self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd and str(cwd)}) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the warm-kernel process ended (exit status {self.proc.poll()})")
        return json.loads(line)["pid"]


def _is_ipykernel_here(cmd: list) -> bool:
    try:
        return (len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]
                and os.path.samefile(cmd[0], sys.executable))
    except OSError:
        return False


class WarmKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose ipykernels (of this interpreter) are forked from the zygote."""

    preload = List(Unicode(), default_value=PRELOAD,
                   help="Modules the zygote imports before forking kernels").tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if not _is_ipykernel_here(kernel_cmd):
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        prov = self.provisioner
        env = kw.get("env") or dict(os.environ)
        proc = ForkedKernel(Zygote.get(self.preload).spawn(list(kernel_cmd[3:]), dict(env), kw.get("cwd")))
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
        for line in requests:
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _kernel(request, [requests.fileno(), replies.fileno(), stdin, stdout])
            replies.write(json.dumps({"pid": pid}) + "\n")
            replies.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
