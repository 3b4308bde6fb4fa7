"""os._exit(0) inside a backward: the kernel dies; the student gets 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- gelu_backward
import os

def gelu_backward(dout, cache):
    os._exit(0)
