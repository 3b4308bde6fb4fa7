"""A forward that reads address 0 with ctypes: the kernel crashes (SIGSEGV); the student gets 0 with the reason, the others are graded."""
# failed: kernel died
# flags: kernel died

# ---- binary_cross_entropy_forward
import ctypes

def binary_cross_entropy_forward(input, target, reduction="mean"):
    return ctypes.string_at(0), None
