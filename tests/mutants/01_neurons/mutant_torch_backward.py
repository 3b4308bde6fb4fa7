"""Computes the backward with PyTorch autograd."""
# lose: test_linear_backward
# flags: forbidden call

# ---- linear_backward
def linear_backward(dout, cache):
    import torch
    x, weight, bias = cache
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = None if bias is None else torch.tensor(bias, requires_grad=True)
    out = torch.nn.functional.linear(xt, wt, bt)
    out.backward(torch.tensor(dout))
    return xt.grad.numpy(), wt.grad.numpy(), None if bt is None else bt.grad.numpy()
