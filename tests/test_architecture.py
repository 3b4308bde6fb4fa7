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
