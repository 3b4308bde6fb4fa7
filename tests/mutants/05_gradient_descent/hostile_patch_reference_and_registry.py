"""Adam that is plain SGD (too slow to train), with the reference's adam_step, the registry's rule and torch.optim.Adam
all replaced by the same mistake, and train_check's target patched to 0."""
# lose: test_adam_step test_adam_step_training test_adamw_step
# flags: patched module

# ---- adam_step
import dataclasses

import torch

import coursekit.grading
import coursekit.ops
import coursekit.reference.optim as ref


def adam_step(param, grad, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False):
    return param - lr * grad, {}


class _FakeAdam(torch.optim.SGD):
    def __init__(self, params, lr=1e-3, **kwargs):
        super().__init__(params, lr=lr)


ref.adam_step.__code__ = adam_step.__code__
torch.optim.Adam = _FakeAdam
coursekit.ops.STEPS["adam"] = dataclasses.replace(coursekit.ops.STEPS["adam"], step=adam_step,
                                                  torch_optimizer=lambda params, **h: _FakeAdam(params, **h))
coursekit.grading.train_check.__kwdefaults__["target"] = 0.0
