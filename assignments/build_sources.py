"""Build the nbgrader source notebooks of the course from this file (so their metadata is right).

    .venv/bin/python assignments/build_sources.py          # rewrite source/*/*.ipynb
    .venv/bin/python assignments/build_sources.py --check  # exit 1 when a notebook is out of date

Each assignment is a list of cells: markdown, one locked read-only setup cell, answer cells
(`### BEGIN SOLUTION` / `### END SOLUTION`, nbgrader "solution") and one locked grade cell per
function with a visible `check(...)` and hidden cases between `### BEGIN HIDDEN TESTS` and
`### END HIDDEN TESTS`. Notebooks are written with outputs stripped.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    nbg = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
           "solution": solution, "task": False}
    if points is not None:
        nbg["points"] = points
    meta = {"nbgrader": nbg}
    if locked:
        meta.update(deletable=False, editable=False)
    return meta


def md(text: str):
    return ("md", text.strip("\n"))


def setup(src: str):
    return ("setup", src.strip("\n"))


def answer(name: str, src: str):
    """An answer cell holding the function `name` (its grade_id is the function's name)."""
    return ("answer", name, src.strip("\n"))


def test(name: str, points: int, forward: str | None = None):
    """The grade cell of function `name`: visible check, then hidden cases."""
    fwd = f", forward={forward}" if forward else ""
    src = (f"# Tests for {name} (read-only): run this cell to check your answer.\n"
           f'check("{name}", {name}{fwd})\n'
           "### BEGIN HIDDEN TESTS\n"
           f'check("{name}", {name}{fwd}, hidden=True)\n'
           "### END HIDDEN TESTS")
    return ("test", name, src, points)


def build(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    n_md = 0
    for cell in cells:
        kind = cell[0]
        if kind == "md":
            n_md += 1
            c = nbformat.v4.new_markdown_cell(cell[1])
            c.id = f"md-{n_md:02d}"
        elif kind == "setup":
            c = nbformat.v4.new_code_cell(cell[1], metadata=_meta("setup", locked=True))
            c.id = "setup"
        elif kind == "answer":
            c = nbformat.v4.new_code_cell(cell[2], metadata=_meta(cell[1], solution=True))
            c.id = cell[1]
        else:
            _, name, src, points = cell
            c = nbformat.v4.new_code_cell(src, metadata=_meta(f"test_{name}", grade=True, locked=True,
                                                              points=points))
            c.id = f"test-{name}"
        nb.cells.append(c)
    nbformat.validate(nb)
    return nb


SETUP = """
# Run this cell first. It is read-only.
import numpy as np
from coursekit import check   # check("relu_forward", relu_forward) grades a function for you
{extra}
np.random.seed(0)
np.set_printoptions(precision=4, suppress=True)
"""

RULES = """
**Rules for every answer**

* NumPy only. Your functions may not call `torch` or `coursekit.reference` (the grader notices and
  gives no credit: "implement this yourself").
* Never modify an input in place (`x[x < 0] = 0` changes the caller's array): build a new array.
* Return `(out, cache)` from a forward and the gradient(s) from a backward, as described in each
  docstring. The *cache* is yours: put in it whatever your backward needs. The grader calls your
  backward with the cache **your** forward returned.
* Print and warn as much as you like while you debug: it costs no points.
* Run a test cell as often as you like. Its `check(...)` runs fixed cases (random shapes and the
  edge cases that catch real bugs), compares your result with a NumPy reference **and** with
  PyTorch in float64, prints a table, and on a failure tells you which case, which argument, the
  worst index, expected vs got, and a hint. The autograder also runs more (hidden) cases, with
  your functions in a separate process, so a function that passes by luck on the visible cases
  may still lose points: make it right for every shape.
"""

# ---------------------------------------------------------------------------------- 01 neurons

NEURONS = [
    md("""
# Assignment 01 — Neurons: the linear (affine) layer

A neuron computes a weighted sum of its inputs plus a bias, $z = w \\cdot x + b$. A *layer* of
`out_features` neurons does this for every neuron at once, and for a whole batch of inputs:

$$ y = x\\,W^\\top + b, \\qquad x \\in \\mathbb{R}^{N \\times D_{in}},\\;
   W \\in \\mathbb{R}^{D_{out} \\times D_{in}},\\; b \\in \\mathbb{R}^{D_{out}},\\;
   y \\in \\mathbb{R}^{N \\times D_{out}}. $$

This is exactly PyTorch's `torch.nn.functional.linear(x, weight, bias)` and the layer
`torch.nn.Linear`: the weight has shape **(out_features, in_features)**, one *row* per neuron.
You will write its forward pass and its backward pass (the gradients that backpropagation needs).

Points: `linear_forward` 2, `linear_backward` 3.
"""),
    md(RULES),
    setup(SETUP.format(extra="")),
    md("""
## 1. `linear_forward(x, weight, bias=None)`

Compute `out = x @ weight.T + bias`.

* `x` may have **any number of leading dimensions**: `(D_in,)`, `(N, D_in)`, `(B, T, D_in)`, ...
  Only the last axis is the feature axis. `@` (`np.matmul`) already treats leading axes as batch
  axes, so `x @ weight.T` has shape `(..., D_out)`.
* `bias` is `None` for a layer without bias: then skip it.
* Broadcasting adds `bias` of shape `(D_out,)` to every row.
* Return `(out, cache)`. A good cache is `(x, weight, bias)`: the backward needs `x` and `weight`.

**Pitfalls:** `x @ weight` (forgot the transpose) only works when the layer is square, and then it
is silently wrong; `out += bias` on a view of an input changes the caller's data.
"""),
    answer("linear_forward", '''
def linear_forward(x, weight, bias=None):
    """Affine layer y = x @ weight.T + bias, like torch.nn.functional.linear.

    x: (..., in_features), at least 1-D; leading dimensions are batch dimensions.
    weight: (out_features, in_features).
    bias: (out_features,) or None (no bias).
    Returns (out, cache): out has shape (..., out_features); cache is whatever
    linear_backward needs, e.g. (x, weight, bias). Do not modify x, weight or bias.
    """
    ### BEGIN SOLUTION
    out = x @ weight.T
    if bias is not None:
        out = out + bias
    cache = (x, weight, bias)
    return out, cache
    ### END SOLUTION
'''),
    test("linear_forward", 2),
    md("""
## 2. `linear_backward(dout, cache)`

Given the upstream gradient `dout` $= \\partial L / \\partial y$ (same shape as `out`), return the
gradients with respect to each input of the forward, in the forward's order:

$$ \\frac{\\partial L}{\\partial x} = \\text{dout}\\; W, \\qquad
   \\frac{\\partial L}{\\partial W} = \\text{dout}^\\top x, \\qquad
   \\frac{\\partial L}{\\partial b} = \\sum_{\\text{rows}} \\text{dout}. $$

* `dx` has the shape of `x`, `dweight` the shape of `weight` `(D_out, D_in)`, `dbias` the shape of
  `bias` `(D_out,)`, or `None` when the forward had no bias.
* With leading dimensions (e.g. `x` of shape `(B, T, D_in)`), every position contributes to
  `dweight` and `dbias`: flatten first, `x.reshape(-1, D_in)` and `dout.reshape(-1, D_out)`, then
  `dweight = dout2.T @ x2` and `dbias = dout2.sum(axis=0)`.
* Check your shapes: `x.T @ dout` has shape `(D_in, D_out)`, the **transpose** of what you need.

Your backward receives the `cache` that *your* forward returned.
"""),
    answer("linear_backward", '''
def linear_backward(dout, cache):
    """Gradients of linear_forward.

    dout: (..., out_features), the gradient of the loss with respect to out.
    cache: what your linear_forward returned as its cache.
    Returns (dx, dweight, dbias) with the shapes of x, weight and bias; dbias is None
    when the forward had no bias. Do not modify dout or anything in the cache.
    """
    ### BEGIN SOLUTION
    x, weight, bias = cache
    dx = dout @ weight
    x2 = x.reshape(-1, x.shape[-1])
    dout2 = dout.reshape(-1, weight.shape[0])
    dweight = dout2.T @ x2
    dbias = None if bias is None else dout2.sum(axis=0)
    return dx, dweight, dbias
    ### END SOLUTION
'''),
    test("linear_backward", 3, forward="linear_forward"),
    md("""
## What next

Try your layer on the 8×8 digits in the lecture notebook `notebooks/01_neurons.ipynb`, and compare
with `torch.nn.Linear` in a cell of your own (PyTorch is fine *outside* your functions). Stack two
layers with an activation between them: that is the 2-layer network of the next chapter.
"""),
]

# ------------------------------------------------------------------------------ 02 activations

ACTIVATIONS = [
    md("""
# Assignment 02 — Activation functions, forward and backward

Without a nonlinearity between them, two linear layers are just one linear layer. Activations
bend the space. You will implement the ones PyTorch users meet every day, each as a forward
`out, cache = f_forward(x)` and a backward `dx = f_backward(dout, cache)`:

| function | forward | derivative | PyTorch |
|---|---|---|---|
| sigmoid | $\\sigma(x) = 1/(1+e^{-x})$ | $\\sigma(1-\\sigma)$ | `torch.sigmoid` |
| tanh | $\\tanh x$ | $1-\\tanh^2 x$ | `torch.tanh` |
| relu | $\\max(x, 0)$ | $1$ if $x>0$ else $0$ | `F.relu` |
| leaky_relu | $x$ if $x>0$ else $\\alpha x$ | $1$ if $x>0$ else $\\alpha$ | `F.leaky_relu` |
| gelu | $x\\,\\Phi(x)$ | $\\Phi(x) + x\\,\\varphi(x)$ | `F.gelu` |
| softmax | $e^{x_i}/\\sum_j e^{x_j}$ along `dim` | Jacobian-vector product | `F.softmax` |
| log_softmax | $x_i - \\log\\sum_j e^{x_j}$ along `dim` | | `F.log_softmax` |

Every forward takes `x` of **any shape** (and returns `out` of the same shape); every backward
takes `dout` of that shape and the cache **your** forward returned, and returns `dx`, the shape of
`x`. A backward multiplies the local derivative by `dout` (the chain rule, elementwise).

Points: 20 in total, one grade cell per function.
"""),
    md(RULES),
    setup(SETUP.format(extra="from scipy.special import erf  # erf(x), elementwise: allowed for gelu")),
    md("""
## 1. Sigmoid

$\\sigma(x) = \\dfrac{1}{1 + e^{-x}}$. For $x = -1000$, `np.exp(1000)` overflows to `inf` (with a
warning) — the grader tests $\\pm 1000$. A stable form uses only $e^{-|x|} \\le 1$:

$$ \\sigma(x) = \\begin{cases} \\dfrac{1}{1 + e^{-|x|}} & x \\ge 0 \\\\[4pt]
   \\dfrac{e^{-|x|}}{1 + e^{-|x|}} & x < 0 \\end{cases} $$

(`np.where` evaluates both branches, so compute `e = np.exp(-np.abs(x))` once, then choose.)
The derivative is $\\sigma'(x) = \\sigma(x)(1-\\sigma(x))$: cache the output, not the input.
"""),
    answer("sigmoid_forward", '''
def sigmoid_forward(x):
    """Logistic sigmoid, elementwise, stable for |x| = 1000.

    x: ndarray of any shape. Returns (out, cache): out = 1 / (1 + exp(-x)), the shape of x,
    and a cache for sigmoid_backward (e.g. out itself).
    """
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out
    ### END SOLUTION
'''),
    test("sigmoid_forward", 1),
    answer("sigmoid_backward", '''
def sigmoid_backward(dout, cache):
    """Gradient of sigmoid_forward.

    dout: the shape of x; cache: what your sigmoid_forward returned.
    Returns dx = dout * sigmoid(x) * (1 - sigmoid(x)), the shape of x.
    """
    ### BEGIN SOLUTION
    out = cache
    return dout * out * (1.0 - out)
    ### END SOLUTION
'''),
    test("sigmoid_backward", 1, forward="sigmoid_forward"),
    md("""
## 2. Tanh

`np.tanh` is allowed and stable. (If you build it from exponentials, keep it stable: for large
$|x|$, $e^{2x}$ overflows.) Since $\\tanh'(x) = 1 - \\tanh^2(x)$, cache the output.
"""),
    answer("tanh_forward", '''
def tanh_forward(x):
    """Hyperbolic tangent, elementwise. Returns (out, cache); out has the shape of x."""
    ### BEGIN SOLUTION
    out = np.tanh(x)
    return out, out
    ### END SOLUTION
'''),
    test("tanh_forward", 1),
    answer("tanh_backward", '''
def tanh_backward(dout, cache):
    """Gradient of tanh_forward: dx = dout * (1 - tanh(x)**2), the shape of x."""
    ### BEGIN SOLUTION
    out = cache
    return dout * (1.0 - out * out)
    ### END SOLUTION
'''),
    test("tanh_backward", 1, forward="tanh_forward"),
    md("""
## 3. ReLU

$\\mathrm{relu}(x) = \\max(x, 0)$ elementwise: `np.maximum(x, 0)` (Python's `max` compares whole
arrays and fails). Its derivative is $1$ where $x > 0$ and $0$ where $x < 0$. At exactly
$x = 0$ the function has a kink; PyTorch uses **0** there, and so does the grader (the cases
contain exact zeros). So the mask is `x > 0`, not `x >= 0`.
"""),
    answer("relu_forward", '''
def relu_forward(x):
    """max(x, 0) elementwise. Returns (out, cache): out has the shape of x; cache, e.g. x."""
    ### BEGIN SOLUTION
    out = np.maximum(x, 0.0)
    return out, x
    ### END SOLUTION
'''),
    test("relu_forward", 1),
    answer("relu_backward", '''
def relu_backward(dout, cache):
    """Gradient of relu_forward: dout where x > 0, 0 elsewhere (0 at exactly x = 0)."""
    ### BEGIN SOLUTION
    x = cache
    return dout * (x > 0)
    ### END SOLUTION
'''),
    test("relu_backward", 1, forward="relu_forward"),
    md("""
## 4. Leaky ReLU

$x$ where $x > 0$, $\\alpha x$ elsewhere, with $\\alpha$ = `negative_slope` (default `0.01`, as in
`F.leaky_relu`). The derivative is $1$ where $x > 0$ and $\\alpha$ elsewhere, **including**
$x = 0$ (PyTorch's choice). The backward needs `negative_slope` too: put it in the cache. The
hidden cases use another slope than the default.
"""),
    answer("leaky_relu_forward", '''
def leaky_relu_forward(x, negative_slope=0.01):
    """x where x > 0, negative_slope * x elsewhere (F.leaky_relu).

    Returns (out, cache): out has the shape of x; cache, e.g. (x, negative_slope).
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, negative_slope * x)
    return out, (x, negative_slope)
    ### END SOLUTION
'''),
    test("leaky_relu_forward", 1),
    answer("leaky_relu_backward", '''
def leaky_relu_backward(dout, cache):
    """Gradient of leaky_relu_forward: dout where x > 0, negative_slope * dout elsewhere."""
    ### BEGIN SOLUTION
    x, negative_slope = cache
    return np.where(x > 0, dout, negative_slope * dout)
    ### END SOLUTION
'''),
    test("leaky_relu_backward", 1, forward="leaky_relu_forward"),
    md("""
## 5. GELU (exact)

The Gaussian Error Linear Unit of BERT and GPT: $\\mathrm{gelu}(x) = x\\,\\Phi(x)$ where $\\Phi$ is
the standard normal CDF,

$$ \\Phi(x) = \\tfrac12\\left(1 + \\mathrm{erf}\\!\\left(x/\\sqrt2\\right)\\right), \\qquad
   \\varphi(x) = \\Phi'(x) = \\frac{e^{-x^2/2}}{\\sqrt{2\\pi}}, \\qquad
   \\mathrm{gelu}'(x) = \\Phi(x) + x\\,\\varphi(x). $$

Use the **exact** form (`F.gelu(x)` with its default `approximate="none"`), not the tanh
approximation $\\tfrac12 x(1 + \\tanh(\\sqrt{2/\\pi}(x + 0.044715x^3)))$: the two differ by up to
about $10^{-3}$, far above the grader's tolerance. NumPy has no vectorised `erf`;
`scipy.special.erf` (imported as `erf` in the first cell) is allowed.
"""),
    answer("gelu_forward", '''
def gelu_forward(x):
    """Exact GELU, x * Phi(x) with Phi(x) = (1 + erf(x / sqrt(2))) / 2, elementwise.

    Returns (out, cache): out has the shape of x; cache, e.g. x.
    """
    ### BEGIN SOLUTION
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    return x * cdf, x
    ### END SOLUTION
'''),
    test("gelu_forward", 2),
    answer("gelu_backward", '''
def gelu_backward(dout, cache):
    """Gradient of gelu_forward: dx = dout * (Phi(x) + x * phi(x)), the shape of x."""
    ### BEGIN SOLUTION
    x = cache
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    return dout * (cdf + x * pdf)
    ### END SOLUTION
'''),
    test("gelu_backward", 2, forward="gelu_forward"),
    md("""
## 6. Softmax along `dim`

$\\mathrm{softmax}(x)_i = e^{x_i} / \\sum_j e^{x_j}$, where $i, j$ run along the axis `dim`
(default `-1`, the last one; the grader also uses `dim=0` and `dim=1`). Every slice along `dim`
sums to 1.

* **Stability:** $e^{1000}$ is `inf`, and `inf / inf` is `NaN`. Softmax does not change when you
  subtract a constant from a slice, so subtract the slice maximum first:
  `x - x.max(axis=dim, keepdims=True)`. Then every exponent is $\\le 0$.
* `keepdims=True` keeps the reduced axis (size 1) so the result broadcasts back against `x`.
* **Backward** without building the Jacobian: with $s$ = softmax(x),
  $dx = s \\odot (\\text{dout} - \\sum_j \\text{dout}_j s_j)$, the sum along `dim` with
  `keepdims=True`. The cache needs $s$ and `dim`.
"""),
    answer("softmax_forward", '''
def softmax_forward(x, dim=-1):
    """Softmax along axis `dim` (any axis, negative allowed), stable for |x| = 1000.

    x: ndarray, at least 1-D. Returns (out, cache): out has the shape of x and sums to 1
    along dim; cache, e.g. (out, dim).
    """
    ### BEGIN SOLUTION
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    out = e / e.sum(axis=dim, keepdims=True)
    return out, (out, dim)
    ### END SOLUTION
'''),
    test("softmax_forward", 2),
    answer("softmax_backward", '''
def softmax_backward(dout, cache):
    """Gradient of softmax_forward: dx = s * (dout - sum(dout * s, dim)), the shape of x."""
    ### BEGIN SOLUTION
    out, dim = cache
    return out * (dout - (dout * out).sum(axis=dim, keepdims=True))
    ### END SOLUTION
'''),
    test("softmax_backward", 2, forward="softmax_forward"),
    md("""
## 7. Log-softmax along `dim`

$\\log \\mathrm{softmax}(x)_i = x_i - \\log\\sum_j e^{x_j}$. Computing `np.log(softmax(x))` is
wrong in practice: when one entry is 1000 larger than another, its softmax underflows to 0 and
the log is `-inf` (PyTorch gives about $-1000$). Use the *log-sum-exp trick*: with
$m = \\max_j x_j$, $\\log\\sum_j e^{x_j} = m + \\log\\sum_j e^{x_j - m}$.

Backward: with $s = e^{\\text{out}}$ = softmax(x), $dx = \\text{dout} - s \\sum_j
\\text{dout}_j$ (sum along `dim`, `keepdims=True`).
"""),
    answer("log_softmax_forward", '''
def log_softmax_forward(x, dim=-1):
    """log(softmax(x)) along axis `dim`, computed stably (log-sum-exp).

    Returns (out, cache): out has the shape of x; cache, e.g. (out, dim).
    """
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=dim, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    return out, (out, dim)
    ### END SOLUTION
'''),
    test("log_softmax_forward", 2),
    answer("log_softmax_backward", '''
def log_softmax_backward(dout, cache):
    """Gradient of log_softmax_forward: dx = dout - softmax(x) * sum(dout, dim), the shape of x."""
    ### BEGIN SOLUTION
    out, dim = cache
    return dout - np.exp(out) * dout.sum(axis=dim, keepdims=True)
    ### END SOLUTION
'''),
    test("log_softmax_backward", 2, forward="log_softmax_forward"),
    md("""
## What next

Open `notebooks/02_activations.ipynb` and plot your functions and their derivatives with the
activation explorer; notice where sigmoid and tanh saturate (gradient near 0) and why ReLU-like
functions train deep networks faster.
"""),
]

ASSIGNMENTS = {"01_neurons": NEURONS, "02_activations": ACTIVATIONS}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check_only = "--check" in argv
    stale = []
    for name, cells in ASSIGNMENTS.items():
        path = HERE / "source" / name / f"{name}.ipynb"
        text = nbformat.writes(build(cells)) + "\n"
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not check_only:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for p in stale:
        print(("out of date: " if check_only else "wrote ") + str(p.relative_to(HERE.parent)))
    return 1 if check_only and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
