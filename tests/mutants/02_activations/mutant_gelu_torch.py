"""GELU forward with torch (the backward's cache comes from it too)."""
# lose: test_gelu_forward test_gelu_backward
# flags: forbidden call

# ---- gelu_forward
import torch

def gelu_forward(x):
    return torch.nn.functional.gelu(torch.from_numpy(x)).numpy(), x
