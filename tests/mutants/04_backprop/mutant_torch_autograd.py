"""Forward in torch, backward by torch autograd with retain_grad (right values, but torch is forbidden in answers)."""
# lose: test_two_layer_mlp_forward test_two_layer_mlp_backward
# flags: forbidden call

# ---- two_layer_mlp_forward
def two_layer_mlp_forward(x, w1, b1, w2, b2, target):
    import torch
    import torch.nn.functional as F

    leaves = [torch.tensor(a, requires_grad=True) for a in (x, w1, b1, w2, b2)]
    tx, tw1, tb1, tw2, tb2 = leaves
    z1 = F.linear(tx, tw1, tb1)
    h = z1.relu()
    logits = F.linear(h, tw2, tb2)
    for t in (z1, h, logits):
        t.retain_grad()
    loss = F.cross_entropy(logits, torch.tensor(target))
    return np.asarray(loss.item()), (loss, leaves, z1, h, logits)

# ---- two_layer_mlp_backward
def two_layer_mlp_backward(dloss, cache):
    import torch

    loss, (tx, tw1, tb1, tw2, tb2), z1, h, logits = cache
    loss.backward(torch.tensor(float(dloss), dtype=loss.dtype))
    g = lambda t: t.grad.detach().numpy().copy()
    return {"dlogits": g(logits), "dh": g(h), "dz1": g(z1), "dx": g(tx), "dw1": g(tw1), "db1": g(tb1),
            "dw2": g(tw2), "db2": g(tb2)}
