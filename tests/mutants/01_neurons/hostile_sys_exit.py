"""sys.exit() inside the backward (caught: that cell scores 0, the right forward keeps its points)."""
# lose: test_linear_backward

# ---- linear_backward
import sys

def linear_backward(dout, cache):
    sys.exit(0)
