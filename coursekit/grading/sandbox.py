"""Running a student's function, in this process or in a sandbox process that cannot cheat.

Two ways to get a student's outputs for the registry's cases, with one shared core (`run_case`):

* `InProcess(fn)`: the function object lives in the caller (a student's kernel). Inputs are
  copies, prints and warnings are captured, calls into torch / `coursekit.reference` are traced.
* `StudentCode(...)`: the answer cells' *source* runs only in a fresh child interpreter
  (`python -m coursekit.grading.sandbox`) where torch and `coursekit.reference` cannot be imported and
  forbidden names raise. The grading process never executes student code, so nothing a student
  writes (patching numpy, rebinding `check`, fake prints, `sys.exit`, `os._exit`, endless loops)
  changes how their outputs are judged. The child only sends values back, and the parent
  unpickles nothing but plain data and numpy arrays.

This module imports only numpy and the standard library: it is what the child runs.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import io
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np

from ..compare import torch_hint
from .outcomes import Kind

BLOCKED = ("torch", "coursekit")  # modules a student function may not use (this module aside)
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # coursekit/
_REFERENCE_DIR = os.path.join(_PACKAGE, "reference") + os.sep
# what the child may import of coursekit: this module and what it imports (nothing of the reference)
_CHILD_OWN = ("coursekit", "coursekit.compare", "coursekit.grading", "coursekit.grading.sandbox",
              "coursekit.grading.outcomes")


class Forbidden(Exception):
    """Raised inside student code that reaches for a forbidden module or name."""


# ---------------------------------------------------------------------------- the shared core

def _is_forbidden_frame(frame, event, arg, torch_dir):
    if event == "call":
        f = frame.f_code.co_filename
        return f.startswith(_REFERENCE_DIR) or (torch_dir is not None and f.startswith(torch_dir))
    if event == "c_call":
        mod = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__ or ""
        return mod == "torch" or mod.startswith("torch.")
    return False


@contextlib.contextmanager
def _watch_forbidden(found: list):
    """Record calls into torch or coursekit.reference made while the block runs (tracing)."""
    torch_mod = sys.modules.get("torch")
    torch_file = getattr(torch_mod, "__file__", None) if torch_mod else None
    torch_dir = os.path.dirname(torch_file) + os.sep if torch_file else None

    def prof(frame, event, arg):
        if _is_forbidden_frame(frame, event, arg, torch_dir):
            where = frame.f_code.co_filename if event == "call" else getattr(arg, "__qualname__", repr(arg))
            name = "coursekit.reference" if where.startswith(_REFERENCE_DIR) else "torch"
            if name not in found:
                found.append(name)

    old = sys.getprofile()
    sys.setprofile(prof)
    try:
        yield
    finally:
        sys.setprofile(old)


@contextlib.contextmanager
def _capture_output(buf: dict):
    """Capture print()s, warnings and raw writes to file descriptors 1 and 2."""
    out, err = io.StringIO(), io.StringIO()
    saved = []
    with tempfile.TemporaryFile() as tmp:
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
                os.dup2(tmp.fileno(), fd)
            except OSError:
                pass
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                    warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield
        finally:
            for fd, copy in saved:
                os.dup2(copy, fd)
                os.close(copy)
            tmp.seek(0)
            raw = tmp.read().decode("utf-8", "replace")
    buf["stdout"] = out.getvalue()
    buf["stderr"] = err.getvalue() + raw
    buf["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]


def _copy(v):
    return v.copy() if isinstance(v, np.ndarray) else v


@dataclass(frozen=True)
class Foreign:
    """What a student's function returned that the grader does not take (a tensor, a string, an
    object): its type's name and the start of its repr. Crosses from the sandbox as itself."""

    type: str
    text: str

    def __str__(self) -> str:
        return f"a {self.type}{torch_hint(self.type)}"


def _sanitize(v, depth=0):
    """Keep plain data and numeric arrays; anything else becomes a `Foreign`."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, np.ndarray) and v.dtype.kind in "biufc":
        return np.array(v)  # a base-class copy, no subclass tricks
    if isinstance(v, np.generic) and np.asarray(v).dtype.kind in "biufc":
        return np.asarray(v)  # a numpy scalar (np.mean's result) as a 0-d array
    if isinstance(v, (tuple, list)) and depth < 3:
        items = [_sanitize(x, depth + 1) for x in v]
        return tuple(items) if isinstance(v, tuple) else items
    if isinstance(v, dict) and depth < 3 and all(isinstance(k, str) for k in v):
        return {k: _sanitize(x, depth + 1) for k, x in v.items()}
    t = type(v)
    try:
        text = repr(v)[:80]
    except Exception:  # noqa: BLE001 - a student's __repr__ may raise anything
        text = "?"
    return Foreign(f"{t.__module__}.{t.__qualname__}".replace("builtins.", ""), text)


def run_case(forward, backward, mode, args, kwargs, dout=None, cache=None, *, trace=True):
    """Run a student's forward (mode "forward") or backward (mode "backward") on one case.

    For backward, `forward` (the student's own, when given) makes the cache; else `cache` is used.
    Returns a dict: value (sanitized), error, forbidden, output (captured text), inputs_after.
    """
    args = [_copy(a) for a in args]
    cache = copy.deepcopy(cache)  # the reference's cache is shared by every check() of the session
    douts = [_copy(d) for d in dout] if isinstance(dout, tuple) else [_copy(dout)]  # a tuple: one per output
    res = {"value": None, "error": None, "forbidden": [], "output": {}, "stage": mode}
    try:
        with _capture_output(res["output"]), \
                (_watch_forbidden(res["forbidden"]) if trace else contextlib.nullcontext()):
            if mode == "forward":
                value = forward(*args, **kwargs)
            elif mode == "step":  # an update rule, over a sequence of gradients: the trajectory of params
                value = _run_steps(forward, args[0], args[1], kwargs)
            else:
                if forward is not None:
                    res["stage"] = "forward (to make the cache)"
                    fwd = forward(*args, **kwargs)
                    if not (isinstance(fwd, (tuple, list)) and len(fwd) == 2):
                        raise TypeError(f"your forward must return (out, cache), got {type(fwd).__name__}")
                    cache = fwd[1]
                    res["stage"] = mode
                value = backward(*douts, cache)
        res["value"] = _sanitize(value)
    except (Exception, SystemExit, KeyboardInterrupt) as e:  # noqa: BLE001 - student code may raise anything
        res["error"] = (type(e).__name__, str(e)[:500], _student_traceback(e))
    res["inputs_after"] = [_sanitize(a) for a in args] + [_sanitize(d) for d in douts]
    return res


def _run_steps(step, param, grads, kwargs):
    """The trajectory of `param` under an update rule, shape (steps, *param.shape).

    A second parameter (the first one reversed and scaled, with its own gradients) takes its step
    after each step of the first, as in an optimiser over a model's parameters: a rule that keeps
    its state anywhere but in `state` (a global, a default argument) mixes the two and fails.
    """
    states, value = [None, None], []
    params = [param, -0.5 * param[..., ::-1] if isinstance(param, np.ndarray) else param]
    for grad in grads:
        for k, g in enumerate((grad, 2.0 * grad[..., ::-1] if isinstance(grad, np.ndarray) else grad)):
            params[k], states[k] = step_result(step(params[k], g, states[k], **kwargs))
        value.append(_sanitize(params[0]))
    return np.stack(value) if all(isinstance(v, np.ndarray) for v in value) else value[0]


def step_result(ret) -> tuple:
    """What an update rule returned, checked to be (param, state)."""
    if not (isinstance(ret, (tuple, list)) and len(ret) == 2):
        raise TypeError(f"an update step must return (param, state), got {type(ret).__name__}")
    return tuple(ret)


def _student_traceback(e) -> str:
    """The last frames of a traceback that are the student's (file names like <answer 2>)."""
    import traceback

    mine = ("<answer", "<ipython", "/tmp/ipykernel")
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(mine)]
    return "".join(traceback.format_list(frames[-3:]))


# ---------------------------------------------------------------------------- in this process

class InProcess:
    """Runs live function objects (a student's kernel): copies, capture, tracing of forbidden calls."""

    def __init__(self, forbid=()):
        self.forbid = tuple(forbid)

    def run(self, forward, backward, mode, jobs):
        with _forbid_names(self.forbid):
            results = []
            for job in jobs:
                results.append(run_case(forward, backward, mode, *job))
                if results[-1]["error"] and results[-1]["error"][0] == "KeyboardInterrupt":
                    # Ctrl-C, or nbgrader's interrupt after Execute.timeout, stops check() itself: going
                    # on with the next case would loop again and nbgrader would drop the whole notebook
                    raise KeyboardInterrupt
            return results


@contextlib.contextmanager
def _forbid_names(names, record=None):
    """Temporarily replace dotted names (`"numpy.einsum"`, `"np.einsum"`) with a raiser."""
    import importlib

    saved = []
    for dotted in names:
        mod_name, _, attr = dotted.replace("np.", "numpy.", 1).rpartition(".")
        try:
            mod = importlib.import_module(mod_name)
            saved.append((mod, attr, getattr(mod, attr)))
        except (ImportError, AttributeError, ValueError):
            continue

        def raiser(*a, _name=dotted, **k):
            if record is not None and _name not in record:
                record.append(_name)
            raise Forbidden(f"{_name} is not allowed in this exercise: implement this yourself")

        setattr(mod, attr, raiser)
    try:
        yield
    finally:
        for mod, attr, orig in saved:
            setattr(mod, attr, orig)


# ---------------------------------------------------------------------------- answer cells as source

SKIPPED_STATEMENTS = (ast.Expr, ast.For, ast.While, ast.AsyncFor, ast.Assert)


def split_source(source: str):
    """Top-level statements of a cell worth loading: definitions, imports, assignments.

    Bare expressions and loops (experiments, prints, plots) are skipped. IPython syntax
    (`%magic`, `!cmd`) is translated first when IPython is available.
    Returns (list of (lineno, code), bound names, syntax error or None).
    """
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - without IPython, plain Python is all we can load
        pass
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        return [], set(), f"SyntaxError: {e.msg} (line {e.lineno})"
    chunks, names = [], set()
    for node in tree.body:
        if isinstance(node, SKIPPED_STATEMENTS):
            continue
        chunks.append((node.lineno, ast.get_source_segment(source, node) or ast.unparse(node)))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return chunks, names, None


class StudentCode:
    """The answer cells of one notebook, loaded only in a sandbox child process.

    `setup` are the notebook's read-only cells (their imports are replayed in the child),
    `answers` the answer cells. Use `function(name)` to get a callable handle for `check()`.
    """

    def __init__(self, setup, answers, *, forbid=(), timeout=60.0, memory_mb=2048):
        self.setup, self.answers = list(setup), list(answers)
        self.forbid, self.timeout, self.memory_mb = tuple(forbid), float(timeout), int(memory_mb)
        self.names, self.errors = set(), []
        for i, src in enumerate(self.answers):
            _, names, err = split_source(src)
            self.names |= names
            if err:
                self.errors.append(f"answer cell {i + 1}: {err}")
        self._proc = None
        self.load_report = None

    def function(self, name):
        return SandboxedFunction(self, name)

    # -- the child process
    _spare: dict = {}  # the argv of a child started ahead for the next StudentCode -> its Popen

    def _spawn(self):
        """A new child (an interpreter with numpy imported, waiting for its answers), in the
        isolation the autograder chose (`coursekit.grading.isolation`: another user, no course, no network)."""
        from .isolation import IsolationUnavailable, from_env, student_env

        env = {k: v for k, v in student_env(os.environ).items() if not k.startswith(("COURSEKIT_", "JPY_"))}
        env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"
        try:
            argv = from_env().wrap([sys.executable, "-I", "-c", _CHILD_BOOT, os.path.dirname(_PACKAGE),
                                    str(self.memory_mb)])
        except IsolationUnavailable as e:
            raise SandboxUnavailable(str(e)) from None
        return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=env, start_new_session=True, cwd=tempfile.gettempdir())

    def _start(self):
        """Take the child started ahead (its interpreter start overlaps other work: the autograder
        grades notebook after notebook), and start the next one; a spare serves one StudentCode
        and holds nothing of anyone's until it is loaded."""
        key = (sys.executable, self.memory_mb, tuple(sorted(os.environ.items())))
        spare = StudentCode._spare.pop(key, None)
        self._proc = spare if spare is not None and spare.poll() is None else self._spawn()
        for old in StudentCode._spare.values():  # the environment changed: a stale spare
            _kill(old)
        StudentCode._spare = {key: self._spawn()}
        if self._request(None) != READY:  # the child's first words, before any student code
            raise SandboxUnavailable("the sandbox process did not start")
        self.load_report = self._request({"cmd": "load", "setup": self.setup, "answers": self.answers,
                                          "forbid": self.forbid, "sys_path": sys.path})

    def _request(self, msg):
        """Send `msg` (None: send nothing) and return the child's reply."""
        proc = self._proc
        data = pickle.dumps(msg, protocol=4)
        import threading

        result = {}

        def talk():
            try:
                if msg is not None:
                    proc.stdin.write(struct.pack("<Q", len(data)) + data)
                    proc.stdin.flush()
                head = proc.stdout.read(8)
                if len(head) < 8:
                    return
                (n,) = struct.unpack("<Q", head)
                result["reply"] = _safe_loads(proc.stdout.read(n))
            except (OSError, ValueError, pickle.UnpicklingError, EOFError) as e:
                result["broken"] = repr(e)

        t = threading.Thread(target=talk, daemon=True)
        t.start()
        t.join(self.timeout)
        if "reply" in result:
            return result["reply"]
        timed_out = t.is_alive()
        self.close()
        t.join(5)
        if msg is None:
            raise SandboxUnavailable(f"the sandbox process did not start (exit code {proc.returncode})")
        if timed_out:
            raise SandboxDied(f"your code did not finish within {self.timeout:g} s (an endless loop?)", Kind.TIMEOUT)
        code = proc.returncode
        raise SandboxDied(f"your code ended the grading process (exit code {code}: sys.exit, os._exit, "
                          f"a crash or too much memory)", Kind.CRASH)

    def run(self, forward, backward, mode, jobs, forbid=()):
        """Run the cases in the child; forward/backward are names of the student's functions."""
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        return self._request({"cmd": "run", "forward": forward, "backward": backward, "mode": mode,
                              "jobs": jobs, "forbid": self.forbid + tuple(forbid)})

    def step(self, name, params, grads, hyper, *, reset=False, forbid=()):
        """One update of every param with the student's rule `name`; their states live in the child."""
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        return self._request({"cmd": "step", "fn": name, "params": params, "grads": grads, "hyper": hyper,
                              "reset": reset, "forbid": self.forbid + tuple(forbid)})

    def load_errors(self) -> list:
        """Statements of the answer cells that failed to load in the sandbox."""
        return list((self.load_report or {}).get("errors", []))

    def load_forbidden(self) -> list:
        """Forbidden modules (torch, coursekit.reference) the answer cells tried to import."""
        return list((self.load_report or {}).get("forbidden", []))

    def close(self):
        if self._proc is not None:
            _kill(self._proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _kill(proc):
    """SIGKILL a child and its process group; close its pipes."""
    import signal

    with contextlib.suppress(OSError, ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(5)
    for f in (proc.stdin, proc.stdout):
        with contextlib.suppress(Exception):
            f.close()


class SandboxDied(Exception):
    """The sandbox process timed out or exited while running student code (`.kind` says which)."""

    def __init__(self, message: str, kind: Kind):
        super().__init__(message)
        self.kind = kind


class SandboxUnavailable(Exception):
    """The sandbox could not be started: the grader's fault, never the student's."""


READY = {"ready": True}  # the child's first message

class SandboxedFunction:
    """A handle on a function defined in a notebook's answer cells; it runs only in the sandbox."""

    def __init__(self, code: StudentCode, name: str):
        self.code, self.__name__ = code, name

    def __repr__(self):
        return f"<student function {self.__name__} (sandboxed)>"

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.__name__} runs only inside check() while grading")


class _SafeUnpickler(pickle.Unpickler):
    _ALLOWED = {
        ("coursekit.grading.sandbox", "Foreign"),  # two strings: nothing runs when it is rebuilt
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED or (module.startswith("numpy.dtypes") and name.endswith("DType")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name} from the sandbox")


def _safe_loads(data: bytes):
    return _SafeUnpickler(io.BytesIO(data)).load()


# ---------------------------------------------------------------------------- the child

_CHILD_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); from coursekit.grading.sandbox import _child_main; "
               "_child_main()")


class _Blocker:
    """A meta-path finder that refuses torch and coursekit (all but this module)."""

    def __init__(self, record):
        self.record = record

    def find_spec(self, name, path=None, target=None):
        root = name.split(".")[0]
        if root in BLOCKED and name not in _CHILD_OWN:
            label = "coursekit.reference" if name.startswith("coursekit") else root
            if label not in self.record:
                self.record.append(label)
            raise ImportError(f"{name} cannot be used while grading: implement this yourself")


def _child_main():
    import resource

    limit = int(sys.argv[2]) * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # student code cannot read or write the protocol through 0/1
        os.dup2(devnull, fd)
    data = pickle.dumps(READY, protocol=4)
    proto_out.write(struct.pack("<Q", len(data)) + data)
    proto_out.flush()
    ns = {"__name__": "__student__"}
    imported = []  # forbidden modules the student tried to import
    states = {}  # optimiser states by slot, for training runs (see StudentCode.step)
    while True:
        head = proto_in.read(8)
        if len(head) < 8:
            os._exit(0)
        (n,) = struct.unpack("<Q", head)
        msg = pickle.loads(proto_in.read(n))
        if msg["cmd"] == "load":
            sys.path[:] = [p for p in msg["sys_path"] if p]
            reply = _child_load(ns, msg, imported)
        elif msg["cmd"] == "step":
            reply = _child_step(ns, msg, states)
        else:
            fwd = ns.get(msg["forward"]) if msg["forward"] else None
            bwd = ns.get(msg["backward"]) if msg["backward"] else None
            target = fwd if msg["mode"] in ("forward", "step") else bwd
            want = msg["forward"] if msg["mode"] in ("forward", "step") else msg["backward"]
            if not callable(target):
                reply = {"missing": f"{want} is not defined in your answer cells (renamed or deleted?)"
                         if target is None else f"{want} is a {type(target).__name__}, not a function"}
            else:
                record = []
                results = []
                with _forbid_names(msg["forbid"], record):
                    for job in msg["jobs"]:  # stop at the first crash: the verdict is decided
                        results.append(run_case(fwd, bwd, msg["mode"], *job, trace=False))
                        if results[-1]["error"]:
                            break
                for r in results:  # an import of torch that failed explains a NameError later
                    missing = r["error"] is not None and r["error"][0] in ("NameError", "ImportError",
                                                                           "ModuleNotFoundError")
                    r["forbidden"] = sorted(set(record) | (set(imported) if missing else set()))
                reply = {"results": results}
        data = pickle.dumps(reply, protocol=4)
        proto_out.write(struct.pack("<Q", len(data)) + data)
        proto_out.flush()


def _child_step(ns, msg, states):
    """One optimiser step over a list of parameters with the student's update rule; states stay here."""
    if msg.get("reset"):
        states.clear()
    fn = ns.get(msg["fn"])
    if not callable(fn):
        return {"error": ("NameError", f"{msg['fn']} is not defined in your answer cells")}
    out, buf = [], {}
    try:
        with _capture_output(buf), _forbid_names(msg["forbid"]):
            for slot, (p, g) in enumerate(zip(msg["params"], msg["grads"])):
                param, states[slot] = step_result(fn(p, g, states.get(slot), **msg["hyper"]))
                out.append(_sanitize(param))
    except (Exception, SystemExit, KeyboardInterrupt) as e:  # noqa: BLE001
        return {"error": (type(e).__name__, str(e)[:500])}
    return {"params": out}


def _child_load(ns, msg, imported):
    for name in [m for m in sys.modules if m.split(".")[0] in BLOCKED and m not in _CHILD_OWN]:
        del sys.modules[name]
    blocker = _Blocker([])
    sys.meta_path.insert(0, blocker)
    errors = []
    buf = {}
    with _capture_output(buf), _forbid_names(msg["forbid"], imported):
        for i, src in enumerate(msg["setup"]):
            for _, code in split_source(src)[0]:
                with contextlib.suppress(BaseException):  # the header's `from coursekit import check` is refused here
                    exec(compile(code, f"<setup {i + 1}>", "exec"), ns)
        ns["check"] = lambda *a, **k: None  # a stray check() call in an answer cell is a no-op here
        blocker.record = imported  # from here on, imports of torch / coursekit are the student's
        for i, src in enumerate(msg["answers"]):
            chunks, _, err = split_source(src)
            if err:
                errors.append(f"answer cell {i + 1}: {err}")
            for lineno, code in chunks:
                try:
                    code = "\n" * (lineno - 1) + code
                    exec(compile(code, f"<answer {i + 1}>", "exec"), ns)
                except BaseException as e:  # noqa: BLE001
                    errors.append(f"answer cell {i + 1}, line {lineno}: {type(e).__name__}: {str(e)[:200]}")
    return {"errors": errors, "forbidden": sorted(set(imported))}
