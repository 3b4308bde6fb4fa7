"""AdamW as the decay followed by a call of the (solution's) adam_step with weight_decay=0."""
# uses: adam_step

# ---- adamw_step
def adamw_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
               amsgrad=False):
    shrunk = (1 - lr * weight_decay) * param
    return adam_step(shrunk, grad, state, lr=lr, betas=betas, eps=eps, weight_decay=0.0, amsgrad=amsgrad)
