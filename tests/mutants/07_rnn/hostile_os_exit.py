"""os._exit(0) inside rnn_backward: the kernel dies; the student gets 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- rnn_backward
import os

def rnn_backward(dout, dh_n, cache):
    os._exit(0)
