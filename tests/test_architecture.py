"""The import rules of architecture.md: the reference imports no torch, the grading side imports no
widgets, the sandbox child imports neither torch nor the reference."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "coursekit"
GRADING_SIDE = sorted(p.stem for p in (PKG / "grading").glob("*.py") if p.stem != "__init__")
HUB = sorted(p.stem for p in (PKG / "hub").glob("*.py") if p.stem != "__init__")


def imports_of(path: Path) -> set:
    """Every module a file imports, at the top or inside functions, as absolute dotted names."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found.update(f"{base}.{a.name}" for a in node.names)
            found.add(base)
    return found


@pytest.mark.parametrize("path", sorted((PKG / "reference").glob("*.py")), ids=lambda p: p.name)
def test_the_reference_imports_no_torch(path):
    assert not [m for m in imports_of(path) if m == "torch" or m.startswith("torch.")]


@pytest.mark.parametrize("name", GRADING_SIDE)
def test_the_grading_side_imports_no_widgets(name):
    assert not [m for m in imports_of(PKG / "grading" / f"{name}.py") if m.startswith("coursekit.widgets")]


@pytest.mark.parametrize("name", HUB)
def test_the_hub_imports_no_widgets(name):
    assert not [m for m in imports_of(PKG / "hub" / f"{name}.py") if m.startswith("coursekit.widgets")]


def test_the_sandbox_child_imports_only_numpy_and_the_standard_library():
    # isolation: in the parent only (StudentCode._spawn); IPython: to translate %magics, when it is there
    allowed = {"numpy", "coursekit", "coursekit.grading.isolation", "coursekit.grading.outcomes", "IPython"}
    third_party = {m.split(".")[0] for m in imports_of(PKG / "grading" / "sandbox.py")} - set(sys.stdlib_module_names)
    assert third_party <= {m.split(".")[0] for m in allowed}, third_party
    assert not [m for m in imports_of(PKG / "grading" / "sandbox.py")
                if m.startswith(("coursekit.reference", "coursekit.ops", "torch"))]


def _loaded_after(code: str) -> set:
    run = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}; "
                          "print(' '.join(sorted(sys.modules)))"], capture_output=True, text=True, timeout=120,
                         check=True)
    return set(run.stdout.split())


def test_starting_the_sandbox_child_loads_neither_torch_nor_the_reference():
    loaded = _loaded_after("from coursekit.grading.sandbox import _child_main")
    assert not [m for m in loaded if m == "torch" or m.startswith(("torch.", "coursekit.reference", "coursekit.ops"))]


def test_the_reference_loads_no_torch_and_the_grading_side_no_widgets():
    assert "torch" not in _loaded_after("import coursekit.reference.attention, coursekit.reference.rnn, "
                                        "coursekit.reference.cnn, coursekit.reference.train, coursekit.ops")
    loaded = _loaded_after("import coursekit.cli, " + ", ".join(f"coursekit.grading.{n}" for n in GRADING_SIDE))
    assert not [m for m in loaded if m.startswith("coursekit.widgets")]


# Ops whose signature is torch's, name for name: every parameter is an array the registry passes by
# name (and differentiates) or a hyperparameter named as torch names it. Bundling them into one
# object would break that map, so they alone may take more than 8 parameters.
TORCH_SIGNATURES = {"multi_head_attention_forward", "transformer_encoder_layer_forward", "rmsprop_step"}


def _functions():
    """(where, name, lines, parameters) of every function outside tests and generated files."""
    paths = [p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] in {"coursekit", "benchmarks", "assignments", "book"}
             and "source" not in p.relative_to(ROOT).parts[:2] and "release" not in p.relative_to(ROOT).parts[:2]
             and "_build" not in p.relative_to(ROOT).parts[:2]]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs] + [x.arg for x in (a.vararg, a.kwarg) if x]
                params = len(names) - (names[:1] in (["self"], ["cls"]))
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.name, node.end_lineno - node.lineno + 1, params


def test_no_function_is_over_60_lines_or_8_parameters():
    functions = list(_functions())
    assert len(functions) > 300  # the walk found the code
    assert [f"{w} {n} ({lines} lines)" for w, n, lines, _ in functions if lines > 60] == []
    assert [f"{w} {n} ({p} parameters)" for w, n, _, p in functions if p > 8 and n not in TORCH_SIGNATURES] == []


def test_only_registry_ops_keep_torchs_long_signatures():
    from coursekit import ops

    for name in TORCH_SIGNATURES:
        spec, mode = ops.get(name)
        assert mode in ("forward", "step") and getattr(spec, mode).__name__ == name
    assert {n for _, n, _, p in _functions() if p > 8} == TORCH_SIGNATURES  # none of them left over
