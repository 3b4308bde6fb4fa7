"""Feedback that names the student's mistake: the catalogue beside each op (`OpSpec.mistakes`) and
check()'s diagnosis ("This looks like <name>: ...").

Measured on the answer files of every assignment (tests/mutants/<assignment>/): each mutant's
functions replace the solution's in one namespace, and check() runs on every grade cell it loses,
with the hidden cases (an update rule's `StepSpec.mistakes` too; a training run names none). A named
mistake must be the one the mutant embodies (its `# names:` line); none may be named wrongly, at
least 80% of the cells with a catalogued counterpart get their name, and no right answer (valid_*)
fails or gets a name.
"""
import re
from pathlib import Path

import numpy as np
import pytest
from pipeline_helpers import MUTANTS, parse_answer
from test_assignment_solutions import ASSIGNMENTS, build_sources

from coursekit import check, ops
from coursekit.ops.spec import Mistake, StepSpec

CHAPTERS = ("01_neurons", "02_activations", "03_losses", "04_backprop", "05_gradient_descent", "06_cnn",
            "07_rnn", "08_attention", "09_generative")
MODES = ("forward", "backward", "step")
NAMED = re.compile(r"^This looks like (.+?): ", flags=re.MULTILINE)


def cells_of(assignment):
    """grade cell name -> its forward (or None)."""
    return {c.name: c.forward for c in build_sources.assignment(assignment)[0] if c.kind == "test"}


def namespace(assignment, answer):
    """The solution's functions with the answer's cells run over them (as a student's kernel holds them)."""
    ns = {"__name__": f"student_{answer.name}"}
    src = (ASSIGNMENTS / "src" / assignment / "solution.py").read_text()
    seed = np.random.get_state()
    with np.printoptions():  # the notebook's read-only setup cell, whose seed and print options stay there
        exec(build_sources.setup_source(src), ns)
    np.random.set_state(seed)
    exec(compile(src, f"<solution {assignment}>", "exec"), ns)
    for op, _, body in answer.edits:
        if op in ("replace", "insert"):
            exec(compile(body, f"<{answer.name}>", "exec"), ns)
    return ns


def run_check(name, ns, forward):
    """check() on the grade cell `name` with the hidden cases: (passed, the named mistake or None, message)."""
    try:
        check(name, ns[name], forward=ns[forward] if forward else None, hidden=True, quiet=True)
    except AssertionError as e:
        m = NAMED.match(str(e))
        return False, m.group(1) if m else None, str(e)
    return True, None, ""


def answers_of(assignment, kind):
    return [parse_answer(p) for p in sorted((MUTANTS / assignment).glob(f"{kind}_*.py"))]


def measure(assignment):
    """Per graded cell of every mutant: (mutant, cell, expected name or None, named, message)."""
    cells, out = cells_of(assignment), []
    for answer in answers_of(assignment, "mutant"):
        ns = namespace(assignment, answer)
        for gid in answer.lose:
            name = gid.removeprefix("test_")
            if name not in cells:  # a training run (train_check): it names no mistake
                continue
            passed, named, msg = run_check(name, ns, cells[name])
            assert not passed, f"{answer.name} passes {name}"
            out.append((answer.name, name, answer.names, named, msg))
    return out


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_mutants_are_named_right_or_not_at_all(assignment):
    rows = measure(assignment)
    wrong = [(m, c, want, named) for m, c, want, named, _ in rows if named is not None and named != want]
    right = [r for r in rows if r[3] is not None and r[3] == r[2]]
    unnamed = [r for r in rows if r[3] is None]
    counted = [r for r in rows if r[2] is not None]
    print(f"\n{assignment}: {len(right)} named right / {len(wrong)} named wrongly / {len(unnamed)} unnamed "
          f"of {len(rows)} failing grade cells of mutants ({len(counted)} with a catalogued counterpart)")
    for m, c, want, named, msg in rows:
        print(f"  {m:<45} {c:<40} {'-' if named is None else named!r}"
              + ("" if named == want else f"   (expected {want!r}; {msg.splitlines()[0][:90]})"))
    assert wrong == [] and counted  # some mutants embody a catalogued mistake
    assert len(right) >= 0.8 * len(counted), f"{len(right)}/{len(counted)} named right"


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_right_answers_pass_without_a_diagnosis(assignment):
    cells = cells_of(assignment)
    for answer in answers_of(assignment, "valid"):
        ns = namespace(assignment, answer)
        for name, forward in cells.items():
            passed, named, msg = run_check(name, ns, forward)
            assert passed and named is None, (answer.name, name, msg)


def _every_mistake():
    """Every catalogued mistake of every op and update rule: the catalogue is the registry's, whatever grades it."""
    for spec in [*ops.REGISTRY.values(), *ops.STEPS.values()]:
        for i, m in enumerate(spec.mistakes):
            yield pytest.param(spec, i, id=f"{spec.name}:{m.name}")


def _embodying(spec, mistake: Mistake, mode):
    """(forward, backward) of a student who answers each case as `mistake` does in `mode`, else rightly
    (the answers looked up by the case's inputs, all computed beforehand: the student calls no reference).
    Mode "step": (step, None), a rule that replays the looked-up trajectory from the case's start param
    (leaving a param of no case, check()'s second one, where it is)."""
    table = []
    with np.errstate(all="ignore"):
        for case in spec.make_cases(hidden=True):
            if mode == "step":
                right = spec.run_steps(case)
            else:
                out, cache = spec.run_forward(case)
                right = out if mode == "forward" else spec.call_backward(spec.dout(case, out), cache)
            wrong = mistake.produce(spec, case, mode)
            table.append((spec.args(case), case.kwargs, right if wrong is None else wrong))

    def lookup(args, kw):  # args: the first of a case's inputs, or all
        return next((v for a, k, v in table if k == kw and all(
            x is y or (x is not None and y is not None and x.shape == y.shape and np.array_equal(x, y))
            for x, y in zip(a, args))), None)

    def forward(*args, **kw):
        return lookup(args, kw), (args, kw)

    def backward(*douts_and_cache):  # one upstream gradient per output, then the cache
        return lookup(*douts_and_cache[-1])

    def step(param, grad, state=None, **kw):
        steps = lookup((param,), kw) if state is None else state["steps"]
        i = 0 if state is None else state["i"]
        return (param if steps is None else steps[i].copy()), {"steps": steps, "i": i + 1}

    return (step, None) if mode == "step" else (forward, backward)


def _grade(spec, mistake, mode):
    """check() on the grade cell of `mode` with the hidden cases, for a student embodying `mistake`."""
    forward, backward = _embodying(spec, mistake, mode)
    with np.errstate(all="ignore"):
        if mode == "backward":
            return check(f"{spec.name}_backward", backward, forward=forward, hidden=True, quiet=True)
        return check(f"{spec.name}_{mode}", forward, hidden=True, quiet=True)


@pytest.mark.parametrize("spec, index", list(_every_mistake()))
def test_each_catalogued_mistake_is_named_and_a_right_answer_is_not(spec, index):
    mistake = spec.mistakes[index]
    with np.errstate(all="ignore"):
        modes = [m for m in MODES if mistake.produce(spec, spec.make_cases()[0], m) is not None]
    assert modes, f"{spec.name}: {mistake.name} produces nothing"
    for mode in modes:
        try:
            _grade(spec, mistake, mode)
        except AssertionError as e:
            assert str(e).startswith(f"This looks like {mistake.name}: "), str(e)
            continue
        raise AssertionError(f"{spec.name}_{mode}: the mistake {mistake.name!r} passes check()")
    for mode in ("step",) if isinstance(spec, StepSpec) else ("forward", "backward"):
        assert _grade(spec, Mistake("none", "", lambda *a: None), mode).passed


def test_the_sandboxed_rerun_names_the_mistake_and_shows_no_hidden_values(monkeypatch):
    """regrade(): the answer cells run in the sandbox, their values come back as data, and the
    diagnosis reads them; a hidden case's failure keeps the sentence and hides the values."""
    from coursekit.grading import regrade

    setup = ["import numpy as np\nfrom coursekit import check\n"]
    sources = {a: parse_answer(MUTANTS / "02_activations" / f"{a}.py").edits[0][2]
               for a in ("mutant_relu_grad_one_at_zero", "mutant_leaky_slope_ignored")}
    relu = "def relu_forward(x):\n    return np.maximum(x, 0.0), x\n\n" + sources["mutant_relu_grad_one_at_zero"]
    tests = {"relu_backward": 'check("relu_backward", relu_backward, forward=relu_forward, hidden=True)',
             "leaky_relu_forward": 'check("leaky_relu_forward", leaky_relu_forward, hidden=True)'}
    monkeypatch.setenv("COURSEKIT_HIDDEN_CASES", "count")
    verdicts = regrade(setup, [relu, sources["mutant_leaky_slope_ignored"]], tests, timeout=30)
    assert verdicts["relu_backward"].message.startswith("This looks like a gradient of 1 at x = 0: ")
    hidden = verdicts["leaky_relu_forward"].message  # only the hidden negative_slope=0.2 case fails
    assert hidden.startswith("This looks like negative_slope ignored: "), hidden
    assert "hidden case" in hidden and "0.2" not in hidden and "expected" not in hidden, hidden


def test_a_failing_check_in_a_notebook_shows_the_named_mistake_first(tmp_path):
    """nbgrader validate (what Lab's Validate button runs) on a notebook whose relu_backward is wrong:
    the error it reports starts with the diagnosis, with no frame of coursekit above it."""
    import subprocess
    import sys

    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nfrom coursekit import check"),
                nbformat.v4.new_code_cell("def relu_forward(x):\n    return np.maximum(x, 0.0), x\n\n"
                                          "def relu_backward(dout, cache):\n    return dout * (cache >= 0)"),
                nbformat.v4.new_code_cell('check("relu_backward", relu_backward, forward=relu_forward)')]
    nb.cells[2].metadata["nbgrader"] = {"grade": True, "grade_id": "test_relu_backward", "points": 1,
                                        "solution": False, "locked": True, "schema_version": 3}
    nbformat.write(nb, tmp_path / "relu.ipynb")
    nbgrader = str(Path(sys.executable).with_name("nbgrader"))
    res = subprocess.run([nbgrader, "validate", "relu.ipynb"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    error = res.stdout.split("The error was:", 1)[-1].strip()
    assert "VALIDATION FAILED ON 1 CELL" in res.stdout, res.stdout + res.stderr
    assert error.startswith("CheckFailed: This looks like a gradient of 1 at x = 0: "), res.stdout
    assert "Traceback" not in error and "coursekit" not in error and "File " not in error, error


def test_every_graded_op_has_at_least_three_known_mistakes():
    graded = {ops.get(name)[0].name: ops.get(name)[0] for a in CHAPTERS for name in cells_of(a)}
    assert len(graded) >= 15
    few = {name: len(spec.mistakes) for name, spec in graded.items() if len(spec.mistakes) < 3}
    assert not few, few
    assert set(CHAPTERS) == {p.name for p in MUTANTS.iterdir() if p.is_dir()}  # every assignment measured
