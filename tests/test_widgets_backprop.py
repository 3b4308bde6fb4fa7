"""BackpropStepper driven headless: slide the step, check what is revealed and in which order, and
that the final gradients are torch.autograd's."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coursekit.reference.backprop import Tensor
from coursekit.widgets import BackpropStepper
from coursekit.widgets import backprop as wb


def t(v, grad=True):
    return torch.tensor(v, dtype=torch.float64, requires_grad=grad)


def torch_abcd():
    a, b, c, d = t(2.0), t(-3.0), t(10.0), t(0.5)
    e = a * b
    f = e + c
    tt = d.tanh()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "t": tt, "L": f * tt}


def torch_twice():
    a, b = t(3.0), t(-1.0)
    s = a + b
    return {"a": a, "b": b, "s": s, "L": s * a}


def torch_neuron():
    x1, x2, w1, w2, b = t(2.0, False), t(0.0, False), t(-3.0), t(1.0), t(6.8813735870195432)
    x1w1, x2w2 = x1 * w1, x2 * w2
    s = x1w1 + x2w2
    n = s + b
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "x1w1": x1w1, "x2w2": x2w2, "s": s,
            "n": n, "o": n.tanh()}


def torch_two_layer():
    x, y = t([[1.0, -2.0]], False), t([[1.0]], False)
    W1, b1, W2, b2 = t([[0.5, -0.3], [0.8, 0.2]]), t([0.1, -0.1]), t([[1.0, -0.7]]), t([0.2])
    h = F.linear(x, W1, b1)
    a = h.tanh()
    out = F.linear(a, W2, b2)
    # the target y is data inside the loss, not a node of the graph
    return {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "h": h, "a": a, "out": out,
            "L": F.mse_loss(out, y)}


TORCH = dict(zip(wb.EXPRESSIONS, [torch_abcd, torch_twice, torch_neuron, torch_two_layer]))


def torch_grads(expression):
    nodes = TORCH[expression]()
    root = list(nodes.values())[-1]
    for v in nodes.values():
        if v.requires_grad and not v.is_leaf:
            v.retain_grad()
    root.backward()
    return nodes


@pytest.fixture
def stepper():
    w = BackpropStepper()
    yield w
    w.close()


def test_exported_and_starts_with_the_leaves(stepper):
    w = stepper
    assert w.step == 0 and w.phase == "forward" and w.current is None
    assert w.n_renders == 1 and w.png.startswith(b"\x89PNG")
    assert list(w.shown_values) == ["a", "b", "c", "d"] and w.shown_grads == {}
    assert w.forward_order == ["e", "f", "t", "L"]
    assert w.backward_order[0] == "L" and sorted(w.backward_order) == sorted("abcdefLt")
    assert w.controls["step"].max == w.n_steps == w.n_forward + w.n_backward == 12
    assert "leaves" in w.status.value


@pytest.mark.parametrize("expression", list(wb.EXPRESSIONS))
def test_stepping_reveals_values_then_grads_in_order(expression):
    w = BackpropStepper(expression)
    leaves = list(w.shown_values)
    for k in range(1, w.n_steps + 1):
        before = (w.png, w.n_renders)
        w.controls["step"].value = k
        assert w.n_renders == before[1] + 1 and w.png != before[0], "one new picture per step"
        if k <= w.n_forward:  # forward: one more value, no gradient yet
            assert w.phase == "forward" and w.current == w.forward_order[k - 1]
            assert list(w.shown_values) == leaves + w.forward_order[:k]
            assert w.shown_grads == {}
            assert "forward" in w.status.value and f"<b>{w.current}</b>" in w.status.value
        else:  # backward: every value known, one more gradient, output first
            j = k - w.n_forward
            assert w.phase == "backward" and w.current == w.backward_order[j - 1]
            assert len(w.shown_values) == len(w.nodes)
            assert list(w.shown_grads) == w.backward_order[:j]
            assert f"∂{w.backward_order[0]}/∂{w.current}" in w.status.value
        for name, box in w.boxes.items():  # each box prints exactly what is revealed
            text = box.get_text()
            assert ("value " in text) == (name in w.shown_values), (k, name, text)
            assert ("grad " in text) == (name in w.shown_grads), (k, name, text)
    assert w.shown_grads[w.backward_order[0]] == 1.0
    w.close()


@pytest.mark.parametrize("expression", list(wb.EXPRESSIONS))
def test_values_and_final_grads_equal_torch(expression):
    w = BackpropStepper(expression, step=0)
    w.controls["step"].value = w.n_steps
    ref = torch_grads(expression)
    assert set(w.shown_values) == set(ref)
    for name, tensor in ref.items():
        np.testing.assert_allclose(w.shown_values[name], tensor.detach().numpy(), rtol=1e-12,
                                   err_msg=name)
        if tensor.requires_grad:
            np.testing.assert_allclose(w.shown_grads[name], tensor.grad.numpy(), rtol=1e-12,
                                       atol=1e-15, err_msg=f"grad of {name}")
        else:  # data: no gradient is computed or shown
            assert name not in w.shown_grads and "grad" not in w.boxes[name].get_text()
    w.close()


def test_a_node_used_twice_sums_its_gradients():
    w = BackpropStepper("(a + b) * a  (a used twice)")
    w.controls["step"].value = w.n_steps
    assert w.current == "a" and float(w.shown_grads["a"]) == 5.0  # (a + b) + a = 2 + 3
    assert "sum of 3 from s + 2 from L" in w.status.value


def test_changing_the_expression_restarts_at_step_0(stepper):
    w = stepper
    w.controls["step"].value = 7
    n = w.n_renders
    w.controls["expression"].value = "neuron: tanh(x1 w1 + x2 w2 + b)"
    assert w.n_renders == n + 1, "one re-render for the change, none for the slider reset"
    assert w.step == 0 and w.controls["step"].value == 0
    assert w.controls["step"].max == w.n_steps == 5 + 8
    assert set(w.shown_values) == {"x1", "x2", "w1", "w2", "b"}
    w.controls["step"].value = w.n_steps
    assert w.current == w.backward_order[-1] and float(w.shown_grads["w1"]) == pytest.approx(1.0)


def test_start_at_a_given_step():
    w = BackpropStepper("2-layer net: mse(W2 tanh(W1 x + b1) + b2, y)", step=4)
    assert w.current == "L" and w.phase == "forward" and w.shown_grads == {}
    np.testing.assert_allclose(w.shown_values["L"], torch_grads(w.expression)["L"].detach().numpy())


def test_draw_graph_on_any_graph():
    from matplotlib.figure import Figure

    x = Tensor(np.array([1.0, -1.0]), requires_grad=True, name="x")
    loss = (x.relu() * 2.0).sum()
    loss.backward()
    ax = Figure().subplots()
    boxes = wb.draw_graph(ax, loss)
    assert len(boxes) == 5  # x, the constant 2, relu, *, sum
    texts = {n.name or n._op or "const": b.get_text() for n, b in boxes.items()}
    assert "grad [2. 0.]" in texts["x"] and "value 2" in texts["sum"]
    assert "grad" not in texts["const"]
    assert len(ax.texts) == 5 + 4  # the boxes and one arrow per edge


def test_creates_no_pyplot_figures():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    BackpropStepper(step=3).close()
    assert plt.get_fignums() == before


def test_bad_arguments():
    with pytest.raises(ValueError, match="expression"):
        BackpropStepper("x ** 2")
    with pytest.raises(ValueError, match=r"step must be in \[0, 12\]"):
        BackpropStepper(step=13)
    with pytest.raises(TypeError, match="step"):
        BackpropStepper(step=1.5)
