"""RMSprop through torch.optim.RMSprop, one step on a tensor holding param."""
# lose: test_rmsprop_step
# flags: forbidden call

# ---- rmsprop_step
import torch

def rmsprop_step(param, grad, state=None, *, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                 centered=False, weight_decay=0.0):
    p = torch.tensor(param, requires_grad=True)
    opt = torch.optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered,
                              weight_decay=weight_decay)
    if state is not None:
        opt.state[p] = {k: torch.tensor(v) for k, v in state.items()}
    p.grad = torch.tensor(grad)
    opt.step()
    new_state = {k: v.detach().numpy().copy() for k, v in opt.state[p].items()}
    return p.detach().numpy().copy(), new_state
