"""os._exit(0) inside the backward: the kernel dies; the student gets 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- linear_backward
import os

def linear_backward(dout, cache):
    os._exit(0)
