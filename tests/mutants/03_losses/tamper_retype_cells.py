"""A test cell re-typed as markdown (so it would not run) and another as raw: nbgrader turns them back into code and grades them, so the wrong answer they would hide still loses its points."""
# lose: test_binary_cross_entropy_with_logits_forward test_binary_cross_entropy_with_logits_backward
# flags: test cell edited

# ---- binary_cross_entropy_with_logits_forward
def binary_cross_entropy_with_logits_forward(input, target, reduction="mean"):
    return np.asarray(0.0), None

# ---- retype test_binary_cross_entropy_with_logits_forward markdown
# ---- retype test_mse_loss_backward raw
