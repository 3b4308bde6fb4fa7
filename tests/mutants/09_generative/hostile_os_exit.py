"""os._exit(0) inside gaussian_kl_backward: the kernel dies; 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- gaussian_kl_backward
import os

def gaussian_kl_backward(dout, cache):
    os._exit(0)
