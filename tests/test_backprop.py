"""Chapter 04: the autograd of coursekit.reference.backprop against torch.autograd (float64).

Every op on random shapes (broadcasting included), random graphs composed by hypothesis, gradient
accumulation, Module/MLP against nn.Sequential with copied weights, a numerical gradient check, the
XOR training run of the lecture notebook, and the errors bad input gets.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.gradcheck import numerical_gradient
from coursekit.reference import backprop as bp
from coursekit.reference.backprop import MLP, Linear, Sequential, Tensor

RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The tensors here are tiny: on a busy 2-core runner extra threads only spin (10x slower)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def close(got, expected, rtol=RTOL, atol=ATOL, what=""):
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    assert got is not None, f"{what}: no gradient"
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


def run_both(fn, arrays, seed=0, ours=bp, theirs=F):
    """fn(module, *tensors) on our Tensors and on torch tensors; backward of a random dout.

    Returns (ours, theirs) pairs of leaves after comparing the outputs.
    """
    mine = [Tensor(a, requires_grad=True) for a in arrays]
    yours = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(ours, *mine), fn(theirs, *yours)
    close(out.data, tout, what="forward")
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(dout)
    tout.backward(torch.tensor(dout))
    return mine, yours


def draw(rng, shape, domain):
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "prob":
        return rng.uniform(0.05, 0.95, shape)
    return rng.standard_normal(shape)


# ------------------------------------------------------------------ every op vs autograd

BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
             ((3, 4), ()), ((), (2, 3)), ((1,), (2, 3, 1))]

BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
}


@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_with_broadcasting(op, shapes):
    rng = np.random.default_rng(1)
    a = draw(rng, shapes[0], "normal")
    b = draw(rng, shapes[1], "positive" if op == "div" else "normal")
    mine, yours = run_both(BINARY[op], [a, b])
    for name, x, t in zip("ab", mine, yours):
        close(x.grad, t.grad, what=f"d{name} of {op} {shapes}")


UNARY = {  # name -> (fn, domain)
    "neg": (lambda m, x: -x, "normal"),
    "exp": (lambda m, x: x.exp(), "normal"),
    "log": (lambda m, x: x.log(), "positive"),
    "tanh": (lambda m, x: x.tanh(), "normal"),
    "sigmoid": (lambda m, x: x.sigmoid(), "normal"),
    "relu": (lambda m, x: x.relu(), "normal"),
    "pow2": (lambda m, x: x**2, "normal"),
    "pow3": (lambda m, x: x**3, "normal"),
    "sqrt": (lambda m, x: x**0.5, "positive"),
    "reciprocal": (lambda m, x: x**-1, "positive"),
    "scalar ops": (lambda m, x: (2.0 - x) * 3 + 1 / (x * x + 1) - x / 4, "normal"),
    "sum all": (lambda m, x: x.sum(), "normal"),
    "sum dim": (lambda m, x: x.sum(dim=1), "normal"),
    "sum keepdim": (lambda m, x: x.sum(dim=-1, keepdim=True), "normal"),
    "sum keepdims alias": (lambda m, x: x.sum(dim=(0, 2), keepdims=True), "normal"),
    "sum tuple": (lambda m, x: x.sum(dim=(0, 2)), "normal"),
    "mean all": (lambda m, x: x.mean(), "normal"),
    "mean dim": (lambda m, x: x.mean(dim=0), "normal"),
    "mean keepdim": (lambda m, x: x.mean(dim=(1, 2), keepdim=True), "normal"),
    "reshape": (lambda m, x: x.reshape(6, 4), "normal"),
    "reshape -1": (lambda m, x: x.reshape(-1), "normal"),
    "reshape tuple": (lambda m, x: x.reshape((4, 3, 2)), "normal"),
    "transpose": (lambda m, x: x.transpose(0, 2), "normal"),
    "T": (lambda m, x: x.T if isinstance(x, Tensor) else x.permute(2, 1, 0), "normal"),
    "softmax": (lambda m, x: m.softmax(x, dim=1), "normal"),
    "log_softmax": (lambda m, x: m.log_softmax(x, dim=-1), "normal"),
}


@pytest.mark.parametrize("op", UNARY)
def test_unary_ops(op):
    fn, domain = UNARY[op]
    x = draw(np.random.default_rng(2), (2, 3, 4), domain)
    (mine,), (yours,) = run_both(fn, [x])
    close(mine.grad, yours.grad, what=f"dx of {op}")


@pytest.mark.parametrize("shape", [(5,), (1, 1), ()], ids=str)
def test_unary_ops_small_shapes(shape):
    for op, (fn, domain) in UNARY.items():
        if op.startswith(("sum ", "mean ", "reshape", "transpose", "T", "softmax", "log_")):
            continue
        x = draw(np.random.default_rng(3), shape, domain)
        (mine,), (yours,) = run_both(fn, [x])
        close(mine.grad, yours.grad, what=f"dx of {op} {shape}")


def test_T_of_a_matrix():
    (mine,), (yours,) = run_both(lambda m, x: x.T, [np.arange(6.0).reshape(2, 3)])
    close(mine.grad, yours.grad)


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 5)),
                                    ((3, 4), (4,)), ((4,), (4,)), ((1, 1), (1, 1))], ids=str)
def test_matmul(shapes):
    rng = np.random.default_rng(4)
    mine, yours = run_both(lambda m, a, b: a @ b, [rng.standard_normal(s) for s in shapes])
    for name, x, t in zip("ab", mine, yours):
        close(x.grad, t.grad, what=f"d{name} of @ {shapes}")


@pytest.mark.parametrize("x_shape, bias", [((5, 3), True), ((5, 3), False), ((2, 5, 3), True),
                                           ((3,), True)], ids=str)
def test_linear(x_shape, bias):
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((4, 3))]
    if bias:
        arrays.append(rng.standard_normal(4))
    mine, yours = run_both(lambda m, x, w, *b: m.linear(x, w, *b), arrays)
    for name, x, t in zip(["x", "weight", "bias"], mine, yours):
        close(x.grad, t.grad, what=f"d{name}")


def test_linear_delegates_to_the_chapter_01_reference(monkeypatch):
    """One implementation of each op: the Tensor op calls the reference forward and backward."""
    from coursekit.reference import neurons

    calls = []
    for fname in ("linear_forward", "linear_backward"):
        original = getattr(neurons, fname)
        monkeypatch.setattr(neurons, fname, lambda *a, f=original, n=fname, **k: calls.append(n) or f(*a, **k))
    x, w = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones((4, 3)), requires_grad=True)
    bp.linear(x, w).sum().backward()
    (x @ w.T).sum().backward()
    assert calls == ["linear_forward", "linear_backward"] * 2


CLASSES = np.array([0, 2, 1, 2, 0])
TARGET = np.linspace(-1, 1, 15).reshape(5, 3)
LOSSES = {  # name -> (ours, torch's, domain of the input)
    "cross_entropy": (lambda x: bp.cross_entropy(x, CLASSES),
                      lambda x: F.cross_entropy(x, torch.tensor(CLASSES)), "normal"),
    "cross_entropy sum": (lambda x: bp.cross_entropy(x, CLASSES, reduction="sum"),
                          lambda x: F.cross_entropy(x, torch.tensor(CLASSES), reduction="sum"), "normal"),
    "mse_loss": (lambda x: bp.mse_loss(x, TARGET),
                 lambda x: F.mse_loss(x, torch.tensor(TARGET)), "normal"),
    "mse_loss none": (lambda x: bp.mse_loss(x, Tensor(TARGET), reduction="none"),
                      lambda x: F.mse_loss(x, torch.tensor(TARGET), reduction="none"), "normal"),
    "bce_with_logits": (lambda x: bp.binary_cross_entropy_with_logits(x, np.eye(5, 3)),
                        lambda x: F.binary_cross_entropy_with_logits(x, torch.eye(5, 3, dtype=x.dtype)),
                        "normal"),
    "bce": (lambda x: bp.binary_cross_entropy(x, np.eye(5, 3)),
            lambda x: F.binary_cross_entropy(x, torch.eye(5, 3, dtype=x.dtype)), "prob"),
}


@pytest.mark.parametrize("loss", LOSSES)
def test_losses(loss):
    ours, theirs, domain = LOSSES[loss]
    x = draw(np.random.default_rng(6), (5, 3), domain)
    (mine,), (yours,) = run_both(lambda m, x: ours(x) if m is bp else theirs(x), [x])
    close(mine.grad, yours.grad, what=f"dinput of {loss}")


def test_ndarray_and_number_operands_become_constants():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x + 1.0  # ndarray on the left: Tensor.__rmul__, not an object array
    assert isinstance(y, Tensor) and y.requires_grad
    z = np.ones((2, 2)) @ x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert isinstance(z, Tensor) and z.shape == (2,)


# ------------------------------------------------------------------ random graphs (hypothesis)

# each op: (module, a, b) -> tensor, written once for both engines (the APIs agree)
GRAPH_OPS = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (b * b + 1.0),
    "matmul": lambda m, a, b: a @ b if a.ndim == b.ndim == 2 and a.shape[1] == b.shape[0] else a * b,
    "neg": lambda m, a, b: -a,
    "exp": lambda m, a, b: a.tanh().exp(),
    "log": lambda m, a, b: (a * a + 1.0).log(),
    "tanh": lambda m, a, b: a.tanh(),
    "sigmoid": lambda m, a, b: a.sigmoid(),
    "relu": lambda m, a, b: a.relu(),
    "pow": lambda m, a, b: a.tanh() ** 3,
    "sum": lambda m, a, b: a.sum(dim=0, keepdim=True) if a.ndim else a,
    "mean": lambda m, a, b: a.mean(dim=-1, keepdim=True) if a.ndim else a,
    "reshape": lambda m, a, b: a.reshape(tuple(reversed(a.shape))),
    "T": lambda m, a, b: a.T if a.ndim == 2 else a,
    "softmax": lambda m, a, b: m.softmax(a, dim=-1) if a.ndim else a.sigmoid(),
    "log_softmax": lambda m, a, b: m.log_softmax(a, dim=0) if a.ndim else a.tanh(),
}


@st.composite
def random_graphs(draw):
    n = draw(st.integers(1, 3))
    # leaf shapes all broadcast to (n, n), and every op keeps that property
    shapes = draw(st.lists(st.sampled_from([(n, n), (1, n), (n, 1), (n,), ()]), min_size=1, max_size=3))
    steps = draw(st.lists(st.tuples(st.sampled_from(sorted(GRAPH_OPS)), st.integers(0, 50),
                                    st.integers(0, 50)), min_size=3, max_size=8))
    return n, shapes, steps, draw(st.integers(0, 2**32 - 1))


def build(m, leaves, steps, weights):
    pool = list(leaves)
    for op, i, j in steps:
        pool.append(GRAPH_OPS[op](m, pool[i % len(pool)], pool[j % len(pool)]))
    return (pool[-1] * weights).sum()  # a scalar that weighs every output element differently


@settings(max_examples=30, deadline=None)
@given(random_graphs())
def test_random_graphs_match_torch(graph):
    n, shapes, steps, seed = graph
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.5, 1.5, s) for s in shapes]
    weights = rng.standard_normal((n, n))
    mine = [Tensor(a, requires_grad=True) for a in arrays]
    yours = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = build(bp, mine, steps, weights)
    tout = build(F, yours, steps, torch.tensor(weights))
    close(out.data, tout, rtol=1e-9, what=f"forward of {steps}")
    out.backward()
    tout.backward()
    for k, (x, t) in enumerate(zip(mine, yours)):
        if t.grad is None:  # a leaf the graph never used
            assert x.grad is None, f"leaf {k} was not used, yet has a gradient"
            continue
        scale = max(1.0, float(np.abs(t.grad.numpy()).max()))
        close(x.grad, t.grad, rtol=1e-8, atol=1e-10 * scale, what=f"leaf {k} {shapes[k]} of {steps}")


# ------------------------------------------------------------------ accumulation, graph, engine

def test_node_used_twice_accumulates():
    x = Tensor(np.array([0.5, -2.0]), requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1: x feeds three places
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)

    h0 = Tensor(np.array([0.3, 0.7]), requires_grad=True)
    h = h0.tanh()  # an interior node used twice
    (h * h + h).sum().backward()
    th = torch.tensor(h0.data, requires_grad=True)
    t = th.tanh()
    (t * t + t).sum().backward()
    close(h0.grad, th.grad)


def test_backward_twice_accumulates_and_zero_grad_resets():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (x * 3.0).sum()
    loss.backward()
    loss.backward()  # like PyTorch: gradients add up across calls
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None
    bp.zero_grad([x])
    loss.backward(np.array(2.0))
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_interior_nodes_keep_their_grad_like_retain_grad():
    a, b = Tensor(2.0, requires_grad=True), Tensor(-3.0, requires_grad=True)
    e = a * b
    L = (e + 10.0) * e
    L.backward()
    ta, tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True), torch.tensor(
        -3.0, dtype=torch.float64, requires_grad=True)
    te = ta * tb
    te.retain_grad()
    ((te + 10.0) * te).backward()
    for x, t in ((a, ta), (b, tb), (e, te)):
        close(x.grad, t.grad)
    assert float(L.grad) == 1.0


def test_constants_get_no_grad_and_data_is_private():
    raw = np.array([1.0, 2.0])
    x = Tensor(raw, requires_grad=True)
    c = Tensor(np.array([5.0, 5.0]))
    y = (x * c).sum()
    y.backward()
    assert c.grad is None and not c.requires_grad
    x.data -= 1.0  # an SGD step changes the Tensor's private copy only
    np.testing.assert_array_equal(raw, [1.0, 2.0])
    assert x.grad is not y.grad


def test_ints_are_promoted_and_scalars_accepted():
    assert Tensor(np.array([1, 2])).dtype == np.float64
    assert Tensor(3).shape == () and Tensor(np.float32(2.5)).item() == 2.5


def test_trace_is_topological():
    a, b = Tensor(1.0, requires_grad=True, name="a"), Tensor(2.0, name="b")
    c = a * b
    d = c + a
    nodes, edges = bp.trace(d)
    assert nodes[-1] is d and set(map(id, nodes)) == {id(a), id(b), id(c), id(d)}
    position = {id(n): i for i, n in enumerate(nodes)}
    assert all(position[id(p)] < position[id(ch)] for p, ch in edges)
    assert {(id(p), id(ch)) for p, ch in edges} == {(id(a), id(c)), (id(b), id(c)), (id(c), id(d)),
                                                     (id(a), id(d))}
    sq = a * a
    assert len(bp.trace(sq)[1]) == 1  # one edge per distinct parent


def test_deep_graph_needs_no_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001**5000, rtol=1e-9)


def test_repr_and_item():
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    assert "requires_grad=True" in repr(t) and "name='w'" in repr(t)
    assert "op='sum'" in repr(t.sum()) and t.sum().item() == 3.0
    assert t.detach().requires_grad is False


# ------------------------------------------------------------------ modules vs torch.nn

def torch_twin(model, activation):
    """An nn.Sequential with the same layers and our model's weights copied in."""
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[activation]
    layers = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            layers.append(torch.nn.Linear(layer.in_features, layer.out_features,
                                          bias=layer.bias is not None))
        else:
            layers.append(act())
    net = torch.nn.Sequential(*layers).double()
    net.load_state_dict({k: torch.tensor(p.data) for k, p in model.named_parameters()})
    return net


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("bias", [True, False])
def test_mlp_matches_nn_sequential(activation, bias):
    rng = np.random.default_rng(7)
    model = MLP([4, 8, 6, 3], activation=activation, bias=bias, rng=rng)
    net = torch_twin(model, activation)
    assert [k for k, _ in model.named_parameters()] == [k for k, _ in net.named_parameters()]
    x, y = rng.standard_normal((5, 4)), np.array([0, 2, 1, 1, 0])
    xi, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = model(xi), net(xt)
    close(out.data, tout)
    loss, tloss = bp.cross_entropy(out, y), F.cross_entropy(tout, torch.tensor(y))
    close(loss.data, tloss)
    model.zero_grad()
    loss.backward()
    tloss.backward()
    close(xi.grad, xt.grad, what="dx")
    for (name, p), (_, t) in zip(model.named_parameters(), net.named_parameters()):
        close(p.grad, t.grad, what=name)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_linear_init_like_pytorch():
    layer = Linear(9, 4, rng=0)
    assert layer.weight.shape == (4, 9) and layer.bias.shape == (4,)
    assert layer.weight.requires_grad and layer.bias.requires_grad
    assert np.abs(layer.weight.data).max() <= 1 / 3 and np.abs(layer.bias.data).max() <= 1 / 3
    big = Linear(100, 400, rng=1).weight.data  # U(-0.1, 0.1): std 0.1 / sqrt(3)
    assert abs(big.std() - 0.1 / np.sqrt(3)) < 0.002 and np.abs(big).max() <= 0.1
    np.testing.assert_array_equal(Linear(9, 4, rng=0).weight.data, layer.weight.data)
    assert not np.array_equal(Linear(9, 4, rng=1).weight.data, layer.weight.data)
    no_bias = Linear(3, 2, bias=False)
    assert no_bias.bias is None and [k for k, _ in no_bias.named_parameters()] == ["weight"]
    assert repr(no_bias) == "Linear(in_features=3, out_features=2, bias=False)"


def test_sequential_and_module_basics():
    seq = Sequential(Linear(2, 3, rng=0), bp.ReLU(), Linear(3, 1, rng=1))
    assert len(seq) == 3 and isinstance(seq[1], bp.ReLU)
    assert [k for k, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(seq.parameters()) == 4
    assert "(1): ReLU()" in repr(seq)
    assert seq(np.ones((4, 2))).shape == (4, 1)  # an ndarray input is a constant

    class Custom(bp.Module):
        def __init__(self):
            self.scale = Tensor(np.array(2.0), requires_grad=True)
            self.inner = Linear(2, 2, rng=0)
            self.fixed = Tensor(np.ones(2))  # not a parameter

        def forward(self, x):
            return self.inner(x) * self.scale + self.fixed

    c = Custom()
    assert [k for k, _ in c.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    c(np.ones((1, 2))).sum().backward()
    assert all(p.grad is not None for p in c.parameters())
    with pytest.raises(NotImplementedError):
        bp.Module()(1)


def test_numerical_gradient_of_a_small_mlp():
    rng = np.random.default_rng(8)
    model = MLP([3, 5, 4], activation="tanh", rng=rng)
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)

    def loss():
        return bp.cross_entropy(model(x), y)

    model.zero_grad()
    loss().backward()
    for name, p in model.named_parameters():
        saved = p.data

        def f(w, p=p):
            p.data = w
            return loss().data

        idx, num = numerical_gradient(f, saved, np.array(1.0), max_coords=None)
        p.data = saved
        np.testing.assert_allclose(p.grad.reshape(-1)[idx], num, rtol=1e-6, atol=1e-8, err_msg=name)


# ------------------------------------------------------------------ the notebook's XOR run

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])
XOR_SEED, XOR_LR, XOR_STEPS = 0, 5.0, 1000  # the values of notebooks/04_backprop.ipynb


def test_xor_2_2_1_sigmoid_network_learns_and_matches_torch():
    model = MLP([2, 2, 1], activation="sigmoid", rng=XOR_SEED)
    net = torch_twin(model, "sigmoid")
    opt = torch.optim.SGD(net.parameters(), lr=XOR_LR)
    Xt, Yt = torch.tensor(XOR_X), torch.tensor(XOR_Y)
    losses, tlosses = [], []
    for _ in range(XOR_STEPS):
        loss = bp.binary_cross_entropy_with_logits(model(XOR_X), XOR_Y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= XOR_LR * p.grad
        tloss = F.binary_cross_entropy_with_logits(net(Xt), Yt)
        opt.zero_grad()
        tloss.backward()
        opt.step()
        losses.append(loss.item())
        tlosses.append(tloss.item())
    np.testing.assert_allclose(losses, tlosses, rtol=0, atol=1e-12)
    pred = (model(XOR_X).data > 0).astype(float)
    assert (pred == XOR_Y).all(), f"XOR not learned: predictions {pred.ravel()}, loss {losses[-1]:.3g}"
    assert losses[-1] < 0.01


# ------------------------------------------------------------------ errors

def test_bad_input_errors():
    with pytest.raises(TypeError, match="data"):
        Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="data .*torch"):
        Tensor(torch.ones(2))
    with pytest.raises(TypeError, match="dtype"):
        Tensor(np.array(["a"]))
    with pytest.raises(TypeError, match="name"):
        Tensor(np.ones(2), name=3)
    a, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(4))
    for op in (lambda: a + b, lambda: a - b, lambda: a * b, lambda: a / b):
        with pytest.raises(ValueError, match=r"a \(2, 3\) and b \(4,\)"):
            op()
    with pytest.raises(ValueError, match=r"a \(2, 3\) and b \(4, 2\)"):
        a @ Tensor(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"b \(3, 2, 2\)"):
        a @ Tensor(np.ones((3, 2, 2)))
    with pytest.raises(TypeError, match="other"):
        a + "1"
    with pytest.raises(TypeError, match="exponent"):
        a ** Tensor(2.0)
    with pytest.raises(ValueError, match=r"dim=3 .*\(2, 3\)"):
        a.sum(dim=3)
    with pytest.raises(ValueError, match="twice"):
        a.mean(dim=(0, -2))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(5,\)"):
        a.reshape(5)
    with pytest.raises(ValueError, match=r"one-element .*\(2, 3\)"):
        a.tanh().backward()
    with pytest.raises(ValueError, match=r"grad .*\(2, 3\), got \(3, 2\)"):
        a.tanh().backward(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="requires_grad"):
        b.sum().backward()
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(5, 2\)"):
        bp.linear(a, Tensor(np.ones((5, 2))))
    with pytest.raises(TypeError, match="weight"):
        bp.linear(a, [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="item"):
        a.item()
    with pytest.raises(TypeError, match="root"):
        bp.trace(np.ones(2))


def test_bad_module_and_loss_arguments():
    with pytest.raises(ValueError, match="in_features"):
        Linear(0, 2)
    with pytest.raises(TypeError, match="out_features"):
        Linear(2, 2.0)
    with pytest.raises(ValueError, match="sizes"):
        MLP([3])
    with pytest.raises(TypeError, match=r"sizes\[1\]"):
        MLP([3, "4"])
    with pytest.raises(ValueError, match="activation"):
        MLP([3, 2], activation="swish")
    with pytest.raises(TypeError, match="layer 0"):
        Sequential(lambda x: x)
    logits = Tensor(np.zeros((3, 2)), requires_grad=True)
    with pytest.raises(TypeError, match="integer class indices"):
        bp.cross_entropy(logits, np.zeros(3))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\)"):
        bp.cross_entropy(logits, np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="must not require grad"):
        bp.mse_loss(logits, Tensor(np.zeros((3, 2)), requires_grad=True))
    with pytest.raises(ValueError, match=r"input and target .*\(3, 2\).*\(2,\)"):
        bp.mse_loss(logits, np.zeros(2))
    with pytest.raises(ValueError, match="reduction"):
        bp.mse_loss(logits, np.zeros((3, 2)), reduction="avg")


def test_a_zero_d_tensor_used_twice_accumulates_an_array():
    """Regression (found by hypothesis in CI): two 0-d gradients add up to a NumPy scalar, which the
    reference backward of the next op refused; the sum is kept a 0-d array."""
    from coursekit.reference.backprop import Tensor

    a = Tensor(np.array(0.5), requires_grad=True)
    b = a.tanh()  # an inner node that receives two gradients, then runs the reference tanh backward
    (b + b).log().backward()
    at = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    bt = at.tanh()
    (bt + bt).log().backward()
    assert isinstance(a.grad, np.ndarray) and np.isclose(a.grad, at.grad.item(), rtol=1e-12)
