"""An endless loop in the backward: that cell times out (0), the forward keeps its points."""
# lose: test_linear_backward
# flags: timeout

# ---- linear_backward
def linear_backward(dout, cache):
    while True:
        pass
