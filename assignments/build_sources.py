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

# ---------------------------------------------------------------------------------- 03 losses

LOSSES = [
    md(r"""
# Assignment 03 — Loss functions, forward and backward

A loss turns a prediction and its target into **one number** that says how wrong the prediction
is. Training only ever sees that number, and backpropagation starts from its gradient with
respect to the prediction. You will write four losses of `torch.nn.functional` (`F`) in NumPy,
each as a forward `loss, cache = f_forward(input, target, reduction="mean")` and a backward
`dinput = f_backward(dout, cache)` (the gradient for `input` only: targets are data, not
parameters):

| function | per-element loss $\ell$ | $\partial \ell / \partial\,\text{input}$ |
|---|---|---|
| `mse_loss` | $(x - y)^2$ | $2(x - y)$ |
| `binary_cross_entropy` | $-\bigl[t\log p + (1-t)\log(1-p)\bigr]$ | $(p - t)\,/\,p(1-p)$ |
| `binary_cross_entropy_with_logits` | $\max(z, 0) - zt + \log(1 + e^{-\lvert z\rvert})$ | $\sigma(z) - t$ |
| `cross_entropy` | $-\log \mathrm{softmax}(\mathbf{x}_n)_{k_n}$ | $\mathrm{softmax}(\mathbf{x}_n) - \mathbf{e}_{k_n}$ |

($\sigma$ is the sigmoid of assignment 02, $\mathbf{e}_k$ the one-hot vector of class $k$.)

**Why these four.** MSE is the simplest place to get the *reduction contract* (below) right.
Of the three other losses of the lecture, we picked `binary_cross_entropy` on probabilities:
it holds the two mistakes that bite in real code — the bracket slip and $\log 0$ — and it is
the naive half of the pair "BCE on probabilities / BCE on logits": writing both shows *why*
PyTorch wants logits. `l1_loss` and `smooth_l1_loss` are MSE with another elementwise formula
(a `sign`, a branch) and teach nothing new about the contract; try them in the lecture notebook
`notebooks/03_losses.ipynb`.

Points: 15 in total, one grade cell per function (MSE 1 + 1, BCE 2 + 1, BCE with logits 2 + 2,
cross-entropy 3 + 3).
"""),
    md(RULES),
    setup(SETUP.format(extra="")),
    md(r"""
## The reduction contract (read this first)

Every loss takes `reduction`, one of `"mean"` (the default), `"sum"` and `"none"`:

| `reduction` | the forward returns | `dout` has shape | the backward returns |
|---|---|---|---|
| `"none"` | the per-element loss, shaped like `input` (`cross_entropy`: `(N,)`) | the loss's | `dout * local grad` |
| `"sum"` | the sum, a **0-d array** (shape `()`) | `()` | `dout * local grad` |
| `"mean"` | sum / number of elements that count, a **0-d array** | `()` | `dout * local grad / count` |

* **A 0-d loss.** PyTorch returns a 0-d tensor for `"mean"` and `"sum"`, not a tensor of shape
  `(1,)`. In NumPy, `loss.sum()` gives a numpy scalar (accepted); `np.asarray(loss.sum())` a
  0-d array (what the reference returns). `loss.sum(keepdims=True)` has shape `(1, 1)` for a
  2-D input: wrong.
* **A 0-d `dout`.** In a network `dout` is usually `1.0` (the loss *is* the objective), but
  the grader sends a random 0-d array such as `array(-0.73)`: never ignore `dout`. A 0-d array
  broadcasts against anything, so `dout * grad` just works.
* **The mean divides twice.** The forward divides the sum by `count`, so the backward divides the
  gradient by `count` too. Forgetting this `1/count` is the most common loss-gradient bug: the
  values look right up to a factor of the batch size, and training with a "reasonable" learning
  rate then diverges.
* The cache is yours: put `reduction` (and `count`) in it, the backward needs them.
* Input shapes: `mse_loss` and the two BCEs take `input` and `target` of **any one shape**
  (`(4, 5)`, `(7,)`, `(2, 3, 4)`, ...): the count of the mean is `input.size`, not `len(input)`.
"""),
    md(r"""
## 1. Mean squared error

$$ \ell_i = (x_i - y_i)^2, \qquad \frac{\partial \ell_i}{\partial x_i} = 2(x_i - y_i). $$

With `reduction="mean"` the loss is $\frac1n \sum_i \ell_i$ with $n$ = `input.size`, so the
gradient is $\frac{2}{n}(x_i - y_i)\cdot$`dout`.
"""),
    answer("mse_loss_forward", '''
def mse_loss_forward(input, target, reduction="mean"):
    """Mean squared error, like F.mse_loss.

    input, target: ndarrays of one shape (any). reduction: "mean", "sum" or "none".
    Returns (loss, cache): loss is a 0-d array for "mean" and "sum" and has the shape of
    input for "none"; cache is whatever mse_loss_backward needs. Do not modify the inputs.
    """
    ### BEGIN SOLUTION
    diff = input - target
    loss = diff * diff
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (diff, reduction)
    ### END SOLUTION
'''),
    test("mse_loss_forward", 1),
    answer("mse_loss_backward", '''
def mse_loss_backward(dout, cache):
    """Gradient of mse_loss_forward with respect to input.

    dout: the loss's shape (0-d for "mean" and "sum"). Returns dinput, the shape of input:
    2 * (input - target) * dout, divided by input.size for "mean".
    """
    ### BEGIN SOLUTION
    diff, reduction = cache
    dinput = 2.0 * diff * dout
    if reduction == "mean":
        dinput = dinput / diff.size
    return dinput
    ### END SOLUTION
'''),
    test("mse_loss_backward", 1, forward="mse_loss_forward"),
    md(r"""
## 2. Binary cross-entropy on probabilities

`input` holds probabilities $p \in [0, 1]$ (a sigmoid's output), `target` labels $t$ (0 or 1, or
soft labels in between):

$$ \ell = -\bigl[\,t\log p + (1 - t)\log(1 - p)\,\bigr]. $$

**The bracket slip.** `-t * np.log(p) + (1 - t) * np.log(1 - p)` is right for $t = 1$ and wrong
for $t = 0$: there it gives $\log(1-p) \le 0$, a negative loss that *decreases* as $p \to 1$, so
minimising it pushes every negative example towards the wrong class. Nothing crashes. A
negative cross-entropy always means a bug.

**$\log 0$.** For $p = 0$, `np.log(p)` is `-inf` and `0 * -inf` is `nan`, even when $t = 0$
and the answer is perfect. PyTorch clamps **each log at $-100$** before multiplying:
`np.maximum(np.log(p), -100.0)` and the same for $\log(1-p)$ (the grader has $p \in \{0, 1\}$).
`np.log(0)` also warns; wrap it in `with np.errstate(divide="ignore"):` if the warning bothers you.

**Backward.** $\dfrac{\partial\ell}{\partial p} = -\dfrac{t}{p} + \dfrac{1-t}{1-p} =
\dfrac{p - t}{p(1-p)}$. PyTorch clamps the denominator, `np.maximum(p * (1 - p), 1e-12)`, so
$p \in \{0, 1\}$ gives a large finite gradient, not `inf`. Do the same.
"""),
    answer("binary_cross_entropy_forward", '''
def binary_cross_entropy_forward(input, target, reduction="mean"):
    """Binary cross-entropy on probabilities, like F.binary_cross_entropy.

    input: probabilities p in [0, 1]; target: labels t in [0, 1], the shape of input.
    loss = -(t * log(p) + (1 - t) * log(1 - p)), each log clamped at -100, then reduced.
    Returns (loss, cache).
    """
    ### BEGIN SOLUTION
    p, t = input, target
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_1mp = np.maximum(np.log(1.0 - p), -100.0)
    loss = -(t * log_p + (1.0 - t) * log_1mp)
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (p, t, reduction)
    ### END SOLUTION
'''),
    test("binary_cross_entropy_forward", 2),
    answer("binary_cross_entropy_backward", '''
def binary_cross_entropy_backward(dout, cache):
    """Gradient of binary_cross_entropy_forward with respect to input (the probabilities).

    Returns dinput = (p - t) / max(p * (1 - p), 1e-12) * dout, divided by p.size for "mean".
    """
    ### BEGIN SOLUTION
    p, t, reduction = cache
    dinput = (p - t) / np.maximum(p * (1.0 - p), 1e-12) * dout
    if reduction == "mean":
        dinput = dinput / p.size
    return dinput
    ### END SOLUTION
'''),
    test("binary_cross_entropy_backward", 1, forward="binary_cross_entropy_forward"),
    md(r"""
## 3. Binary cross-entropy on logits

A network's last layer outputs a **logit** $z$; the probability is $p = \sigma(z)$. Composing
section 2 with a sigmoid fails in float64: $\sigma(40) = 1$ exactly, so $\log(1 - p) = -\infty$
(or PyTorch's clamp, $-100$, a *wrong* loss with a *zero* gradient). Do the algebra on $z$
instead. With the softplus $\operatorname{sp}(z) = \log(1 + e^z)$, $\log\sigma(z) =
-\operatorname{sp}(-z)$ and $\log(1-\sigma(z)) = -\operatorname{sp}(z)$, so

$$ \ell = t\,\operatorname{sp}(-z) + (1-t)\operatorname{sp}(z) = \operatorname{sp}(z) - zt
       = \max(z, 0) - z t + \log\bigl(1 + e^{-|z|}\bigr). $$

The last form only ever takes `exp` of $-|z| \le 0$: at $z = \pm 1000$ (the grader tests
them) nothing overflows. `np.log1p(x)` computes $\log(1 + x)$ accurately for small $x$.
Check it by hand: $z = 1000, t = 0$ gives $1000$; $z = 1000, t = 1$ gives $0$.

**Backward.** $\dfrac{\partial \ell}{\partial z} = \sigma(z) - t$ — the reason this pairing is
everywhere: the gradient is "prediction minus target", never vanishing while the model is wrong.
Use the stable sigmoid of assignment 02 (`np.exp(-np.abs(z))` and two branches), since
`1 / (1 + np.exp(-z))` overflows (with a warning) at $z = -1000$.
"""),
    answer("binary_cross_entropy_with_logits_forward", '''
def binary_cross_entropy_with_logits_forward(input, target, reduction="mean"):
    """Binary cross-entropy on logits, like F.binary_cross_entropy_with_logits.

    input: logits z (any real numbers, stable at |z| = 1000); target: labels t, the shape of z.
    loss = max(z, 0) - z * t + log(1 + exp(-|z|)), then reduced. Returns (loss, cache).
    """
    ### BEGIN SOLUTION
    z, t = input, target
    loss = np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))
    if reduction == "mean":
        loss = np.asarray(loss.mean())
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (z, t, reduction)
    ### END SOLUTION
'''),
    test("binary_cross_entropy_with_logits_forward", 2),
    answer("binary_cross_entropy_with_logits_backward", '''
def binary_cross_entropy_with_logits_backward(dout, cache):
    """Gradient of binary_cross_entropy_with_logits_forward with respect to the logits.

    Returns dinput = (sigmoid(z) - t) * dout, divided by z.size for "mean".
    """
    ### BEGIN SOLUTION
    z, t, reduction = cache
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    dinput = (sig - t) * dout
    if reduction == "mean":
        dinput = dinput / z.size
    return dinput
    ### END SOLUTION
'''),
    test("binary_cross_entropy_with_logits_backward", 2, forward="binary_cross_entropy_with_logits_forward"),
    md(r"""
## 4. Cross-entropy with `ignore_index`

`input` holds logits $\mathbf{x}_n \in \mathbb{R}^C$ for $N$ rows, shape `(N, C)`; `target` the
class of each row, an **integer** array $k_n$ of shape `(N,)`. With the log-sum-exp trick of
assignment 02 ($m_n = \max_j x_{nj}$):

$$ \ell_n = -\log\operatorname{softmax}(\mathbf{x}_n)_{k_n}
          = m_n + \log\sum_j e^{x_{nj} - m_n} - x_{n k_n}. $$

Without the max subtraction, a logit of $1000$ gives $e^{1000} = \infty$ and then `nan`.

* **Picking one entry per row.** `log_probs[np.arange(N), target]` (fancy indexing) picks
  `log_probs[n, target[n]]` for every `n`; a one-hot matrix times `log_probs`, summed over
  classes, does the same.
* **`ignore_index`** (default `-100`): rows whose target equals it count for nothing. Their loss
  is $0$ (`"none"` returns $0$ there), they are **not counted** in the mean's denominator, and
  their gradient is $0$:
  $\;\mathcal{L}_\text{mean} = \sum_{n \text{ kept}} \ell_n \,/\, \#\{n \text{ kept}\}$.
  Careful: indexing with $-100$ raises `IndexError` (fewer than 100 classes), and with $-1$
  silently picks the last class. Replace ignored targets by a valid class, e.g.
  `np.where(keep, target, 0)`, index, then multiply by the mask `keep`. (The mean over zero kept
  rows is `nan` in PyTorch, $0/0$.)

**Backward.** $\dfrac{\partial \ell_n}{\partial \mathbf{x}_n} = \operatorname{softmax}(\mathbf{x}_n)
- \text{onehot}(k_n)$, times the row's upstream factor $g_n$: `dout[n]` for `"none"`, `dout`
for `"sum"`, `dout / count` for `"mean"`, and $0$ for an ignored row. `softmax` is
`np.exp(log_probs)`: cache `log_probs`, not the logits.
"""),
    answer("cross_entropy_forward", '''
def cross_entropy_forward(input, target, reduction="mean", ignore_index=-100):
    """Softmax cross-entropy on logits, like F.cross_entropy.

    input: (N, C) logits (stable at |x| = 1000); target: (N,) integer class indices in [0, C),
    or ignore_index for rows that count for nothing (not in the mean's denominator either).
    Returns (loss, cache): loss is 0-d for "mean" and "sum", shape (N,) for "none".
    """
    ### BEGIN SOLUTION
    n = input.shape[0]
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    shifted = input - input.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), safe] * keep
    count = int(keep.sum())
    if reduction == "mean":
        loss = np.asarray(loss.sum() / count) if count else np.asarray(np.nan)
    elif reduction == "sum":
        loss = np.asarray(loss.sum())
    return loss, (log_probs, safe, keep, reduction, count)
    ### END SOLUTION
'''),
    test("cross_entropy_forward", 3),
    answer("cross_entropy_backward", '''
def cross_entropy_backward(dout, cache):
    """Gradient of cross_entropy_forward with respect to the logits, shape (N, C).

    Row n: (softmax(x_n) - onehot(target[n])) * dout[n] ("none"), * dout ("sum"),
    * dout / count ("mean", count = rows not ignored); zero rows where target is ignore_index.
    """
    ### BEGIN SOLUTION
    log_probs, safe, keep, reduction, count = cache
    n = log_probs.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), safe] -= 1.0
    g = dout * keep
    if reduction == "mean":
        g = g / max(count, 1)
    return dlogits * g[:, None]
    ### END SOLUTION
'''),
    test("cross_entropy_backward", 3, forward="cross_entropy_forward"),
    md(r"""
## What next

Open `notebooks/03_losses.ipynb`: put your BCE and your BCE with logits side by side at
$z = 30$ and $z = -30$ and compare their gradients; plot MSE on $\sigma(z)$ against
cross-entropy and see which one still learns when the model is confidently wrong. Chapter 04
chains your `cross_entropy` after the linear layers and activations of assignments 01 and 02.
"""),
]

# ---------------------------------------------------------------------------------- 04 backprop

BACKPROP = [
    md(r"""
# Assignment 04 — Backprop by hand: a two-layer MLP

You now have every piece of a small classifier: the linear layer (01), ReLU (02) and
cross-entropy (03). Chained, they make a two-layer MLP:

$$ z_1 = x\,W_1^\top + b_1, \qquad h = \operatorname{relu}(z_1), \qquad
   \text{logits} = h\,W_2^\top + b_2, \qquad
   L = \frac1N \sum_{n} -\log \operatorname{softmax}(\text{logits}_n)_{k_n}. $$

| name | shape | | name | shape |
|---|---|---|---|---|
| `x` | `(N, D)` | | `w1` | `(H, D)` |
| `z1`, `h` | `(N, H)` | | `b1` | `(H,)` |
| `logits` | `(N, C)` | | `w2` | `(C, H)` |
| `target` | `(N,)` integers in `[0, C)` | | `b2` | `(C,)` |

This is what `loss.backward()` does for you in PyTorch. Here you do it **by hand**, one layer at
a time, in one forward and one backward function (no calls to your earlier assignments: write
each step out, it is a few lines). Autograd is nothing more than this bookkeeping, automated.

Points: `two_layer_mlp_forward` 2, `two_layer_mlp_backward` 6.
"""),
    md(RULES),
    setup(SETUP.format(extra="")),
    md(r"""
## 1. The forward pass and the cache contract

`two_layer_mlp_forward(x, w1, b1, w2, b2, target)` returns `(loss, cache)`:

* `loss` is the **mean** cross-entropy over the `N` rows, a **0-d array** (`np.asarray(...)`),
  computed with the log-sum-exp trick of assignment 03 (subtract each row's max before `exp`:
  the grader sends logits of size $\pm 1000$).
* `cache` is **yours**: anything your backward needs. The grader calls your backward with the cache
  **your** forward returned, never with another one. Backward needs `x`, `w1`, `w2`
  (for the matrix products), `z1` (for the ReLU gate), `h` (for `dw2`), the softmax
  probabilities or the log-probabilities, and `target`. Storing more is fine; recomputing in the
  backward is fine too.
* Never modify an input in place (`x`, the weights, `target`).

**Pitfalls:** `x @ w1` instead of `x @ w1.T` (fails, or is silently wrong when `D == H`); a
`(N, 1)` loss or a Python float instead of a 0-d array; `np.exp(logits)` without the max shift.
"""),
    answer("two_layer_mlp_forward", '''
def two_layer_mlp_forward(x, w1, b1, w2, b2, target):
    """Two-layer MLP with mean softmax cross-entropy, like
    F.cross_entropy(F.linear(F.linear(x, w1, b1).relu(), w2, b2), target).

    x: (N, D); w1: (H, D); b1: (H,); w2: (C, H); b2: (C,); target: (N,) integer classes.
    Returns (loss, cache): loss is a 0-d array, cache whatever two_layer_mlp_backward needs.
    """
    ### BEGIN SOLUTION
    n = x.shape[0]
    z1 = x @ w1.T + b1
    h = np.maximum(z1, 0.0)
    logits = h @ w2.T + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = np.asarray(-log_probs[np.arange(n), target].mean())
    return loss, (x, w1, w2, z1, h, log_probs, target)
    ### END SOLUTION
'''),
    test("two_layer_mlp_forward", 2),
    md(r"""
## 2. The backward pass, one layer at a time

Backprop applies the chain rule **from the loss back to the inputs**. Each step takes the
gradient of the loss with respect to a layer's *output* (the "upstream" gradient) and turns it
into the gradients with respect to the layer's *inputs* and *parameters*. Every gradient has the
**shape of the thing it is the gradient of**: use this to check every line.

`dloss` is the upstream gradient of the loss itself, a 0-d array (`1.0` when $L$ is the objective;
the grader sends random values such as `array(-0.73)`: multiply by it).

**Step 1: the loss.** With $p_n = \operatorname{softmax}(\text{logits}_n)$ and
$\mathbf{e}_{k}$ the one-hot vector of class $k$:

$$ \texttt{dlogits} = \frac{\partial L}{\partial\, \text{logits}}
   = \frac{\texttt{dloss}}{N}\,\bigl(p - \text{onehot}(\text{target})\bigr)
   \qquad (N, C). $$

*Why.* For one row, $\ell = -x_k + \log\sum_j e^{x_j}$, so
$\partial \ell / \partial x_j = e^{x_j} / \sum_i e^{x_i} - [j = k] = p_j - [j = k]$.
The loss is the **mean** of $N$ such rows, so every row's gradient is divided by $N$. Forgetting
this $1/N$ makes every gradient $N$ times too large.

**Step 2: the second linear layer**, `logits = h @ w2.T + b2`:

$$ \texttt{dh} = \texttt{dlogits}\;W_2 \;\;(N, H), \qquad
   \texttt{dw2} = \texttt{dlogits}^\top h \;\;(C, H), \qquad
   \texttt{db2} = \textstyle\sum_n \texttt{dlogits}_n \;\;(C,). $$

The bias is added to every row, so its gradient is the **sum** over the batch (not the mean:
the $1/N$ is already in `dlogits`).

**Step 3: the ReLU gate**, `h = relu(z1)`:

$$ \texttt{dz1} = \texttt{dh} \odot [z_1 > 0] \qquad (N, H). $$

Where a unit was off, no gradient flows. At **exactly** $z_1 = 0$ ReLU has no derivative; PyTorch
(and the grader) use **0** there: `z1 > 0`, not `z1 >= 0`. The grader has a case with
`x = 0` and `b1 = 0`, so every `z1` is exactly 0.

**Step 4: the first linear layer**, `z1 = x @ w1.T + b1`, the same rules as step 2:

$$ \texttt{dx} = \texttt{dz1}\;W_1 \;\;(N, D), \qquad
   \texttt{dw1} = \texttt{dz1}^\top x \;\;(H, D), \qquad
   \texttt{db1} = \textstyle\sum_n \texttt{dz1}_n \;\;(H,). $$

Return a **dict** with all eight arrays, the intermediates included:
`{"dlogits", "dh", "dz1", "dx", "dw1", "db1", "dw2", "db2"}`. The grader compares each of
them with PyTorch autograd (which keeps the gradients of `logits`, `h` and `z1` with
`retain_grad()`), so a mistake is located at the exact step where it happens.

**Pitfalls:** building `dz1` by gating `dh` in place (`dz1 = dh; dz1[z1 <= 0] = 0`) also changes
the `dh` you return: `dz1 = dh * (z1 > 0)` builds a new array. `dlogits.T @ h` vs `h.T @ dlogits`:
the shape tells you which one is `dw2`.
"""),
    answer("two_layer_mlp_backward", '''
def two_layer_mlp_backward(dloss, cache):
    """Backprop through two_layer_mlp_forward, step by step.

    dloss: 0-d upstream gradient of the loss. cache: what your forward returned.
    Returns a dict with keys dlogits (N, C), dh (N, H), dz1 (N, H), dx (N, D), dw1 (H, D),
    db1 (H,), dw2 (C, H), db2 (C,).
    """
    ### BEGIN SOLUTION
    x, w1, w2, z1, h, log_probs, target = cache
    n = x.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), target] -= 1.0
    dlogits = dlogits * (dloss / n)
    dh = dlogits @ w2
    dw2 = dlogits.T @ h
    db2 = dlogits.sum(axis=0)
    dz1 = dh * (z1 > 0)
    dx = dz1 @ w1
    dw1 = dz1.T @ x
    db1 = dz1.sum(axis=0)
    return {"dlogits": dlogits, "dh": dh, "dz1": dz1, "dx": dx, "dw1": dw1, "db1": db1,
            "dw2": dw2, "db2": db2}
    ### END SOLUTION
'''),
    md(r"""
## Reading the check's table

For the backward, `check` first prints one line per case (`ok` / `FAIL` against the NumPy
reference and against PyTorch), then, **per gradient**, how yours compares with PyTorch autograd:

```
  each gradient on case 'random N=4, D=5, H=6, C=3', vs PyTorch autograd (retain_grad):
    dlogits: close (max abs diff 3.47e-17, max rel 7.65e-16)
    dh: 8 of 24 values differ; worst at index (1, 0): got 0, expected -0.1815 (abs diff 0.182)
    dz1: close ...
```

`exact` and `close` (differences of ~1e-16 are float64 rounding) are right. Backprop runs from
the top of this list to the bottom, so **the first wrong line is where your bug is**: every
gradient below it is computed from it and is usually wrong too. In the example, `dh` is wrong but
`dlogits` is right: the bug is in step 2 (here `dh` was gated in place). A wrong case whose name
says "exact zeros" points at the ReLU gate at 0; "large magnitudes" at the log-sum-exp; "batch
of one" passing while the others fail, at a missing $1/N$ or a mean instead of a sum.
"""),
    test("two_layer_mlp_backward", 6, forward="two_layer_mlp_forward"),
    md(r"""
## What next

Open `notebooks/04_backprop.ipynb`: section 8 writes the same manual backward for a `tanh` MLP
and compares it with PyTorch's `retain_grad()` tensor by tensor, and section 9 trains a digit
classifier with the course's small autograd engine, which only chains local backward passes like
yours. Chapter 05 turns these gradients into steps: the update rules of `torch.optim`.
"""),
]

# ------------------------------------------------------------------------------ 05 gradient descent

def train_test(rule: str, points: int):
    """The grade cell "training run" of update rule `rule`: train_check, then its hidden variant."""
    src = (f"# Training run (read-only): the course's MLP trained on digits with your {rule}.\n"
           f'train_check("{rule}", {rule})\n'
           "### BEGIN HIDDEN TESTS\n"
           f'train_check("{rule}", {rule}, hidden=True)\n'
           "### END HIDDEN TESTS")
    return ("test", f"{rule}_training", src, points)


GRADIENT_DESCENT = [
    md(r"""
# Assignment 05 — Gradient descent: the update rules of `torch.optim`

Backpropagation gives the gradient $g = \partial L / \partial \theta$ of every parameter
$\theta$; an **optimiser** turns it into a step. Plain gradient descent steps against the gradient,
$\theta \leftarrow \theta - \gamma g$. The optimisers everyone uses add memory: a running mean of
past gradients (momentum) and a running mean of their squares (per-parameter step sizes). You
will write four of them, with the exact semantics of `torch.optim`, as **pure functions of one
step**:

```python
param, state = sgd_step(param, grad, state, lr=0.05, momentum=0.9)
```

| function | PyTorch | points |
|---|---|---|
| `sgd_step` (momentum, dampening, Nesterov, weight decay) | `torch.optim.SGD` | 3 |
| `rmsprop_step` (alpha, eps, momentum, centered, weight decay) | `torch.optim.RMSprop` | 3 |
| `adam_step` (betas, eps, weight decay, amsgrad) | `torch.optim.Adam` | 3 |
| `adamw_step` (decoupled weight decay) | `torch.optim.AdamW` | 2 |
| a training run with your `adam_step` | | 2 |
"""),
    md(RULES.replace(
        "* Return `(out, cache)` from a forward and the gradient(s) from a backward, as described in each\n"
        "  docstring. The *cache* is yours: put in it whatever your backward needs. The grader calls your\n"
        "  backward with the cache **your** forward returned.\n",
        "* Return `(param, state)` from every update rule, as described below.\n")),
    setup(SETUP.format(extra="from coursekit.grading import train_check  # a training run with your update rule")),
    md(r"""
## The contract of an update rule (read this first)

```python
def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False):
    ...
    return new_param, new_state
```

* **`param`, `grad`**: arrays of one shape, any shape (a weight matrix, a bias vector).
* **`state`** is `None` on the first step. On every later step it is exactly what *your* previous
  call returned for this parameter. What you put in it is up to you; we suggest a dict like
  PyTorch's `optimizer.state[p]`: the step count `"step"` and the running arrays
  (`"momentum_buffer"`; `"square_avg"`, `"grad_avg"`; `"exp_avg"`, `"exp_avg_sq"`,
  `"max_exp_avg_sq"`). A tuple works as well.
* **One state per parameter.** A network has many parameters (the MLP of section 5 has six: three
  weight matrices and three bias vectors). The training loop keeps one state for each and calls
  your function once per parameter per step. Keep *nothing* in global variables.
* **Pure: modify nothing you were given.** `param -= lr * g` changes the caller's array; write
  `param = param - lr * g`. A subtler leak: `buf = g` on the first step stores the caller's
  gradient array in your state, and a later in-place `buf *= momentum` then changes that array.
  Take a copy (`g.copy()`) or never update state arrays in place.
* **Hyper-parameters** are keyword-only, with PyTorch's names and defaults. You need not validate
  them (PyTorch raises on a negative `lr`; the grader never sends one).
* **How `check` grades a rule.** It runs fixed trajectories of 5 to 30 steps from one starting
  `param` (random gradients, zero gradients, gradients of $\pm 1000$, tiny ones of $10^{-8}$, a
  constant one) under several hyper-parameter sets, and compares **every param after every step**
  with the NumPy reference and with `torch.optim` (float64, relative tolerance $10^{-7}$). An
  error in the first step, or one that only shows after ten, both fail. Between two of your
  steps, `check` steps a second parameter with its own state, as an optimiser does over a
  model: state kept anywhere but in `state` gets mixed up and fails.

Notation (PyTorch's documentation): $\gamma$ = `lr`, $\lambda$ = `weight_decay`, $\mu$ =
`momentum`, $\tau$ = `dampening`, $t = 1, 2, \dots$ the step number, $g_t$ the gradient at step $t$.
All operations are elementwise.
"""),
    md(r"""
## 1. SGD: momentum, dampening, Nesterov, weight decay

`torch.optim.SGD`, one step:

$$
\begin{aligned}
& g_t \leftarrow g_t + \lambda\,\theta_{t-1} && \text{if } \lambda \ne 0 \text{ (L2 penalty in the gradient)} \\
& \text{if } \mu \ne 0: \quad b_t \leftarrow \begin{cases} g_t & t = 1 \\
  \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases} \\
& \qquad\qquad\;\; g_t \leftarrow \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\
  b_t & \text{otherwise} \end{cases} \\
& \theta_t \leftarrow \theta_{t-1} - \gamma\, g_t
\end{aligned}
$$

* **The first step is special.** The buffer starts as the gradient itself: no $\mu$, and no
  dampening. Starting from $b_0 = 0$ and applying the $t > 1$ rule gives $(1-\tau)g_1$: wrong
  as soon as $\tau \ne 0$.
* **Nesterov** evaluates the momentum step from the look-ahead point, which for this form of the
  update means using $g_t + \mu b_t$ instead of $b_t$. Using $b_t$ is plain momentum.
* With $\mu = 0$ there is no buffer: plain (stochastic) gradient descent.
* The weight decay enters the gradient **first**, so it also enters the buffer.
"""),
    answer("sgd_step", '''
def sgd_step(param, grad, state=None, *, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
             weight_decay=0.0):
    """One step of torch.optim.SGD. Returns (new_param, new_state).

    state: None on the first step, else what the previous call returned, e.g.
    {"step": t, "momentum_buffer": b}. Do not modify param, grad or the arrays in state.
    """
    ### BEGIN SOLUTION
    g = grad + weight_decay * param if weight_decay != 0 else grad
    new_state = {"step": 1 if state is None else state["step"] + 1}
    if momentum != 0:
        if state is None:
            buf = g.copy()
        else:
            buf = momentum * state["momentum_buffer"] + (1.0 - dampening) * g
        new_state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, new_state
    ### END SOLUTION
'''),
    test("sgd_step", 3),
    md(r"""
## 2. RMSprop

Divide each coordinate's step by a running root-mean-square of its gradients, so that
coordinates with large gradients take smaller steps. `torch.optim.RMSprop` ($\alpha$ = `alpha`,
$\epsilon$ = `eps`; every running average starts at $0$):

$$
\begin{aligned}
& g_t \leftarrow g_t + \lambda\,\theta_{t-1} && \text{if } \lambda \ne 0 \\
& v_t \leftarrow \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad \tilde v_t \leftarrow v_t \\
& \text{if centered:} \quad \bar g_t \leftarrow \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t, \qquad
  \tilde v_t \leftarrow \tilde v_t - \bar g_t^{\,2} \\
& \text{if } \mu > 0: \quad b_t \leftarrow \mu\, b_{t-1} + g_t / \bigl(\sqrt{\tilde v_t} + \epsilon\bigr),
  \qquad \theta_t \leftarrow \theta_{t-1} - \gamma\, b_t \\
& \text{else:} \qquad\;\; \theta_t \leftarrow \theta_{t-1} - \gamma\, g_t / \bigl(\sqrt{\tilde v_t} + \epsilon\bigr)
\end{aligned}
$$

* **$\epsilon$ goes outside the square root**, $\sqrt{\tilde v} + \epsilon$, as in PyTorch. Some
  other libraries write $\sqrt{\tilde v + \epsilon}$: for tiny gradients ($10^{-8}$, in the
  hidden cases) the two differ completely.
* *Centered* RMSprop divides by an estimate of the gradient's standard deviation instead of its
  root mean square.
* Unlike SGD's, RMSprop's momentum buffer starts at $0$ (no first-step special case).
"""),
    answer("rmsprop_step", '''
def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    """One step of torch.optim.RMSprop. Returns (new_param, new_state).

    state: None on the first step, else what the previous call returned, e.g.
    {"step", "square_avg", "grad_avg" (centered), "momentum_buffer" (momentum > 0)}.
    """
    ### BEGIN SOLUTION
    if state is None:  # every running average starts at zero
        zeros = np.zeros_like(param)
        state = {"step": 0, "square_avg": zeros, "grad_avg": zeros, "momentum_buffer": zeros}
    g = grad + weight_decay * param if weight_decay != 0 else grad
    v = alpha * state["square_avg"] + (1.0 - alpha) * g * g
    new_state = {"step": state["step"] + 1, "square_avg": v, "grad_avg": state["grad_avg"],
                 "momentum_buffer": state["momentum_buffer"]}
    if centered:
        g_avg = alpha * state["grad_avg"] + (1.0 - alpha) * g
        new_state["grad_avg"] = g_avg
        denom = np.sqrt(v - g_avg * g_avg) + eps
    else:
        denom = np.sqrt(v) + eps
    if momentum > 0:
        buf = momentum * state["momentum_buffer"] + g / denom
        new_state["momentum_buffer"] = buf
        return param - lr * buf, new_state
    return param - lr * g / denom, new_state
    ### END SOLUTION
'''),
    test("rmsprop_step", 3),
    md(r"""
## 3. Adam, with AMSGrad

Momentum and RMSprop together, with a **bias correction**. `torch.optim.Adam`
($\beta_1, \beta_2$ = `betas`; $m_0 = v_0 = v_0^{\max} = 0$):

$$
\begin{aligned}
& g_t \leftarrow g_t + \lambda\,\theta_{t-1} && \text{if } \lambda \ne 0 \\
& m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
& v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
& \hat m_t \leftarrow m_t / (1 - \beta_1^{\,t}) \\
& \text{if amsgrad:} \quad v_t^{\max} \leftarrow \max(v_{t-1}^{\max}, v_t), \qquad
  \hat v_t \leftarrow v_t^{\max} / (1 - \beta_2^{\,t}) \\
& \text{else:} \qquad\qquad \hat v_t \leftarrow v_t / (1 - \beta_2^{\,t}) \\
& \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t / \bigl(\sqrt{\hat v_t} + \epsilon\bigr)
\end{aligned}
$$

* **Why the bias correction.** With $m_0 = 0$, $m_1 = (1-\beta_1)g_1$ is ten times too small
  for $\beta_1 = 0.9$, and $v_1 = (1 - \beta_2) g_1^2$ a thousand times for $\beta_2 = 0.999$.
  Dividing by $1 - \beta^t$ turns the running sums into proper averages; the correction fades as
  $t$ grows. $t$ is the number of this step, **starting at 1**: keep it in the state.
* **AMSGrad** keeps the running maximum of the *raw* $v_t$ and bias-corrects that maximum; taking
  the maximum of the corrected $\hat v_t$ is a different algorithm.
* $\epsilon$ is outside the square root, as in RMSprop.
* Adam's `weight_decay` is an L2 penalty in the gradient, like SGD's (see AdamW next).
"""),
    answer("adam_step", '''
def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    """One step of torch.optim.Adam. Returns (new_param, new_state).

    state: None on the first step, else what the previous call returned, e.g.
    {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": v_max (amsgrad)}.
    """
    ### BEGIN SOLUTION
    beta1, beta2 = betas
    if state is None:
        zeros = np.zeros_like(param)
        state = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros, "max_exp_avg_sq": zeros}
    t = state["step"] + 1
    g = grad + weight_decay * param if weight_decay != 0 else grad
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * g
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
    new_state = {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": state["max_exp_avg_sq"]}
    if amsgrad:
        v = np.maximum(state["max_exp_avg_sq"], v)
        new_state["max_exp_avg_sq"] = v
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), new_state
    ### END SOLUTION
'''),
    test("adam_step", 3),
    md(r"""
## 4. AdamW: decoupled weight decay

In Adam, the penalty $\lambda\theta$ added to the gradient is then divided by $\sqrt{\hat v}$:
a weight with large gradients is hardly decayed at all, one with small gradients a lot. AdamW
(Loshchilov & Hutter) **decouples** the decay from the gradient. `torch.optim.AdamW` (default
$\lambda = 10^{-2}$):

$$
\begin{aligned}
& \theta_{t-1} \leftarrow \theta_{t-1} - \gamma\lambda\,\theta_{t-1} = (1 - \gamma\lambda)\,\theta_{t-1}
  && \text{shrink the weights first} \\
& \text{then the Adam step of section 3 from this } \theta_{t-1} \text{, with the raw gradient } g_t
  \text{ (no } \lambda\theta \text{ in it)}
\end{aligned}
$$

Everything else (moments, bias corrections, `amsgrad`) is Adam's. You may call your `adam_step`
(with `weight_decay=0`) from `adamw_step`; then a bug in `adam_step` costs you here too.
"""),
    answer("adamw_step", '''
def adamw_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
               amsgrad=False):
    """One step of torch.optim.AdamW: param * (1 - lr * weight_decay), then Adam with the raw grad.

    Returns (new_param, new_state); the state holds what Adam's does.
    """
    ### BEGIN SOLUTION
    beta1, beta2 = betas
    if state is None:
        zeros = np.zeros_like(param)
        state = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros, "max_exp_avg_sq": zeros}
    t = state["step"] + 1
    param = param * (1.0 - lr * weight_decay)
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * grad
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * grad * grad
    new_state = {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": state["max_exp_avg_sq"]}
    if amsgrad:
        v = np.maximum(state["max_exp_avg_sq"], v)
        new_state["max_exp_avg_sq"] = v
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), new_state
    ### END SOLUTION
'''),
    test("adamw_step", 2),
    md(r"""
## 5. A training run

The last cell trains the course's NumPy MLP (64-128-64-10, ReLU, cross-entropy, mini-batches of
32, 15 epochs, `lr=1e-3`) on the 8×8 digits **with your `adam_step`** as the optimiser, from the
same initialisation and batch order as a run with the reference rule, and prints both test
accuracies per epoch. It passes when yours reaches **95 %** test accuracy (the reference run gets
about 97 %). The MLP has six parameters of four different shapes, each with its own state, and
takes hundreds of steps: this is where a state kept in a global variable, or shared between
parameters, shows up. The hidden variant trains from another initialisation and batch order.
"""),
    train_test("adam_step", 2),
    md(r"""
## What next

Open `notebooks/05_gradient_descent.ipynb` and race your rules against each other on the
Rosenbrock valley and a saddle (`OptimizerRace`); try `lr=0.1` with SGD and with Adam, and the
learning-rate schedules. Then give the MLP of the lecture your `sgd_step` with Nesterov momentum.
"""),
]

# ------------------------------------------------------------------------------------ 06 CNN

PAIR = '''
def pair(v):
    """An int or a pair as (height, width): pair(3) -> (3, 3), pair((2, 1)) -> (2, 1)."""
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))
'''

CNN = [
    md(r"""
# Assignment 06 — Convolution and max pooling, forward and backward

You will write the two layers that make a network convolutional, as loops first (the clearest way
to be right), with the exact semantics of PyTorch:

| function | PyTorch | points |
|---|---|---|
| `conv2d_forward(x, weight, bias, stride, padding, dilation)` | `F.conv2d` | 4 |
| `conv2d_backward(dout, cache)` → `(dx, dweight, dbias)` | autograd of `F.conv2d` | 5 |
| `max_pool2d_forward(x, kernel_size, stride, padding, dilation)` | `F.max_pool2d` | 3 |
| `max_pool2d_backward(dout, cache)` → `dx` | autograd of `F.max_pool2d` | 3 |

Layouts are PyTorch's: images `x` are **NCHW** `(N, C_in, H, W)`, a conv weight is
`(C_out, C_in, kH, kW)`. `stride`, `padding`, `dilation` and `kernel_size` are an int or a pair
`(height, width)`: the read-only cell below defines `pair(v)`, which turns either into a pair.

Four loops (image, filter, output row, output column) are fast enough here: the graded cases are
small (the largest is `(2, 8, 6, 6) * (16, 8, 3, 3)`). A vectorised answer is welcome too.
"""),
    md(RULES),
    setup(SETUP.format(extra=PAIR.strip("\n"))),
    md(r"""
## 1. `conv2d_forward`

For every image $n$, filter $f$ and output position $(i, j)$, the output is the dot product of the
filter with the window of the (padded) image under it, plus the filter's bias:

$$ \text{out}[n, f, i, j] = b[f] + \sum_{c, p, q} x_{\text{pad}}[n,\, c,\, i\,s_h + p\,d_h,\, j\,s_w + q\,d_w]
   \; w[f, c, p, q] $$

* **Padding** adds `padding` zeros on **both** sides of each spatial axis:
  `np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))`.
* **Stride** $s$: the window moves $s$ pixels between two outputs.
* **Dilation** $d$: the kernel's taps are $d$ pixels apart (with $d = 1$, a plain
  $k_H \times k_W$ window). As slices:
  `xp[n, :, i*sh : i*sh + dh*(kH-1) + 1 : dh, j*sw : j*sw + dw*(kW-1) + 1 : dw]`.
* **Output size** along each axis (integer division):
  $\;O = \big\lfloor (H + 2p - d\,(k - 1) - 1) / s \big\rfloor + 1$.
* `bias` may be `None`: then add nothing.
* Deep learning's "convolution" is a **cross-correlation**: the kernel is *not* flipped (the
  textbook convolution flips it; PyTorch does not).
* Return `(out, cache)`; your backward receives this cache.
"""),
    answer("conv2d_forward", '''
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation) like torch.nn.functional.conv2d.

    x: (N, C_in, H, W); weight: (C_out, C_in, kH, kW); bias: (C_out,) or None.
    stride, padding, dilation: an int or a pair (height, width).
    Returns (out, cache): out is (N, C_out, OH, OW), cache whatever conv2d_backward needs.
    """
    ### BEGIN SOLUTION
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    n_img, _, h, w = x.shape
    n_f, _, kh, kw = weight.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n_img, n_f, oh, ow))
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[n, f, i, j] = np.sum(window * weight[f])
            if bias is not None:
                out[n, f] += bias[f]
    cache = (x, weight, bias, (sh, sw), (ph, pw), (dh, dw))
    return out, cache
    ### END SOLUTION
'''),
    test("conv2d_forward", 4),
    md(r"""
## 2. `conv2d_backward`

Run the forward's loops again. The output $\text{out}[n, f, i, j]$ was made from one window and
one filter, so its gradient $\text{dout}[n, f, i, j]$ flows back to both:

* the window's pixels: `dx_pad[n, :, <window slices>] += dout[n, f, i, j] * weight[f]`
* the filter: `dweight[f] += dout[n, f, i, j] * <the window>`
* the bias: `dbias[f]` is the sum of `dout[:, f]` over images and positions.

Use `+=`: windows **overlap** (stride smaller than the kernel), and a pixel collects a
contribution from every window that covers it. Compute `dx` on the padded image, then **crop** the
padding off (`dx_pad[:, :, ph:ph + H, pw:pw + W]`): `dx` has the shape of `x`. `dbias` is `None`
when the forward had no bias.
"""),
    answer("conv2d_backward", '''
def conv2d_backward(dout, cache):
    """Gradients of conv2d_forward.

    dout: (N, C_out, OH, OW); cache: what your conv2d_forward returned.
    Returns (dx, dweight, dbias) with the shapes of x, weight, bias (dbias None without bias).
    """
    ### BEGIN SOLUTION
    x, weight, bias, (sh, sw), (ph, pw), (dh, dw) = cache
    n_img, _, h, w = x.shape
    n_f, _, kh, kw = weight.shape
    _, _, oh, ow = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros(xp.shape)
    dweight = np.zeros(weight.shape)
    for n in range(n_img):
        for f in range(n_f):
            for i in range(oh):
                for j in range(ow):
                    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * weight[f]
                    dweight[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
    dx = dxp[:, :, ph:ph + h, pw:pw + w]
    dbias = None if bias is None else dout.sum(axis=(0, 2, 3))
    return dx, dweight, dbias
    ### END SOLUTION
'''),
    test("conv2d_backward", 5, forward="conv2d_forward"),
    md(r"""
## 3. `max_pool2d_forward`

Each output is the **maximum** of its window, channel by channel (no weights, no mixing of
channels). Same window geometry as the convolution, with two differences:

* `stride=None` means `stride = kernel_size` (windows side by side, not overlapping).
* Padding counts as $-\infty$, never as 0: a window over negative values must not return 0.
  PyTorch allows `padding` up to half the kernel size, so every window holds a real pixel.

Save in the cache what the backward needs to know **which** pixel won each window.
"""),
    answer("max_pool2d_forward", '''
def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1):
    """Max pooling like torch.nn.functional.max_pool2d.

    x: (N, C, H, W). kernel_size, stride (None: = kernel_size), padding, dilation: an int or
    a pair. Returns (out, cache): out is (N, C, OH, OW), cache whatever max_pool2d_backward needs.
    """
    ### BEGIN SOLUTION
    kh, kw = pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else pair(stride)
    (ph, pw), (dh, dw) = pair(padding), pair(dilation)
    n_img, n_c, h, w = x.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    out = np.zeros((n_img, n_c, oh, ow))
    winner = np.zeros((n_img, n_c, oh, ow, 2), dtype=int)  # (row, column) in xp of each maximum
    for n in range(n_img):
        for c in range(n_c):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, c, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    p, q = np.unravel_index(np.argmax(window), window.shape)  # the first maximum
                    out[n, c, i, j] = window[p, q]
                    winner[n, c, i, j] = (i * sh + p * dh, j * sw + q * dw)
    cache = (x.shape, (ph, pw), winner)
    return out, cache
    ### END SOLUTION
'''),
    test("max_pool2d_forward", 3),
    md(r"""
## 4. `max_pool2d_backward`

The maximum passes its gradient to the pixel that won, and to no other: each
$\text{dout}[n, c, i, j]$ goes to the winner of window $(i, j)$; the other pixels of the window get
nothing from it. Where windows overlap, a pixel can win several windows: add up (`+=`).

**Ties.** When several pixels of a window hold the maximum, PyTorch gives the whole gradient to
the **first** of them in row-major order (scanning the window row by row, left to right): not a
share to each, not to the last. `np.argmax` also returns the first maximum.
"""),
    answer("max_pool2d_backward", '''
def max_pool2d_backward(dout, cache):
    """Gradient of max_pool2d_forward.

    dout: (N, C, OH, OW); cache: what your max_pool2d_forward returned.
    Returns dx with the shape of x.
    """
    ### BEGIN SOLUTION
    (n_img, n_c, h, w), (ph, pw), winner = cache
    dxp = np.zeros((n_img, n_c, h + 2 * ph, w + 2 * pw))
    _, _, oh, ow = dout.shape
    for n in range(n_img):
        for c in range(n_c):
            for i in range(oh):
                for j in range(ow):
                    r, col = winner[n, c, i, j]
                    dxp[n, c, r, col] += dout[n, c, i, j]
    return dxp[:, :, ph:ph + h, pw:pw + w]
    ### END SOLUTION
'''),
    test("max_pool2d_backward", 3, forward="max_pool2d_forward"),
    md(r"""
## What next

Open `notebooks/06_cnn.ipynb`: time your loops against the vectorised reference (*im2col*: gather
every window into a row of a matrix, then one matrix product) and against `F.conv2d`, and train
the chapter's CNN (conv → relu → max pool → linear) on the 8×8 digits.
"""),
]


# ------------------------------------------------------------------------------------ 07 RNN

RNN = [
    md(r"""
# Assignment 07 — Recurrent networks: an RNN through time, and an LSTM cell

A recurrent network reads a sequence one step at a time and carries a **state** from step to step.
You will write the vanilla (tanh) RNN cell, run it over a sequence, backpropagate through time,
and write the LSTM cell, all with the exact semantics of PyTorch (`nn.RNNCell`, `nn.RNN`,
`nn.LSTMCell`, `batch_first=True`, one layer):

| function | PyTorch | points |
|---|---|---|
| `rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih, bias_hh)` → `h_next` | `nn.RNNCell` | 2 |
| `rnn_cell_backward(dh_next, cache)` → `(dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh)` | autograd | 3 |
| `rnn_forward(x, h0, ...)` → `(out, h_n)` | `nn.RNN` | 2 |
| `rnn_backward(dout, dh_n, cache)` → `(dx, dh0, dweight_ih, ...)` | autograd | 4 |
| `lstm_cell_forward(x, h, c, ...)` → `(h_next, c_next)` | `nn.LSTMCell` | 3 |
| `lstm_cell_backward(dh_next, dc_next, cache)` → `(dx, dh, dc, dweight_ih, ...)` | autograd | 4 |

Shapes: `x` is `(N, D)` for a cell and `(N, T, D)` for a sequence (batch first); states `h`, `c`
are `(N, H)`. PyTorch splits the weights: `weight_ih` `(G·H, D)` multiplies the input,
`weight_hh` `(G·H, H)` the previous state, each with its own bias `(G·H,)`, where G is the
number of gates (1 for the RNN, 4 for the LSTM). A bias may be `None`: then add nothing, and
return `None` for its gradient.
"""),
    md(RULES),
    setup(SETUP.format(extra="")),
    md(r"""
## 1. The RNN cell

$$ h_{\text{next}} = \tanh\big(x\,W_{ih}^\top + b_{ih} + h\,W_{hh}^\top + b_{hh}\big) $$

This is the textbook $h_t = \tanh(W\,[h_{t-1}; x_t] + b)$ with $W = [W_{hh} \mid W_{ih}]$ split in
two and $b = b_{ih} + b_{hh}$. Return `(h_next, cache)`.

For the backward, let $a$ be the pre-activation. With $\delta = \text{dh\_next} \odot (1 - h_\text{next}^2)$:
`dx = δ W_ih`, `dh = δ W_hh`, `dweight_ih = δᵀ x`, `dweight_hh = δᵀ h` (the state the cell
**received**, not the one it produced), `dbias_ih = dbias_hh = ` $\delta$ summed over the batch.
"""),
    answer("rnn_cell_forward", '''
def rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of nn.RNNCell (tanh).

    x: (N, D); h: (N, H); weight_ih: (H, D); weight_hh: (H, H); bias_ih, bias_hh: (H,) or None.
    Returns (h_next, cache): h_next is (N, H).
    """
    ### BEGIN SOLUTION
    a = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        a = a + bias_ih
    if bias_hh is not None:
        a = a + bias_hh
    h_next = np.tanh(a)
    cache = (x, h, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, h_next)
    return h_next, cache
    ### END SOLUTION
'''),
    test("rnn_cell_forward", 2),
    answer("rnn_cell_backward", '''
def rnn_cell_backward(dh_next, cache):
    """Gradients of rnn_cell_forward.

    dh_next: (N, H). Returns (dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh), shaped like the
    forward's arguments (a bias gradient is None when that bias was None).
    """
    ### BEGIN SOLUTION
    x, h, weight_ih, weight_hh, has_ih, has_hh, h_next = cache
    da = dh_next * (1.0 - h_next ** 2)
    dx = da @ weight_ih
    dh = da @ weight_hh
    dweight_ih = da.T @ x
    dweight_hh = da.T @ h
    dbias_ih = da.sum(axis=0) if has_ih else None
    dbias_hh = da.sum(axis=0) if has_hh else None
    return dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh
    ### END SOLUTION
'''),
    test("rnn_cell_backward", 3, forward="rnn_cell_forward"),
    md(r"""
## 2. The RNN over a sequence, and backpropagation through time

`rnn_forward` runs the cell for $t = 0, 1, \dots, T-1$: step $t$ takes `x[:, t]` and the state
left by step $t-1$ (`h0` for the first step; `h0=None` means zeros). It returns every state,
`out` of shape `(N, T, H)` with `out[:, t]` $= h_t$, and the last one, `h_n = out[:, -1]`,
as `nn.RNN(batch_first=True)` does: `return (out, h_n), cache`.

`rnn_backward(dout, dh_n, cache)` receives an upstream gradient for **each** output: `dout`
`(N, T, H)` for every $h_t$ and `dh_n` `(N, H)` for the last state. Go backwards in time. The
gradient reaching $h_t$ is `dout[:, t]` **plus** what step $t+1$ sent back through its `dh` (at
the last step: plus `dh_n`). Run the cell's backward on that sum; its `dh` is what step $t$
sends to step $t-1$, and after step 0 it is `dh0` (return `None` for it when `h0` was `None`).
The same weights are used at every step, so their gradients are the **sum** over the steps.
`dx` is `(N, T, D)`, one slice per step. You may (and should) call your cell functions.
"""),
    answer("rnn_forward", '''
def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """nn.RNN(batch_first=True), one layer, tanh.

    x: (N, T, D); h0: (N, H) or None (zeros). Returns ((out, h_n), cache): out (N, T, H) holds
    every hidden state, h_n (N, H) the last one.
    """
    ### BEGIN SOLUTION
    n, t_len, _ = x.shape
    hidden = weight_hh.shape[1]
    h = np.zeros((n, hidden)) if h0 is None else h0
    out = np.zeros((n, t_len, hidden))
    caches = []
    for t in range(t_len):
        h, c = rnn_cell_forward(x[:, t], h, weight_ih, weight_hh, bias_ih, bias_hh)
        out[:, t] = h
        caches.append(c)
    return (out, h), (caches, h0 is not None)
    ### END SOLUTION
'''),
    test("rnn_forward", 2),
    answer("rnn_backward", '''
def rnn_backward(dout, dh_n, cache):
    """Backpropagation through time for rnn_forward.

    dout: (N, T, H); dh_n: (N, H). Returns (dx, dh0, dweight_ih, dweight_hh, dbias_ih, dbias_hh);
    dh0 is None when h0 was None, a bias gradient None when that bias was None.
    """
    ### BEGIN SOLUTION
    caches, has_h0 = cache
    dx = []
    dh = dh_n
    totals = None
    for t in reversed(range(dout.shape[1])):
        grads = rnn_cell_backward(dout[:, t] + dh, caches[t])
        dx.append(grads[0])
        dh = grads[1]
        if totals is None:
            totals = list(grads[2:])
        else:
            totals = [None if a is None else a + b for a, b in zip(totals, grads[2:])]
    dx = np.stack(dx[::-1], axis=1)
    return (dx, dh if has_h0 else None, *totals)
    ### END SOLUTION
'''),
    test("rnn_backward", 4, forward="rnn_forward"),
    md(r"""
## 3. The LSTM cell

The LSTM keeps a second state, the **cell** $c$, which it changes by addition: that path lets
gradients survive many steps. All four gates come from one affine map, split into four blocks of
$H$ columns **in PyTorch's order i, f, g, o**:

$$
\begin{aligned}
a &= x\,W_{ih}^\top + b_{ih} + h\,W_{hh}^\top + b_{hh}, \qquad (a_i, a_f, a_g, a_o) = \text{split}(a, 4) \\
i &= \sigma(a_i), \quad f = \sigma(a_f), \quad g = \tanh(a_g), \quad o = \sigma(a_o) \\
c_\text{next} &= f \odot c + i \odot g, \qquad h_\text{next} = o \odot \tanh(c_\text{next})
\end{aligned}
$$

Return `(h_next, c_next), cache`. Use a stable sigmoid: the grader sends inputs of size 1000.

**Backward.** `lstm_cell_backward(dh_next, dc_next, cache)` gets a gradient for each output. The
cell state feeds $h_\text{next}$ too, so its total gradient is
$\;dc = \text{dc\_next} + \text{dh\_next} \odot o \odot (1 - \tanh^2 c_\text{next})$. Then
$di = dc \odot g$, $df = dc \odot c$, $dg = dc \odot i$, $do = \text{dh\_next} \odot \tanh c_\text{next}$;
through the activations ($\sigma' = \sigma(1-\sigma)$, $\tanh' = 1 - \tanh^2$) to $da$, the four
blocks **concatenated in the order i, f, g, o**; then the affine map's gradients as in the RNN
cell. The previous cell state gets $dc \odot f$. Return
`(dx, dh, dc_prev, dweight_ih, dweight_hh, dbias_ih, dbias_hh)`.
"""),
    answer("lstm_cell_forward", '''
def lstm_cell_forward(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of nn.LSTMCell, gates in the order i, f, g, o.

    x: (N, D); h, c: (N, H); weight_ih: (4H, D); weight_hh: (4H, H); biases: (4H,) or None.
    Returns ((h_next, c_next), cache), each state (N, H).
    """
    ### BEGIN SOLUTION
    hidden = h.shape[1]
    a = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        a = a + bias_ih
    if bias_hh is not None:
        a = a + bias_hh

    def sigmoid(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    i = sigmoid(a[:, :hidden])
    f = sigmoid(a[:, hidden:2 * hidden])
    g = np.tanh(a[:, 2 * hidden:3 * hidden])
    o = sigmoid(a[:, 3 * hidden:])
    c_next = f * c + i * g
    tc = np.tanh(c_next)
    h_next = o * tc
    cache = (x, h, c, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, i, f, g, o, tc)
    return (h_next, c_next), cache
    ### END SOLUTION
'''),
    test("lstm_cell_forward", 3),
    answer("lstm_cell_backward", '''
def lstm_cell_backward(dh_next, dc_next, cache):
    """Gradients of lstm_cell_forward.

    dh_next, dc_next: (N, H). Returns (dx, dh, dc, dweight_ih, dweight_hh, dbias_ih, dbias_hh),
    shaped like the forward's arguments (None for a bias that was None).
    """
    ### BEGIN SOLUTION
    x, h, c, weight_ih, weight_hh, has_ih, has_hh, i, f, g, o, tc = cache
    dc = dc_next + dh_next * o * (1.0 - tc ** 2)
    da = np.concatenate([dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g ** 2),
                         dh_next * tc * o * (1.0 - o)], axis=1)
    dx = da @ weight_ih
    dh = da @ weight_hh
    dweight_ih = da.T @ x
    dweight_hh = da.T @ h
    dbias_ih = da.sum(axis=0) if has_ih else None
    dbias_hh = da.sum(axis=0) if has_hh else None
    return dx, dh, dc * f, dweight_ih, dweight_hh, dbias_ih, dbias_hh
    ### END SOLUTION
'''),
    test("lstm_cell_backward", 4, forward="lstm_cell_forward"),
    md(r"""
## What next

Open `notebooks/07_rnn.ipynb`: watch gradients vanish through time in an RNN and survive in an
LSTM (`GradientFlow`), and train the character-level LSTM on the standard library's docstrings.
Run your `lstm_cell_forward` over a sequence the way your `rnn_forward` runs the RNN cell, and
compare it with `nn.LSTM`.
"""),
]


# ------------------------------------------------------------------------------------ 08 attention

ATTENTION = [
    md(r"""
# Assignment 08 — Attention: scaled dot-product and multi-head

Attention lets every position of a sequence look at every other one and take a weighted average of
what it finds. You will write the core of the transformer with the exact semantics of PyTorch:

| function | PyTorch | points |
|---|---|---|
| `scaled_dot_product_attention_forward(query, key, value, attn_mask, is_causal, scale)` | `F.scaled_dot_product_attention` | 4 |
| `scaled_dot_product_attention_backward(dout, cache)` → `(dquery, dkey, dvalue)` | autograd | 4 |
| `multi_head_attention_forward(query, key, value, in_proj_weight, ...)` → `(out, attn_weights)` | `nn.MultiheadAttention(batch_first=True)` | 4 |

**Two mask conventions.** PyTorch's two APIs read a *boolean* mask in opposite ways, a classic
source of silent bugs:

* `F.scaled_dot_product_attention`: `attn_mask` is **True where a query may attend**.
* `nn.MultiheadAttention`: `attn_mask` and `key_padding_mask` are **True where it may NOT**
  (padding, the future).

In both, a *float* mask is **added** to the scores (`-inf` forbids).
"""),
    md(RULES),
    setup(SETUP.format(extra="")),
    md(r"""
## 1. Scaled dot-product attention

For queries $Q$ `(..., L, E)`, keys $K$ `(..., S, E)` and values $V$ `(..., S, Ev)`:

$$ \text{scores} = Q K^\top \cdot \text{scale} \;(\text{..., L, S}), \qquad
   P = \text{softmax}(\text{scores} + \text{mask}) \text{ over the keys (last axis)}, \qquad
   \text{out} = P\,V. $$

* `scale` defaults to $1/\sqrt{E}$: without it, the dot products of long random vectors grow like
  $\sqrt{E}$ and the softmax saturates (one weight near 1, tiny gradients).
* Masks act **before** the softmax, so each row still sums to 1 over the allowed keys. A boolean
  `attn_mask` keeps the scores where it is **True** and puts $-\infty$ elsewhere; a float
  `attn_mask` is added. It broadcasts against `(..., L, S)` (a `(L, S)` mask applies to every batch
  entry).
* `is_causal=True`: query $i$ may attend to keys $0..i$ only, the lower triangle `np.tril`
  of an `(L, S)` array of ones.
* **A row with no allowed key** (all $-\infty$) must give **0** for that query, not NaN (PyTorch's
  SDPA does the same), and no gradient. A softmax that subtracts the row maximum gets
  $-\infty - (-\infty) = $ NaN there: handle such rows on purpose.
* Use `np.swapaxes(k, -1, -2)` (not `.T`, which reverses *all* axes) and `@`, which treats leading
  axes as batch axes.

**Backward.** With $dP = \text{dout}\,V^\top$, the softmax's backward row by row is
$dS = P \odot (dP - \text{rowsum}(dP \odot P))$; then $dQ = dS\,K \cdot \text{scale}$,
$dK = dS^\top Q \cdot \text{scale}$, $dV = P^\top\,\text{dout}$. Masked entries have $P = 0$, so
they receive no gradient by themselves.
"""),
    answer("scaled_dot_product_attention_forward", '''
def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) @ value, like F.scaled_dot_product_attention.

    query: (..., L, E); key: (..., S, E); value: (..., S, Ev). attn_mask: None, boolean (True: may
    attend) or float (added), broadcastable to (..., L, S). is_causal: query i sees keys 0..i.
    scale: None means 1 / sqrt(E). Returns (out, cache): out is (..., L, Ev).
    """
    ### BEGIN SOLUTION
    if scale is None:
        scale = 1.0 / np.sqrt(query.shape[-1])
    s = (query @ np.swapaxes(key, -1, -2)) * scale
    if is_causal:
        attn_mask = np.tril(np.ones(s.shape[-2:], dtype=bool))
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            s = np.where(attn_mask, s, -np.inf)
        else:
            s = s + attn_mask
    m = s.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # a row of only -inf: no shift (its exp is all 0)
    e = np.exp(s - m)
    total = e.sum(axis=-1, keepdims=True)
    p = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    out = p @ value
    cache = (query, key, value, p, scale)
    return out, cache
    ### END SOLUTION
'''),
    test("scaled_dot_product_attention_forward", 4),
    answer("scaled_dot_product_attention_backward", '''
def scaled_dot_product_attention_backward(dout, cache):
    """Gradients of scaled_dot_product_attention_forward.

    dout: (..., L, Ev). Returns (dquery, dkey, dvalue), shaped like query, key, value.
    """
    ### BEGIN SOLUTION
    query, key, value, p, scale = cache
    dvalue = np.swapaxes(p, -1, -2) @ dout
    dp = dout @ np.swapaxes(value, -1, -2)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    dquery = (ds @ key) * scale
    dkey = (np.swapaxes(ds, -1, -2) @ query) * scale
    return dquery, dkey, dvalue
    ### END SOLUTION
'''),
    test("scaled_dot_product_attention_backward", 4, forward="scaled_dot_product_attention_forward"),
    md(r"""
## 2. Multi-head attention

`nn.MultiheadAttention(embed_dim=E, num_heads=h, batch_first=True)` runs $h$ attentions side by
side, each on its own slice of $d = E/h$ features:

1. **Project**: `in_proj_weight` `(3E, E)` stacks $W_q$, $W_k$, $W_v$ (rows `0:E`, `E:2E`,
   `2E:3E`), `in_proj_bias` `(3E,)` likewise: $q = \text{query}\,W_q^\top + b_q$, etc.
2. **Split the heads** along the **last** axis: `(N, L, E)` → `(N, L, h, d)` → `(N, h, L, d)`
   (reshape, then transpose; head $j$ owns features `j*d:(j+1)*d`).
3. **Attend** in every head with the scale $1/\sqrt{d}$, under the masks. Here a boolean mask
   means the opposite of section 1: `key_padding_mask` `(N, S)` is **True at padding** (no query may
   attend to that key), `attn_mask` `(L, S)` or `(N·h, L, S)` is **True where a query may NOT
   attend**. Float masks are added. You need the softmax weights $P$ as well as the output, so
   write the attention out here (as in section 1) rather than rely on the cache of your
   section 1 function.
4. **Merge** the heads back to `(N, L, E)` and apply `out_proj_weight` `(E, E)` and
   `out_proj_bias` `(E,)`.

Return `((out, attn_weights), cache)`: `attn_weights` is the softmax $P$ of each head, averaged
over the heads, `(N, L, S)`; with `average_attn_weights=False`, every head's, `(N, h, L, S)`.
Either bias may be `None`.
"""),
    answer("multi_head_attention_forward", '''
def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                                 key_padding_mask=None, attn_mask=None, num_heads=1, average_attn_weights=True):
    """nn.MultiheadAttention(batch_first=True) with need_weights=True, no dropout.

    query: (N, L, E); key, value: (N, S, E); in_proj_weight: (3E, E); in_proj_bias: (3E,) or None;
    out_proj_weight: (E, E); out_proj_bias: (E,) or None. key_padding_mask: (N, S), attn_mask:
    (L, S) or (N * num_heads, L, S): boolean True = may NOT attend, or float (added).
    Returns ((out, attn_weights), cache): out (N, L, E); attn_weights (N, L, S) averaged over
    the heads, or (N, num_heads, L, S) when average_attn_weights is False.
    """
    ### BEGIN SOLUTION
    n, L, E = query.shape
    S = key.shape[1]
    d = E // num_heads
    heads = []
    for j, x in enumerate((query, key, value)):
        y = x @ in_proj_weight[j * E:(j + 1) * E].T
        if in_proj_bias is not None:
            y = y + in_proj_bias[j * E:(j + 1) * E]
        heads.append(y.reshape(n, -1, num_heads, d).transpose(0, 2, 1, 3))
    mask = np.zeros((n, num_heads, L, S))
    if attn_mask is not None:
        am = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask
        mask = mask + (am.reshape(n, num_heads, L, S) if am.ndim == 3 else am)
    if key_padding_mask is not None:
        kpm = np.where(key_padding_mask, -np.inf, 0.0) if key_padding_mask.dtype == bool else key_padding_mask
        mask = mask + kpm[:, None, None, :]
    q, k, v = heads
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + mask  # (N, h, L, S)
    m = s.max(axis=-1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0.0))
    total = e.sum(axis=-1, keepdims=True)
    p = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    out = (p @ v).transpose(0, 2, 1, 3).reshape(n, L, E) @ out_proj_weight.T
    if out_proj_bias is not None:
        out = out + out_proj_bias
    weights = p.mean(axis=1) if average_attn_weights else p
    return (out, weights), (heads, p)
    ### END SOLUTION
'''),
    test("multi_head_attention_forward", 4),
    md(r"""
## What next

Open `notebooks/08_attention.ipynb`: watch the attention weights of a tiny transformer that learned
to reverse digit strings (`AttentionExplorer`), and drag a query around a few keys with the scale
on and off. The backward of multi-head attention is the chain rule through the four steps above,
with the backward of section 1 in every head: write it, and compare with `nn.MultiheadAttention`.
"""),
]


ASSIGNMENTS = {"01_neurons": NEURONS, "02_activations": ACTIVATIONS, "03_losses": LOSSES, "04_backprop": BACKPROP,
               "05_gradient_descent": GRADIENT_DESCENT, "06_cnn": CNN, "07_rnn": RNN,
               "08_attention": ATTENTION}


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
