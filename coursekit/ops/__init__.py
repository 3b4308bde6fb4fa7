"""THE REGISTRY: every op taught in the course, declared once.

An `OpSpec` names the reference forward/backward, the PyTorch equivalent (its backward comes from
autograd), the input cases (random shapes plus the edge cases that catch real bugs) and the
tolerances. Tests, `check()`, benchmarks and the docs' op list all read this table.

The package mirrors `coursekit/reference/`: `spec.py` holds the machinery (`Case`, `OpSpec`,
`StepSpec`, `register`, `get`, the shared case builders), and one module per chapter holds that
chapter's specs, case builders, PyTorch adapters and hints. The chapter modules are imported below in
chapter order, which is the order of `REGISTRY`.

Adding an op: write `<op>_forward` / `<op>_backward` in its chapter's module under
`coursekit/reference/`, then add one `register(OpSpec(...))` in the module of the same chapter here
(e.g. `ops/cnn.py` for `reference/cnn.py`): the PyTorch equivalent, the array argument names, a case
builder (reuse `unary_cases`/`rowwise_cases` or write one with the edge cases that catch real bugs),
a benchmark size, hints. A new chapter gets a new module, imported below in chapter order. An
update rule is a `register_step(StepSpec(...))` in `optim.py`.
"""
from . import neurons, activations, losses, backprop, optim, cnn, rnn  # noqa: F401, I001  (chapter order)
from . import attention, generative  # noqa: F401, I001  (chapter order, continued)
from .spec import (
    REGISTRY,
    STEPS,
    Case,
    Mistake,
    OpSpec,
    Spec,
    StepSpec,
    as_grads,
    by_chapter,
    fmt_hyper,
    get,
    register,
    register_step,
    rowwise_cases,
    unary_bench,
    unary_cases,
)

__all__ = [
    "REGISTRY", "STEPS", "Case", "Mistake", "OpSpec", "Spec", "StepSpec", "as_grads", "by_chapter", "fmt_hyper", "get",
    "register", "register_step", "rowwise_cases", "unary_bench", "unary_cases",
]
