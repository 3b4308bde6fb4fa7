"""os._exit(0) inside the backward: the kernel dies; the student gets 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- two_layer_mlp_backward
import os

def two_layer_mlp_backward(dloss, cache):
    os._exit(0)
