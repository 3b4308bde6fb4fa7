"""Processes the grader starts and watches: whole trees killed on a deadline or a watchdog's word,
a memory limit that every descendant inherits, nothing left behind when the driver exits."""
from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass


@dataclass
class WatchedRun:
    args: list
    returncode: int | None
    lines: list
    killed: str = ""  # why the watchdog killed it ("" when it ended by itself)
    stuck: str = ""  # the student being graded when it was killed (autograde runs)


def _descendants(pid: int) -> list:
    try:
        import psutil

        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except Exception:  # noqa: BLE001 - psutil missing or the process is gone
        return []


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL a process, its process group and every descendant (kernels and sandboxes run in
    sessions of their own, so the group alone is not enough). Descendants are listed first:
    once the parent is dead they are re-parented and can no longer be found."""
    pids = _descendants(proc.pid)
    for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), lambda: proc.kill()):
        try:
            kill()
        except (OSError, ProcessLookupError):
            pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass


_WITH_LIMIT = ("import os, resource, sys; n = int(sys.argv[1]); "
               "resource.setrlimit(resource.RLIMIT_DATA, (n, n)); os.execvp(sys.argv[2], sys.argv[2:])")


def with_memory_limit(args: list, nbytes: int | None) -> list:
    """`args` run with at most `nbytes` of data memory (RLIMIT_DATA: heap and private writable
    mappings, what arrays take) for the process and every process it starts (they inherit the
    limit): an allocation past it raises MemoryError instead of taking the machine's memory.
    Unlike RLIMIT_AS it does not count address space merely reserved (shared libraries, CUDA's
    reservations), so it does not stop a GPU kernel from starting. A tiny interpreter sets the
    limit and execs `args` (same pid), which unlike a preexec_fn is safe in a threaded caller such
    as a Dask worker."""
    return [sys.executable, "-I", "-S", "-c", _WITH_LIMIT, str(int(nbytes)), *args] if nbytes else list(args)


_RUNNING: set = set()  # the watched runs under way: killed, whole trees, if this process exits first


@atexit.register
def _kill_running() -> None:
    """A driver stopped (Ctrl-C, an error) with runs going on in other threads (Dask workers of a
    local cluster) leaves no nbgrader, kernel or sandbox behind."""
    for proc in list(_RUNNING):
        kill_tree(proc)


_POLL = 0.5  # seconds between two looks at a watched run


def run_watched(args, *, cwd, env, timeout: float | None = None, on_line=None,
                watchdog=None, log_path=None, memory_limit: int | None = None) -> WatchedRun:
    """Run a command in a new session, collecting its output (stdout + stderr) line by line.

    The run is killed (whole tree) after `timeout` seconds, or when `watchdog()` returns a reason.
    `memory_limit` (bytes) bounds the data memory of the command and of every process it starts.
    """
    proc = subprocess.Popen(with_memory_limit(args, memory_limit), cwd=str(cwd), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace",
                            start_new_session=True)
    _RUNNING.add(proc)
    lines: list = []

    def reader():
        with open(log_path or os.devnull, "a") as log:
            for line in proc.stdout:
                lines.append(line)
                log.write(line)
                if on_line:
                    on_line(line)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    start, killed = time.monotonic(), ""
    try:
        while True:
            try:
                proc.wait(_POLL)
                break
            except subprocess.TimeoutExpired:
                pass
            if timeout is not None and time.monotonic() - start > timeout:
                killed = f"the run took longer than {timeout:g} s"
            elif watchdog is not None:
                killed = watchdog() or ""
            if killed:
                kill_tree(proc)
                break
    finally:
        if proc.poll() is None:
            kill_tree(proc)
        _RUNNING.discard(proc)
        t.join(5)
    return WatchedRun(list(args), proc.returncode, lines, killed)
