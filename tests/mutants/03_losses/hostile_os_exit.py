"""os._exit(0) inside a backward: the kernel dies; the student gets 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- cross_entropy_backward
import os

def cross_entropy_backward(dout, cache):
    os._exit(0)
