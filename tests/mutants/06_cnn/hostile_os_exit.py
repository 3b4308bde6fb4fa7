"""os._exit(0) inside the max-pool backward: the kernel dies; the student gets 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- max_pool2d_backward
import os

def max_pool2d_backward(dout, cache):
    os._exit(0)
