"""Calls the course's reference implementation instead of writing it (the backward uses this forward)."""
# lose: test_linear_forward test_linear_backward
# flags: forbidden call

# ---- linear_forward
def linear_forward(x, weight, bias=None):
    from coursekit.reference import neurons
    return neurons.linear_forward(x, weight, bias)
