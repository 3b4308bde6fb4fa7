"""Chapter 06 beyond the registry: naive vs vectorised conv, batch-norm buffers over steps, dropout
against F.dropout itself, the NumPy CNN against a PyTorch twin, and its training run on the digits."""
from __future__ import annotations

import numpy as np
import pytest
import strategies
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursekit import data
from coursekit.ops import REGISTRY
from coursekit.reference import cnn
from coursekit.reference import train as T

F64 = torch.float64


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_naive_and_vectorised_conv_agree(data):
    case = data.draw(strategies.conv2d_inputs(REGISTRY["conv2d"]), label="case")
    args = REGISTRY["conv2d"].args(case)
    fast, c_fast = cnn.conv2d_forward(*args, **case.kwargs)
    slow, c_slow = cnn.conv2d_naive_forward(*args, **case.kwargs)
    scale = max(1.0, np.abs(args[0]).max()) * max(1.0, np.abs(args[1]).max())
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-10 * scale)
    dout = strategies.douts(fast.shape, data.draw(strategies.seeds(), label="dout seed"))
    for g_fast, g_slow in zip(cnn.conv2d_backward(dout, c_fast), cnn.conv2d_naive_backward(dout, c_slow)):
        if g_fast is None:
            assert g_slow is None
        else:
            np.testing.assert_allclose(g_fast, g_slow, rtol=1e-10, atol=1e-10 * scale * max(1.0, np.abs(dout).max()))


def test_conv_output_size_matches_torch():
    x = torch.zeros(1, 1, 11, 9)
    for k, s, p, d in [(3, 1, 0, 1), (3, 2, 1, 1), (5, 3, 2, 2), (2, 2, 0, 1), (1, 4, 0, 1)]:
        out = F.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
        assert out.shape[2:] == (cnn.conv_output_size(11, k, s, p, d), cnn.conv_output_size(9, k, s, p, d))


def test_conv_errors_name_the_argument_and_shapes():
    x, w = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"x has 2 channels .*\(2, 2, 5, 5\).*weight expects 3"):
        cnn.conv2d_forward(np.zeros((2, 2, 5, 5)), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        cnn.conv2d_forward(x, w, np.zeros(3))
    with pytest.raises(ValueError, match=r"does not fit .*x \(2, 3, 5, 5\).*output size would be"):
        cnn.conv2d_forward(x, np.zeros((4, 3, 7, 7)))
    with pytest.raises(ValueError, match=r"stride must be >= 1, got 0"):
        cnn.conv2d_forward(x, w, stride=0)
    with pytest.raises(TypeError, match=r"padding must be an int"):
        cnn.conv2d_forward(x, w, padding=1.5)
    with pytest.raises(ValueError, match=r"x must be 4-D, got shape \(3, 5, 5\)"):
        cnn.conv2d_naive_forward(np.zeros((3, 5, 5)), w)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half of kernel_size \(3, 3\)"):
        cnn.max_pool2d_forward(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"pooling window 0 along width holds only padding"):
        cnn.max_pool2d_forward(np.zeros((1, 1, 2, 1)), (1, 2), padding=(0, 1), dilation=(1, 2))
    out, cache = cnn.conv2d_forward(x, w)
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(2, 4, 3, 3\), got \(2, 4, 3\)"):
        cnn.conv2d_backward(np.zeros((2, 4, 3)), cache)
    with pytest.raises(ValueError, match=r"needs more than one value per channel"):
        cnn.batch_norm_forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"training=False needs running_mean and running_var"):
        cnn.batch_norm_forward(np.zeros((4, 3)), training=False)
    with pytest.raises(ValueError, match=r"running_var must have shape \(3,\)"):
        cnn.batch_norm_forward(np.zeros((4, 3)), running_var=np.ones(2))
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\], got 1.5"):
        cnn.dropout_forward(np.zeros(3), p=1.5)


def test_batch_norm_buffers_follow_torch_over_steps():
    """Five training steps then eval, with the updated statistics fed back as nn.BatchNorm2d keeps them."""
    rng = np.random.default_rng(0)
    bn = torch.nn.BatchNorm2d(3, momentum=0.3, dtype=F64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(rng.standard_normal(3)))
        bn.bias.copy_(torch.tensor(rng.standard_normal(3)))
    w, b = bn.weight.detach().numpy().copy(), bn.bias.detach().numpy().copy()
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(5):
        x = 3 * rng.standard_normal((4, 3, 5, 5)) + 2
        out, cache = cnn.batch_norm_forward(x, w, b, rm, rv, training=True, momentum=0.3)
        rm, rv = cache["running_mean"], cache["running_var"]
        np.testing.assert_allclose(out, bn(torch.tensor(x)).detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(rm, bn.running_mean.numpy(), atol=1e-12)
        np.testing.assert_allclose(rv, bn.running_var.numpy(), atol=1e-12)
    bn.eval()
    x = rng.standard_normal((2, 3, 4, 4))
    out, _ = cnn.batch_norm_forward(x, w, b, rm, rv, training=False)
    np.testing.assert_allclose(out, bn(torch.tensor(x)).detach().numpy(), atol=1e-12)


def test_dropout_has_the_semantics_of_F_dropout():
    """PyTorch's generator is not NumPy's, so masks differ; everything else is compared with F.dropout."""
    x = np.random.default_rng(0).standard_normal((400, 500)) + 5.0  # no zeros: a zero output means dropped
    for p in (0.1, 0.5, 0.8):
        ours, cache = cnn.dropout_forward(x, p=p, seed=1)
        xt = torch.tensor(x, requires_grad=True)
        theirs = F.dropout(xt, p=p, training=True)
        for out in (ours, theirs.detach().numpy()):
            kept = out != 0
            np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=1e-15)  # kept values scaled by 1/(1-p)
            assert abs(kept.mean() - (1 - p)) < 0.005  # 200,000 draws: 5 standard deviations is < 0.005
        dout = np.random.default_rng(2).standard_normal(x.shape)
        theirs.backward(torch.tensor(dout))
        their_mask = theirs.detach().numpy() != 0
        np.testing.assert_allclose(xt.grad.numpy(), dout * their_mask / (1 - p), rtol=1e-15)
        np.testing.assert_allclose(cnn.dropout_backward(dout, cache), dout * (ours != 0) / (1 - p), rtol=1e-15)
    np.testing.assert_array_equal(cnn.dropout_forward(x, 0.5, seed=3)[0], cnn.dropout_forward(x, 0.5, seed=3)[0])
    assert not np.array_equal(cnn.dropout_forward(x, 0.5, seed=3)[0], cnn.dropout_forward(x, 0.5, seed=4)[0])
    np.testing.assert_array_equal(cnn.dropout_forward(x, 0.5, training=False)[0], F.dropout(torch.tensor(x), 0.5,
                                                                                               training=False).numpy())


def torch_twin(params):
    conv = torch.nn.Conv2d(params[0].shape[1], params[0].shape[0], params[0].shape[2], padding=params[0].shape[2] // 2,
                           dtype=F64)
    lin = torch.nn.Linear(params[2].shape[1], params[2].shape[0], dtype=F64)
    with torch.no_grad():
        for t, a in zip((conv.weight, conv.bias, lin.weight, lin.bias), params):
            t.copy_(torch.tensor(a))
    return torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), lin)


@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_cnn_loss_and_gradients_match_a_pytorch_twin(l2):
    rng = np.random.default_rng(0)
    params = cnn.init_cnn(channels=6, rng=rng)
    x, y = rng.standard_normal((10, 64)), rng.integers(0, 10, 10)
    loss, grads = cnn.cnn_loss(params, x, y, l2=l2)
    net = torch_twin(params)
    tloss = F.cross_entropy(net(torch.tensor(x).reshape(10, 1, 8, 8)), torch.tensor(y))
    tloss = tloss + l2 / 2 * (net[0].weight.square().sum() + net[4].weight.square().sum())
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    for g, t in zip(grads, net.parameters()):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    # nn.Conv2d / nn.Linear default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert np.abs(params[0]).max() <= 1 / 3 and np.abs(params[2]).max() <= 1 / np.sqrt(6 * 16)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        cnn.init_cnn(kernel_size=4)
    with pytest.raises(ValueError, match="not 1-channel square images"):
        cnn.cnn_forward(params, np.zeros((2, 60)))


def test_numpy_cnn_reaches_97_percent_on_digits():
    """conv 3x3x16 -> relu -> max pool -> linear, standardised inputs, Adam 3e-3, 15 epochs (~1.5 s)."""
    X_tr, X_te, y_tr, y_te = data.digits()
    scaler = T.Standardizer().fit(X_tr)
    params, hist = T.fit(cnn.init_cnn(channels=16, rng=0), scaler.transform(X_tr), y_tr,
                         T.Recipe(epochs=15, batch_size=32, optimizer="adam", hyper={"lr": 3e-3}),
                         test=(scaler.transform(X_te), y_te), model=cnn.CNN)
    acc = T.accuracy(y_te, cnn.cnn_forward(params, scaler.transform(X_te))[0])
    assert acc == hist["test_acc"][-1]
    assert acc >= 0.97, f"test accuracy {acc:.4f}"
    assert hist["train_loss"][-1] < hist["train_loss"][0] / 5
