"""Chapter 04: step through the forward and then the backward pass of a small computational graph.

The graph is built and differentiated by `coursekit.reference.backprop` (the chapter's autograd);
the widget only reveals, one step at a time, what the engine computes and in the order it does it:
first each op's value in topological order, then each gradient in reverse topological order.
`draw_graph(ax, root)` draws any graph of that engine (also used by the lecture notebook).
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..reference.backprop import Tensor, linear, mse_loss, trace
from .base import PlotWidget

# box colours: no value yet, value known, value and gradient known
COLORS = {"empty": "white", "value": "#d6e6f5", "grad": "#fdd9b5"}


def _named(t: Tensor, name: str) -> Tensor:
    t.name = name
    return t


def _leaf(value, name: str, requires_grad: bool = True) -> Tensor:
    return Tensor(np.asarray(value, dtype=np.float64), requires_grad=requires_grad, name=name)


def abcd() -> Tensor:
    """L = (a*b + c) * tanh(d): a product, a sum and a nonlinearity."""
    a, b, c, d = _leaf(2.0, "a"), _leaf(-3.0, "b"), _leaf(10.0, "c"), _leaf(0.5, "d")
    e = _named(a * b, "e")
    f = _named(e + c, "f")
    t = _named(d.tanh(), "t")
    return _named(f * t, "L")


def twice() -> Tensor:
    """L = (a + b) * a: `a` is used twice, so two gradients flow back into it and add up."""
    a, b = _leaf(3.0, "a"), _leaf(-1.0, "b")
    s = _named(a + b, "s")
    return _named(s * a, "L")


def neuron() -> Tensor:
    """micrograd's neuron, o = tanh(x1*w1 + x2*w2 + b); the inputs x1, x2 are data (no grad)."""
    x1, x2 = _leaf(2.0, "x1", False), _leaf(0.0, "x2", False)
    w1, w2, b = _leaf(-3.0, "w1"), _leaf(1.0, "w2"), _leaf(6.8813735870195432, "b")
    x1w1, x2w2 = _named(x1 * w1, "x1w1"), _named(x2 * w2, "x2w2")
    s = _named(x1w1 + x2w2, "s")
    n = _named(s + b, "n")
    return _named(n.tanh(), "o")


def two_layer() -> Tensor:
    """A 2-2-1 tanh network on one sample: L = mse(W2 tanh(W1 x + b1) + b2, y)."""
    x, y = _leaf([[1.0, -2.0]], "x", False), _leaf([[1.0]], "y", False)
    W1, b1 = _leaf([[0.5, -0.3], [0.8, 0.2]], "W1"), _leaf([0.1, -0.1], "b1")
    W2, b2 = _leaf([[1.0, -0.7]], "W2"), _leaf([0.2], "b2")
    h = _named(linear(x, W1, b1), "h")
    a = _named(h.tanh(), "a")
    out = _named(linear(a, W2, b2), "out")
    return _named(mse_loss(out, y), "L")


EXPRESSIONS = {
    "(a*b + c) * tanh(d)": abcd,
    "(a + b) * a  (a used twice)": twice,
    "neuron: tanh(x1 w1 + x2 w2 + b)": neuron,
    "2-layer net: mse(W2 tanh(W1 x + b1) + b2, y)": two_layer,
}


# ---------------------------------------------------------------- drawing any graph

def labels(nodes) -> dict:
    """node -> a display name: its `name`, else its op and position (`*#3`)."""
    return {n: n.name or (f"{n._op}#{i}" if n._op else f"const#{i}") for i, n in enumerate(nodes)}


def fmt(a) -> str:
    """A compact rendering of a value or gradient: a number, or a small matrix."""
    a = np.asarray(a)
    if a.size == 1:
        return f"{float(a.reshape(())):.4g}"
    if a.size > 12:
        return f"shape {a.shape}, |max| {np.abs(a).max():.3g}"
    return np.array2string(a, precision=3, suppress_small=True, separator=" ", max_line_width=28)


def layout(nodes, edges) -> dict:
    """node -> (x, y): columns by depth (each node right of its parents, leaves next to their first
    use), rows ordered by where a node's consumers sit, from the output back."""
    children = {n: [] for n in nodes}
    for p, c in edges:
        children[p].append(c)
    depth = {}
    for n in nodes:  # topological order: parents first
        depth[n] = 1 + max((depth[p] for p in n._parents), default=-1)
    for n in nodes:
        if not n._parents and children[n]:
            depth[n] = min(depth[c] for c in children[n]) - 1
    order = {n: i for i, n in enumerate(nodes)}
    pos = {}
    for col in sorted(set(depth.values()), reverse=True):
        column = [n for n in nodes if depth[n] == col]
        key = {n: (-np.mean([pos[c][1] for c in children[n]]) if children[n] else 0.0, order[n])
               for n in column}
        column.sort(key=key.get)
        for k, n in enumerate(column):
            pos[n] = (float(col), (len(column) - 1) / 2 - k)
    return pos


def draw_graph(ax, root: Tensor, *, show_values=None, show_grads=None, highlight=None) -> dict:
    """Draw the graph of `root` on `ax`: one box per node with its name, op, value and gradient.

    show_values / show_grads: the nodes whose value / gradient to print (None: every node that has
    one). highlight: a node to outline in red. Returns {node: matplotlib Text} (the boxes).
    """
    nodes, edges = trace(root)
    names, pos = labels(nodes), layout(nodes, edges)
    show_values = set(nodes) if show_values is None else set(show_values)
    show_grads = {n for n in nodes if n.grad is not None} if show_grads is None else set(show_grads)
    boxes = {}
    for n in nodes:
        head = names[n] + (f"  [{n._op}]" if n._op else ("" if n.requires_grad else "  (data)"))
        lines = [head]
        if n in show_values:
            lines.append(f"value {fmt(n.data)}")
        if n in show_grads and n.grad is not None:
            lines.append(f"grad {fmt(n.grad)}")
        state = "grad" if len(lines) > 2 else "value" if len(lines) > 1 else "empty"
        hot = n is highlight
        boxes[n] = ax.text(*pos[n], "\n".join(lines), ha="center", va="center", fontsize=8,
                           family="monospace", zorder=3,
                           bbox={"boxstyle": "round,pad=0.4", "fc": COLORS[state],
                                 "ec": "red" if hot else "0.3", "lw": 2.5 if hot else 1.0,
                                 "ls": "-" if state != "empty" else "--"})
    for p, c in edges:
        ax.annotate("", xy=pos[c], xytext=pos[p], zorder=4,  # after the boxes: clipped to fresh edges
                    arrowprops={"arrowstyle": "-|>", "color": "0.45", "lw": 1.0,
                                "patchA": boxes[p].get_bbox_patch(),
                                "patchB": boxes[c].get_bbox_patch(), "shrinkA": 2, "shrinkB": 2})
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.axis("off")
    return boxes


# ---------------------------------------------------------------- the stepper

class BackpropStepper(PlotWidget):
    """Slide `step` from 0 to n_forward + n_backward through one forward and one backward pass.

    Step 0 shows the leaves. Steps 1..n_forward compute one op each, in topological order.
    Steps n_forward+1.. reveal one gradient each, in reverse topological order (the output's
    gradient, 1, comes first); data nodes (requires_grad=False) get none.
    State after each change: `expression`, `root`, `nodes`, `names` (node -> label),
    `forward_order` / `backward_order` (labels), `n_forward`, `n_backward`, `n_steps`, `step`,
    `phase` ("forward" or "backward"), `current` (label of the node the step computed, or None),
    `shown_values` / `shown_grads` (label -> array, in the order they appeared), `boxes`.
    """

    def __init__(self, expression: str = "(a*b + c) * tanh(d)", step: int = 0):
        if expression not in EXPRESSIONS:
            raise ValueError(f"expression must be one of {', '.join(map(repr, EXPRESSIONS))}, "
                             f"got {expression!r}")
        self._build(expression)
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise TypeError(f"step must be an int, got {type(step).__name__}")
        if not 0 <= step <= self.n_steps:
            raise ValueError(f"step must be in [0, {self.n_steps}] for {expression!r}, got {step}")
        controls = {
            "expression": W.Dropdown(options=list(EXPRESSIONS), value=expression,
                                     description="graph", layout=W.Layout(width="400px")),
            "step": W.IntSlider(value=step, min=0, max=self.n_steps, description="step",
                                continuous_update=True, layout=W.Layout(width="420px")),
        }
        super().__init__(controls, figsize=(10.0, 4.6),
                         title="Backprop, one step at a time: forward (values), then backward (gradients)")

    def _build(self, expression: str) -> None:
        """Build the graph, run the engine's forward and backward once, and plan the steps."""
        self.expression = expression
        self.root = EXPRESSIONS[expression]()
        self.root.backward()
        self.nodes, self.edges = trace(self.root)
        self.names = labels(self.nodes)
        self.leaves = [n for n in self.nodes if not n._parents]
        self._forward = [n for n in self.nodes if n._parents]
        self._backward = [n for n in reversed(self.nodes) if n.requires_grad]
        self.forward_order = [self.names[n] for n in self._forward]
        self.backward_order = [self.names[n] for n in self._backward]
        self.n_forward, self.n_backward = len(self._forward), len(self._backward)
        self.n_steps = self.n_forward + self.n_backward

    def update(self) -> None:
        if self.value("expression") != self.expression:  # a new graph starts at step 0
            self._build(self.value("expression"))
            with self.quiet():  # the slider moves `update` itself makes
                self.controls["step"].value = 0
                self.controls["step"].max = self.n_steps
        self.step = k = int(self.value("step"))
        valued = self.leaves + self._forward[:min(k, self.n_forward)]
        graded = self._backward[:max(0, k - self.n_forward)]
        self.phase = "forward" if k <= self.n_forward else "backward"
        node = None if k == 0 else (self._forward[k - 1] if k <= self.n_forward
                                    else self._backward[k - self.n_forward - 1])
        self.current = None if node is None else self.names[node]
        self.shown_values = {self.names[n]: n.data for n in valued}
        self.shown_grads = {self.names[n]: n.grad for n in graded}
        self.ax.clear()
        self.boxes = {self.names[n]: t for n, t in draw_graph(
            self.ax, self.root, show_values=valued, show_grads=graded, highlight=node).items()}
        self.ax.set_title(f"{self.expression}   ·   step {k}/{self.n_steps} ({self.phase})", fontsize=10)
        self.status.value = self._explain(node)

    def _explain(self, node) -> str:
        def fmt(a):  # one line for the status bar
            return globals()["fmt"](a).replace("\n", "")

        if node is None:
            return ("Step 0: only the leaves hold values. Move the slider to run the forward pass, "
                    "one op at a time.")
        name = self.names[node]
        if self.phase == "forward":
            args = ", ".join(self.names[p] for p in node._parents)
            return f"forward {self.step}/{self.n_forward}: <b>{name}</b> = {node._op}({args}) = {fmt(node.data)}"
        j, out = self.step - self.n_forward, self.names[self.root]
        if node is self.root:
            why = "the seed: the output's gradient with respect to itself"
        else:  # what each consumer sent back, from the engine's own local backward closures
            parts = []
            for child in self.nodes:
                if not child._parents or child.grad is None:
                    continue
                for parent, g in zip(child._parents, child._backward(child.grad)):
                    if parent is node and g is not None:
                        parts.append(f"{fmt(g)} from {self.names[child]}")
            why = "sum of " + " + ".join(parts) if len(parts) > 1 else parts[0]
        return (f"backward {j}/{self.n_backward}: <b>∂{out}/∂{name}</b> = {fmt(node.grad)} "
                f"&nbsp; ({why})")
