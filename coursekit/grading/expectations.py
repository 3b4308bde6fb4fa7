"""What `check()` compares a student's answers with, computed once and reused.

For an op, a mode ("forward", "backward", "step") and a case set (visible, or with the hidden
cases), the expected values are the NumPy reference's and PyTorch's outputs on the registry's
cases, on one device. They depend on nothing a student writes, so they are computed:

* once per process (a student's kernel session: the first `check()` of an op pays, the next
  ones do not), and
* once per autograde run: the driver writes them to a file (`write_store`) and hands it to
  nbgrader, its kernels and the sandboxed re-run as ``$COURSEKIT_EXPECTATIONS = "<path>#<sha256>"``.
  A grading kernel then needs no CUDA context and computes nothing with torch.

Trust: a reader uses the file only when its bytes hash to the digest the driver put in the
environment (the re-run runs in nbgrader's process, whose environment no student code can
touch), and an entry only when its key matches: a fingerprint of the registry and reference
source, numpy's and torch's versions, the device and the cases' input arrays. Anything else
(a tampered file, a stale one) is ignored and the values are computed afresh.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import pickle
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV = "COURSEKIT_EXPECTATIONS"
_PACKAGE = Path(__file__).resolve().parents[1]  # coursekit/


@dataclass(frozen=True)
class Expected:
    """Everything `check()` needs besides the student's function, for one (op, mode, case set)."""

    cases: list  # ops.Case, in order
    jobs: list  # per case: (args, kwargs, dout, reference cache); what the student's function is given
    values: list  # per case: (reference {name: array}, PyTorch {name: array})
    device: str  # "cpu" or "cuda": where PyTorch computed


def _version(dist: str) -> str:
    mod = sys.modules.get(dist)
    if mod is not None and hasattr(mod, "__version__"):
        return str(mod.__version__)
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "none"


_SOURCE_DIGEST: list = []


def fingerprint() -> str:
    """The registry's and reference's source, and numpy's and torch's versions, as one digest."""
    if not _SOURCE_DIGEST:
        h = hashlib.sha256()
        for path in sorted([*(_PACKAGE / "ops").glob("*.py"), *(_PACKAGE / "reference").glob("*.py")]):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        _SOURCE_DIGEST.append(h.hexdigest())
    return f"{_SOURCE_DIGEST[0]}/numpy {_version('numpy')}/torch {_version('torch')}"


def device_name() -> str:
    """The device PyTorch compares on: $COURSEKIT_DEVICE when it names one (no torch import),
    else what `backend.device()` resolves."""
    choice = (os.environ.get("COURSEKIT_DEVICE") or "").strip().lower()
    if choice in ("cpu", "cuda"):
        return choice
    from .. import backend

    return backend.device().type


def _digest_cases(cases) -> str:
    h = hashlib.sha256()
    for case in cases:
        h.update(repr((case.label, sorted(case.kwargs.items()))).encode())
        for name, a in case.inputs.items():
            h.update(name.encode())
            if a is not None:
                a = np.ascontiguousarray(a)
                h.update(f"{a.dtype}{a.shape}".encode() + a.tobytes())
    return h.hexdigest()


def key(name: str, mode: str, hidden: bool, device: str, cases) -> str:
    """The key an entry is stored and looked up by; any change of what it depends on changes it."""
    return "|".join([name, mode, "hidden" if hidden else "visible", device, fingerprint(), _digest_cases(cases)])


def compute(spec, mode: str, cases, device: str) -> Expected:
    """The reference's and PyTorch's answers on `cases` (PyTorch on `device`)."""
    import warnings

    from .. import backend

    dev = backend.device(device)
    jobs, values = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases:
            if mode == "step":
                values.append(({"param": spec.run_steps(case)}, {"param": spec.torch_steps(case, dev)}))
                jobs.append((spec.args(case), case.kwargs, None, None))
                continue
            out, cache = spec.run_forward(case)
            if mode == "forward":
                ref = dict(zip(spec.outputs, spec.outs_of(out)))
                tor = dict(zip(spec.outputs, spec.outs_of(spec.torch_forward(case, dev))))
                jobs.append((spec.args(case), case.kwargs, None, None))
            else:
                dout = spec.dout(case, out)
                ref = dict(zip(spec.grad_names, spec.grads_of(spec.call_backward(dout, cache))))
                tor = dict(zip(spec.grad_names, spec.torch_backward(case, dout, dev)))
                jobs.append((spec.args(case), case.kwargs, dout, cache))
            values.append((ref, tor))
    return Expected(list(cases), jobs, values, dev.type)


_MEMO: dict = {}  # key -> Expected, for this process
_STORE: dict = {}  # the verified file of $COURSEKIT_EXPECTATIONS: {"spec": the env value, "entries": {...}}


def _store_entries() -> dict:
    """Entries of the file named by $COURSEKIT_EXPECTATIONS, if its bytes hash to the digest given
    there; {} otherwise (no file, unreadable, or tampered with)."""
    spec = os.environ.get(ENV, "")
    if _STORE.get("spec") == spec:
        return _STORE["entries"]
    entries: dict = {}
    path, _, digest = spec.rpartition("#")
    if path and digest:
        try:
            data = Path(path).read_bytes()
            if hashlib.sha256(data).hexdigest() == digest:
                entries = pickle.loads(data)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            entries = {}
    _STORE.update(spec=spec, entries=entries)
    return entries


def get(spec, mode: str, hidden: bool) -> Expected:
    """The expected values for `check()`: from this process's memo, the driver's verified file,
    or computed (and memoised)."""
    cases = spec.make_cases(hidden)
    device = device_name()
    k = key(spec.name, mode, hidden, device, cases)
    found = _MEMO.get(k) or _store_entries().get(k)
    if found is None:
        found = compute(spec, mode, cases, device)
    _MEMO[k] = found
    return found


def write_store(path, names, device: str) -> str:
    """Compute the expectations of every check name in `names` ("relu_forward", "adam_step", ...;
    visible and hidden case sets) on `device`, write them to `path` (read-only) and return the
    value for $COURSEKIT_EXPECTATIONS."""
    from .. import ops

    entries = {}
    for name in sorted(set(names)):
        try:
            spec, mode = ops.get(name)
        except KeyError:
            continue  # a test cell naming no op fails by itself in check(); nothing to prepare
        if mode is None:
            continue
        for hidden in (False, True):
            cases = spec.make_cases(hidden)
            entries[key(spec.name, mode, hidden, device, cases)] = compute(spec, mode, cases, device)
    data = pickle.dumps(entries, protocol=4)
    path = Path(path)
    if path.exists():
        path.chmod(0o600)
    path.write_bytes(data)
    path.chmod(0o444)
    return f"{path}#{hashlib.sha256(data).hexdigest()}"


@contextlib.contextmanager
def shared_folder():
    """A fresh folder for a store, that the grading user (coursekit.grading.isolation) can read; removed after."""
    folder = Path(tempfile.mkdtemp(prefix="coursekit-expect-"))
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_names(sources) -> list:
    """The op names that `check("...")` calls in test-cell sources name (train_check runs no cases)."""
    import re

    found = []
    for src in sources:
        found += re.findall(r"(?<![\w.])check\(\s*['\"](\w+)['\"]", src)
    return sorted(set(found))
