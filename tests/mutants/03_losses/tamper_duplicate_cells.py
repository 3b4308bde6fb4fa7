"""Cells duplicated, grade_id and all: a fake "passed" twin before a test cell, and a wrong twin before the right answer cell. nbgrader keeps the first of each id and restores the test's source; the notebook runs as written, so the right definition (the last one) is graded: full marks."""
# flags: test cell edited

# ---- duplicate test_mse_loss_forward
print("all tests passed")

# ---- duplicate cross_entropy_forward
def cross_entropy_forward(input, target, reduction="mean", ignore_index=-100):
    return np.asarray(0.0), None
