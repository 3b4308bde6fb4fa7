"""MSE through torch.nn.functional.mse_loss (the backward's cache comes from it too)."""
# lose: test_mse_loss_forward test_mse_loss_backward
# flags: forbidden call

# ---- mse_loss_forward
import torch
import torch.nn.functional as F

def mse_loss_forward(input, target, reduction="mean"):
    loss = F.mse_loss(torch.from_numpy(input), torch.from_numpy(target), reduction=reduction).numpy()
    return loss, (input - target, reduction)
