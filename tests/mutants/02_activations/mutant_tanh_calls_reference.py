"""Calls coursekit.reference inside the forward (the backward's cache comes from it too)."""
# lose: test_tanh_forward test_tanh_backward
# flags: forbidden call

# ---- tanh_forward
def tanh_forward(x):
    import coursekit.reference.activations as ref
    return ref.tanh_forward(x)
