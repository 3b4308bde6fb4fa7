"""The integrity report's scan of answer cells: what it flags and what it must leave alone.
(The whole report runs in tests/test_pipeline.py on every assignment's hostile and valid answers.)"""
from __future__ import annotations

import pytest

from coursekit.grading.integrity import _norm, scan_source

SETUP = "import numpy as np\nfrom coursekit import check\nimport sys"

FLAGGED = {
    "np.allclose = lambda *a, **k: True": "patched module",
    "import coursekit.grading\ncoursekit.grading.compare = f": "patched module",
    "import coursekit.reference.activations as ref\nref.tanh_forward.__code__ = g.__code__": "patched module",
    "import torch\ntorch.Tensor.tanh = lambda self: self": "patched module",
    "from torch import nn\nnn.Module.__call__ = f": "patched module",
    "sys.modules['coursekit.reference'] = object()": "patched module",
    "setattr(np, 'allclose', f)": "patched module",
    "np.testing.assert_allclose = lambda *a, **k: None": "patched module",
    "import coursekit.ops\ncoursekit.ops.REGISTRY['relu'] = spec": "patched module",
    "del np.linalg": "patched module",
    "def check(*a, **k):\n    print('passed')": "check rebound",
    "check = lambda *a: None": "check rebound",
    "from mymodule import check": "check rebound",
    "train_check, x = f, 1": "check rebound",
}

CLEAN = [
    "def relu_forward(x):\n    out = np.maximum(x, 0.0)\n    return out, x",
    "out = np.zeros(3)\nout[0] += 1\nstate['m'] = m\nself.x = 2",
    "from coursekit import check\nresult = check('relu_forward', relu_forward)",
    "import torch\nt = torch.tensor([1.0])\nprint(torch.relu(t))",  # torch outside the graded functions is allowed
    "np.random.seed(0)\nrng = np.random.default_rng(1)",
    "def broken(:\n    pass",  # a syntax error is the kernel's business, not a finding
]


@pytest.mark.parametrize("src, kind", list(FLAGGED.items()))
def test_tricks_in_answer_cells_are_flagged(src, kind):
    found = scan_source(src, {} if "import" in src.split("\n")[0] else scan_aliases())
    assert [k for k, _ in found] == [kind], found
    assert all(detail for _, detail in found)


@pytest.mark.parametrize("src", CLEAN)
def test_ordinary_answers_are_not_flagged(src):
    assert scan_source(src, scan_aliases()) == []


def scan_aliases() -> dict:
    aliases: dict = {}
    assert scan_source(SETUP, aliases) == []  # the instructor's setup binds np, check, sys
    assert aliases["np"] == "numpy" and aliases["sys"] == "sys"
    return aliases


def test_released_cells_compare_without_hidden_tests_or_trailing_blanks():
    source = 'check("f", f)\n### BEGIN HIDDEN TESTS\ncheck("f", f, hidden=True)\n### END HIDDEN TESTS\n'
    assert _norm(source) == _norm('check("f", f)   \n\n')
    assert _norm(source) != _norm("pass")
