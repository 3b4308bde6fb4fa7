"""conv2d_forward through torch.nn.functional.conv2d: right values, no credit (the backward gets its cache from it too)."""
# lose: test_conv2d_forward test_conv2d_backward
# flags: forbidden call

# ---- conv2d_forward
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    import torch
    import torch.nn.functional as F
    t = lambda a: None if a is None else torch.from_numpy(a)
    out = F.conv2d(t(x), t(weight), t(bias), stride=stride, padding=padding, dilation=dilation).numpy()
    return out, (x, weight, bias, pair(stride), pair(padding), pair(dilation))
